"""One sanitiser for everything shown to a person: text from the API, a rule or argv never reaches
a terminal with escape sequences, C1 or bidi controls or line separators (tests/unit/check_report.c
covers the renderers one by one; this runs the binary on every path a person reads)."""
import json
import os
import pty
import select
import time
import unittest

from clitest import (BINARY, SIM_GROUP, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds, run,
                     src)

# ESC sequence, CSI as C1, a C1 control, the bidi overrides and isolates, line/paragraph separators
HOSTILE = "\x1b[2J\x1b]0;pwned\x07\u009b31m\u0085\u202eevil\u202c\u2066x\u2069\u2028\u2029\ufeff"


def lua_str(text):
    """text as a Lua string literal, every byte outside printable ASCII as \\ddd."""
    out = '"'
    for b in text.encode():
        out += chr(b) if 0x20 <= b < 0x7f and chr(b) not in '"\\' else "\\%03d" % b
    return out + '"'


def unsafe(text):
    """The characters of util_char_unsafe in text (tab and newline aside)."""
    bad = []
    for ch in text:
        c = ord(ch)
        if ((c < 0x20 and ch not in "\t\n") or 0x7f <= c <= 0x9f or c in (0x2028, 0x2029, 0x061c,
                                                                           0x200e, 0x200f, 0xfeff,
                                                                           0xfffe, 0xffff)
                or 0x202a <= c <= 0x202e or 0x2066 <= c <= 0x2069):
            bad.append(hex(c))
    return bad


class CleanTest(TempDirTest):
    def assertClean(self, text, what):
        self.assertEqual(unsafe(text), [], "%s carries unsafe characters:\n%r" % (what, text[:2000]))


class Sanitised(CleanTest):
    def hostile_snapshot(self):
        with open(src("examples", "nogo-server-deleted.json")) as f:
            snap = json.load(f)
        snap["server_group"]["name"] = "pg" + HOSTILE
        snap["protected_instances"][0]["name"] = "vm" + HOSTILE
        d = os.path.join(self.tmp, "snaps")
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, "hostile.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        return path

    def test_reports_fleet_and_rules(self):
        snap = self.hostile_snapshot()
        rules = os.path.join(self.tmp, "rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "X-1.lua"), "w") as f:
            f.write("return { id = 'X-1', title = %s, severity = 'warning', actions = 'all',\n"
                    "  rationale = %s, remediation = %s,\n"
                    "  check = function(ctx) ctx:warn(%s, { resource = %s, observed = %s }) end }\n"
                    % tuple([lua_str("t" + HOSTILE)] * 6))
        for args in (["check", "--snapshot", snap, "--rules", rules],
                     ["check", "--snapshot", snap, "--rules", rules, "-v"],
                     ["check", "--snapshot", snap, "--rules", rules, "--format", "markdown"],
                     ["check", "--snapshot", snap, "--rules", rules, "--format", "junit"],
                     ["check", "--snapshot-dir", os.path.dirname(snap), "--rules", rules, "-v"],
                     ["rules", "list", "--rules", rules],
                     ["rules", "show", "X-1", "--rules", rules]):
            with self.subTest(args=args[:2] + args[-2:]):
                res = run(*args)
                self.assertIn(res.code, (0, 1, 3), res)
                self.assertClean(res.out, "stdout")
                self.assertClean(res.err, "stderr")
        # JSON stays a faithful copy: its own escaping protects it
        res = run("check", "--snapshot", snap, "--format", "json")
        self.assertEqual(res.json()["target"]["name"], "pg" + HOSTILE)

    def test_argv_in_messages(self):
        res = run("check", "--snapshot", "x" + HOSTILE)
        self.assertEqual(res.code, 2)
        self.assertClean(res.err, "stderr")
        res = run("check", "--bogus" + HOSTILE)
        self.assertEqual(res.code, 2)
        self.assertClean(res.err, "stderr")


class LiveSanitised(CleanTest):
    jobs = {"steps": 2, "step_seconds": 0.2, "outcome": "FAIL", "fail_subjob": True,
            "error_code": "SDRS.1030", "fail_reason": "Failed" + HOSTILE + "SUCCESS"}

    def setUp(self):
        super().setUp()
        sc = basic_scenario(jobs=self.jobs)
        for g in sc["server_groups"]:
            if g["id"] == SIM_GROUP:
                g["name"] = "pg-prod-erp" + HOSTILE
        self.sim = Sim(self.tmp, sc)

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def test_fetch_lines_job_and_fail_reason(self):
        server = basic_scenario()["protected_instances"][0]["target_server"]
        self.sim.faults({"match": {"path": "/cloudservers/%s$" % server}, "kind": "status",
                         "status": 500, "body": json.dumps({"error": {"code": "Ecs.9999",
                                                                      "message": "m" + HOSTILE}})})
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "-vv", env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 3, res)
        self.assertIn("Ecs.9999", res.err + res.out)
        self.assertClean(res.out, "stdout")
        self.assertClean(res.err, "stderr")
        self.sim.faults()
        res = run("failover", SIM_GROUP, *self.sim.endpoint_args(), "--poll-interval", "0.1",
                  "--execute", "--yes", env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 4, res)
        self.assertIn("SDRS.1030: Failed", res.err)
        self.assertClean(res.err, "stderr")

    def test_confirmation_prompt(self):
        env = dict(os.environ, **creds(TOKEN_ENV))
        env = {k: v for k, v in env.items() if v is not None}
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(BINARY, ["sdrs-preflight", "failover", SIM_GROUP, *self.sim.endpoint_args(),
                               "--poll-interval", "0.1", "--execute", "--no-color"], env)
        out, deadline, answered = b"", time.time() + 30, False
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.5)
            if r:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                out += data
            if not answered and b"Type the group name" in out:
                os.write(fd, b"no\n")
                answered = True
        _, status = os.waitpid(pid, 0)
        text = out.decode(errors="replace").replace("\r", "")
        self.assertEqual(os.waitstatus_to_exitcode(status), 1, text)
        self.assertIn("About to run failover of protection group 'pg-prod-erp", text)
        self.assertClean(text, "the terminal")


if __name__ == "__main__":
    unittest.main()
