-- expect: table.concat refused
return {
  id = "ESC-049", title = "sandbox escape: table.concat over all integers of an __index table",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local t = setmetatable({}, { __index = function() return "" end })
    local _ = table.concat(t, "", 1, math.maxinteger)
  end,
}
