-- SDRS-016: the production and DR servers of an instance are in the same security groups.
local sdrs = require("sdrs")

-- The set of a server's security groups keyed by kind ("id" when every entry has one, else "name"),
-- or nil when the list is absent or not a list of named groups.
local function groups(server, kind)
  local list = sdrs.list(server.security_groups)
  if list == nil then return nil end
  local set, n = {}, 0
  for _, g in ipairs(list) do
    local v = type(g) == "table" and g[kind] or nil
    if type(v) ~= "string" or v == "" then return nil end
    set[v] = true
    n = n + 1
  end
  if n ~= #list then return nil end
  return set
end

local function same(a, b)
  for k in pairs(a) do
    if not b[k] then return false end
  end
  for k in pairs(b) do
    if not a[k] then return false end
  end
  return true
end

local function only_in(a, b)
  local out = {}
  for k in sdrs.spairs(a) do
    if not b[k] then out[#out + 1] = k end
  end
  return out
end

return {
  id = "SDRS-016",
  title = "Production and DR servers share their security groups",
  severity = "warning",
  actions = { "failover", "planned-failover" },
  rationale = "Once protection is enabled, changes to a production server's security groups are not copied to "
    .. "its DR server, and SDRS's recovery time excludes security-group configuration. Which groups apply "
    .. "after a failover (those of the migrated NICs or the DR server's own) is not documented. Production and "
    .. "DR servers in different groups are therefore a drift that can block or open traffic after the "
    .. "switch. Groups are compared by id, or by name where ECS gives no ids; a list that cannot be read "
    .. "leaves the comparison open.",
  remediation = "Put the DR server in the same security groups as the production server (ECS console: the "
    .. "server's Security Groups tab), or record why they differ (--waivers), then fetch a new snapshot and "
    .. "run the preflight again.",
  docs = "OTC SDRS API: creating a protected instance (changes not synchronized: Security Group); OTC SDRS FAQ "
    .. "(RTO excludes security group configuration); readiness-api.md §4.1, §4.3",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    for pi, prod_id, prod, dr_id, dr in sdrs.present_pairs(ctx) do
      local kind = "id"
      local p, d = groups(prod, "id"), groups(dr, "id")
      if not (p and d) then
        kind = "name"
        p, d = groups(prod, "name"), groups(dr, "name")
      end
      local ev
      if not (p and d) or not same(p, d) then -- evidence only for what is reported
        ev = { resource = sdrs.res_server(dr_id), instance = pi.id, production_server = prod_id,
               dr_server = dr_id, compared_by = kind }
      end
      if not (p and d) then
        ev.observed, ev.expected = "security_groups not readable", "a list of groups with ids or names"
        ctx:unknown(("the security groups of %s (%s %s, DR %s) cannot be read: security_groups is not a list "
                     .. "of groups with ids or names"):format(sdrs.describe_instance(pi), "production",
                                                              tostring(prod_id), tostring(dr_id)), ev)
      elseif ev then
        local po, dro = only_in(p, d), only_in(d, p)
        if #po > 0 or #dro > 0 then
          ev.only_production = table.concat(po, ", ")
          ev.only_dr = table.concat(dro, ", ")
          ev.observed = ("only on production: %s; only on DR: %s"):format(
            #po > 0 and ev.only_production or "none", #dro > 0 and ev.only_dr or "none")
          ev.expected = "the same security groups"
          ctx:warn(("DR server %s of %s is not in the same security groups as its production server %s (%s): "
                    .. "changes after protection are not copied to the DR site"):format(
                    dr_id, sdrs.describe_instance(pi), prod_id, ev.observed), ev)
        end
      end
    end
  end,
}
