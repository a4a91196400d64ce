-- SDRS-008: protected instances and replication pairs are healthy.
local sdrs = require("sdrs")

return {
  id = "SDRS-008",
  title = "Protected instances and replication pairs are healthy",
  severity = "warning",
  actions = "all",
  rationale = "An instance or pair in status fault (replication abnormal), invalid (a server or disk was deleted) "
    .. "or error / error-* (an earlier operation failed) may make the action fail part-way or leave data "
    .. "behind; SDRS retries some error-* statuses, so this is a warning, not a blocker.",
  remediation = "Look up the failed task in the SDRS task center, repair or retry it; for fault, check the "
    .. "replication link and disks with support. Run the preflight again afterwards.",
  docs = "OTC SDRS API: appendixes 'Protected Instance Status' and 'Replication Pair Status'; sdrs-api.md §2.3, "
    .. "§3.3, §6.2",
  reads = { "group", "instances", "replications" },
  check = function(ctx)
    local g = ctx.group
    local hs = sdrs.recognise(ctx, sdrs.describe_group(g), sdrs.res_group(g), "server_group.health_status",
                              g.health_status)
    if hs == "warns" then
      ctx:fail(("%s has health_status %q"):format(sdrs.describe_group(g), g.health_status),
               { resource = sdrs.res_group(g), observed = g.health_status, expected = "normal" })
    end
    -- describe and res make obj's message and resource, only when there is something to report
    local function health(describe, res, obj, field)
      local cls = sdrs.class(field, obj.status) or sdrs.recognise(ctx, describe(obj), res(obj), field, obj.status)
      if cls == "warns" or cls == "blocks" then
        local fd = type(obj.failure_detail) == "string" and obj.failure_detail or nil
        ctx:fail(("%s is %q"):format(describe(obj), obj.status),
                 { resource = res(obj), observed = obj.status, expected = "not fault, invalid, error or error-*",
                   failure_detail = field == "replication.status" and fd or nil })
      end
    end
    for _, pi in ipairs(ctx.instances) do
      health(sdrs.describe_instance, sdrs.res_instance, pi, "protected_instance.status")
    end
    for _, p in ipairs(ctx.replications) do
      health(sdrs.describe_pair, sdrs.res_pair, p, "replication.status")
    end
  end,
}
