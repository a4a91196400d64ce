-- expect: string.rep refused
return {
  id = "ESC-017", title = "sandbox escape: string-rep-bomb", severity = "blocker", actions = "all",
  check = function(ctx)
    local s = string.rep("x", 1e9)
    ctx:note(#s)
  end,
}
