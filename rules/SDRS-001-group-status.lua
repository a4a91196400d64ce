-- SDRS-001: the protection group's status allows the action.
local sdrs = require("sdrs")

return {
  id = "SDRS-001",
  title = "Protection group status allows the action",
  severity = "blocker",
  actions = "all",
  rationale = "SDRS accepts each protection-group action only in certain group statuses: failover in protected, "
    .. "error-failing-over or error-reversing; planned failover in protected or error-reversing; enabling "
    .. "protection in available, error-starting, failed-over or error-reprotecting; disabling protection in "
    .. "protected or error-stopping; a DR drill in the eight statuses of the drill API. In any other status the "
    .. "API rejects the action.",
  remediation = "Bring the group into a status that allows the action (wait for a running operation to finish, "
    .. "retry or repair a failed one), then run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0406..0409 (group actions), sdrs_05_0701 (create DR drill), appendix "
    .. "'Protection Group Status'; sdrs-api.md §1.4, §6.1, §6.3",
  reads = { "group" },
  check = function(ctx)
    local g = ctx.group
    local allowed = sdrs.ACTION_STATUSES[ctx.action]
    if allowed == nil then
      ctx:unknown(("no group statuses are known for action %q"):format(tostring(ctx.action)),
                  { resource = sdrs.res_group(g), observed = tostring(ctx.action), expected = "a known action" })
      return
    end
    local expected = sdrs.list_text(allowed)
    if sdrs.recognise(ctx, sdrs.describe_group(g), sdrs.res_group(g), "server_group.status", g.status,
                      { action = ctx.action }) == nil then
      return
    end
    if not sdrs.ALLOWED_GROUP_STATUS[ctx.action][g.status] then
      ctx:fail(("%s status is %q; %s needs %s"):format(sdrs.describe_group(g), g.status, ctx.action, expected),
               { resource = sdrs.res_group(g), observed = g.status, expected = expected, action = ctx.action })
    end
  end,
}
