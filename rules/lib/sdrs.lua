-- Shared helpers of the built-in rules: the documented value sets and their classification (a rule
-- passes only on values it recognises), resource names, server roles and the OS, login-mode, CoreOS and
-- Cloud-Init detection of sdrs-api.md §9.4. Pure functions over the data a rule already has; nothing
-- here reads a clock or changes its arguments.
local M = {}

-- The globals the helpers call for every value of every instance, as locals (an upvalue is read
-- directly; a global is looked up in the sandbox's environment each time).
local type, tostring, pairs, ipairs, error, getmetatable = type, tostring, pairs, ipairs, error, getmetatable
local math_type = math.type

-- A set (value -> true) from a list.
local function set(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end
M.set = set

-- The documented values of every enumerated field, classified (src/vocab.c, exported as the module
-- "vocab"): vocab.fields[name] = { class = { [value] = "fine" | "warns" | "blocks" | "progress" },
-- tag = { [value] = finer meaning }, values = { documentation order }, source = "...", null_ok = bool },
-- vocab.actions[action] = { group statuses that allow it }.
local vocab = require("vocab")
M.vocab = vocab
local FIELDS = vocab.fields

-- Group statuses that allow each action, in documentation order (DESIGN §4 SDRS-001, sdrs-api §6.1, §6.3).
M.ACTION_STATUSES = vocab.actions

-- The same lists as sets, for lookups.
M.ALLOWED_GROUP_STATUS = {}
for action, list in pairs(M.ACTION_STATUSES) do M.ALLOWED_GROUP_STATUS[action] = set(list) end

-- Group statuses in which enable-protection is a re-protection (after a failover or failback).
M.REPROTECT_GROUP_STATUS = set({ "failed-over", "error-reprotecting" })

-- The entry of a field in the table; an error for a name it does not have (a typo in a rule).
local function field_of(name)
  local f = FIELDS[name]
  if f == nil then error(("no documented value set for field %q"):format(tostring(name)), 3) end
  return f
end

-- The entry `part` ("class" or "tag") of a value of a field: the key a value has in the table is the
-- string itself or an integer in decimal (fault_level 5 is "5"); a float, a table or a boolean has none.
-- M.class and M.tag call it as a tail call, so that field_of's error names the rule's line.
local function lookup(part, field, value)
  local k
  if type(value) == "string" then k = value
  elseif math_type(value) == "integer" then k = tostring(value)
  else return nil end
  return (FIELDS[field] or field_of(field))[part][k]
end

-- The class of a value of an enumerated field: "fine", "warns", "blocks" or "progress"; nil when the
-- documentation does not list it. Exact: "Protected", " protected" and "" are not "protected".
function M.class(field, value) return lookup("class", field, value) end

-- The finer meaning of a documented value ("gone" for ECS DELETED, "link broken" for fault_level 5), or nil.
function M.tag(field, value) return lookup("tag", field, value) end

-- True when a field may be absent or null in the documentation ("not set"), as EcmResStatus.
function M.null_ok(field) return field_of(field).null_ok end

-- The documented values of a field for messages and evidence: "a | b | c".
function M.documented(field) return table.concat(field_of(field).values, " | ") end

-- Where a field's values are documented.
function M.source(field) return field_of(field).source end

-- The part of a field name after the object: "status" for "protected_instance.status".
local function short(field) return field:match("^[%w_]+%.(.+)$") or field end

-- Reports that an enumerated value is absent or not documented: an `unknown` finding (the verdict is
-- INDETERMINATE) naming the resource, the field and the value, and saying what the documentation lists.
-- `what` describes the resource for the message; `ev` (optional) adds evidence.
function M.unrecognised(ctx, what, resource, field, value, ev)
  ev = ev or {}
  ev.resource, ev.field = resource, field
  ev.expected = M.documented(field)
  if value == nil then
    ev.observed = "absent"
    ctx:unknown(("%s has no %s: the decision needs one of the documented values"):format(what, short(field)), ev)
  else
    ev.observed = M.scalar(value) or M.show(value)
    ctx:unknown(("%s has %s %s, which the documentation does not list (%s): this value is not understood, "
                 .. "so nothing is decided on it"):format(what, short(field), M.show(value), M.source(field)), ev)
  end
end

-- Classifies an enumerated value for a decision: its class, or nil after reporting it as unrecognised.
-- An absent value is "absent" where the documentation allows it (null_ok), else unrecognised.
function M.recognise(ctx, what, resource, field, value, ev)
  if value == nil and M.null_ok(field) then return "absent" end
  local c = M.class(field, value)
  if c == nil then M.unrecognised(ctx, what, resource, field, value, ev) end
  return c
end

-- A value for evidence: strings, numbers and booleans as they are, anything else nil (evidence is flat).
function M.scalar(v)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" then return v end
  return nil
end

-- v when it is a JSON array (a table whose keys are all integers; an empty one counts), else nil.
-- An array of the snapshot says so in its metatable, and is not read for it.
function M.list(v)
  if type(v) ~= "table" then return nil end
  if getmetatable(v) == "data array" then return v end
  for k in pairs(v) do
    if math_type(k) ~= "integer" then return nil end
  end
  return v
end

-- A value for a message: a string quoted, nil as "absent", a JSON object or array as "not a string".
function M.show(v)
  if type(v) == "string" then return ("%q"):format(v) end
  if v == nil then return "absent" end
  if type(v) == "table" then return "not a string" end
  return tostring(v)
end

-- A list's values joined for a message: "a | b | c".
function M.list_text(list)
  return table.concat(list, " | ")
end

-- Keys of a table in a stable order (by their string form), for deterministic loops.
function M.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

-- pairs() in sorted key order.
function M.spairs(t)
  local keys, i = M.sorted_keys(t), 0
  return function()
    i = i + 1
    local k = keys[i]
    if k ~= nil then return k, t[k] end
  end
end

-- Resource names used as the `resource` of findings.
function M.res_group(g) return "server_group/" .. tostring(g and g.id or "?") end
function M.res_instance(pi) return "protected_instance/" .. tostring(pi and pi.id or "?") end
function M.res_pair(p) return "replication/" .. tostring(p and p.id or "?") end
function M.res_server(id) return "server/" .. tostring(id or "?") end
function M.res_drill(d) return "disaster_recovery_drill/" .. tostring(d and d.id or "?") end
function M.res_volume(id) return "volume/" .. tostring(id or "?") end

-- An id in the form ids are compared in: lower case without dashes, so that a UUID and its 32-hex
-- form are one id (as the snapshot loader compares them); nil for anything but a string.
local id_keys = {} -- id -> key, for this state: rules ask for the same ids again and again
function M.id_key(id)
  if type(id) ~= "string" then return nil end
  local k = id_keys[id]
  if k == nil then
    k = (id:lower():gsub("-", ""))
    id_keys[id] = k
  end
  return k
end

-- True when a and b are the same id (see id_key).
function M.same_id(a, b)
  local ka = M.id_key(a)
  return ka ~= nil and ka == M.id_key(b)
end

-- An object's name and id for messages: `"web-01" (3f2a…)`, or only the id when it has no name.
local function named(obj)
  if type(obj.name) == "string" and obj.name ~= "" then
    return ("%q (%s)"):format(obj.name, tostring(obj.id or "?"))
  end
  return tostring(obj.id or "?")
end

-- "protected instance "web-01" (<id>)" for messages.
function M.describe_instance(pi) return "protected instance " .. named(pi) end
-- "protection group "pg" (<id>)" for messages.
function M.describe_group(g) return "protection group " .. named(g) end
-- "replication pair "disk" (<id>)" for messages.
function M.describe_pair(p) return "replication pair " .. named(p) end
-- "DR drill "d1" (<id>)" for messages.
function M.describe_drill(d) return "DR drill " .. named(d) end

-- The items of a comma-separated string ("a, b,c": a pair's volume_ids, cond:operation:az) in order, each
-- without the blanks (spaces, tabs) around it. An empty item ("a,,b", "a,", "") is kept as "": the caller
-- decides what it means. Plain searches only, so long text costs no backtracking.
function M.split_list(s)
  local items, pos = {}, 1
  while pos <= #s + 1 do
    local comma = s:find(",", pos, true) or (#s + 1)
    local a, b = pos, comma - 1
    while a <= b and (s:byte(a) == 32 or s:byte(a) == 9) do a = a + 1 end
    while b >= a and (s:byte(b) == 32 or s:byte(b) == 9) do b = b - 1 end
    items[#items + 1] = s:sub(a, b)
    pos = comma + 1
  end
  return items
end

-- The group's current production site: its priority_station when documented ("source" or "target"), else
-- nil after ctx:skip naming the value. Which servers, disks and zone are production and which are DR is
-- then not known, so a rule decides nothing that rests on it; SDRS-006 reports the value with ctx:unknown
-- (the verdict is INDETERMINATE). The skip reason stands only when the rule reports nothing else: a rule
-- that also has findings gets their result (findings on what does not depend on the station remain).
function M.current_station(ctx)
  local station = ctx.group.priority_station
  if M.class("priority_station", station) ~= nil then return station end
  ctx:skip(("the current production site is not known: the group's priority_station %s is not one of %s "
            .. "(SDRS-006 reports it)"):format(M.show(station), M.documented("priority_station")))
  return nil
end

-- Current production and DR server ids for a priority_station ("source": source_server is production), else nil, nil.
function M.current_servers(pi, station)
  if station == "source" then return pi.source_server, pi.target_server end
  if station == "target" then return pi.target_server, pi.source_server end
  return nil, nil
end

-- The current production zone and the DR zone of the group by its priority_station ("source": the
-- source_availability_zone is production; the zone fields do not swap after a failover, sdrs-api.md
-- §2.2), else nil, nil. A zone is nil as well when the group does not name it.
function M.current_zones(g)
  if g.priority_station == "source" then return g.source_availability_zone, g.target_availability_zone end
  if g.priority_station == "target" then return g.target_availability_zone, g.source_availability_zone end
  return nil, nil
end

-- Both servers of an instance as {id=, field=, role=}, production first; roles by field name without a station.
function M.instance_servers(pi, station)
  local src = { id = pi.source_server, field = "source_server", role = "source server" }
  local tgt = { id = pi.target_server, field = "target_server", role = "target server" }
  if station == "source" then src.role, tgt.role = "production server", "DR server"; return { src, tgt } end
  if station == "target" then tgt.role, src.role = "production server", "DR server"; return { tgt, src } end
  return { src, tgt }
end

-- True when ECS says the server is gone: state "deleted" (a 404 with an Ecs.* code), or a status
-- documented as gone (DELETED, SOFT_DELETED).
function M.server_gone(server, state)
  return state == "deleted" or (type(server) == "table" and M.tag("server.status", server.status) == "gone")
end

-- The ECS object of server id when ECS has it, else nil (absent, not fetched or gone: SDRS-003 reports those).
function M.present_server(ctx, id)
  if id == nil then return nil end
  local server, state = ctx.server(id)
  if state ~= "present" or type(server) ~= "table" or M.server_gone(server, state) then return nil end
  return server
end

-- Iterates the instances whose current production and DR servers ECS has: pi, production id and
-- object, DR id and object. Nothing when the group's station is unknown, after ctx:skip (M.current_station;
-- SDRS-006 reports the value).
function M.present_pairs(ctx)
  local station = M.current_station(ctx)
  local list = station ~= nil and ctx.instances or {}
  local i = 0
  return function()
    while true do
      i = i + 1
      local pi = list[i]
      if pi == nil then return nil end
      local prod_id, dr_id = M.current_servers(pi, station)
      local prod, dr = M.present_server(ctx, prod_id), M.present_server(ctx, dr_id)
      if prod and dr then return pi, prod_id, prod, dr_id, dr end
    end
  end
end

-- Reports a server SDRS would refuse: a failure, except a production server before a failover, where
-- the production site may be the part that failed (a warning that says so).
function M.refused_server(ctx, role, msg, ev)
  if ctx.action == "failover" and role == "production server" then
    ctx:warn(msg .. "; for a failover the production site may be the part that failed, so this does not block it", ev)
  else
    ctx:fail(msg, ev)
  end
end

-- "HTTP 404 Ecs.0114" or "status DELETED": why a server counts as gone, for messages.
function M.gone_evidence(server, err)
  if type(server) == "table" and M.tag("server.status", server.status) == "gone" then
    return "status " .. server.status
  end
  if type(err) == "table" and err.http_status ~= nil then
    return ("HTTP %s%s"):format(tostring(err.http_status), err.code and (" " .. tostring(err.code)) or "")
  end
  return "deleted"
end

-- A server's ECS metadata table, or an empty table.
function M.metadata(server)
  if type(server) == "table" and type(server.metadata) == "table" then return server.metadata end
  return {}
end

-- The IMS image of a server (ctx.image of server.image.id), or nil.
function M.server_image(ctx, server)
  if type(server) ~= "table" or type(server.image) ~= "table" or type(server.image.id) ~= "string" then
    return nil
  end
  return ctx.image(server.image.id)
end

-- The documented spellings of an OS type: ECS metadata.os_type Linux / Windows (sdrs-api §9.1), IMS
-- __os_type Linux / Windows / Other (§9.4). Exact: "LINUX" or "linux " is not documented, and an OS the
-- tool does not recognise stays unknown.
local OS_NAMES = set({ "Windows", "Linux", "Other" })

-- "Windows", "Linux" or "Other" from a raw os_type value, nil for anything else.
local function os_name(v)
  if type(v) == "string" and OS_NAMES[v] then return v end
  return nil
end

-- OS of a server: ECS metadata.os_type, else image __os_type, else "unknown"; and its source.
function M.os_type(server, image)
  local v = os_name(M.metadata(server).os_type)
  if v then return v, "ECS metadata.os_type" end
  v = os_name(type(image) == "table" and image.__os_type or nil)
  if v then return v, "image __os_type" end
  return "unknown", "no os_type in ECS metadata or image"
end

-- Login mode: "key pair" when key_name is non-empty, else "password"; "unknown" without a server record.
function M.login_mode(server)
  if type(server) ~= "table" then return "unknown" end
  if type(server.key_name) == "string" and server.key_name ~= "" then return "key pair" end
  return "password"
end

-- Image names to look at: ECS metadata.image_name and the IMS image's name (either may be absent).
local function image_names(server, image)
  local names = {}
  local md = M.metadata(server)
  if type(md.image_name) == "string" and md.image_name ~= "" then names[#names + 1] = md.image_name end
  if type(image) == "table" and type(image.name) == "string" and image.name ~= "" then
    names[#names + 1] = image.name
  end
  return names
end

-- CoreOS "yes"/"no"/"unknown" and its source: image __platform/__os_version, else "coreos" in an image name.
function M.coreos(server, image)
  if type(image) == "table" then
    if image.__platform == "CoreOS" then return "yes", "image __platform CoreOS" end
    if type(image.__os_version) == "string" and image.__os_version:sub(1, 6) == "CoreOS" then
      return "yes", "image __os_version " .. image.__os_version
    end
  end
  local names = image_names(server, image)
  for _, n in ipairs(names) do
    if n:lower():find("coreos", 1, true) then return "yes", ("image name %q"):format(n) end
  end
  if type(image) == "table" and (image.__platform ~= nil or image.__os_version ~= nil) then
    return "no", "image __platform/__os_version"
  end
  if #names > 0 then return "no", ("image name %q"):format(names[1]) end
  return "unknown", "no image record and no image name"
end

-- The facts file's cloud_init (true/false) for a server id, or nil.
function M.facts_cloud_init(ctx, id)
  local servers = type(ctx.facts) == "table" and ctx.facts.servers or nil
  if id == nil or type(servers) ~= "table" or type(servers[id]) ~= "table" then return nil end
  local v = servers[id].cloud_init
  if type(v) == "boolean" then return v end
  return nil
end

-- Cloud-Init/Cloudbase-Init "yes"/"no"/"unknown" and its source: facts file for any of `ids`, then CoreOS
-- (its images ship coreos-cloudinit), then the §9.4 hints.
function M.cloud_init(ctx, ids, server, image)
  for _, id in ipairs(ids) do
    local f = M.facts_cloud_init(ctx, id)
    if f ~= nil then return f and "yes" or "no", ("facts file, servers.%s"):format(id) end
  end
  if M.coreos(server, image) == "yes" then
    return "yes", "CoreOS images ship coreos-cloudinit (sdrs-api.md §9.4)"
  end
  if type(image) == "table" and (image.__support_fc_inject == "true" or image.__support_fc_inject == true) then
    return "no", "image __support_fc_inject true"
  end
  local names = image_names(server, image)
  for _, n in ipairs(names) do
    local l = n:lower()
    if l:find("cloudinit", 1, true) or l:find("cloud-init", 1, true) or l:find("cloudbase", 1, true) then
      return "yes", ("image name %q"):format(n)
    end
  end
  local md = M.metadata(server)
  if M.os_type(server, image) == "Windows" then
    if md["metering.imagetype"] == "gold" then return "yes", "public Windows image (metering.imagetype gold)" end
    if type(image) == "table" and image.__imagetype == "gold" then
      return "yes", "public Windows image (__imagetype gold)"
    end
  end
  for _, n in ipairs(names) do
    if n:sub(1, 9) == "Standard_" or n:sub(1, 11) == "Enterprise_" then
      return "yes", ("public image %q (Standard_/Enterprise_ images ship the agent)"):format(n)
    end
  end
  return "unknown", "no facts file entry and no image hint"
end

return M
