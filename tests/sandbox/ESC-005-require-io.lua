-- expect: module 'io' not found
return {
  id = "ESC-005", title = "sandbox escape: require-io", severity = "blocker", actions = "all",
  check = function(ctx)
    local io = require("io")
    io.open("/etc/passwd")
  end,
}
