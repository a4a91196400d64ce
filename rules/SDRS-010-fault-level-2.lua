-- SDRS-010: pairs whose production disk lost read/write access (fault_level 2).
local sdrs = require("sdrs")

return {
  id = "SDRS-010",
  title = "Replication pairs whose production disk lost read/write access",
  severity = "info",
  actions = { "failover" },
  rationale = "fault_level 2 means the current production-site disk of the pair has no read/write permission; "
    .. "SDRS recommends a failover. This is the expected picture in a real disaster and is shown for the record.",
  remediation = "None needed for the failover; after it, re-protect the group once the production site is repaired.",
  docs = "OTC SDRS API: sdrs_05_0604 (fault_level); sdrs-api.md §3.2, §6.1",
  reads = { "replications" },
  check = function(ctx)
    for _, p in ipairs(ctx.replications) do
      local cls = sdrs.class("replication.fault_level", p.fault_level)
        or sdrs.recognise(ctx, sdrs.describe_pair(p), sdrs.res_pair(p), "replication.fault_level", p.fault_level)
      if cls ~= nil and sdrs.tag("replication.fault_level", p.fault_level) == "failover recommended" then
        ctx:fail(("%s: production disk has no read/write access (fault_level 2); a failover is recommended")
                 :format(sdrs.describe_pair(p)),
                 { resource = sdrs.res_pair(p), observed = 2, expected = "0", status = p.status })
      end
    end
  end,
}
