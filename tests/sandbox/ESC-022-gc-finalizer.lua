-- expect: __gc metamethods are not allowed
return {
  id = "ESC-022", title = "sandbox escape: gc-finalizer", severity = "blocker", actions = "all",
  check = function(ctx)
    setmetatable({}, { __gc = function() while true do end end })
  end,
}
