-- expect: undefined global 'package'
return {
  id = "ESC-003", title = "sandbox escape: package", severity = "blocker", actions = "all",
  check = function(ctx)
    package.loadlib("libc.so.6", "system")
  end,
}
