-- expect: assignment to global 'leak'
return {
  id = "ESC-011", title = "sandbox escape: new-global", severity = "blocker", actions = "all",
  check = function(ctx)
    leak = 1
  end,
}
