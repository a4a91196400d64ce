-- expect: instruction budget
return {
  id = "ESC-016", title = "sandbox escape: loop-in-pcall", severity = "blocker", actions = "all",
  check = function(ctx)
    while true do
      pcall(function() while true do end end)
    end
  end,
}
