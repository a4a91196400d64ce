-- expect: attempt to index a string value
return {
  id = "ESC-027", title = "sandbox escape: ctx-metatable", severity = "blocker", actions = "all",
  check = function(ctx)
    getmetatable(ctx).__index = function() return {} end
  end,
}
