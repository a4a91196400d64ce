-- expect: bad argument #1 to 'setmetatable'
return {
  id = "ESC-039", title = "sandbox escape: string-setmetatable", severity = "blocker", actions = "all",
  check = function(ctx)
    setmetatable("", {})
  end,
}
