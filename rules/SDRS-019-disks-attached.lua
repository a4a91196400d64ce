-- SDRS-019: every production and DR server has disks attached, one of them its system disk.
local sdrs = require("sdrs")

-- Whether a server has a system disk (bootIndex "0"): true, false, or nil with why it cannot be told.
local function system_disk(server)
  local list = sdrs.list(server["os-extended-volumes:volumes_attached"])
  if list == nil then return nil, "os-extended-volumes:volumes_attached is not a list" end
  if #list == 0 then return false, "no disk attached" end
  local unknown = false
  for _, v in ipairs(list) do
    local b = type(v) == "table" and v.bootIndex or nil
    if b == "0" or b == 0 then return true end
    if type(b) ~= "string" and math.type(b) ~= "integer" then unknown = true end
  end
  if unknown then return nil, "an attached disk has no bootIndex" end
  return false, "no attached disk has bootIndex 0"
end

return {
  id = "SDRS-019",
  title = "Servers have their disks attached",
  severity = "blocker",
  actions = "all",
  rationale = "SDRS refuses to operate on a protected instance whose server has no disk attached (SDRS.1321, 'No "
    .. "disk attached to the server') or no system disk (SDRS.1339, 'No system disk attached to the server'). "
    .. "ECS lists a server's disks in os-extended-volumes:volumes_attached, where bootIndex \"0\" marks the "
    .. "system disk. For a failover only the DR servers must be usable: the production site may be the part "
    .. "that failed, so a production server without disks is a warning. A disk list that cannot be read "
    .. "leaves the decision open.",
  remediation = "Attach the server's disks again (ECS console: the server's Disks tab; the system disk first), or "
    .. "repair the protected instance, then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: error codes SDRS.1321, SDRS.1339; OTC ECS API: querying details about an ECS "
    .. "(os-extended-volumes:volumes_attached, bootIndex); sdrs-api.md §7.3, §9.1",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    local station = ctx.group.priority_station
    for _, pi in ipairs(ctx.instances) do
      for _, s in ipairs(sdrs.instance_servers(pi, station)) do
        local server = sdrs.present_server(ctx, s.id)
        if server then
          local ok, why = system_disk(server)
          local what, ev -- built only for what is reported (every server runs through here)
          if ok ~= true then
            what = ("%s %s of %s"):format(s.role, s.id, sdrs.describe_instance(pi))
            ev = { resource = sdrs.res_server(s.id), instance = pi.id, server = s.id, role = s.role,
                   observed = why, expected = "disks attached, one with bootIndex 0 (the system disk)" }
          end
          if ok == nil then
            ctx:unknown(("%s: its disks cannot be read (%s)"):format(what, why), ev)
          elseif not ok then
            local code = why == "no disk attached" and "SDRS.1321" or "SDRS.1339"
            local msg = ("%s has %s: SDRS refuses servers without %s (%s)"):format(what,
                        why == "no disk attached" and "no disk attached" or "no system disk attached",
                        code == "SDRS.1321" and "disks" or "a system disk", code)
            sdrs.refused_server(ctx, s.role, msg, ev)
          end
        end
      end
    end
  end,
}
