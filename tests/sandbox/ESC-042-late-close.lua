-- expect: instruction budget
return {
  id = "ESC-042", title = "sandbox escape: __close added after setmetatable", severity = "blocker",
  actions = "all",
  check = function(ctx)
    local mt = {}
    local obj = setmetatable({}, mt)
    mt.__close = function() while true do end end
    local co = coroutine.wrap(function()
      local x <close> = obj
      while true do end
    end)
    co()
  end,
}
