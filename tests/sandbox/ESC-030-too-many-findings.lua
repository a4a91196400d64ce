-- expect: more than 10000 findings
return {
  id = "ESC-030", title = "sandbox escape: too-many-findings", severity = "blocker", actions = "all",
  check = function(ctx)
    for i = 1, 20000 do ctx:note("note " .. i) end
  end,
}
