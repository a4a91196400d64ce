-- SDRS-009: every replication pair is in sync (replication_status active, progress 100).
local sdrs = require("sdrs")

return {
  id = "SDRS-009",
  title = "Replication is in sync",
  severity = "warning",
  actions = { "failover", "planned-failover" },
  rationale = "A pair whose replication_status is not active (inactive, copying, active-stopped) or whose "
    .. "progress is below 100 has not copied everything to the DR site: data written on the production "
    .. "site since the last sync may be lost by the failover. SDRS does not refuse the action, so this is "
    .. "a warning.",
  remediation = "Wait until every pair is active with progress 100 (or accept the data loss for a real "
    .. "disaster), then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0604 (replication_status, progress); sdrs-api.md §3.2, §6.2",
  reads = { "replications" },
  check = function(ctx)
    for _, p in ipairs(ctx.replications) do
      local rs = type(p.replication_status) == "string" and p.replication_status or nil
      local pg = p.progress
      local observed = ("replication_status %s, progress %s"):format(
        rs == nil and "unknown" or ("%q"):format(rs), pg == nil and "unknown" or tostring(pg))
      local ev = { resource = sdrs.res_pair(p), observed = observed,
                   expected = "replication_status \"active\", progress 100", replication_status = rs, progress = pg }
      if rs == nil or pg == nil then
        ctx:fail(("%s: sync state unknown (%s); data written since the last sync may be lost")
                 :format(sdrs.describe_pair(p), observed), ev)
      elseif rs ~= "active" or pg < 100 then
        ctx:fail(("%s is not in sync (%s): data written since the last sync may be lost")
                 :format(sdrs.describe_pair(p), observed), ev)
      end
    end
  end,
}
