-- expect: instruction budget
return {
  id = "ESC-015", title = "sandbox escape: loop", severity = "blocker", actions = "all",
  check = function(ctx)
    while true do end
  end,
}
