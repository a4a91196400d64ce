-- SDRS-014: the production and DR servers are in a status SDRS operates on (ACTIVE or SHUTOFF).
local sdrs = require("sdrs")

return {
  id = "SDRS-014",
  title = "Servers are active or stopped",
  severity = "blocker",
  actions = "all",
  rationale = "SDRS refuses to operate on a protected instance whose server is neither active nor shut off "
    .. "(SDRS.1333, 'Operation not allowed because the server status is not active or shutoff'): a server "
    .. "in ERROR, SHELVED, SHELVED_OFFLOADED, UNKNOWN, PAUSED or SUSPENDED blocks the action, and one in a "
    .. "transitional status (BUILD, REBOOT, HARD_REBOOT, REBUILD, MIGRATING, RESIZE, REVERT_RESIZE, "
    .. "VERIFY_RESIZE) has an operation in progress. For a failover only the DR servers must be usable: "
    .. "the production site may be the part that failed, so a production server in such a status is a "
    .. "warning. A status the documentation does not list is not understood and leaves the decision open; "
    .. "a deleted server is SDRS-003's finding.",
  remediation = "Repair the server (ECS console: the server's status and its fault details; contact support for "
    .. "ERROR or UNKNOWN), or wait for the running operation to finish, then fetch a new snapshot and run "
    .. "the preflight again.",
  docs = "OTC SDRS API: error code SDRS.1333; OTC ECS API appendix 'ECS Statuses'; sdrs-api.md §7.3, §9.1",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local station = ctx.group.priority_station
    for _, pi in ipairs(ctx.instances) do
      for _, s in ipairs(sdrs.instance_servers(pi, station)) do
        local server, state
        if s.id ~= nil then server, state = ctx.server(s.id) end
        local cls = state == "present" and type(server) == "table" and not sdrs.server_gone(server, state)
                    and sdrs.class("server.status", server.status)
        -- a server that is active or shut off (nearly all of them) needs no message: built only now
        if cls ~= "fine" and state == "present" and type(server) == "table" and not sdrs.server_gone(server, state) then
          local what = ("%s %s of %s"):format(s.role, s.id, sdrs.describe_instance(pi))
          local ev = { resource = sdrs.res_server(s.id), instance = pi.id, server = s.id, role = s.role,
                       vm_state = sdrs.scalar(server["OS-EXT-STS:vm_state"]),
                       task_state = sdrs.scalar(server["OS-EXT-STS:task_state"]) }
          cls = cls or sdrs.recognise(ctx, what, ev.resource, "server.status", server.status,
                                      { instance = pi.id, server = s.id, role = s.role })
          if cls == "blocks" or cls == "progress" then
            ev.observed, ev.expected = server.status, "ACTIVE or SHUTOFF"
            local why = cls == "progress" and "an operation is in progress on it"
                        or "SDRS refuses servers that are not active or shut off (SDRS.1333)"
            sdrs.refused_server(ctx, s.role, ("%s is %s: %s"):format(what, server.status, why), ev)
          end
        end
      end
    end
  end,
}
