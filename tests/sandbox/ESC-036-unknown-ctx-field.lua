-- expect: ctx has no field 'secrets'
return {
  id = "ESC-036", title = "sandbox escape: unknown-ctx-field", severity = "blocker", actions = "all",
  check = function(ctx)
    local s = ctx.secrets
  end,
}
