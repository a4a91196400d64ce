-- expect: table.move refused
return {
  id = "ESC-046", title = "sandbox escape: table.move over half of the integers",
  severity = "blocker", actions = "all",
  check = function(ctx)
    table.move({}, 1, math.maxinteger // 2, 1)
  end,
}
