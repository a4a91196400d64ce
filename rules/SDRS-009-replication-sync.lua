-- SDRS-009: every replication pair is in sync (replication_status active, progress 100).
local sdrs = require("sdrs")

return {
  id = "SDRS-009",
  title = "Replication is in sync",
  severity = "warning",
  actions = { "failover", "planned-failover", "drill" },
  rationale = "A pair whose replication_status is not active (inactive, copying, active-stopped) or whose "
    .. "progress is below 100 has not copied everything to the DR site: data written on the production "
    .. "site since the last sync may be lost by a failover, and a DR drill server may fail to start (the "
    .. "UMN: if the synchronisation progress is not 100%, the drill server may fail to start). SDRS does "
    .. "not refuse the action, so this is a warning. A replication_status or progress the documentation "
    .. "does not list is not understood and leaves the decision open.",
  remediation = "Wait until every pair is active with progress 100 (or accept the data loss for a real "
    .. "disaster), then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0604 (replication_status, progress); OTC SDRS UMN: performing a DR drill; "
    .. "sdrs-api.md §3.2, §6.2, §6.3",
  reads = { "replications" },
  check = function(ctx)
    local drill = ctx.action == "drill"
    for _, p in ipairs(ctx.replications) do
      local rs, pg = p.replication_status, p.progress
      local cls = sdrs.class("replication.replication_status", rs)
      local who, res
      if cls == nil or pg == nil or math.type(pg) ~= "integer" or pg < 0 or pg > 100 or cls ~= "fine" or pg < 100 then
        -- something to report: the message and resource are built only now
        who, res = sdrs.describe_pair(p), sdrs.res_pair(p)
        if cls == nil then cls = sdrs.recognise(ctx, who, res, "replication.replication_status", rs) end
      end
      if pg == nil or math.type(pg) ~= "integer" or pg < 0 or pg > 100 then
        ctx:unknown(("%s has progress %s: a percentage from 0 to 100 is needed to tell whether it is in sync")
                    :format(who, pg == nil and "absent" or tostring(pg)),
                    { resource = res, field = "replication.progress", observed = sdrs.scalar(pg) or "absent",
                      expected = "an integer from 0 to 100" })
      elseif cls ~= nil then
        local observed = ("replication_status %q, progress %d"):format(rs, pg)
        if cls ~= "fine" or pg < 100 then
          local effect = drill and "the drill server may fail to start"
                         or "data written since the last sync may be lost"
          ctx:fail(("%s is not in sync (%s): %s"):format(who, observed, effect),
                   { resource = res, observed = observed, expected = "replication_status \"active\", progress 100",
                     replication_status = rs, progress = pg, action = ctx.action })
        end
      end
    end
  end,
}
