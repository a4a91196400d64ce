-- SDRS-017: a DR drill of the group, recent enough, shows that its DR servers can start.
local sdrs = require("sdrs")

-- What the ECS records of a drill's servers show (snapshots since the drill servers are fetched), as the
-- end of the evidence note: all ACTIVE (the DR flavors booted in the DR zone), how many of N are, or
-- " (its drill servers' state is not read)" when the snapshot has none of their records. Adds counts to
-- ev. nil after reporting a status the documentation does not list.
local function drill_servers_state(ctx, drill, ev)
  local list = sdrs.list(drill.drill_servers)
  if list == nil or #list == 0 then
    return list == nil and " (its drill servers' state is not read)" or " (it lists no drill servers)"
  end
  local total, read, active, others, open = #list, 0, 0, {}, false
  for i, ds in ipairs(list) do
    local id = type(ds) == "table" and ds.drill_server_id or nil
    local server, state, err
    if type(id) == "string" and id ~= "" then server, state, err = ctx.server(id) end
    if state == "present" and type(server) == "table" then
      read = read + 1
      local what = ("drill server %s of %s"):format(id, sdrs.describe_drill(drill))
      local cls = sdrs.recognise(ctx, what, sdrs.res_server(id), "server.status", server.status,
                                 { drill = drill.id, server = id })
      if cls == nil then
        open = true
      elseif server.status == "ACTIVE" then
        active = active + 1
      else
        others[#others + 1] = ("%s %s"):format(id, server.status)
      end
    elseif state == "deleted" then
      read = read + 1
      others[#others + 1] = ("%s deleted (%s)"):format(id, sdrs.gone_evidence(server, err))
    elseif type(err) == "table" and err.http_status ~= nil then
      read = read + 1
      others[#others + 1] = ("%s not readable (HTTP %s)"):format(id, tostring(err.http_status or "?"))
    else
      others[#others + 1] = ("%s not in the snapshot"):format(type(id) == "string" and id or ("#" .. i))
    end
  end
  if open then return nil end
  if read == 0 then return " (its drill servers' state is not read)" end
  ev.drill_servers, ev.drill_servers_active = total, active
  if active == total then
    return (", and its %d drill server(s) are ACTIVE: the DR flavors booted in the DR zone"):format(total)
  end
  ev.drill_servers_other = table.concat(others, "; ")
  return ("; %d of its %d drill servers are ACTIVE (%s)"):format(active, total, ev.drill_servers_other)
end

return {
  id = "SDRS-017",
  title = "Recent DR drill evidence",
  severity = "warning",
  actions = { "failover", "planned-failover" },
  rationale = "Stopped DR servers hold no reserved capacity: starting them after a failover is a new placement "
    .. "in the DR zone, which can fail exactly when a whole zone's load moves there. A DR drill creates "
    .. "servers from the DR site with the DR servers' specifications, in the DR zone; a drill in available "
    .. "status shows that this worked on the day it was created, and SDRS documents drills as the way to "
    .. "verify that 'the services at the DR site can run properly after a failover'. Without a drill, or "
    .. "with only drills older than --max-drill-age (default 90 days, the period of SDRS's own "
    .. "period_no_dr_drill filter), nothing shows the DR site can start. SDRS keeps no drill history: "
    .. "a deleted drill leaves no trace, so the evidence is the drills that still exist. When the snapshot "
    .. "holds the ECS records of the newest drill's servers (drill_servers[].drill_server_id), the note says "
    .. "whether they are ACTIVE: positive evidence that the DR flavors booted in the DR zone; drill servers "
    .. "that are not ACTIVE are counted in the note, not reported as a failure. A drill whose status or "
    .. "creation time, or a drill server whose ECS status, cannot be read leaves the decision open.",
  remediation = "Run a DR drill of the protection group (SDRS console: DR Drills, or POST "
    .. "/v1/{project_id}/disaster-recovery-drills), check that its drill servers start, and keep it until the "
    .. "change window (delete it afterwards: its servers cost); or record why no drill is needed (--waivers).",
  docs = "OTC SDRS UMN: performing a DR drill; OTC SDRS API: querying protection groups (period_no_dr_drill), DR "
    .. "drills (sdrs_05_0701); OTC ECS API appendix 'ECS Statuses'; readiness-api.md §2.3, §6.1",
  reads = { "group", "drills", "servers" },
  check = function(ctx)
    local g = ctx.group
    local limit = ctx.max_drill_age_days
    local newest, newest_drill, open = nil, nil, false
    for _, d in ipairs(ctx.drills) do
      local cls = sdrs.recognise(ctx, sdrs.describe_drill(d), sdrs.res_drill(d), "disaster_recovery_drill.status",
                                 d.status)
      if cls == nil then
        open = true
      elseif d.status == "available" then
        local created = type(d.created_at) == "string" and ctx.parse_time(d.created_at) or nil
        if created == nil then
          open = true
          ctx:unknown(("%s has no readable created_at (%s): its age cannot be told"):format(sdrs.describe_drill(d),
                      sdrs.show(d.created_at)),
                      { resource = sdrs.res_drill(d), observed = sdrs.scalar(d.created_at) or sdrs.show(d.created_at),
                        expected = "a time such as 2019-05-22 08:16:54.413" })
        elseif newest == nil or created > newest then
          newest, newest_drill = created, d
        end
      end
    end
    if open then return end
    local ev = { resource = sdrs.res_group(g), max_age_days = limit, drills = #ctx.drills }
    if newest == nil then
      ev.observed = #ctx.drills == 0 and "no DR drill" or "no DR drill in available status"
      ev.expected = ("a drill in available status, at most %d days old"):format(limit)
      ctx:warn(("%s has %s: nothing shows that its DR servers can be started in the DR zone"):format(
               sdrs.describe_group(g), #ctx.drills == 0 and "no DR drill"
               or ("%d DR drill(s), none in available status"):format(#ctx.drills)), ev)
      return
    end
    if ctx.now == nil then
      ev.observed, ev.expected = "no fetched_at", "the snapshot's fetched_at"
      ctx:unknown(("the snapshot has no readable fetched_at: the age of %s cannot be told")
                  :format(sdrs.describe_drill(newest_drill)), ev)
      return
    end
    local age = math.floor((ctx.now - newest) / 86400)
    ev.resource = sdrs.res_drill(newest_drill)
    ev.created_at, ev.age_days = newest_drill.created_at, age
    if age > limit then
      ev.observed = ("%d days old"):format(age)
      ev.expected = ("at most %d days old (--max-drill-age)"):format(limit)
      ctx:warn(("the newest available DR drill of %s, %s, was created %d days before the snapshot (limit %d): "
                .. "it no longer shows that the DR servers can be started"):format(sdrs.describe_group(g),
               sdrs.describe_drill(newest_drill), age, limit), ev)
    else
      ev.observed = ("%d days old"):format(age)
      ev.expected = ("at most %d days old (--max-drill-age)"):format(limit)
      local servers = drill_servers_state(ctx, newest_drill, ev)
      if servers == nil then return end -- a drill server status not understood: reported
      ctx:note(("evidence: %s of %s was created %d days before the snapshot (limit %d), from the DR site with the "
                .. "DR servers' specifications%s"):format(
               sdrs.describe_drill(newest_drill), sdrs.describe_group(g), age, limit, servers), ev)
    end
  end,
}
