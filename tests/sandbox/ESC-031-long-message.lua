-- expect: limit 2048
return {
  id = "ESC-031", title = "sandbox escape: long-message", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx:fail(string.rep("x", 5000))
  end,
}
