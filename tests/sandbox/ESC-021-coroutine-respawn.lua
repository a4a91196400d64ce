-- expect: instruction budget
return {
  id = "ESC-021", title = "sandbox escape: coroutine-respawn", severity = "blocker", actions = "all",
  check = function(ctx)
    while true do
      local co = coroutine.create(function() while true do end end)
      coroutine.resume(co)
    end
  end,
}
