-- SDRS-020: the EVS disks of every replication pair exist and are usable, and the disks of a pair attached
-- to a protected instance are attached the way SDRS attaches them.
local sdrs = require("sdrs")

-- The disk ids of a pair's volume_ids ("<id>,<id>"; sdrs-api.md §3.2): a list, or nil and why. Blanks
-- around an id are dropped (as the fetch does); an empty id between commas is not a shape the documentation
-- shows, so it leaves the pair unread. How many ids there are is the caller's check.
local function disk_ids(v)
  if v == nil then return nil, "it has no volume_ids" end
  if type(v) ~= "string" then return nil, "its volume_ids is not a string" end
  if v == "" then return nil, "its volume_ids is empty" end
  local ids = sdrs.split_list(v)
  for _, id in ipairs(ids) do
    if id == "" then return nil, ("its volume_ids %s has an empty disk id"):format(sdrs.show(v:sub(1, 200))) end
  end
  return ids
end

-- The protected instance each pair is attached to, by the instances' attachment lists (sdrs-api.md §2.2),
-- else by the pair's own attachment list: id key of the pair -> instance.
local function attached_instances(ctx)
  local by_pair, by_id = {}, {}
  for _, pi in ipairs(ctx.instances) do
    local key = sdrs.id_key(pi.id)
    if key then by_id[key] = pi end
    for _, a in ipairs(sdrs.list(pi.attachment) or {}) do
      local k = type(a) == "table" and sdrs.id_key(a.replication) or nil
      if k and by_pair[k] == nil then by_pair[k] = pi end
    end
  end
  for _, p in ipairs(ctx.replications) do
    local k = sdrs.id_key(p.id)
    if k and by_pair[k] == nil then
      for _, a in ipairs(sdrs.list(p.attachment) or {}) do
        local pi = type(a) == "table" and by_id[sdrs.id_key(a.protected_instance) or ""] or nil
        if pi then by_pair[k] = pi; break end
      end
    end
  end
  return by_pair
end

-- The server ids a disk's attachments name: a list (maybe empty), or nil when they cannot be read.
local function attached_servers(vol)
  local list = sdrs.list(vol.attachments)
  if list == nil then return nil end
  local out = {}
  for _, a in ipairs(list) do
    if type(a) ~= "table" or type(a.server_id) ~= "string" then return nil end
    out[#out + 1] = a.server_id
  end
  return out
end

return {
  id = "SDRS-020",
  title = "Pair disks usable",
  severity = "blocker",
  actions = "all",
  rationale = "Every replication pair is two EVS disks, one at the production site and one at the DR site "
    .. "(volume_ids). SDRS refuses operations on a pair whose disks are not available: this rule predicts "
    .. "SDRS.1801 'Disk status not available' (SDRS.1816 and SDRS.1817 are the same refusal family, documented "
    .. "for creating and expanding pairs). A disk that EVS no longer has (HTTP 404 with EVS's own code) or one "
    .. "in a failed status (error, error_restoring, error_extending, error_deleting, error_rollbacking) blocks "
    .. "the action; a disk in a transient status (creating, attaching, extending, backing-up, ...) has an "
    .. "operation running on it and warns. For a failover the production site may be the part that failed, "
    .. "so a production disk in a failed status is a warning there. SDRS attaches the production disk to "
    .. "the production server and the DR disk to the DR server, both in-use, and keeps both the same size "
    .. "(SDRS.1309, SDRS.1814): an attached pair whose disks are elsewhere, or of different sizes, warns. "
    .. "Which disk is which is told by its availability zone, as the order inside volume_ids is not "
    .. "documented. The rule applies to all five actions: each of them acts on the pairs' disks (starting "
    .. "or stopping replication, switching its direction, creating drill disks from the DR disks), and the "
    .. "documentation does not tie SDRS.1801 to one action. A status the EVS documentation does not list "
    .. "(exact case: 'In-Use' is not 'in-use'), a volume_ids that cannot be read or does not list exactly two "
    .. "disk ids (a pair has a production and a DR disk: one id would leave the other, often the DR disk, "
    .. "unchecked), or a disk the snapshot has no record of leaves the decision open. When the group's "
    .. "priority_station is not documented, which server is production is not known: the attachment is not "
    .. "checked, and when nothing else is found the rule is skipped (SDRS-006 reports the value). A lock on a disk "
    .. "(SDRS.1831) shows in no documented field and is not checked.",
  remediation = "Repair or replace the disk (EVS console: the disk's status; contact support for error "
    .. "statuses), wait for a running disk operation to finish, or remove the pair whose disk was deleted "
    .. "from the group and create it again; attach a detached pair's disks again (SDRS console: the "
    .. "protected instance's Attach Replication Pair). Then fetch a new snapshot and run the preflight again.",
  docs = "readiness-api.md §1 (§1.4 EVS disk status, §1.6 production and DR disk); sdrs-api.md §7.3 (SDRS.1801; "
    .. "SDRS.1816, SDRS.1817 for pair creation and expansion; SDRS.1309, SDRS.1814), §3.2 (volume_ids); OTC SDRS "
    .. "UMN: attaching a replication pair",
  reads = { "group", "instances", "replications", "volumes" },
  check = function(ctx)
    local g = ctx.group
    local station = sdrs.current_station(ctx) -- nil: skipped unless a disk finding is reported
    local pz, dz = sdrs.current_zones(g)
    local by_pair = attached_instances(ctx)
    local why_refused = "SDRS refuses operations on a pair whose disks are not available (SDRS.1801 'Disk status "
      .. "not available')"

    -- "production" or "DR" by the disk's availability zone, or nil
    local function side_of(vol)
      if type(vol) ~= "table" or type(vol.availability_zone) ~= "string" then return nil end
      if pz ~= nil and vol.availability_zone == pz then return "production" end
      if dz ~= nil and vol.availability_zone == dz then return "DR" end
      return nil
    end

    for _, p in ipairs(ctx.replications) do
      local pair = sdrs.describe_pair(p)
      local ids, why = disk_ids(p.volume_ids)
      if ids == nil then
        ctx:unknown(("%s: %s, so its disks cannot be checked"):format(pair, why),
                    { resource = sdrs.res_pair(p), pair = p.id, field = "volume_ids",
                      observed = type(p.volume_ids) == "string" and p.volume_ids:sub(1, 512) or sdrs.show(p.volume_ids),
                      expected = "\"<production disk id>,<DR disk id>\"" })
      else
        if #ids ~= 2 then
          ctx:unknown(("%s lists %d disk%s in volume_ids %s: a replication pair has a production and a DR disk "
                       .. "(sdrs-api.md §3.2), so its disks are not known and whether they are usable cannot be "
                       .. "told")
                      :format(pair, #ids, #ids == 1 and "" or "s", sdrs.show(p.volume_ids:sub(1, 200))),
                      { resource = sdrs.res_pair(p), pair = p.id, field = "volume_ids",
                        observed = p.volume_ids:sub(1, 512),
                        expected = "\"<production disk id>,<DR disk id>\"" })
        end
        local disks = {}
        for i, id in ipairs(ids) do
          local vol, state, err = ctx.volume(id)
          disks[i] = { id = id, vol = vol, state = state, err = err, side = state == "present" and side_of(vol) or nil }
        end
        -- a deleted disk has no zone: it is the other side of a pair whose other disk tells its own
        if #disks == 2 then
          for i = 1, 2 do
            local other = disks[3 - i].side
            if disks[i].side == nil and disks[i].state ~= "present" and other ~= nil then
              disks[i].side = other == "production" and "DR" or "production"
            end
          end
        end
        for _, d in ipairs(disks) do
          -- a disk in a documented fine status needs no message: only the others build one
          if d.state == "present" and type(d.vol) == "table" then
            d.cls = sdrs.class("volume.status", d.vol.status)
          end
          if d.cls ~= "fine" then
            local label = d.side and (d.side .. " disk") or "disk"
            local what = ("%s %s of %s"):format(label, d.id, pair)
            local function evidence()
              local ev = { resource = sdrs.res_volume(d.id), pair = p.id, volume = d.id, side = d.side }
              if type(d.vol) == "table" then ev.zone = sdrs.scalar(d.vol.availability_zone) end
              if type(d.err) == "table" then
                ev.http_status, ev.code = sdrs.scalar(d.err.http_status), sdrs.scalar(d.err.code)
              end
              return ev
            end
            if d.state == "deleted" then
              local ev = evidence()
              ev.field, ev.expected = "volume", "the disk exists"
              local status = tostring(ev.http_status or 404)
              local code = ev.code ~= nil and tostring(ev.code) ~= status and (" " .. tostring(ev.code)) or ""
              ev.observed = ("HTTP %s%s"):format(status, code)
              ctx:fail(("%s does not exist (EVS answered %s): %s"):format(what, ev.observed, why_refused), ev)
            elseif d.state ~= "present" or type(d.vol) ~= "table" then
              local ev = evidence()
              ev.field, ev.expected = "volume", "an EVS disk record"
              if ev.http_status ~= nil then
                ev.observed = ("HTTP %s"):format(tostring(ev.http_status))
                ctx:unknown(("%s could not be read (%s): its status is not known"):format(what, ev.observed), ev)
              else
                ev.observed = "no record"
                ctx:unknown(("%s: the snapshot has no record of it (fetch again): its status is not known")
                            :format(what), ev)
              end
            else
              local ev = evidence()
              d.cls = sdrs.recognise(ctx, what, ev.resource, "volume.status", d.vol.status, ev)
              if d.cls == "blocks" or d.cls == "progress" then
                ev = evidence()
                ev.field, ev.observed, ev.expected = "status", d.vol.status, "in-use or available"
                if d.cls == "progress" then
                  ctx:warn(("%s is %s: an operation is running on the disk; wait for it to finish")
                           :format(what, sdrs.show(d.vol.status)), ev)
                elseif ctx.action == "failover" and d.side == "production" then
                  ctx:warn(("%s is %s: %s; for a failover the production site may be the part that failed, so "
                            .. "this does not block it"):format(what, sdrs.show(d.vol.status), why_refused), ev)
                else
                  ctx:fail(("%s is %s: %s"):format(what, sdrs.show(d.vol.status), why_refused), ev)
                end
              end
            end
          end
        end

        -- both disks read: the same size (SDRS.1309, SDRS.1814)
        local a, b = disks[1], disks[2]
        local both = #disks == 2 and a.cls ~= nil and b.cls ~= nil
        if both then
          local sa, sb = a.vol.size, b.vol.size
          local ev = { resource = sdrs.res_pair(p), pair = p.id, field = "size" }
          if math.type(sa) ~= "integer" or math.type(sb) ~= "integer" then
            ev.observed = ("%s and %s"):format(sdrs.show(sa), sdrs.show(sb))
            ev.expected = "whole numbers (GB)"
            ctx:unknown(("%s: the size of its disks cannot be read"):format(pair), ev)
          elseif sa ~= sb then
            ev.observed = ("%d GB and %d GB"):format(sa, sb)
            ev.expected = "the same size"
            ctx:warn(("%s has disks of different sizes (%s: %d GB, %s: %d GB): SDRS keeps a pair's disks the same "
                      .. "size (SDRS.1309 'Inconsistent production site and DR site disk specifications', SDRS.1814)")
                     :format(pair, a.id, sa, b.id, sb), ev)
          end
        end

        -- an attached pair: the production disk in-use on the production server, the DR disk on the DR server
        local pi = by_pair[sdrs.id_key(p.id) or ""]
        if both and pi ~= nil and station ~= nil then
          local prod_id, dr_id = sdrs.current_servers(pi, station)
          local sides = {}
          for _, d in ipairs(disks) do if d.side then sides[d.side] = d end end
          if sides.production == nil or sides.DR == nil then
            ctx:warn(("%s is attached to %s, but its disks are in zones %s and %s: expected one in the production "
                      .. "zone %s and one in the DR zone %s"):format(pair, sdrs.describe_instance(pi),
                     sdrs.show(a.vol.availability_zone), sdrs.show(b.vol.availability_zone), sdrs.show(pz),
                     sdrs.show(dz)),
                     { resource = sdrs.res_pair(p), pair = p.id, instance = pi.id, field = "availability_zone",
                       observed = ("%s, %s"):format(tostring(sdrs.scalar(a.vol.availability_zone) or "absent"),
                                                    tostring(sdrs.scalar(b.vol.availability_zone) or "absent")),
                       expected = ("one in %s, one in %s"):format(tostring(pz), tostring(dz)) })
          else
            for _, want in ipairs({ { side = "production", server = prod_id, role = "production server" },
                                    { side = "DR", server = dr_id, role = "DR server" } }) do
              local d = sides[want.side]
              -- what a finding names, built only when there is one (a healthy pair costs no message)
              local what, ev
              local function describe()
                what = ("%s disk %s of %s of %s"):format(want.side, d.id, pair, sdrs.describe_instance(pi))
                ev = { resource = sdrs.res_volume(d.id), pair = p.id, volume = d.id, instance = pi.id,
                       server = want.server, side = want.side }
              end
              if d.vol.status == "available" then
                describe()
                ev.field, ev.observed = "status", "available"
                ev.expected = ("in-use, attached to the %s"):format(want.role)
                ctx:warn(("%s is \"available\", not attached: SDRS attaches the %s disk to the %s %s")
                         :format(what, want.side, want.role, tostring(want.server)), ev)
              elseif d.vol.status == "in-use" then
                local servers = attached_servers(d.vol)
                if servers == nil then
                  describe()
                  ev.field, ev.observed, ev.expected = "attachments", "not a list of server_id", "a list of attachments"
                  ctx:unknown(("%s: its attachments cannot be read"):format(what), ev)
                else
                  local found = false
                  for _, s in ipairs(servers) do
                    if s == want.server or sdrs.same_id(s, want.server) then found = true break end
                  end
                  if not found then
                    describe()
                    ev.field = "attachments[].server_id"
                    ev.observed = #servers == 0 and "none" or table.concat(servers, ", "):sub(1, 512)
                    ev.expected = tostring(want.server)
                    ctx:warn(("%s is attached to %s, not to the %s %s: SDRS attaches the %s disk to the %s")
                             :format(what, #servers == 0 and "no server" or ("server(s) " .. ev.observed), want.role,
                                     tostring(want.server), want.side, want.role), ev)
                  end
                end
              end
            end
          end
        end
      end
    end
  end,
}
