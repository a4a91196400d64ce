-- expect: instruction budget
return {
  id = "ESC-044", title = "sandbox escape: budget spent in a coroutine, then pcall in the main thread",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local function burn() while true do end end
    coroutine.resume(coroutine.create(burn)) -- the budget runs out in the coroutine
    while true do pcall(burn) end            -- the main thread must not go on
  end,
}
