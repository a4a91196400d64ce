-- expect: field 'dump'
return {
  id = "ESC-006", title = "sandbox escape: string-dump", severity = "blocker", actions = "all",
  check = function(ctx)
    local f = string.dump(function() return 1 end)
    ctx:note(f)
  end,
}
