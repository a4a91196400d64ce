-- expect: instruction budget
return {
  id = "ESC-043", title = "sandbox escape: coroutine.close after a budget error", severity = "blocker",
  actions = "all",
  check = function(ctx)
    local mt = {}
    local obj = setmetatable({}, mt)
    mt.__close = function() while true do end end
    local co = coroutine.create(function()
      local x <close> = obj
      table.sort({ 5, 4, 3, 2, 1 }, function() while true do end end)
    end)
    coroutine.resume(co)
    coroutine.close(co)
  end,
}
