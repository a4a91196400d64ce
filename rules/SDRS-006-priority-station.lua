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
    -- describe and res make obj's message and resource, only when there is something to report
    local function compare(describe, res, obj)
      local got = obj.priority_station
      if sdrs.class("priority_station", got) == nil
         and sdrs.recognise(ctx, describe(obj), res(obj), "priority_station", got, { group = want }) == nil then
        return
      elseif got ~= want then
        ctx:fail(("%s has priority_station %q but the group has %q"):format(describe(obj), got, want),
                 { resource = res(obj), observed = got, expected = want, group = g.id })
      end
    end
    for _, pi in ipairs(ctx.instances) do compare(sdrs.describe_instance, sdrs.res_instance, pi) end
    for _, p in ipairs(ctx.replications) do compare(sdrs.describe_pair, sdrs.res_pair, p) end
  end,
}
