-- SDRS-011: the servers that must be stopped for the action are stopped.
local sdrs = require("sdrs")

-- One server that must be stopped: SHUTOFF with no task in progress (a task such as powering-on is on its
-- way out of SHUTOFF).
local function check_stopped(ctx, pi, id, role)
  local who = sdrs.describe_instance(pi)
  local ev = { resource = sdrs.res_server(id), instance = pi.id, server = id, role = role,
               expected = "SHUTOFF, no task in progress", action = ctx.action }
  if id == nil then
    ev.resource, ev.observed = sdrs.res_instance(pi), "absent"
    ctx:unknown(("%s has no %s"):format(who, role), ev)
    return
  end
  local server, state = ctx.server(id)
  local what = ("%s %s of %s"):format(role, id, who)
  if state == "present" and type(server) == "table" then
    local task = server["OS-EXT-STS:task_state"]
    ev.power_state = server["OS-EXT-STS:power_state"]
    ev.vm_state = sdrs.scalar(server["OS-EXT-STS:vm_state"])
    ev.task_state = sdrs.scalar(task)
    local cls = sdrs.recognise(ctx, what, ev.resource, "server.status", server.status,
                               { instance = pi.id, server = id, role = role })
    local tcls = sdrs.recognise(ctx, what, ev.resource, "server.OS-EXT-STS:task_state", task,
                                { instance = pi.id, server = id, role = role })
    if cls == nil or tcls == nil then return end
    if server.status ~= "SHUTOFF" then
      ev.observed = server.status
      ctx:fail(("%s is %s; %s needs it stopped (SHUTOFF)"):format(what, server.status, ctx.action), ev)
    elseif tcls ~= "absent" then
      ev.observed = "SHUTOFF, task " .. task
      ctx:fail(("%s is SHUTOFF but has a task in progress (%s); %s needs it stopped with no task running")
               :format(what, task, ctx.action), ev)
    end
  elseif state ~= "deleted" then
    -- a deleted server is SDRS-003's finding; a missing record leaves the question open
    ev.observed = "no usable record"
    ctx:unknown(("%s: the snapshot has no usable ECS record, cannot tell whether it is stopped"):format(what), ev)
  end
end

return {
  id = "SDRS-011",
  title = "Servers that must be stopped are stopped",
  severity = "blocker",
  actions = { "planned-failover", "enable-protection" },
  rationale = "A planned failover (switchover) needs all the servers in the protection group stopped, at the "
    .. "production and at the DR site (UMN prerequisite; the API page names the current production site, "
    .. "SDRS.1319/1352), and re-enabling protection after a failover (re-protection) needs every server at "
    .. "the current DR site stopped (SDRS.1342); SDRS rejects the action otherwise. A server with a task in "
    .. "progress (powering-on, rebooting, ...) is not stopped. Enabling protection for the first time has "
    .. "no such condition.",
  remediation = "Stop the listed servers (ECS console or the batch stop API) and wait for SHUTOFF with no task "
    .. "running; do not start any server of the group until the operation has finished. Then run the "
    .. "preflight again.",
  docs = "OTC SDRS API: sdrs_05_0409 (planned failover), sdrs_05_0406 (enable protection again); OTC SDRS UMN: "
    .. "performing a planned failover ('all the servers in the protection group are stopped'), performing "
    .. "reprotection; OTC ECS API appendix 'ECS Statuses'; sdrs-api.md §6.1, §9.1",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local g = ctx.group
    local sides -- which current sides must be stopped
    if ctx.action == "planned-failover" then
      sides = { "production", "DR" }
    else
      local cls = sdrs.recognise(ctx, sdrs.describe_group(g), sdrs.res_group(g), "server_group.status", g.status)
      if cls == nil then return end
      if not sdrs.REPROTECT_GROUP_STATUS[g.status] then
        ctx:skip(("group status %q: enable-protection is not a re-protection, no server must be stopped")
                 :format(g.status))
        return
      end
      sides = { "DR" }
    end
    local station = g.priority_station
    if sdrs.recognise(ctx, sdrs.describe_group(g), sdrs.res_group(g), "priority_station", station) == nil then
      return
    end
    for _, pi in ipairs(ctx.instances) do
      local prod, dr = sdrs.current_servers(pi, station)
      for _, side in ipairs(sides) do
        check_stopped(ctx, pi, side == "production" and prod or dr, side .. " server")
      end
    end
  end,
}
