-- SDRS-005: no operation is in progress on the group, its instances or its pairs.
local sdrs = require("sdrs")

-- One object: unknown without a documented status, fail in a transient one.
-- describe and res make the message and resource of obj, only when there is something to report.
local function check_status(ctx, describe, res, obj, field)
  local cls = sdrs.class(field, obj.status) or sdrs.recognise(ctx, describe(obj), res(obj), field, obj.status)
  if cls == "progress" then
    ctx:fail(("%s is %q: an operation is in progress"):format(describe(obj), obj.status),
             { resource = res(obj), observed = obj.status, expected = "no operation in progress" })
  end
end

return {
  id = "SDRS-005",
  title = "No operation in progress on the group, its instances or pairs",
  severity = "blocker",
  actions = "all",
  rationale = "A transient status (creating, starting, stopping, reversing, failing-over, reprotecting, "
    .. "resizing, extending, attaching, ...) means an SDRS operation is running on the group, one of its "
    .. "protected instances or replication pairs; a new action is rejected or interferes with it.",
  remediation = "Wait for the running operation to finish (its job in the SDRS console or GET /v1/{project_id}/jobs), "
    .. "fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: appendixes 'Protection Group Status', 'Protected Instance Status', 'Replication Pair "
    .. "Status'; sdrs-api.md §1.4, §2.3, §3.3",
  reads = { "group", "instances", "replications" },
  check = function(ctx)
    local g = ctx.group
    check_status(ctx, sdrs.describe_group, sdrs.res_group, g, "server_group.status")
    for _, pi in ipairs(ctx.instances) do
      check_status(ctx, sdrs.describe_instance, sdrs.res_instance, pi, "protected_instance.status")
    end
    for _, p in ipairs(ctx.replications) do
      check_status(ctx, sdrs.describe_pair, sdrs.res_pair, p, "replication.status")
    end
  end,
}
