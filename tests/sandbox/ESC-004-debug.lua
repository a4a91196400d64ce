-- expect: undefined global 'debug'
return {
  id = "ESC-004", title = "sandbox escape: debug", severity = "blocker", actions = "all",
  check = function(ctx)
    debug.sethook()
  end,
}
