-- expect: instruction budget
return {
  id = "ESC-020", title = "sandbox escape: coroutine-loop", severity = "blocker", actions = "all",
  check = function(ctx)
    local co = coroutine.wrap(function() while true do end end)
    co()
  end,
}
