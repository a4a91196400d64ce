-- expect: memory limit
return {
  id = "ESC-028", title = "sandbox escape: caught-memory-error", severity = "blocker", actions = "all",
  check = function(ctx)
    pcall(string.rep, "x", 1e9)
    -- the rule goes on as if nothing happened: its result must still be error
  end,
}
