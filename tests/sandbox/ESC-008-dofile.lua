-- expect: undefined global 'dofile'
return {
  id = "ESC-008", title = "sandbox escape: dofile", severity = "blocker", actions = "all",
  check = function(ctx)
    dofile("/etc/passwd")
  end,
}
