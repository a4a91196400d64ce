-- SDRS-022: the credential that will run the action holds the SDRS Administrator role (or a role that
-- covers it), as far as the token's roles show.
local sdrs = require("sdrs")

-- Role names (a token's roles[].name) that cover every SDRS action (readiness-api.md §5.1): sdrs_adm
-- (SDRS Administrator), te_admin (Tenant Administrator: every service but IAM), system_all_1001 (the
-- FullAccess policy). Exact names: a case variant is another role.
local COVERING = { "sdrs_adm", "te_admin", "system_all_1001" }
-- What SDRS Administrator "must be used together with" (readiness-api.md §5.1), unless a covering role
-- above other than sdrs_adm is held: server_adm (Server Administrator, also what starts the DR servers)
-- and readonly (Tenant Guest).
local DEPENDS = {
  { name = "server_adm", title = "Server Administrator" },
  { name = "readonly", title = "Tenant Guest" },
}

return {
  id = "SDRS-022",
  title = "The credential holds the SDRS Administrator role",
  severity = "warning",
  actions = "all",
  rationale = "Every SDRS action (failover, planned failover, enable and disable protection, DR drill) is an SDRS "
    .. "write call; Open Telekom Cloud offers only the role SDRS Administrator (sdrs_adm) for it, to be used "
    .. "together with Server Administrator (server_adm) and Tenant Guest (readonly); Tenant Administrator "
    .. "(te_admin) and the FullAccess policy (system_all_1001) cover it as well. No documented call tells "
    .. "whether an identity may perform an action without performing it: the only evidence is the roles of "
    .. "the token that an IAM password login returns. Fine-grained custom policies, agencies and federated "
    .. "identities do not show in those roles, so the roles can only say 'likely permitted', never 'denied': "
    .. "a credential without these roles is a warning, never a blocker (readiness-api.md §5.1, §5.2). A token "
    .. "handed in ready-made, AK/SK, or a password login whose token lists no roles shows none; the rule is "
    .. "then skipped.",
  remediation = "Run the action with a user that has the SDRS Administrator role (with Server Administrator and "
    .. "Tenant Guest) in the project, or Tenant Administrator (IAM console: the user's groups and their roles "
    .. "in the project), or confirm that a custom policy or agency grants the SDRS actions (--waivers); then "
    .. "fetch a new snapshot and run the preflight again.",
  docs = "readiness-api.md §5.1 (role names), §5.2 (the token's roles; never block on roles), §5.3; OTC IAM: "
    .. "system permissions (SDRS Administrator)",
  reads = { "group" },
  check = function(ctx)
    local caller = ctx.caller
    if caller == nil then
      ctx:skip("the credential shows no roles (a token handed in, AK/SK, or a login whose token lists none): "
               .. "whether it may perform the action cannot be told from the snapshot")
      return
    end
    local g = ctx.group
    local ev = { resource = sdrs.res_group(g), field = "caller.roles", source = sdrs.scalar(caller.source) }
    local roles = sdrs.list(caller.roles)
    if roles == nil then
      ev.observed, ev.expected = sdrs.show(caller.roles), "a list of role names"
      ctx:unknown("the credential's roles cannot be read: whether it may perform the action is not known", ev)
      return
    end
    local held = {}
    for _, r in ipairs(roles) do
      if type(r) == "string" then held[r] = true end
    end
    local names = {}
    for _, r in ipairs(roles) do names[#names + 1] = tostring(r) end
    ev.observed = #names == 0 and "no roles" or table.concat(names, ", "):sub(1, 512)
    local covering = {}
    for _, r in ipairs(COVERING) do
      if held[r] then covering[#covering + 1] = r end
    end
    if #covering == 0 then
      ev.expected = "one of " .. table.concat(COVERING, ", ")
      ctx:warn(("the credential's roles (%s) include none of %s (SDRS Administrator, Tenant Administrator, "
                .. "FullAccess): it may lack the permission for the action, unless a fine-grained policy or an "
                .. "agency grants it, which roles do not show"):format(ev.observed, table.concat(COVERING, ", ")), ev)
      return
    end
    if not (held.te_admin or held.system_all_1001) then
      local missing = {}
      for _, d in ipairs(DEPENDS) do
        if not held[d.name] then missing[#missing + 1] = ("%s (%s)"):format(d.name, d.title) end
      end
      if #missing > 0 then
        ev.expected = "sdrs_adm with server_adm and readonly"
        ctx:warn(("the credential holds sdrs_adm (SDRS Administrator) but not %s, which SDRS Administrator must be "
                  .. "used together with: it may lack the permission for parts of the action (starting the DR "
                  .. "servers is an ECS call), unless a policy the roles do not show grants them")
                 :format(table.concat(missing, " and ")), ev)
        return
      end
    end
    ev.expected = "one of " .. table.concat(COVERING, ", ")
    ctx:note(("likely permitted: the credential's roles show %s; fine-grained policies and agencies do not show in "
              .. "roles, so this is no proof"):format(table.concat(covering, ", ")), ev)
  end,
}
