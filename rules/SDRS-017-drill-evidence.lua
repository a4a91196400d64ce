-- SDRS-017: a DR drill of the group, recent enough, shows that its DR servers can start.
local sdrs = require("sdrs")

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
    .. "a deleted drill leaves no trace, so the evidence is the drills that still exist. A drill whose "
    .. "status or creation time cannot be read leaves the decision open.",
  remediation = "Run a DR drill of the protection group (SDRS console: DR Drills, or POST "
    .. "/v1/{project_id}/disaster-recovery-drills), check that its drill servers start, and keep it until the "
    .. "change window (delete it afterwards: its servers cost); or record why no drill is needed (--waivers).",
  docs = "OTC SDRS UMN: performing a DR drill; OTC SDRS API: querying protection groups (period_no_dr_drill), DR "
    .. "drills (sdrs_05_0701); readiness-api.md §2.3, §6.1",
  reads = { "group", "drills" },
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
      ctx:note(("evidence: %s of %s was created %d days before the snapshot (limit %d), from the DR site with the "
                .. "DR servers' specifications (its drill servers' state is not read)"):format(
               sdrs.describe_drill(newest_drill), sdrs.describe_group(g), age, limit), ev)
    end
  end,
}
