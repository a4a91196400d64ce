-- expect: with a colon
return {
  id = "ESC-035", title = "sandbox escape: dot-call", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx.fail("no self")
  end,
}
