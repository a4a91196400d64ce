-- expect: undefined global 'os'
return {
  id = "ESC-001", title = "sandbox escape: os", severity = "blocker", actions = "all",
  check = function(ctx)
    os.execute("touch /tmp/sdrs-escaped")
  end,
}
