-- expect: not valid UTF-8
return {
  id = "ESC-032", title = "sandbox escape: bad-utf8", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx:fail("bad \255\254 bytes")
  end,
}
