-- SDRS-021: the flavor of every DR server is on sale in the DR zone and, where Huawei Cloud says so, has sufficient
-- resources there (risk indicators for starting it there).
local sdrs = require("sdrs")

-- The entries of os_extra_specs cond:operation:az ("az0(normal), az1(sellout)"; readiness-api.md §2.1) as
-- zone -> status, or nil and why when the string does not have that form. An entry with empty parentheses
-- is documented as invalid: it is kept as "" (a zone whose own entry is invalid is not understood).
-- sdrs.split_list does the splitting (plain searches only: the value may be long).
local function parse_az(s)
  local out = {}
  for _, entry in ipairs(sdrs.split_list(s)) do
    local open = entry:find("(", 1, true)
    if entry == "" or open == nil or open == 1 or entry:sub(-1) ~= ")" then
      return nil, ("entry %s is not zone(status)"):format(sdrs.show(entry:sub(1, 100)))
    end
    local zone, status = entry:sub(1, open - 1), entry:sub(open + 1, -2)
    if status:find("(", 1, true) or status:find(")", 1, true) or zone:find(")", 1, true) then
      return nil, ("entry %s is not zone(status)"):format(sdrs.show(entry:sub(1, 100)))
    end
    if out[zone] ~= nil then return nil, ("zone %s is listed twice"):format(sdrs.show(zone)) end
    out[zone] = status
  end
  return out
end

-- The sale status of the DR flavor fid in the DR zone (readiness-api.md §2.1): warns when it is not on sale,
-- reports what cannot be read. `f` is the flavor's entry in the DR zone's list; `ev` is the evidence to fill.
local function check_sale_status(ctx, what, fid, zone, f, ev)
  local specs = f.os_extra_specs
  local status, source
  if specs ~= nil and type(specs) ~= "table" then
    ev.field, ev.observed, ev.expected = "os_extra_specs", sdrs.show(specs), "an object"
    ctx:unknown(("%s: the os_extra_specs of flavor %s in the DR zone cannot be read"):format(what, fid), ev)
    return
  end
  specs = specs or {}
  local az = specs["cond:operation:az"]
  if az ~= nil then
    local entries, why = nil, "it is not a string"
    if type(az) == "string" then entries, why = parse_az(az) end
    if entries == nil then
      ev.field = "os_extra_specs.cond:operation:az"
      ev.observed = type(az) == "string" and az:sub(1, 512) or sdrs.show(az)
      ev.expected = "zone(status), ... such as \"az0(normal), az1(sellout)\""
      ctx:unknown(("%s: cond:operation:az of flavor %s cannot be read (%s): its sale status in the DR zone "
                   .. "is not known"):format(what, fid, why), ev)
      return
    end
    if entries[zone] ~= nil then
      status, source = entries[zone], "cond:operation:az"
      if status == "" then
        ev.field, ev.observed = "os_extra_specs.cond:operation:az", az:sub(1, 512)
        ev.expected = ("%s(<status>)"):format(zone)
        ctx:unknown(("%s: cond:operation:az of flavor %s has an empty entry for the DR zone %s, which the "
                     .. "documentation calls invalid: its sale status there is not known")
                    :format(what, fid, zone), ev)
        return
      end
    end
  end
  if status == nil then
    status, source = specs["cond:operation:status"], "cond:operation:status"
    if status == nil then status, source = "normal", "no cond:operation:status (normal)" end
  end
  ev.field, ev.source = "os_extra_specs." .. (source:match("^cond:%S+") or "cond:operation:status"), source
  local cls = sdrs.recognise(ctx, ("flavor %s of %s in the DR zone %s"):format(fid, what, zone), ev.resource,
                             "flavor.sale_status", status, ev)
  if cls == "warns" then
    ev.observed, ev.expected = status, "normal, promotion or obt"
    ctx:warn(("%s has flavor %s, whose sale status in the DR zone %s is %s (%s; %s): starting the "
              .. "stopped DR server there may fail for lack of capacity (a risk indicator: the sale status is "
              .. "documented for purchase, not for starting a server)"):format(what, fid, zone,
             sdrs.show(status), source, sdrs.tag("flavor.sale_status", status) or "not on sale"), ev)
  end
end

-- Huawei Cloud's capacity of the DR flavor fid in the DR zone (GET .../cloudservers/flavors/{flavor_id}/resources,
-- ecs_02_2604; readiness-api.md §2.2): prefer false in the DR zone's entry warns. Nothing when the snapshot
-- lacks the part (older snapshots, Open Telekom Cloud), has no record for the flavor, or the cloud answered
-- 404 (it does not offer the call), and nothing when no entry names the DR zone: the capacity call is extra
-- evidence, never one the decision needs. Another status or an entry without a boolean prefer is unknown.
local function check_capacity(ctx, what, fid, zone, dr_id, pi)
  local caps = ctx.flavor_capacity -- nil when the snapshot lacks the part (it is optional)
  local rec = caps and caps[fid]
  if type(rec) ~= "table" or rec.http_status == 404 then return end
  local ev = { resource = sdrs.res_server(dr_id), instance = pi.id, server = dr_id, zone = zone, flavor = fid,
               field = ("flavor_capacity[%q]"):format(fid) }
  local list = rec.http_status == 200 and sdrs.list(rec.resources) or nil
  if list == nil then
    ev.observed = ("HTTP %s%s"):format(tostring(sdrs.scalar(rec.http_status) or "?"),
                                       rec.http_status == 200 and " without a resources list" or "")
    ev.expected = "HTTP 200 with a resources list, or 404 (the call is not offered)"
    ctx:unknown(("%s: the capacity of flavor %s could not be read: %s; whether its resources in the DR zone %s "
                 .. "are sufficient is not known"):format(what, fid, ev.observed, zone), ev)
    return
  end
  local unreadable_zone = false
  local found = false
  for _, r in ipairs(list) do
    if type(r) ~= "table" or type(r.availability_zone) ~= "string" then
      unreadable_zone = true
    elseif r.availability_zone == zone then
      found = true
      ev.field = "flavor_capacity.prefer"
      if r.prefer == false then
        ev.observed, ev.expected = false, true
        ctx:warn(("%s: Huawei Cloud reports the resources of flavor %s in zone %s as insufficient (prefer false): "
                  .. "starting the stopped DR server there may fail for lack of capacity (a risk indicator: the "
                  .. "capacity is documented for purchase, not for starting a server)"):format(what, fid, zone), ev)
      elseif r.prefer ~= true then
        ev.observed, ev.expected = sdrs.scalar(r.prefer) or sdrs.show(r.prefer), "true or false"
        ctx:unknown(("%s: the capacity of flavor %s in zone %s has no boolean prefer (%s): whether its resources "
                     .. "there are sufficient is not known"):format(what, fid, zone, sdrs.show(r.prefer)), ev)
      end
    end
  end
  if not found and unreadable_zone then
    ev.field, ev.observed, ev.expected = "flavor_capacity.availability_zone", "not a string", zone
    ctx:unknown(("%s: an entry of the capacity of flavor %s names no readable availability zone: whether its "
                 .. "resources in the DR zone %s are sufficient is not known"):format(what, fid, zone), ev)
  end
end

return {
  id = "SDRS-021",
  title = "DR flavor can be placed in the DR zone",
  severity = "warning",
  actions = { "failover", "planned-failover", "drill" },
  rationale = "Stopped DR servers most likely hold no reserved host capacity: starting one after a failover, and "
    .. "creating a drill server with the DR server's specifications, is a new placement in the DR zone. "
    .. "The only capacity signal the Open Telekom Cloud API documents is a flavor's sale status in a zone: "
    .. "GET /v1/{project_id}/cloudservers/flavors?availability_zone=<zone> lists only the flavors on sale "
    .. "there (normal, obt, promotion), and a listed flavor's os_extra_specs cond:operation:az (the zone's "
    .. "own entry) or cond:operation:status (every other zone; absent means normal) says normal, promotion, "
    .. "obt, sellout, obt_sellout or abandon. A DR flavor missing from the DR zone's list, or sold out or "
    .. "offline there, warns. The sale status is documented for purchase, not for starting a stopped "
    .. "server, so this is a risk indicator, never a blocker (readiness-api.md §2.3); a flavor on sale "
    .. "proves no capacity either. Where the cloud offers it, Huawei Cloud's flavor-capacity call (GET "
    .. ".../cloudservers/flavors/{flavor_id}/resources, ecs_02_2604; Open Telekom Cloud documents none) is read "
    .. "as well: prefer false ('the resources of the flavor in the AZ are insufficient') for the DR zone warns. "
    .. "It is a risk indicator too, not proof: like the sale status it is documented for purchase, not for "
    .. "starting a stopped server (readiness-api.md §2.2, §2.3), and prefer true proves no capacity. A flavor "
    .. "list the snapshot lacks or that could not be read, a sale status the documentation does not list, a "
    .. "cond:operation:az that is not 'zone(status), ...', a capacity record that could not be read (other than "
    .. "404: the call is not offered) or a DR zone entry without a boolean prefer leaves the decision open.",
  remediation = "Run a DR drill to see whether the DR servers' flavors start in the DR zone, or resize the DR "
    .. "server to a flavor on sale in the DR zone and not reported insufficient there (SDRS console: the "
    .. "protected instance's Modify Specifications; both servers stopped), or record why the risk is accepted "
    .. "(--waivers); then fetch a new snapshot and run the preflight again.",
  docs = "readiness-api.md §2.1 (flavors of a zone, cond:operation:status, cond:operation:az), §2.2, §2.3; OTC "
    .. "ECS API en-us_topic_0020212656; OTC ECS UMN: what should I do if the ECS resources to be purchased are "
    .. "sold out; Huawei Cloud ECS API ecs_02_2604 (Querying the Capacity of a Flavor, prefer)",
  reads = { "group", "instances", "servers", "flavors", "flavor_capacity" },
  check = function(ctx)
    local g = ctx.group
    local station = sdrs.current_station(ctx)
    if station == nil then return end -- skipped: SDRS-006 reports the value
    local _, zone = sdrs.current_zones(g)
    local zone_field = station == "source" and "target_availability_zone" or "source_availability_zone"
    if type(zone) ~= "string" or zone == "" then
      ctx:unknown(("%s has no %s: the DR zone is not known"):format(sdrs.describe_group(g), zone_field),
                  { resource = sdrs.res_group(g), field = zone_field, observed = sdrs.scalar(zone) or sdrs.show(zone),
                    expected = "an availability zone name" })
      return
    end
    local entry = ctx.flavors[zone]
    local gev = { resource = sdrs.res_group(g), zone = zone, field = ("flavors[%q]"):format(zone) }
    if type(entry) ~= "table" then
      gev.observed, gev.expected = "absent", "the flavor list of the DR zone"
      ctx:unknown(("the snapshot has no flavor list of the DR zone %s (fetch again): whether the DR flavors are "
                   .. "on sale there is not known"):format(zone), gev)
      return
    end
    local list = sdrs.list(entry.flavors)
    if entry.http_status ~= 200 or list == nil then
      gev.observed = ("HTTP %s"):format(tostring(sdrs.scalar(entry.http_status) or "?"))
      gev.expected = "HTTP 200 with a flavor list"
      ctx:unknown(("the flavor list of the DR zone %s could not be read (%s): whether the DR flavors are on sale "
                   .. "there is not known"):format(zone, gev.observed), gev)
      return
    end
    local by_id = {}
    for _, f in ipairs(list) do
      if type(f) == "table" and type(f.id) == "string" then by_id[f.id] = f end
    end
    for _, pi in ipairs(ctx.instances) do
      -- the DR server only: before a failover the production server may be the part that is gone
      local _, dr_id = sdrs.current_servers(pi, station)
      local dr = sdrs.present_server(ctx, dr_id)
      if dr == nil then goto continue end -- absent, unread or deleted: SDRS-003 reports it
      local what = ("DR server %s of %s"):format(dr_id, sdrs.describe_instance(pi))
      local fid = type(dr.flavor) == "table" and dr.flavor.id or nil
      local ev = { resource = sdrs.res_server(dr_id), instance = pi.id, server = dr_id, zone = zone,
                   flavor = sdrs.scalar(fid) }
      if type(fid) ~= "string" or fid == "" then
        ev.field, ev.observed, ev.expected = "flavor.id", sdrs.scalar(fid) or sdrs.show(fid), "a flavor id"
        ctx:unknown(("%s has no readable flavor.id: whether its flavor is on sale in the DR zone is not known")
                    :format(what), ev)
      elseif by_id[fid] == nil then
        ev.field, ev.observed, ev.expected = ("flavors[%q][].id"):format(zone), "not listed", fid
        ctx:warn(("%s has flavor %s, which the flavor list of the DR zone %s does not hold: the zone lists only "
                  .. "flavors on sale there, so it is sold out or offline in %s, and starting the stopped DR "
                  .. "server may fail for lack of capacity (a risk indicator: the sale status is documented "
                  .. "for purchase, not for starting a server)"):format(what, fid, zone, zone), ev)
      else
        check_sale_status(ctx, what, fid, zone, by_id[fid], ev)
      end
      if type(fid) == "string" and fid ~= "" then check_capacity(ctx, what, fid, zone, dr_id, pi) end
      ::continue::
    end
  end,
}
