-- expect: undefined global 'io'
return {
  id = "ESC-002", title = "sandbox escape: io", severity = "blocker", actions = "all",
  check = function(ctx)
    io.open("/etc/passwd"):read("a")
  end,
}
