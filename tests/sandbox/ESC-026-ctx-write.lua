-- expect: ctx is read-only
return {
  id = "ESC-026", title = "sandbox escape: ctx-write", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx.action = "drill"
  end,
}
