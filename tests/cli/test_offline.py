"""End-to-end tests of the offline commands: the binary on every example, usage errors, outputs."""
import json
import os
import pty
import re
import select
import shutil
import subprocess
import unittest

from clitest import BINARY, BUILTIN_IDS, EXAMPLES, SOURCE, TempDirTest, run, src

UPDATE = os.environ.get("SDRS_UPDATE_GOLDEN") == "1"


def read(path):
    with open(path) as f:
        return f.read()


class Examples(unittest.TestCase):
    """Every example gives the exit code, verdict and failing rules examples/expected.json lists."""

    def test_every_example(self):
        with open(os.path.join(EXAMPLES, "expected.json")) as f:
            expected = json.load(f)
        self.assertGreaterEqual(len(expected), 12)
        for name, want in sorted(expected.items()):
            with self.subTest(example=name):
                args = ["check", "--snapshot", os.path.join(EXAMPLES, name), "--format", "json",
                        "--action", want.get("action", "failover")]
                if want.get("facts"):
                    args += ["--facts", os.path.join(EXAMPLES, want["facts"])]
                res = run(*args)
                self.assertEqual(res.code, want["exit_code"], res)
                report = res.json()
                self.assertEqual(report["verdict"], want["verdict"])
                self.assertEqual(report["exit_code"], want["exit_code"])
                failing = sorted(r["id"] for r in report["results"] if r["result"] == "fail")
                self.assertEqual(failing, sorted(want["failing"]))
                if want["verdict"] == "INDETERMINATE":
                    self.assertTrue(report["errors"], "INDETERMINATE needs a reason")

    def test_custom_rules_example(self):
        res = run("rules", "test", src("examples", "custom-rules", "tests"),
                  "--rules", src("examples", "custom-rules"))
        self.assertEqual(res.code, 0, res)
        res = run("check", "--snapshot", src("examples", "go.json"),
                  "--rules", src("examples", "custom-rules"), "--format", "json")
        ids = [r["id"] for r in res.json()["results"]]
        self.assertIn("ACME-001", ids)
        self.assertEqual(len(ids), len(BUILTIN_IDS) + 1)


class Golden(TempDirTest):
    """Reports of a few examples, byte for byte (SDRS_UPDATE_GOLDEN=1 rewrites them)."""

    CASES = [
        ("go.json", "text", []),
        ("go.json", "json", []),
        ("nogo-server-deleted.json", "text", []),
        ("indeterminate-missing-server.json", "text", []),
        ("warn-replication-lag.json", "text", ["-v", "--facts", os.path.join(EXAMPLES, "facts.json")]),
    ]

    def test_golden_reports(self):
        for name, fmt, extra in self.CASES:
            with self.subTest(example=name, format=fmt):
                res = run("check", "--snapshot", os.path.join(EXAMPLES, name), "--format", fmt,
                          *extra)
                self.assertIn(res.code, (0, 1, 3), res)
                golden = src("tests", "golden", "%s.%s%s" % (
                    name[:-5], "v." if "-v" in extra else "", "txt" if fmt == "text" else "json"))
                out = res.out.replace(os.path.join(EXAMPLES, ""), "examples/")
                if UPDATE:
                    with open(golden, "w") as f:
                        f.write(out)
                with open(golden) as f:
                    self.assertEqual(out, f.read(), "golden %s differs" % golden)

    def test_deterministic(self):
        a = run("check", "--snapshot", src("examples", "go.json"), "--format", "json",
                env={"SOURCE_DATE_EPOCH": None})
        b = run("check", "--snapshot", src("examples", "go.json"), "--format", "json",
                env={"SOURCE_DATE_EPOCH": None})
        ja, jb = a.json(), b.json()
        ja.pop("generated_at"), jb.pop("generated_at")
        self.assertEqual(ja, jb)
        self.assertRegex(a.json()["generated_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_inputs_digests(self):
        import hashlib
        snap = src("examples", "go.json")
        facts = src("examples", "facts.json")
        rep = run("check", "--snapshot", snap, "--facts", facts, "--format", "json").json()
        with open(snap, "rb") as f:
            self.assertEqual(rep["inputs"]["snapshot_sha256"], hashlib.sha256(f.read()).hexdigest())
        with open(facts, "rb") as f:
            self.assertEqual(rep["inputs"]["facts_sha256"], hashlib.sha256(f.read()).hexdigest())
        self.assertRegex(rep["inputs"]["rules_sha256"], "^[0-9a-f]{64}$")
        self.assertIsNone(rep["inputs"]["waivers_sha256"])
        plain = run("check", "--snapshot", snap, "--format", "json").json()
        self.assertIsNone(plain["inputs"]["facts_sha256"])


class Usage(TempDirTest):
    def test_help_and_version(self):
        for args in (["--help"], ["help"], ["check", "--help"], ["rules", "--help"],
                     ["help", "check"], ["version", "--help"]):
            res = run(*args)
            self.assertExit(res, 0)
            self.assertTrue(res.out.startswith("usage: sdrs-preflight"), res)
        res = run("check", "--help")
        for flag in ("--snapshot", "--action", "--facts", "--rules", "--no-builtin-rules",
                     "--fail-on", "--format", "--output", "--quiet", "--no-color"):
            self.assertIn(flag, res.out)
        self.assertIn("Exit codes", run("--help").out)
        self.assertRegex(run("version").out, r"^sdrs-preflight \d+\.\d+\.\d+\n$")
        self.assertRegex(run("--version").out, r"^sdrs-preflight \d+\.\d+\.\d+\n$")

    def test_libraries_are_opened_when_first_needed(self):
        # libcurl at the first request, libcrypto at the first digest: neither is mapped and
        # relocated by a command that does not use it (LD_DEBUG=files lists what the loader opens)
        def opened(*args):
            res = run(*args, env={"LD_DEBUG": "files"})
            return res, set(re.findall(r"file=(lib(?:curl|crypto)[^ ]*) \[", res.err))

        res, libs = opened("version")
        self.assertExit(res, 0)
        self.assertEqual(libs, set())
        res, libs = opened("check", "--snapshot", src("examples", "go.json"), "--format", "json")
        self.assertExit(res, 0)
        self.assertEqual(len(json.loads(res.out)["inputs"]["snapshot_sha256"]), 64)
        self.assertEqual({l.split(".so")[0] for l in libs}, {"libcrypto"}, res.err[-2000:])

    def test_an_offline_check_reads_no_openssl_configuration(self):
        # it opens no TLS connection, and a digest does not depend on the configuration: reading
        # it was a third of libcrypto's first use. A FIFO as OPENSSL_CONF blocks whoever opens it.
        fifo = self.path("openssl.cnf")
        os.mkfifo(fifo)
        env = {"OPENSSL_CONF": fifo}
        if shutil.which("openssl"):  # the FIFO stops a program that does read the configuration
            with self.assertRaises(subprocess.TimeoutExpired):
                subprocess.run(["openssl", "version"], env=dict(os.environ, **env), timeout=3,
                               capture_output=True)
        res = run("check", "--snapshot", src("examples", "go.json"), "--format", "json", env=env,
                  timeout=60)
        self.assertExit(res, 0)
        self.assertEqual(len(json.loads(res.out)["inputs"]["snapshot_sha256"]), 64)
        d = self.path("snaps")
        os.makedirs(d)
        shutil.copy(src("examples", "go.json"), d)
        res = run("check", "--snapshot-dir", d, "--format", "json", env=env, timeout=60)
        self.assertExit(res, 0)

    def test_usage_errors_exit_2(self):
        snap = src("examples", "go.json")
        cases = [
            ([], "missing command"),
            (["frobnicate"], "unknown command 'frobnicate'"),
            (["check"], "check needs a GROUP_ID (live) or --snapshot FILE (offline)"),
            (["check", "--snapshot"], "option '--snapshot' needs a value"),
            (["check", "--snapshot", snap, "--bogus"], "unknown option '--bogus'"),
            (["check", "--snapshot", snap, "--action", "failback"], "unknown action 'failback'"),
            (["check", "--snapshot", snap, "--format", "xml"], "unknown format 'xml'"),
            (["check", "--snapshot", snap, "--fail-on", "info"], "--fail-on takes"),
            (["check", "--snapshot", snap, "--rule-memory", "0"], "--rule-memory"),
            (["check", "--snapshot", snap, "--rule-instructions", "x"], "--rule-instructions"),
            (["check", "--snapshot", snap, "extra"], "unexpected argument 'extra': check --snapshot FILE takes no GROUP_ID"),
            (["check", "g1", "g2"], "unexpected argument 'g2'"),
            (["check", "g", "--snapshot", snap], "unexpected argument 'g'"),
            (["check", "--snapshot", snap, "--region", "eu-de"], "--region applies to a live check"),
            (["check", "--snapshot", snap, "--execute"], "--execute does not apply to check"),
            (["rules", "list", "--execute"], "--execute does not apply to rules"),
            (["rules", "list", "--insecure"], "--insecure does not apply to rules"),
            (["fetch", "g", "--waivers", "w.json"], "--waivers does not apply to fetch"),
            (["fetch", "g", "--format", "junit"], "--format does not apply to fetch"),
            (["rules", "show"], "rules show needs exactly one argument: the rule ID"),
            (["rules", "show", "X", "--format", "json"], "--format applies to rules list"),
            (["verify-log", "f", "--rules", "d"], "--rules does not apply to verify-log"),
            (["check", "--snapshot", "/nonexistent.json"], "cannot read '/nonexistent.json'"),
            (["check", "--snapshot", snap, "--facts", "/nonexistent.json"], "facts: cannot read"),
            (["check", "--snapshot", snap, "--rules", "/nonexistent"], "cannot read rules directory"),
            (["rules"], "rules needs a subcommand"),
            (["rules", "show"], "rules show needs exactly one argument"),
            (["rules", "show", "NOPE-1"], "no rule 'NOPE-1'"),
            (["rules", "frob"], "unknown rules subcommand"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                res = run(*args)
                self.assertExit(res, 2)
                self.assertIn(needle, res.err)
                self.assertEqual(res.out, "")

    def test_invalid_snapshots_exit_2_naming_file_and_path(self):
        cases = [
            ("notjson.json", "{\"schema\": ", "not JSON"),
            ("array.json", "[1, 2]", "the top level is array"),
            ("schema.json", "{\"schema\": \"other@1\"}", "unsupported schema"),
            ("types.json", "{\"schema\": \"sdrs-preflight/snapshot@1\", \"replications\": {}}",
             "$.replications: expected an array, got object"),
            ("empty.json", "", "the input is empty"),
        ]
        for name, text, needle in cases:
            with self.subTest(name=name):
                path = self.write(name, text)
                res = run("check", "--snapshot", path)
                self.assertExit(res, 2)
                self.assertIn("snapshot '%s'" % path, res.err)
                self.assertIn(needle, res.err)

    def test_invalid_facts_exit_2(self):
        path = self.write("facts.json", "{\"first_switchower\": true}")
        res = run("check", "--snapshot", src("examples", "go.json"), "--facts", path)
        self.assertExit(res, 2)
        self.assertIn("$.first_switchower: unknown key", res.err)
        path = self.write("facts2.json", "{\"first_switchover\": \"yes\"}")
        res = run("check", "--snapshot", src("examples", "go.json"), "--facts", path)
        self.assertExit(res, 2)
        self.assertIn("expected true, false or null", res.err)

    def test_inputs_report_in_order_though_the_snapshot_is_read_beside_them(self):
        # the snapshot is read on a thread while the facts and the rules load; a broken snapshot
        # still reports after them, and alone, exactly as when it was read last
        snap = self.write("broken.json", "{\"schema\": ")
        facts = self.write("facts.json", "{\"first_switchower\": true}")
        self.write("rules/bad.lua", "return { id = 'X-1' }")
        for extra, needle in ((["--facts", facts], "unknown key"),
                              (["--rules", self.path("rules")], "invalid rule file"),
                              ([], "snapshot '%s'" % snap)):
            with self.subTest(extra=extra):
                res = run("check", "--snapshot", snap, *extra)
                self.assertExit(res, 2)
                self.assertIn(needle, res.err)
                self.assertEqual(len(res.err.strip().splitlines()), 1, res.err)

    def test_an_error_does_not_wait_for_standard_input(self):
        # the snapshot is read beside the rules only from a regular file: from a pipe that has not
        # ended, the facts' error is reported and the run ends at once
        proc = subprocess.Popen([BINARY, "check", "--snapshot", "-", "--facts", "/nonexistent"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            code = proc.wait(timeout=20)  # standard input stays open meanwhile
        finally:
            proc.stdin.close()
        err = proc.stderr.read()
        proc.stdout.close()
        proc.stderr.close()
        self.assertEqual(code, 2, err)
        self.assertIn("facts", err)

    def test_a_large_custom_rule_file(self):
        # 600 KB of rule text (under the 1 MiB limit) is read into mapped memory and handed to the
        # engine as its own copy: the run ends with its verdict
        big = self.write("big.lua", "-- " + "x" * 600000 + "\n" +
                         "return { id = 'BIG-1', title = 'big', severity = 'info', actions = 'all',\n"
                         "  check = function(ctx) ctx:note('read') end }\n")
        res = run("check", "--snapshot", src("examples", "go.json"), "--rules", big)
        self.assertExit(res, 0)
        self.assertIn("BIG-1", run("check", "--snapshot", src("examples", "go.json"), "--rules", big,
                                   "-v").out)

    def test_invalid_rule_file_exit_2(self):
        self.write("rules/bad.lua", "return { id = 'X-1' }")
        res = run("check", "--snapshot", src("examples", "go.json"), "--rules", self.path("rules"))
        self.assertExit(res, 2)
        self.assertIn("invalid rule file", res.err)
        self.assertIn("bad.lua", res.err)


class Outputs(TempDirTest):
    def test_output_file_is_written_atomically_and_never_over_an_input(self):
        out = self.path("report.json")
        res = run("check", "--snapshot", src("examples", "go.json"), "--format", "json", "-o", out)
        self.assertExit(res, 0)
        self.assertEqual(res.out, "")
        self.assertEqual(json.loads(read(out))["verdict"], "GO")
        self.assertEqual([n for n in os.listdir(self.tmp) if n != "report.json"], [])
        # the snapshot itself is refused as output, and left as it was
        snap = self.write("snap.json", read(src("examples", "go.json")))
        before = read(snap)
        res = run("check", "--snapshot", snap, "-o", snap)
        self.assertExit(res, 2)
        self.assertIn("refusing to write the report over the input file", res.err)
        self.assertEqual(read(snap), before)
        link = self.path("link.json")
        os.symlink(snap, link)
        res = run("check", "--snapshot", snap, "-o", link)
        self.assertExit(res, 2)
        self.assertEqual(read(snap), before)
        # an unwritable destination is an error, not a crash
        res = run("check", "--snapshot", snap, "-o", "/nonexistent/dir/report.txt")
        self.assertExit(res, 2)
        self.assertIn("cannot write '/nonexistent/dir/report.txt'", res.err)

    def test_no_colour_unless_terminal(self):
        res = run("check", "--snapshot", src("examples", "go.json"))
        self.assertNotIn("\033[", res.out)

    def _pty_run(self, args, env_extra):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1795608000", TERM="xterm")
        env.pop("NO_COLOR", None)
        env.update(env_extra)
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(os.environ.get("SDRS_BINARY"), ["sdrs-preflight"] + args, env)
        chunks = []
        while True:
            r, _, _ = select.select([fd], [], [], 10)
            if not r:
                break
            try:
                data = os.read(fd, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        os.waitpid(pid, 0)
        return b"".join(chunks).decode()

    def test_colour_on_a_terminal_but_not_with_no_color(self):
        args = ["check", "--snapshot", src("examples", "go.json")]
        self.assertIn("\033[1;32mGO\033[0m", self._pty_run(args, {}))
        self.assertNotIn("\033[", self._pty_run(args, {"NO_COLOR": "1"}))
        self.assertNotIn("\033[", self._pty_run(args + ["--no-color"], {}))

    def test_quiet_and_verbose(self):
        q = run("check", "--snapshot", src("examples", "nogo-server-deleted.json"), "-q")
        self.assertExit(q, 1)
        self.assertTrue(q.out.startswith("NO-GO"))
        self.assertNotIn("Blocking", q.out)
        v = run("check", "--snapshot", src("examples", "go.json"), "-v")
        self.assertIn("All rules", v.out)
        listed = v.out.split("All rules")[1]
        self.assertEqual(len(re.findall(r"^  \[\w+\]\s+SDRS-0\d\d", listed, re.M)), len(BUILTIN_IDS))

    def test_fail_on_warning(self):
        res = run("check", "--snapshot", src("examples", "warn-replication-lag.json"),
                  "--fail-on", "warning")
        self.assertExit(res, 1)
        self.assertIn("with --fail-on warning", res.out)

    def test_rule_error_is_indeterminate_naming_rule_file_and_line(self):
        self.write("rules/X-1.lua", "return { id = 'X-1', title = 't', severity = 'blocker',\n"
                   "  actions = 'all', check = function(ctx)\n    local x = nil\n"
                   "    return x.field\n  end }\n")
        res = run("check", "--snapshot", src("examples", "go.json"), "--rules", self.path("rules"),
                  "--format", "json")
        self.assertExit(res, 3)
        rep = res.json()
        err = [r for r in rep["results"] if r["id"] == "X-1"][0]
        self.assertEqual(err["result"], "error")
        self.assertIn("X-1.lua:4:", err["error"])
        self.assertTrue(any(e["where"] == "X-1" for e in rep["errors"]))

    def test_override_notice_and_no_builtin(self):
        self.write("rules/mine.lua", "return { id = 'SDRS-013', title = 'mine', severity = 'info',\n"
                   "  actions = 'all', check = function(ctx) end }\n")
        res = run("check", "--snapshot", src("examples", "go.json"), "--rules", self.path("rules"))
        self.assertIn("rule SDRS-013 from", res.err)
        self.assertIn("replaces the one from 'built-in'", res.err)
        res = run("check", "--snapshot", src("examples", "go.json"), "--no-builtin-rules")
        self.assertExit(res, 3)
        self.assertIn("no rule applies", res.out)


class RulesCommands(TempDirTest):
    def test_newcomer_hints(self):
        # cases of a custom rule run without its directory: the notice says what to add
        res = run("rules", "test", src("examples", "custom-rules", "tests"))
        self.assertExit(res, 1)
        self.assertIn("expect rule ACME-001, which is not loaded: give the directory of your rules "
                      "with --rules DIR", res.err)
        res = run("rules", "show", "ACME-001")
        self.assertExit(res, 2)
        self.assertIn("a rule of your own needs --rules DIR", res.err)
        res = run("rules", "show")
        self.assertExit(res, 2)
        self.assertIn("rules show needs exactly one argument: the rule ID", res.err)
        self.assertIn("usage: sdrs-preflight rules", res.err)

    def test_list_show_test(self):
        res = run("rules", "list")
        self.assertExit(res, 0)
        self.assertEqual(len(re.findall(r"^SDRS-0\d\d ", res.out, re.M)), len(BUILTIN_IDS))
        # columns stay aligned with long action lists and a custom rule's path as its source
        res = run("rules", "list", "--rules", src("examples", "custom-rules"))
        lines = res.out.splitlines()
        self.assertEqual(len(lines), len(BUILTIN_IDS) + 2)  # the header and ACME-001
        starts = {line.index(t) for line, t in zip(lines, ["TITLE"] + [
            r["title"] for r in run("rules", "list", "--rules", src("examples", "custom-rules"),
                                    "--format", "json").json()])}
        self.assertEqual(len(starts), 1, res.out)
        js = run("rules", "list", "--format", "json").json()
        self.assertEqual([r["id"] for r in js], BUILTIN_IDS)
        res = run("rules", "show", "SDRS-012")
        self.assertExit(res, 0)
        for word in ("Rationale", "Remediation", "severity", "docs", "reads"):
            self.assertIn(word, res.out)
        # a failing case: exit 1 and a line that says why
        self.write("cases/base.json", read(src("tests", "fixtures", "minimal.json")))
        self.write("cases/wrong.json", json.dumps({
            "description": "expects the wrong thing", "snapshot": "base.json",
            "expect": {"SDRS-001": "fail"}}))
        self.write("cases/right.json", json.dumps({
            "description": "expects the right thing", "snapshot": "base.json",
            "expect": {"SDRS-001": "pass"}, "expect_verdict": "GO"}))
        res = run("rules", "test", self.path("cases"))
        self.assertExit(res, 1)
        self.assertIn("FAIL", res.out)
        self.assertIn("SDRS-001: expected fail, got pass", res.out)
        self.assertIn("2 cases, 1 passed, 1 failed", res.out)


if __name__ == "__main__":
    unittest.main()


class Waivers(TempDirTest):
    GROUP = "3c8f1a2e-6b4d-4f9a-9e21-7d5c0b8a4f13"

    def waivers(self, *items):
        return self.write("waivers.json", json.dumps({"waivers": list(items)}))

    @staticmethod
    def waiver(rule, group="*", expires="2099-12-31", **extra):
        w = {"rule": rule, "group": group, "reason": "accepted in CHG-9", "approved_by": "dr lead",
             "expires": expires}
        w.update(extra)
        return w

    def test_valid_expired_unused_and_wildcard(self):
        snap = src("examples", "nogo-fault-level-5.json")
        path = self.waivers(self.waiver("SDRS-004", self.GROUP, ticket="CHG-9"),
                            self.waiver("SDRS-012"), self.waiver("SDRS-010", "some-other-group"))
        res = run("check", "--snapshot", snap, "--waivers", path, "--format", "json")
        self.assertExit(res, 0)
        rep = res.json()
        by_id = {r["id"]: r for r in rep["results"]}
        self.assertEqual(by_id["SDRS-004"]["result"], "waived")
        self.assertIn("accepted in CHG-9", by_id["SDRS-004"]["waiver"]["reason"])
        self.assertTrue(by_id["SDRS-004"]["findings"], "a waived result keeps its evidence")
        self.assertEqual([w["state"] for w in rep["waivers"]], ["applied", "applied", "unused"])
        import hashlib
        with open(path, "rb") as f:
            self.assertEqual(rep["inputs"]["waivers_sha256"], hashlib.sha256(f.read()).hexdigest())
        text = run("check", "--snapshot", snap, "--waivers", path).out
        self.assertIn("[WAIVED]  SDRS-004", text)
        self.assertIn("[unused]  SDRS-010", text)
        # the same waiver, expired: the failure is back and the expiry itself blocks
        path = self.waivers(self.waiver("SDRS-004", self.GROUP, expires="2020-01-31"))
        res = run("check", "--snapshot", snap, "--waivers", path)
        self.assertExit(res, 1)
        self.assertIn("1 blocking finding, 1 expired waiver", res.out)
        self.assertIn("[EXPIRED] SDRS-004", res.out)
        res = run("check", "--snapshot", src("examples", "go.json"), "--waivers", path)
        self.assertExit(res, 1)
        self.assertIn("NO-GO", res.out)

    def test_malformed_waivers_exit_2(self):
        for text, needle in (("{", "not JSON"),
                             ('{"waivers": [{"rule": "SDRS-004", "group": "*"}]}', "reason is required"),
                             ('{"waivers": [{"rule": "SDRS-004", "group": "*", "reason": "r", '
                              '"approved_by": "a", "expires": "soon"}]}', "not a date")):
            path = self.write("bad.json", text)
            res = run("check", "--snapshot", src("examples", "go.json"), "--waivers", path)
            self.assertExit(res, 2)
            self.assertIn(needle, res.err)


class SeveralReports(TempDirTest):
    def test_one_evaluation_several_formats(self):
        j, t = self.path("r.json"), self.path("r.txt")
        res = run("check", "--snapshot", src("examples", "go.json"), "--report", "json=" + j,
                  "--report", "text=" + t)
        self.assertExit(res, 0)
        self.assertEqual(read(t), res.out)
        self.assertEqual(json.loads(read(j))["verdict"], "GO")
        self.assertEqual(read(j), run("check", "--snapshot", src("examples", "go.json"),
                                      "--format", "json").out)
        for bad, needle in (("xml=x", "unknown format 'xml'"), ("json", "FORMAT=FILE"),
                            ("=x", "FORMAT=FILE")):
            res = run("check", "--snapshot", src("examples", "go.json"), "--report", bad)
            self.assertExit(res, 2)
            self.assertIn(needle, res.err)
        snap = self.write("s.json", read(src("examples", "go.json")))
        res = run("check", "--snapshot", snap, "--report", "json=" + snap)
        self.assertExit(res, 2)
        self.assertEqual(read(snap), read(src("examples", "go.json")))
