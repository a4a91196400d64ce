-- SDRS-002: the group has replication pairs.
local sdrs = require("sdrs")

return {
  id = "SDRS-002",
  title = "Protection group has replication pairs",
  severity = "blocker",
  actions = { "failover", "planned-failover", "enable-protection", "disable-protection" },
  rationale = "Enabling or disabling protection, a planned failover and a failover all need at least one "
    .. "replication pair in the group (replication_num > 0); without pairs there is nothing to replicate "
    .. "or to fail over.",
  remediation = "Add the servers to protect to the group (each protected instance brings its replication "
    .. "pairs), or check that the snapshot lists the group's pairs, then run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0406..0409 (constraints: the group has replication pairs); sdrs-api.md §1.3, §6.1",
  reads = { "group", "replications" },
  check = function(ctx)
    local g = ctx.group
    local n = g.replication_num
    local listed = #ctx.replications
    local ev = { resource = sdrs.res_group(g), replication_num = n, listed_pairs = listed, expected = "> 0" }
    if n == nil then
      ev.observed = "absent"
      ctx:unknown(("%s has no replication_num; the snapshot lists %d pair(s)")
                  :format(sdrs.describe_group(g), listed), ev)
    elseif n <= 0 then
      ev.observed = n
      ctx:fail(("%s has replication_num %d: no replication pairs"):format(sdrs.describe_group(g), n), ev)
    elseif listed == 0 then
      ev.observed = 0
      ctx:fail(("%s has replication_num %d but the snapshot lists no replication pairs")
               :format(sdrs.describe_group(g), n), ev)
    elseif listed ~= n then
      ev.observed = listed
      ev.expected = n
      ctx:warn(("%s has replication_num %d but the snapshot lists %d pair(s)")
               :format(sdrs.describe_group(g), n, listed), ev)
    end
  end,
}
