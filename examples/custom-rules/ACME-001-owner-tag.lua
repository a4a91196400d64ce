-- ACME-001: an example of a site rule. Every protected instance carries an "owner" tag naming one of
-- ACME's on-call teams, so the on-call engineer knows whom to call when a failover touches the server.
--
-- It follows the principle of the built-in rules: it passes only on values it recognises. The teams
-- are an allow-list; an owner that is not on it is not "probably fine" but unknown (ctx:unknown: the
-- verdict is INDETERMINATE until the list or the tag is fixed). The instance status comes from the
-- shared table of documented values (sdrs.recognise): an undocumented status is unknown too.
local sdrs = require("sdrs") -- the built-in helpers are available to custom rules too

-- ACME's on-call teams (runbook DR-7). Exact names: "Team-ERP" is not "team-erp".
local TEAMS = sdrs.set({ "team-erp", "team-dba", "team-windows", "team-web" })

return {
  id = "ACME-001",
  title = "Every protected instance has an owner tag naming an on-call team",
  severity = "warning",
  actions = "all",
  rationale = "ACME policy: each protected server names its owning team in the tag \"owner\", so a failover "
    .. "can be coordinated with the people who run the application. Only the teams of runbook DR-7 can be "
    .. "called; an owner that is not one of them cannot be reached.",
  remediation = "Add or fix the tag on the protected instance (SDRS console > protected instance > Tags, or "
    .. "POST /v1/{project_id}/protected-instances/{id}/tags with "
    .. "{\"tag\": {\"key\": \"owner\", \"value\": \"<team>\"}}), or add a new team to TEAMS in this rule.",
  docs = "ACME runbook DR-7 (internal); OTC SDRS API: managing protected instance tags",
  reads = { "instances" },
  check = function(ctx)
    for _, pi in ipairs(ctx.instances) do
      local who, res = sdrs.describe_instance(pi), sdrs.res_instance(pi)
      -- an instance in an undocumented status is not understood: say so instead of judging its tags
      if sdrs.recognise(ctx, who, res, "protected_instance.status", pi.status) ~= nil then
        local owner
        for _, tag in ipairs(type(pi.tags) == "table" and pi.tags or {}) do
          if type(tag) == "table" and tag.key == "owner" then owner = tag.value end
        end
        if type(owner) ~= "string" or owner == "" then
          ctx:fail(("%s has no owner tag"):format(who),
                   { resource = res, observed = owner == nil and "no owner tag" or "empty owner",
                     expected = "tag owner=<team>" })
        elseif not TEAMS[owner] then
          ctx:unknown(("%s has owner %q, which is not one of ACME's on-call teams"):format(who, owner),
                      { resource = res, observed = owner, expected = sdrs.list_text(sdrs.sorted_keys(TEAMS)) })
        end
      end
    end
  end,
}
