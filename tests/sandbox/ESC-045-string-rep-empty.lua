-- expect: string.rep refused
return {
  id = "ESC-045", title = "sandbox escape: string.rep of an empty string, math.maxinteger times",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local _ = string.rep("", math.maxinteger)
  end,
}
