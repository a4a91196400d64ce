-- expect: memory limit
return {
  id = "ESC-028", title = "sandbox escape: caught-memory-error", severity = "blocker", actions = "all",
  check = function(ctx)
    pcall(string.rep, "x", 9e7) -- over the 64 MiB cap, under the bound of a call
    -- the rule goes on as if nothing happened: its result must still be error
  end,
}
