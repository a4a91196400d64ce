-- expect: undefined global 'loadfile'
return {
  id = "ESC-009", title = "sandbox escape: loadfile", severity = "blocker", actions = "all",
  check = function(ctx)
    loadfile("/etc/passwd")()
  end,
}
