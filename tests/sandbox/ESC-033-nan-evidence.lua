-- expect: not a finite number
return {
  id = "ESC-033", title = "sandbox escape: nan-evidence", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx:fail("nan", { observed = 0 / 0 })
  end,
}
