-- expect: undefined global 'rawset'
return {
  id = "ESC-025", title = "sandbox escape: rawset", severity = "blocker", actions = "all",
  check = function(ctx)
    rawset(_G, "leak", 1)
  end,
}
