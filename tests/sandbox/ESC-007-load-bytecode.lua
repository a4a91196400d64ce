-- expect: undefined global 'load'
return {
  id = "ESC-007", title = "sandbox escape: load-bytecode", severity = "blocker", actions = "all",
  check = function(ctx)
    local f = load("\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86\0\0")
    f()
  end,
}
