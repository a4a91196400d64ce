-- expect: invalid conversion
return {
  id = "ESC-051", title = "sandbox escape: string.format with a huge width",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local _ = string.format("%999999999d", 1)
  end,
}
