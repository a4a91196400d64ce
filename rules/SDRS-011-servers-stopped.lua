-- SDRS-011: the servers that must be stopped for the action are stopped.
local sdrs = require("sdrs")

return {
  id = "SDRS-011",
  title = "Servers that must be stopped are stopped",
  severity = "blocker",
  actions = { "planned-failover", "enable-protection" },
  rationale = "A planned failover (switchover) needs every server at the current production site stopped, and "
    .. "re-enabling protection after a failover (re-protection) needs every server at the current DR site "
    .. "stopped; SDRS rejects the action otherwise. Enabling protection for the first time has no such "
    .. "condition.",
  remediation = "Stop the listed servers (ECS console or the batch stop API) and wait for SHUTOFF; do not start "
    .. "any server of the group until the operation has finished. Then run the preflight again.",
  docs = "OTC SDRS API: sdrs_05_0409 (planned failover), sdrs_05_0406 (enable protection again); OTC SDRS UMN: "
    .. "performing a switchover, performing reprotection; sdrs-api.md §6.1",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local g = ctx.group
    local want -- "production" or "DR": which current side must be stopped
    if ctx.action == "planned-failover" then
      want = "production"
    elseif g.status == nil then
      ctx:unknown(("%s has no status: cannot tell whether enable-protection is a re-protection")
                  :format(sdrs.describe_group(g)),
                  { resource = sdrs.res_group(g), observed = "absent", expected = "a group status" })
      return
    elseif sdrs.REPROTECT_GROUP_STATUS[g.status] then
      want = "DR"
    else
      ctx:skip(("group status %q: enable-protection is not a re-protection, no server must be stopped")
               :format(g.status))
      return
    end
    local station = g.priority_station
    if station ~= "source" and station ~= "target" then
      ctx:unknown(("%s has priority_station %s: the current %s servers are unknown")
                  :format(sdrs.describe_group(g), station == nil and "absent" or ("%q"):format(station), want),
                  { resource = sdrs.res_group(g), observed = station or "absent", expected = "source | target" })
      return
    end
    for _, pi in ipairs(ctx.instances) do
      local who = sdrs.describe_instance(pi)
      local prod, dr = sdrs.current_servers(pi, station)
      local id = want == "production" and prod or dr
      local role = want .. " server"
      local server, state
      if id ~= nil then server, state = ctx.server(id) end
      local ev = { resource = sdrs.res_server(id), instance = pi.id, server = id, role = role,
                   expected = "SHUTOFF", action = ctx.action }
      if id == nil then
        ev.resource, ev.observed = sdrs.res_instance(pi), "absent"
        ctx:unknown(("%s has no current %s (priority_station %q)"):format(who, role, station), ev)
      elseif state == "present" and type(server) == "table" then
        ev.power_state = server["OS-EXT-STS:power_state"]
        ev.vm_state = sdrs.scalar(server["OS-EXT-STS:vm_state"])
        if server.status == nil then
          ev.observed = "absent"
          ctx:unknown(("%s %s of %s has no ECS status"):format(role, id, who), ev)
        elseif server.status ~= "SHUTOFF" then
          ev.observed = server.status
          ctx:fail(("%s %s of %s is %s; %s needs it stopped (SHUTOFF)")
                   :format(role, id, who, server.status, ctx.action), ev)
        end
      elseif state ~= "deleted" then
        -- a deleted server is SDRS-003's finding; a missing record leaves the question open
        ev.observed = "no usable record"
        ctx:unknown(("%s %s of %s: the snapshot has no usable ECS record, cannot tell whether it is stopped")
                    :format(role, id, who), ev)
      end
    end
  end,
}
