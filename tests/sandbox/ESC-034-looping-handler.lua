-- expect: instruction budget
return {
  id = "ESC-034", title = "sandbox escape: looping-handler", severity = "blocker", actions = "all",
  check = function(ctx)
    xpcall(function() error("x") end, function() while true do end end)
  end,
}
