-- expect: custom error object
return {
  id = "ESC-038", title = "sandbox escape: error-object", severity = "blocker", actions = "all",
  check = function(ctx)
    error(setmetatable({}, { __tostring = function() return "custom error object" end }))
  end,
}
