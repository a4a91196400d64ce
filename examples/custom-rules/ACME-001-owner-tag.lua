-- ACME-001: an example of a site rule. Every protected instance carries a non-empty "owner" tag, so the
-- on-call engineer knows whom to call when a failover touches the server.
local sdrs = require("sdrs") -- the built-in helpers are available to custom rules too

return {
  id = "ACME-001",
  title = "Every protected instance has an owner tag",
  severity = "warning",
  actions = "all",
  rationale = "ACME policy: each protected server names its owning team in the tag \"owner\", so a failover "
    .. "can be coordinated with the people who run the application.",
  remediation = "Add the tag on the protected instance: SDRS console > protected instance > Tags, or "
    .. "POST /v1/{project_id}/protected-instances/{id}/tags with "
    .. "{\"tag\": {\"key\": \"owner\", \"value\": \"<team>\"}}.",
  docs = "ACME runbook DR-7 (internal); OTC SDRS API: managing protected instance tags",
  reads = { "instances" },
  check = function(ctx)
    for _, pi in ipairs(ctx.instances) do
      local owner
      for _, tag in ipairs(type(pi.tags) == "table" and pi.tags or {}) do
        if type(tag) == "table" and tag.key == "owner" then owner = tag.value end
      end
      if type(owner) ~= "string" or owner == "" then
        ctx:fail(("%s has no owner tag"):format(sdrs.describe_instance(pi)),
                 { resource = sdrs.res_instance(pi), observed = owner == nil and "no owner tag" or "empty owner",
                   expected = "tag owner=<team>" })
      end
    end
  end,
}
