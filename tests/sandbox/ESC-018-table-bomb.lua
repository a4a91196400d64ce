-- expect: memory limit
return {
  id = "ESC-018", title = "sandbox escape: table-bomb", severity = "blocker", actions = "all",
  check = function(ctx)
    local t = {}
    while true do t[#t + 1] = { #t } end
  end,
}
