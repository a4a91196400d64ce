-- expect: string.gsub refused
return {
  id = "ESC-050", title = "sandbox escape: a refused library call caught by pcall",
  severity = "blocker", actions = "all",
  check = function(ctx)
    for _ = 1, 10 do
      pcall(string.gsub, ("x"):rep(100000), "(.-)(.-)(.-)(.-)y", "")
    end
    ctx:note("went on after a refused call", {})
  end,
}
