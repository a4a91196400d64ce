-- expect: evidence is flat
return {
  id = "ESC-029", title = "sandbox escape: nested-evidence", severity = "blocker", actions = "all",
  check = function(ctx)
    ctx:fail("nested", { observed = { 1, 2 } })
  end,
}
