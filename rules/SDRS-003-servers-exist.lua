-- SDRS-003: no production or DR server of a protected instance was deleted.
local sdrs = require("sdrs")

return {
  id = "SDRS-003",
  title = "No server of a protected instance was deleted",
  severity = "blocker",
  actions = "all",
  rationale = "If the production or DR server of a protected instance was deleted through the native ECS "
    .. "interface, no operation is possible on that instance or its protection group, and a planned failover "
    .. "fails and leaves both unavailable. ECS answers 404 (Ecs.0114) or shows the server DELETED or "
    .. "SOFT_DELETED; SDRS marks the instance invalid.",
  remediation = "Remove the affected protected instance from the group (deleting the protected instance, "
    .. "optionally with its DR server), protect the server again if it still exists, then run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0408 and sdrs_05_0409 (constraints), appendix 'Protected Instance Status' "
    .. "(invalid); OTC ECS API: error code Ecs.0114; sdrs-api.md §6.1, §6.2, §9.1",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local station = ctx.group.priority_station
    -- Every instance and server runs through this: messages and evidence are built only for what is
    -- reported.
    local function evidence(pi, s, server, state, err)
      local ev = { resource = sdrs.res_server(s.id), instance = pi.id, instance_name = sdrs.scalar(pi.name),
                   server = s.id, role = s.role, expected = "server exists", state = state }
      if type(err) == "table" then
        ev.http_status, ev.code = sdrs.scalar(err.http_status), sdrs.scalar(err.code)
        if type(err.message) == "string" then ev.error_message = err.message:sub(1, 512) end
      end
      if type(server) == "table" then ev.status = server.status end
      return ev
    end
    for _, pi in ipairs(ctx.instances) do
      local cls = sdrs.class("protected_instance.status", pi.status)
        or sdrs.recognise(ctx, sdrs.describe_instance(pi), sdrs.res_instance(pi), "protected_instance.status",
                          pi.status)
      if cls ~= nil and sdrs.tag("protected_instance.status", pi.status) == "server deleted" then
        ctx:fail(("%s has status \"invalid\": SDRS reports a server of the instance as deleted")
                 :format(sdrs.describe_instance(pi)),
                 { resource = sdrs.res_instance(pi), observed = "invalid", expected = "not invalid", instance = pi.id })
      end
      for _, s in ipairs(sdrs.instance_servers(pi, station)) do
        if s.id == nil then
          ctx:unknown(("%s has no %s"):format(sdrs.describe_instance(pi), s.field),
                      { resource = sdrs.res_instance(pi), observed = "absent", expected = "a server id",
                        field = s.field, instance = pi.id })
        else
          local server, state, err = ctx.server(s.id)
          if sdrs.server_gone(server, state) then
            local ev = evidence(pi, s, server, state, err)
            ev.observed = sdrs.gone_evidence(server, err)
            ctx:fail(("%s %s of %s was deleted (%s)"):format(s.role, s.id, sdrs.describe_instance(pi), ev.observed), ev)
          elseif state == "present" then
            -- a status the documentation does not list cannot say whether the server is gone
            if sdrs.class("server.status", server.status) == nil then
              local ev = evidence(pi, s, server, state, err)
              ev.expected, ev.status, ev.state = nil, nil, nil
              sdrs.recognise(ctx, ("%s %s of %s"):format(s.role, s.id, sdrs.describe_instance(pi)),
                             sdrs.res_server(s.id), "server.status", server.status, ev)
            end
          else
            local ev = evidence(pi, s, server, state, err)
            ev.observed = "no usable record"
            ctx:unknown(("%s %s of %s: the snapshot has no usable ECS record (state %s)")
                        :format(s.role, s.id, sdrs.describe_instance(pi), tostring(state)), ev)
          end
        end
      end
    end
  end,
}
