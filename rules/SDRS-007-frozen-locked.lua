-- SDRS-007: no protected instance is frozen and no server of one is frozen or locked.
local sdrs = require("sdrs")

return {
  id = "SDRS-007",
  title = "Nothing frozen or locked",
  severity = "blocker",
  actions = "all",
  rationale = "A frozen protected instance (metadata __system__frozen true), a frozen ECS server (metadata "
    .. "EcmResStatus freeze, e.g. for an unpaid or restricted account) or a locked ECS server (locked true) "
    .. "cannot be started, stopped or changed, so the operation fails part-way (SDRS.1357 and SDRS.1359 "
    .. "exist for locked production servers). A locked DR server is a warning: SDRS documents no refusal for "
    .. "it, but ECS refuses to start a locked server (Ecs.0605), and the DR server is started after the "
    .. "failover (readiness-api.md §2.5). An absent __system__frozen or EcmResStatus means not frozen; "
    .. "an EcmResStatus other than the documented normal and freeze is not understood and leaves the "
    .. "decision open.",
  remediation = "Settle the account or order that froze the resource, or unlock the server (ECS console or the "
    .. "unlock action), then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0504 (metadata __system__frozen), error codes SDRS.1357/SDRS.1359; OTC ECS API: "
    .. "querying details about an ECS (metadata EcmResStatus, locked), error code Ecs.0605; sdrs-api.md §2.2, §6.2, "
    .. "§9.1; readiness-api.md §2.5",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local station = ctx.group.priority_station
    for _, pi in ipairs(ctx.instances) do
      local md = type(pi.metadata) == "table" and pi.metadata or {}
      if md.__system__frozen == true then
        ctx:fail(("%s is frozen (metadata __system__frozen true)"):format(sdrs.describe_instance(pi)),
                 { resource = sdrs.res_instance(pi), observed = "__system__frozen=true", expected = "not frozen" })
      end
      for _, s in ipairs(sdrs.instance_servers(pi, station)) do
        local server, state
        if s.id ~= nil then server, state = ctx.server(s.id) end
        if state == "present" and type(server) == "table" then
          local ecm = sdrs.metadata(server).EcmResStatus
          local cls = sdrs.class("server.metadata.EcmResStatus", ecm)
          if cls == nil then
            -- only what is reported gets a message and a resource (every server runs through here)
            cls = sdrs.recognise(ctx, ("%s %s of %s"):format(s.role, s.id, sdrs.describe_instance(pi)),
                                 sdrs.res_server(s.id), "server.metadata.EcmResStatus", ecm,
                                 { instance = pi.id, server = s.id, role = s.role })
          end
          if cls == "blocks" then
            ctx:fail(("%s %s of %s is frozen (metadata EcmResStatus %s)")
                     :format(s.role, s.id, sdrs.describe_instance(pi), ecm),
                     { resource = sdrs.res_server(s.id), instance = pi.id, server = s.id, role = s.role,
                       observed = "EcmResStatus=" .. ecm, expected = "EcmResStatus normal" })
          end
          if server.locked == true then
            local lev = { resource = sdrs.res_server(s.id), instance = pi.id, server = s.id, role = s.role,
                          observed = "locked=true", expected = "locked false",
                          lock_source = sdrs.scalar(sdrs.metadata(server).lockSource) }
            local msg = ("%s %s of %s is locked (locked true)"):format(s.role, s.id, sdrs.describe_instance(pi))
            if s.role == "DR server" then
              ctx:warn(msg .. ": ECS will not start it until it is unlocked (Ecs.0605)", lev)
            else
              ctx:fail(msg, lev)
            end
          end
        end
      end
    end
  end,
}
