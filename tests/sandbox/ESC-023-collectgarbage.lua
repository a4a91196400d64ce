-- expect: undefined global 'collectgarbage'
return {
  id = "ESC-023", title = "sandbox escape: collectgarbage", severity = "blocker", actions = "all",
  check = function(ctx)
    collectgarbage("stop")
  end,
}
