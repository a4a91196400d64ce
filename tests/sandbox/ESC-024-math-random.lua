-- expect: field 'random'
return {
  id = "ESC-024", title = "sandbox escape: math-random", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx:note(tostring(math.random()))
  end,
}
