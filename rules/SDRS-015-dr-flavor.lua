-- SDRS-015: every DR server has at least the vCPUs and memory of its production server.
local sdrs = require("sdrs")

-- A flavor size as ECS gives it ("2", "4096" in the v1 API; numbers accepted too): a whole number, or nil.
local function size(v)
  if math.type(v) == "integer" and v >= 0 then return v end
  if type(v) == "string" and v:match("^%d+$") and #v <= 9 then return tonumber(v) end
  return nil
end

return {
  id = "SDRS-015",
  title = "DR servers are not smaller than production",
  severity = "warning",
  actions = { "failover", "planned-failover", "drill" },
  rationale = "After a failover the DR server carries the production workload, and a drill server is created "
    .. "with the DR server's specifications. SDRS lets the DR server have another flavor (dr_flavorRef, and "
    .. "the protected-instance resize) and recommends 'servers of specifications (CPU and memory) same or "
    .. "higher than the specifications of the production site servers at the DR site'. A DR server with fewer "
    .. "vCPUs or less memory than its production server may not carry the load. Flavor sizes that cannot "
    .. "be read leave the comparison open.",
  remediation = "Resize the DR server to a flavor at least as large as the production server's (SDRS console: "
    .. "the protected instance's Modify Specifications, or POST .../protected-instances/{id}/resize with "
    .. "dr_flavorRef; both servers must be stopped), or record why the smaller DR flavor is enough "
    .. "(--waivers), then fetch a new snapshot and run the preflight again.",
  docs = "OTC SDRS API: creating a protected instance (flavorRef), modifying the specifications of a protected "
    .. "instance (dr_flavorRef); readiness-api.md §2.4",
  reads = { "group", "instances", "servers" },
  check = function(ctx)
    for pi, prod_id, prod, dr_id, dr in sdrs.present_pairs(ctx) do
      local pf = type(prod.flavor) == "table" and prod.flavor or {}
      local df = type(dr.flavor) == "table" and dr.flavor or {}
      local pc, pr, dc, drm = size(pf.vcpus), size(pf.ram), size(df.vcpus), size(df.ram)
      local ev -- built only for what is reported (every instance runs through here)
      if not (pc and pr and dc and drm) or dc < pc or drm < pr then
        ev = { resource = sdrs.res_server(dr_id), instance = pi.id, production_server = prod_id,
               dr_server = dr_id, production_flavor = sdrs.scalar(pf.id), dr_flavor = sdrs.scalar(df.id),
               production_vcpus = pc, dr_vcpus = dc, production_ram_mib = pr, dr_ram_mib = drm }
      end
      if not (pc and pr and dc and drm) then
        local which = not (pc and pr) and ("production server " .. tostring(prod_id))
                      or ("DR server " .. tostring(dr_id))
        ev.observed, ev.expected = "flavor vcpus/ram not whole numbers", "flavor.vcpus and flavor.ram"
        ctx:unknown(("%s of %s has no readable flavor size (flavor.vcpus and flavor.ram): the DR and production "
                     .. "specifications cannot be compared"):format(which, sdrs.describe_instance(pi)), ev)
      elseif dc < pc or drm < pr then
        ev.observed = ("DR %d vCPUs, %d MiB; production %d vCPUs, %d MiB"):format(dc, drm, pc, pr)
        ev.expected = "DR vCPUs and memory at least production's"
        ctx:warn(("DR server %s of %s (%s: %d vCPUs, %d MiB) is smaller than its production server (%s: %d vCPUs, "
                  .. "%d MiB): SDRS recommends the same or higher specifications at the DR site")
                 :format(dr_id, sdrs.describe_instance(pi), sdrs.show(df.id), dc, drm, sdrs.show(pf.id), pc, pr), ev)
      end
    end
  end,
}
