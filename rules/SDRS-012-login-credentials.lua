-- SDRS-012: which login credentials work after the operation, per protected instance (sdrs-api.md §10).
local sdrs = require("sdrs")

-- The seven rows of the login table. A = the production server before the operation, B = the other
-- server ($B in the texts: "B", or "the drill server" for a drill; $both: "both A and B" or "the drill
-- server"). first: what happens at the first switchover/failover/drill; steady: at later ones;
-- warn_first/warn_later: whether that outcome is a warning.
local ROWS = {
  { label = "Windows, no Cloudbase-Init, password",
    first = "A's password works on $both", first_a = "A's password", first_b = "A's password",
    steady = "unchanged: A's password", steady_a = "A's password", steady_b = "A's password" },
  { label = "Windows, no Cloudbase-Init, key pair",
    first = "the password obtained (decrypted) for A works on $both",
    first_a = "the password obtained for A", first_b = "the password obtained for A",
    steady = "unchanged: the password obtained for A",
    steady_a = "the password obtained for A", steady_b = "the password obtained for A" },
  { label = "Windows, Cloudbase-Init, password", warn_first = true,
    first = "$B's old password works only until Cloudbase-Init has run (about 3-5 min after $B starts), "
      .. "then it is invalid: reset $B's password",
    first_a = "not documented (A is the DR server afterwards)",
    first_b = "$B's old password for 3-5 min, then reset $B's password",
    steady = "the password reset for $B", steady_a = "as after the first switchover",
    steady_b = "the password reset after the first switchover" },
  { label = "Windows, Cloudbase-Init, key pair", warn_first = true,
    first = "the password obtained for $B works only until Cloudbase-Init has run (about 3-5 min after $B "
      .. "starts), then it is invalid: obtain $B's password again (os-server-password)",
    first_a = "not documented (A is the DR server afterwards)",
    first_b = "$B's previously obtained password until Cloudbase-Init has run, "
      .. "then obtain it again",
    steady = "the password obtained again for $B", steady_a = "as after the first switchover",
    steady_b = "the password obtained again after the first switchover" },
  { label = "Linux (not CoreOS), password",
    first = "A's current password (the changed one if it was changed) works on $both",
    first_a = "A's current password", first_b = "A's current password",
    steady = "unchanged: A's current password", steady_a = "A's current password",
    steady_b = "A's current password" },
  { label = "Linux CoreOS, password", warn_first = true, warn_later = true,
    first = "the password reverts to the initial password set when A was created; use it on $both",
    first_a = "the initial password of A", first_b = "the initial password of A",
    steady = "not documented (the planned-failover page: a password changed after the first switchover "
      .. "works on the DR server, the initial one on production after a failback)",
    steady_a = "not documented", steady_b = "not documented" },
  { label = "Linux, key pair",
    first = "A's SSH key pair works on $both (the key pair is not shown on $B's details page)",
    first_a = "A's SSH key pair", first_b = "A's SSH key pair",
    steady = "unchanged: A's SSH key pair", steady_a = "A's SSH key pair", steady_b = "A's SSH key pair" },
}

-- Replace $B and $both for the action (remembered: the same few texts recur for every instance).
local worded = { [true] = {}, [false] = {} }
local function words(text, drill)
  drill = drill and true or false
  local w = worded[drill][text]
  if w == nil then
    w = text:gsub("%$both", drill and "the drill server" or "both A and B")
            :gsub("%$B", drill and "the drill server" or "B")
    worded[drill][text] = w
  end
  return w
end

-- Whether this is the first switchover: "yes" / "no" / "unknown" and how that is known.
local function first_switchover(ctx)
  local station = ctx.group.priority_station
  local facts -- true, false or nil; `a and b or c` would turn false into nil
  if type(ctx.facts) == "table" then facts = ctx.facts.first_switchover end
  if station == "target" then
    local src = "priority_station target proves an earlier switchover or failover"
    if facts == true then src = src .. " (the facts file's first_switchover true is contradicted)" end
    return "no", src
  end
  if facts == true then return "yes", "facts file" end
  if facts == false then return "no", "facts file" end
  return "unknown", ("no facts file value, and priority_station %s does not tell (a switch back also "
                     .. "leaves source)"):format(station == nil and "absent" or tostring(station))
end

-- The candidate rows for an instance, and why more than one when the inputs are unknown.
local function candidate_rows(os_t, login, coreos, cloud_init)
  if os_t == "Windows" then
    local pw = login == "password"
    if cloud_init == "yes" then return { pw and 3 or 4 } end
    if cloud_init == "no" then return { pw and 1 or 2 } end
    return { pw and 1 or 2, pw and 3 or 4 }, "Cloudbase-Init unknown"
  end
  if login == "key pair" then return { 7 } end
  if coreos == "yes" then return { 6 } end
  if coreos == "no" then return { 5 } end
  return { 5, 6 }, "CoreOS unknown"
end

-- What one row means given the first-switchover state, for a message; and the credentials on A and B.
local function row_outcome(n, first, drill)
  local r = ROWS[n]
  local text, cred_a, cred_b
  if first == "yes" then
    text, cred_a, cred_b = r.first, r.first_a, r.first_b
  elseif first == "no" then
    text = "credentials stay as after the first switchover (" .. r.steady .. ")"
    cred_a, cred_b = r.steady_a, r.steady_b
  else
    text = ("if this is the first switchover, %s; if not, credentials stay as after the first one (%s)")
           :format(r.first, r.steady)
    cred_a = r.first_a == r.steady_a and r.first_a or ("first switchover: %s; later: %s"):format(r.first_a, r.steady_a)
    cred_b = r.first_b == r.steady_b and r.first_b or ("first switchover: %s; later: %s"):format(r.first_b, r.steady_b)
  end
  if drill then cred_a = "unchanged (A keeps running as production)" end
  local warn = (first == "no" and r.warn_later) or (first ~= "no" and r.warn_first) or false
  return words(text, drill), words(cred_a, drill), words(cred_b, drill), warn
end

-- Cap an evidence value below the 1024-byte limit.
local function cap(s) return #s > 1000 and (s:sub(1, 997) .. "...") or s end

-- What the snapshot tells about an instance's servers: A and B, OS, login mode, CoreOS, Cloud-Init.
local function inputs(ctx, pi, station)
  local x = {}
  x.a_id, x.b_id = sdrs.current_servers(pi, station)
  x.known_sides = x.a_id ~= nil
  if not x.known_sides then x.a_id, x.b_id = pi.source_server, pi.target_server end
  local a_srv, a_state, b_srv, b_state
  if x.a_id ~= nil then a_srv, a_state = ctx.server(x.a_id) end
  if x.b_id ~= nil then b_srv, b_state = ctx.server(x.b_id) end
  -- A and B run the same replicated disks: A's record first, B's when A has none
  local info = (a_state == "present" and a_srv) or (b_state == "present" and b_srv) or nil
  local image = sdrs.server_image(ctx, info)
  x.os, x.os_src = sdrs.os_type(info, image)
  x.login = sdrs.login_mode(info)
  x.coreos, x.coreos_src = sdrs.coreos(info, image)
  local ids = {}
  if x.a_id ~= nil then ids[#ids + 1] = x.a_id end
  if x.b_id ~= nil then ids[#ids + 1] = x.b_id end
  x.ci, x.ci_src = sdrs.cloud_init(ctx, ids, info, image)
  if info ~= nil and type(info.key_name) == "string" and info.key_name ~= "" then x.key_name = info.key_name end
  return x
end

-- The finding for an instance whose OS and login are known: message, whether it warns, and what to
-- do (for the credential plan); evidence fields are added to `ev`.
local function table_finding(ctx, x, first, drill, head, ev)
  local rows, why = candidate_rows(x.os, x.login, x.coreos, x.ci)
  local parts, creds_a, creds_b, row_list, warn = {}, {}, {}, {}, why ~= nil
  for i, n in ipairs(rows) do
    local text, ca, cb, w = row_outcome(n, first, drill)
    local tag = #rows > 1 and ("row %d (%s): "):format(n, ROWS[n].label) or ""
    parts[i], creds_a[i], creds_b[i], row_list[i] = tag .. text, tag .. ca, tag .. cb, tostring(n)
    warn = warn or w
  end
  ev.table_row = table.concat(row_list, " or ")
  ev.observed = why or ROWS[rows[1]].label
  ev.credential_A, ev.credential_B = cap(table.concat(creds_a, "; ")), cap(table.concat(creds_b, "; "))
  local msg = ("%s; login table row %s"):format(head, ev.table_row)
  if why then msg = msg .. (" (%s: %s)"):format(why, why == "CoreOS unknown" and x.coreos_src or x.ci_src) end
  local todo = table.concat(parts, "; ")
  msg = msg .. ": " .. todo
  local other = drill and "the drill server" or "B"
  if x.os == "Linux" and x.ci == "yes" and first ~= "no" then
    -- sdrs-api §10 footnote: the Linux rows ignore Cloud-Init, the general rule says it re-injects
    warn = true
    msg = msg .. ("; but Cloud-Init is installed (%s) and may re-inject the password or key on %s's first "
                  .. "boot: check the login there"):format(x.ci_src, other)
    todo = todo .. ("; Cloud-Init may re-inject the password or key on %s's first boot: check the login "
                    .. "there"):format(other)
  elseif x.os == "Linux" and x.ci == "unknown" and first ~= "no" then
    -- the failover page's general rule (sdrs-api §10): with the agent the login changes, without it nothing
    -- changes; unknown therefore means it may change
    warn = true
    msg = msg .. ("; Cloud-Init unknown (%s): if installed it may re-inject the password or key on %s's first "
                  .. "boot; state it in the facts file (servers.<id>.cloud_init)")
                 :format(x.ci_src, other)
    todo = todo .. ("; if Cloud-Init is installed it may re-inject the password or key on %s's first boot")
                   :format(other)
  end
  if ctx.action == "planned-failover" and x.os == "Windows" and x.ci ~= "no" and first ~= "no" then
    msg = msg .. "; note: the planned-failover page says A's (obtained) password works on B during the "
          .. "3-5 min window instead"
  end
  if drill and x.os == "Windows" and x.login == "key pair" then
    msg = msg .. ("; key pair %q must still exist, or the drill server cannot be created"):format(x.key_name)
  end
  return msg, warn, todo
end

-- What would settle the unknown inputs of an instance, for the credential plan.
local function settle(x, first)
  local s = {}
  if first == "unknown" then s[#s + 1] = "first_switchover in --facts" end
  if x.ci == "unknown" then s[#s + 1] = "servers.<id>.cloud_init in --facts" end
  if x.coreos == "unknown" then s[#s + 1] = "CoreOS: the image's __os_version or name" end
  if x.os ~= "Windows" and x.os ~= "Linux" then s[#s + 1] = "the OS: the server's metadata os_type" end
  if x.login == "unknown" then s[#s + 1] = "the login mode: the server's key_name" end
  if not x.known_sides then s[#s + 1] = "the production side: the group's priority_station" end
  return #s > 0 and table.concat(s, "; ") or "nothing unknown"
end

-- One row of the credential plan (a table in the report): the same data for every instance with the
-- same combination, and the instances it applies to.
local function plan_row(ctx, pi, x, first, drill, ev, todo)
  local agent = x.os == "Windows" and ("Cloudbase-Init " .. x.ci) or
                (x.os == "Linux" and ("Cloud-Init " .. x.ci) or ("agent " .. x.ci))
  ctx:row{
    table = "credential_plan",
    title = "Credential plan for the change window",
    columns = { "OS", "Login", "Agent", "CoreOS", "First switchover", "Login table row",
                drill and "On the drill server" or "On B (becomes production)",
                drill and "On A (keeps running)" or "On A (becomes DR)",
                "What to do, and when", "Unknown: settle with" },
    values = { sdrs.scalar(x.os) or "unknown", x.login, agent, x.os == "Linux" and x.coreos or "n/a", first,
               ev.table_row, ev.credential_B, ev.credential_A, todo, settle(x, first) },
    resource = ev.resource, label = type(pi.name) == "string" and pi.name ~= "" and pi.name or nil,
  }
end

return {
  id = "SDRS-012",
  title = "Login credentials after the switchover are known",
  severity = "warning",
  actions = { "failover", "planned-failover", "drill" },
  rationale = "After the first planned failover, failover or DR drill the login of the servers may change: "
    .. "with Cloud-Init/Cloudbase-Init the agent runs on the other server's first boot and re-injects the "
    .. "password or key, and a CoreOS password reverts to the one set at creation. Which credential works "
    .. "depends on the OS, the login mode (password or key pair), the init agent and whether this is the "
    .. "first switchover (seven cases). Operators who do not know this are locked out right after a failover.",
  remediation = "Before the operation, make sure the credential named for each server is at hand (reset or "
    .. "obtain passwords as described). State what the API cannot tell in a facts file (--facts): "
    .. "first_switchover and servers.<id>.cloud_init.",
  docs = "OTC SDRS API: sdrs_05_0408 and sdrs_05_0409 (login after failover / planned failover); OTC SDRS UMN: "
    .. "constraints, FAQs on key pairs and Windows DR server passwords; sdrs-api.md §9.4, §10",
  reads = { "group", "instances", "servers", "images", "facts" },
  check = function(ctx)
    local drill = ctx.action == "drill"
    local station = ctx.group.priority_station
    local first, first_src = first_switchover(ctx)
    for _, pi in ipairs(ctx.instances) do
      local x = inputs(ctx, pi, station)
      local ev = {
        resource = sdrs.res_instance(pi), instance = pi.id, action = ctx.action, key_name = x.key_name,
        server_A = x.a_id or "absent", role_A = drill and "production (keeps running)" or "production (becomes DR)",
        server_B = drill and "new drill server" or (x.b_id or "absent"),
        role_B = drill and "drill server (created from the DR site)" or "DR (becomes production)",
        os_type = x.os, os_source = x.os_src, login_mode = x.login, coreos = x.coreos, coreos_source = x.coreos_src,
        cloud_init = x.ci, cloud_init_source = x.ci_src, first_switchover = first,
        first_switchover_source = first_src, expected = "a known working login on A and B after the operation",
        table_row = "unknown", credential_A = "unknown", credential_B = "unknown",
      }
      local head = ("%s: %s, %s login"):format(sdrs.describe_instance(pi),
                                               (x.os == "Windows" or x.os == "Linux") and x.os or ("OS " .. x.os),
                                               x.login)
      if x.os == "Windows" then head = head .. ", Cloudbase-Init " .. x.ci
      elseif x.os == "Linux" then head = head .. ", CoreOS " .. x.coreos .. ", Cloud-Init " .. x.ci end
      head = head .. ", first switchover " .. first
      if not x.known_sides then
        ev.observed = "priority_station " .. tostring(station)
        ctx:warn(("%s; the current production side is unknown (priority_station %s), so which server's "
                  .. "login changes cannot be told"):format(head, tostring(station)), ev)
        plan_row(ctx, pi, x, first, drill, ev, "find out which side is production, then apply the login table")
      elseif (x.os ~= "Windows" and x.os ~= "Linux") or x.login == "unknown" then
        ev.observed = ("OS %s, login %s"):format(x.os, x.login)
        ctx:warn(("%s; OS %s (%s), so the login table cannot be applied; check how to log in to %s before "
                  .. "the operation"):format(head, x.os, x.os_src, drill and "the drill server" or "A and B"), ev)
        plan_row(ctx, pi, x, first, drill, ev, ("check how to log in to %s before the operation")
                 :format(drill and "the drill server" or "A and B"))
      else
        local msg, warn, todo = table_finding(ctx, x, first, drill, head, ev)
        if warn then ctx:warn(msg, ev) else ctx:note(msg, ev) end
        plan_row(ctx, pi, x, first, drill, ev, todo)
      end
    end
  end,
}
