-- SDRS-006: group, instances and pairs agree on the current production side (priority_station).
local sdrs = require("sdrs")

return {
  id = "SDRS-006",
  title = "Group, instances and pairs agree on priority_station",
  severity = "blocker",
  actions = "all",
  rationale = "priority_station names the current production side. Every protected instance and replication "
    .. "pair carries the group's value; a disagreement means an earlier switchover or failover did not "
    .. "finish on every member, and the servers that are production and DR cannot be told apart.",
  remediation = "Find the failed or unfinished operation (the SDRS task center, the group's last job), retry "
    .. "or repair it with support, then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0403, sdrs_05_0504, sdrs_05_0604 (priority_station); sdrs-api.md §1.3, §2.2, §3.2",
  reads = { "group", "instances", "replications" },
  check = function(ctx)
    local g = ctx.group
    local want = g.priority_station
    if sdrs.recognise(ctx, sdrs.describe_group(g), sdrs.res_group(g), "priority_station", want) == nil then
      return
    end
    local function compare(what, obj, resource)
      local got = obj.priority_station
      if sdrs.recognise(ctx, what, resource, "priority_station", got, { group = want }) == nil then
        return
      elseif got ~= want then
        ctx:fail(("%s has priority_station %q but the group has %q"):format(what, got, want),
                 { resource = resource, observed = got, expected = want, group = g.id })
      end
    end
    for _, pi in ipairs(ctx.instances) do compare(sdrs.describe_instance(pi), pi, sdrs.res_instance(pi)) end
    for _, p in ipairs(ctx.replications) do compare(sdrs.describe_pair(p), p, sdrs.res_pair(p)) end
  end,
}
