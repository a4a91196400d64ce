-- expect: string.find refused
return {
  id = "ESC-047", title = "sandbox escape: a backtracking pattern on a long subject",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local _ = ("a"):rep(5000):find(("a*"):rep(15) .. "b")
  end,
}
