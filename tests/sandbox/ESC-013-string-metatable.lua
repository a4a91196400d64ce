-- expect: attempt to index a string value
return {
  id = "ESC-013", title = "sandbox escape: string-metatable", severity = "blocker", actions = "all",
  check = function(ctx)
    getmetatable("").__index = { upper = function() return "pwned" end }
  end,
}
