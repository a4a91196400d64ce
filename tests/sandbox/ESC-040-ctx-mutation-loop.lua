-- expect: instruction budget
return {
  id = "ESC-040", title = "sandbox escape: ctx-mutation-loop", severity = "blocker", actions = "all",
  check = function(ctx)
    local g = ctx.group
    while true do g.status = "protected" end
  end,
}
