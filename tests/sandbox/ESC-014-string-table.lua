-- expect: read-only table
return {
  id = "ESC-014", title = "sandbox escape: string-table", severity = "blocker", actions = "all",
  check = function(ctx)
    string.rep = function() return "" end
  end,
}
