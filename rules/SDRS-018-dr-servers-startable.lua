-- SDRS-018: the DR servers are stopped, as SDRS keeps them, and in no ECS server group that may refuse
-- to place them when they start.
local sdrs = require("sdrs")

-- The ECS server groups of a server (os:scheduler_hints.group): a list (maybe empty), or nil, why.
local function server_groups(server)
  local hints = server["os:scheduler_hints"]
  if hints == nil then return {} end
  if type(hints) ~= "table" then return nil, "os:scheduler_hints is not an object" end
  local g = hints.group
  if g == nil then return {} end
  if type(g) == "string" then return { g } end
  if sdrs.list(g) == nil then return nil, "os:scheduler_hints.group is neither a list nor a string" end
  local out = {}
  for i, v in ipairs(g) do
    if type(v) ~= "string" or v == "" then return nil, ("os:scheduler_hints.group[%d] is not an id"):format(i) end
    out[#out + 1] = v
  end
  return out
end

return {
  id = "SDRS-018",
  title = "DR servers are ready to be started",
  severity = "warning",
  actions = { "failover", "planned-failover" },
  rationale = "SDRS creates the DR servers stopped and keeps them so until a switchover or failover; a stopped, "
    .. "unbilled server holds no reserved capacity, so the failover starts it as a new placement in the DR "
    .. "zone. A DR server that is already running is not in the state SDRS expects. A DR server in an ECS "
    .. "server group (os:scheduler_hints.group, typically anti-affinity) may fail to start for lack of "
    .. "hosts ('the startup may fail due to insufficient resources'), and group changes on production "
    .. "servers are not copied to the DR site. Scheduling hints that cannot be read leave the decision open.",
  remediation = "Stop a DR server that runs outside a switchover (ECS console), and take DR servers out of ECS "
    .. "server groups they do not need, or make sure the DR zone has the hosts the group's policy needs; "
    .. "then fetch a new snapshot and run the preflight again. A DR drill shows whether they start.",
  docs = "OTC SDRS UMN: creating a protected instance (the DR server is created stopped; ECS Group not "
    .. "synchronized); OTC ECS UMN: managing ECS groups; readiness-api.md §2.3, §2.4",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local station = sdrs.current_station(ctx)
    if station == nil then return end -- skipped: SDRS-006 reports the value
    for _, pi in ipairs(ctx.instances) do
      local _, dr_id = sdrs.current_servers(pi, station)
      local dr = sdrs.present_server(ctx, dr_id)
      if dr then
        local what = ("DR server %s of %s"):format(dr_id, sdrs.describe_instance(pi))
        local function evidence() return { resource = sdrs.res_server(dr_id), instance = pi.id, server = dr_id } end
        -- statuses other than ACTIVE and SHUTOFF are SDRS-014's findings; a planned failover needs the
        -- DR servers stopped (SDRS-011)
        if dr.status == "ACTIVE" and ctx.action == "failover" then
          local ev = evidence()
          ev.observed, ev.expected = "ACTIVE", "SHUTOFF (as SDRS keeps DR servers)"
          ctx:warn(("%s is running (ACTIVE): SDRS keeps DR servers stopped until a switchover or failover; "
                    .. "find out what started it"):format(what), ev)
        end
        local ev = evidence()
        local groups, why = server_groups(dr)
        if groups == nil then
          ev.observed, ev.expected = why, "os:scheduler_hints.group: a list of server group ids"
          ctx:unknown(("%s has scheduling hints that cannot be read (%s): its ECS server groups are not known")
                      :format(what, why), ev)
        elseif #groups > 0 then
          ev.server_groups = table.concat(groups, ", ")
          ev.observed = "in ECS server group(s) " .. ev.server_groups
          ev.expected = "in no ECS server group, or one the DR zone can place"
          ctx:warn(("%s is in ECS server group(s) %s: starting it may fail for lack of hosts that the "
                    .. "group's policy allows"):format(what, ev.server_groups), ev)
        end
      end
    end
  end,
}
