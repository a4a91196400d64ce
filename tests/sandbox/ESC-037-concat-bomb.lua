-- expect: memory limit
return {
  id = "ESC-037", title = "sandbox escape: concat-bomb", severity = "blocker", actions = "all",
  check = function(ctx)
    local parts = {}
    for i = 1, 100 do parts[i] = string.rep("y", 1e6) end
    local s = table.concat(parts)
    ctx:note(#s)
  end,
}
