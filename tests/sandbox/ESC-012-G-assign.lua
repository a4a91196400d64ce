-- expect: assignment to global 'leak'
return {
  id = "ESC-012", title = "sandbox escape: G-assign", severity = "blocker", actions = "all",
  check = function(ctx)
    _G.leak = ctx
  end,
}
