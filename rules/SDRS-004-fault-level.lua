-- SDRS-004: no replication pair has a broken replication link (fault_level 5).
local sdrs = require("sdrs")

return {
  id = "SDRS-004",
  title = "No replication pair has a broken replication link",
  severity = "blocker",
  actions = { "failover" },
  rationale = "A replication pair with fault_level 5 has lost its replication link; SDRS does not allow a "
    .. "failover of the group. The documented levels are 0 (no fault), 2 (production disk lost read/write "
    .. "access) and 5; any other level is not understood and leaves the decision open.",
  remediation = "Contact support to repair the replication link, then run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0604 (replication pair fault_level); sdrs-api.md §3.2, §6.1",
  reads = { "replications" },
  check = function(ctx)
    for _, p in ipairs(ctx.replications) do
      -- the message and resource are built only when a value is not recognised (every pair runs this)
      local cls = sdrs.class("replication.fault_level", p.fault_level)
        or sdrs.recognise(ctx, sdrs.describe_pair(p), sdrs.res_pair(p), "replication.fault_level", p.fault_level)
      if cls ~= nil and sdrs.tag("replication.fault_level", p.fault_level) == "link broken" then
        ctx:fail(("%s: replication link broken (fault_level 5)"):format(sdrs.describe_pair(p)),
                 { resource = sdrs.res_pair(p), observed = 5, expected = "not 5", status = p.status,
                   replication_status = sdrs.scalar(p.replication_status) })
      end
    end
  end,
}
