-- expect: stack overflow
return {
  id = "ESC-019", title = "sandbox escape: recursion", severity = "blocker", actions = "all",
  check = function(ctx)
    local function f(n) return f(n + 1) + 1 end
    f(1)
  end,
}
