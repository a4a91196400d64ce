-- luacheck configuration for the rules (run: luacheck rules/ examples/custom-rules/)
std = "lua54"
-- the sandbox has no io, os, package, debug, load, collectgarbage, rawset or math.random
not_globals = { "io", "os", "package", "debug", "load", "loadfile", "dofile", "collectgarbage",
                "rawset", "require_global" }
max_line_length = 120
