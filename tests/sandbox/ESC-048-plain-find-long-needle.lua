-- expect: string.find refused: a plain search this long may compare too many bytes
return {
  id = "ESC-048", title = "sandbox escape: a plain find of a 10 MB needle in 20 MB",
  severity = "blocker", actions = "all",
  check = function(ctx)
    local hay = ("a"):rep(20 * 1000 * 1000)
    local needle = ("a"):rep(10 * 1000 * 1000 - 1) .. "b"
    local _ = hay:find(needle, 1, true)
  end,
}
