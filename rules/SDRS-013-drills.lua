-- SDRS-013: existing DR drills of the group.
local sdrs = require("sdrs")

return {
  id = "SDRS-013",
  title = "Existing DR drills",
  severity = "info",
  actions = { "failover" },
  rationale = "DR drill servers are separate servers created from the DR site; they keep running (and cost) "
    .. "through a failover and are not part of the failed-over group. Knowing they exist avoids confusing "
    .. "them with the new production servers and reminds to clean them up. A drill status the "
    .. "documentation does not list is not understood.",
  remediation = "After the failover, delete drills that are no longer needed (their drill servers, disks and NICs "
    .. "go with them; the drill VPC stays).",
  docs = "OTC SDRS API: sdrs_05_0701..0705 (DR drills); sdrs-api.md §4",
  reads = { "group", "drills" },
  check = function(ctx)
    local g = ctx.group
    local drills = ctx.drills
    for _, d in ipairs(drills) do
      local cls = sdrs.recognise(ctx, sdrs.describe_drill(d), sdrs.res_drill(d), "disaster_recovery_drill.status",
                                 d.status)
      if cls ~= nil then
        local n = type(d.drill_servers) == "table" and #d.drill_servers or nil
        local created = type(d.created_at) == "string" and ctx.parse_time(d.created_at) or nil
        local age = created and ctx.now and math.floor((ctx.now - created) / 86400) or nil
        local ev = { resource = sdrs.res_drill(d), observed = d.status, expected = "no drill left running",
                     drill_servers = n, created_at = sdrs.scalar(d.created_at), age_days = age,
                     drill_vpc_id = sdrs.scalar(d.drill_vpc_id) }
        ctx:fail(("%s exists (status %q, %s drill server(s)%s): its servers keep running after the failover; "
                  .. "delete it when it is no longer needed")
                 :format(sdrs.describe_drill(d), d.status, n and tostring(n) or "unknown",
                         age and (", created %d day(s) before the snapshot"):format(age) or ""), ev)
      end
    end
    local counted = g.disaster_recovery_drill_num
    if #drills == 0 and counted ~= nil and counted > 0 then
      ctx:fail(("%s counts %d DR drill(s) (disaster_recovery_drill_num) but the snapshot lists none")
               :format(sdrs.describe_group(g), counted),
               { resource = sdrs.res_group(g), observed = 0, expected = counted })
    end
  end,
}
