-- expect: cannot change a protected metatable
return {
  id = "ESC-010", title = "sandbox escape: setmetatable-G", severity = "blocker", actions = "all",
  check = function(ctx)
    setmetatable(_G, {})
  end,
}
