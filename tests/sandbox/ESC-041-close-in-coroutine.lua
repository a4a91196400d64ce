-- expect: __close metamethods are not allowed
return {
  id = "ESC-041", title = "sandbox escape: __close in a coroutine reset", severity = "blocker",
  actions = "all",
  check = function(ctx)
    local co = coroutine.wrap(function()
      local x <close> = setmetatable({}, { __close = function() while true do end end })
      while true do end
    end)
    co()
  end,
}
