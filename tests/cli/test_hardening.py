"""Limits, each at its edge, and type confusion in the data: a clear error, never a crash, never GO."""
import hashlib
import json
import os
import re
import subprocess
import time
import unittest

from clitest import (BINARY, AKSK_ENV, PASSWORD_ENV, SIM_AK, SIM_GROUP, SIM_SK, SIM_TOKEN, SIM_USER,
                     TOKEN_ENV, Result, Sim, TempDirTest, basic_scenario, creds, run, src)


def read(path):
    with open(path) as f:
        return f.read()


def minimal():
    return json.loads(read(src("tests", "fixtures", "minimal.json")))


def nested(depth):
    """A JSON value that takes `depth` levels of nesting, counting itself."""
    v = 1
    for _ in range(depth - 1):
        v = [v]
    return v


class Limits(TempDirTest):
    def snap(self, doc, name="s.json"):
        return self.write(name, json.dumps(doc))

    def rule(self, body, name="X-1"):
        d = os.path.join(self.tmp, "rules-" + name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + ".lua"), "w") as f:
            f.write("return { id = '%s', title = 't', severity = 'blocker', actions = 'all',\n"
                    "  check = function(ctx)\n%s\n  end }\n" % (name, body))
        return d

    def test_json_nesting_depth(self):
        doc = minimal()
        # the snapshot object is level 1, server_group 2, the extra field's value 3 and deeper
        doc["server_group"]["extra"] = nested(30)
        path = self.snap(doc)
        self.assertExit(run("check", "--snapshot", path, "--max-depth", "32", "-q"), 0)
        res = run("check", "--snapshot", path, "--max-depth", "31")
        self.assertExit(res, 2)
        self.assertIn("nesting too deep", res.err)
        res = run("check", "--snapshot", path, "--max-depth", "7")
        self.assertExit(res, 2)

    def test_number_of_instances_and_servers(self):
        path = src("examples", "go.json")  # 3 instances, 3 pairs, 6 servers
        self.assertExit(run("check", "--snapshot", path, "--max-items", "6", "-q"), 0)
        res = run("check", "--snapshot", path, "--max-items", "5", "--format", "json")
        self.assertExit(res, 3)
        self.assertIn("6 servers exceed the limit of 5", json.dumps(res.json()["errors"]))
        res = run("check", "--snapshot", path, "--max-items", "2", "--format", "json")
        self.assertExit(res, 3)
        self.assertIn("3 entries exceed the limit of 2", json.dumps(res.json()["errors"]))

    def test_findings_count_and_length(self):
        d = self.rule("for i = 1, 5 do ctx:note('n' .. i) end")
        args = ["check", "--snapshot", src("examples", "go.json"), "--rules", d, "--format", "json"]
        rep = run(*args, "--max-findings", "5").json()
        self.assertEqual([r for r in rep["results"] if r["id"] == "X-1"][0]["result"], "info")
        res = run(*args, "--max-findings", "4")
        self.assertExit(res, 3)
        self.assertIn("more than 4 findings", res.out)
        d = self.rule("ctx:fail(string.rep('m', 100))", "X-2")
        args = ["check", "--snapshot", src("examples", "go.json"), "--rules", d, "--format", "json",
                "--no-builtin-rules"]
        self.assertExit(run(*args, "--max-message", "100"), 1)
        res = run(*args, "--max-message", "99")
        self.assertExit(res, 3)
        self.assertIn("100 bytes long (limit 99)", res.out)

    def test_rule_instructions_and_memory(self):
        d = self.rule("local n = 0\nfor i = 1, 200000 do n = n + i end")
        args = ["check", "--snapshot", src("examples", "go.json"), "--rules", d]
        self.assertExit(run(*args, "--rule-instructions", "2000000", "-q"), 0)
        res = run(*args, "--rule-instructions", "100000")
        self.assertExit(res, 3)
        self.assertIn("instruction budget of 100000 instructions exhausted at", res.out)
        self.assertIn("X-1.lua:4", res.out)
        d = self.rule("local s = string.rep('x', 3 * 1024 * 1024)\nctx:note(tostring(#s))", "X-3")
        args = ["check", "--snapshot", src("examples", "go.json"), "--rules", d]
        self.assertExit(run(*args, "--rule-memory", "16", "-q"), 0)
        res = run(*args, "--rule-memory", "2")
        self.assertExit(res, 3)
        self.assertIn("memory limit of 2 MiB reached", res.out)

    def test_rule_time_and_library_bounds(self):
        """Every hostile rule ends as an error naming its limit, and the run ends well within it."""
        import time
        cases = [
            ("while true do end", "time limit of 0.5 s exceeded", ["--rule-timeout", "0.5",
                                                                    "--rule-instructions",
                                                                    "1000000000000"]),
            ("coroutine.resume(coroutine.create(function() while true do end end))\n"
             "while true do pcall(function() while true do end end) end",
             "instruction budget", []),
            ("local _ = string.rep('', math.maxinteger)", "string.rep refused", []),
            ("table.move({}, 1, math.maxinteger // 2, 1)", "table.move refused", []),
            ("local _ = ('a'):rep(5000):find(('a*'):rep(15) .. 'b')", "string.find refused", []),
            ("local h = ('a'):rep(20000000)\nlocal _ = h:find(('a'):rep(9999999) .. 'b', 1, true)",
             "string.find refused", []),
        ]
        for i, (body, needle, extra) in enumerate(cases):
            with self.subTest(rule=body.splitlines()[-1]):
                d = self.rule(body, "X-T%d" % i)
                start = time.monotonic()
                res = run("check", "--snapshot", src("examples", "go.json"), "--rules", d,
                          "--format", "json", *extra)
                self.assertLess(time.monotonic() - start, 30)
                self.assertExit(res, 3)
                err = [r for r in res.json()["results"] if r["id"] == "X-T%d" % i][0]
                self.assertEqual(err["result"], "error")
                self.assertIn(needle, err["error"])
                self.assertIn("X-T%d.lua" % i, err["error"])

    def test_response_body_size(self):
        sim = Sim(self.tmp, basic_scenario())
        try:
            # an answer of exactly 1 MiB passes a 1 MiB cap; one byte more does not
            for size, code in ((1024 * 1024, 3), (1024 * 1024 + 1, 3)):
                sim.faults({"match": {"path": "/disaster-recovery-drills$"}, "kind": "huge",
                            "bytes": size})
                res = run("check", SIM_GROUP, *sim.endpoint_args(), "--max-body", "1",
                          env=creds(TOKEN_ENV))
                self.assertExit(res, code)
                if size > 1024 * 1024:
                    self.assertIn("exceeds the limit of 1048576 bytes", res.out)
                else:
                    # received whole: it is the content (no drills list) that is wrong, not the size
                    self.assertNotIn("exceeds the limit", res.out)
                    self.assertIn("no \\\"disaster_recovery_drills\\\" array", json.dumps(res.out))
        finally:
            sim.stop()


class TypeConfusion(TempDirTest):
    """Required fields of the wrong type or null never give GO, offline or live."""

    CASES = [
        ("group status null", lambda d: d["server_group"].__setitem__("status", None)),
        ("group status a number", lambda d: d["server_group"].__setitem__("status", 5)),
        ("group status an object", lambda d: d["server_group"].__setitem__("status", {"v": "protected"})),
        ("source server null", lambda d: d["protected_instances"][0].__setitem__("source_server", None)),
        ("target server a list", lambda d: d["protected_instances"][0].__setitem__("target_server", ["x"])),
        ("server record a string", lambda d: d["servers"].__setitem__(
            "aaaaaaaa-0000-0000-0000-000000000001", "gone")),
        ("server without status", lambda d: d["servers"]["aaaaaaaa-0000-0000-0000-000000000001"]
         ["server"].pop("status")),
        ("fault_level not a number", lambda d: d["replications"][0].__setitem__("fault_level", "high")),
        ("replication_num a string", lambda d: d["server_group"].__setitem__("replication_num", "one")),
        ("instances an element that is not an object", lambda d: d["protected_instances"].append(7)),
        ("priority_station missing", lambda d: d["server_group"].pop("priority_station")),
    ]

    def test_offline(self):
        self.assertExit(run("check", "--snapshot", src("tests", "fixtures", "minimal.json"), "-q"), 0)
        for name, change in self.CASES:
            with self.subTest(case=name):
                doc = minimal()
                change(doc)
                path = self.write("case.json", json.dumps(doc))
                res = run("check", "--snapshot", path, "--format", "json")
                self.assertEqual(res.code, 3, res)
                self.assertEqual(res.json()["verdict"], "INDETERMINATE")

    def test_live(self):
        """The same bodies served by the simulator: the client fails closed too."""
        sim = Sim(self.tmp, basic_scenario())
        try:
            state = sim.control("state")
            pi = state["protected_instances"][0]
            for name, mutation in (
                    ("group status null", {"server_groups": {SIM_GROUP: {"status": None}}}),
                    ("group status a number", {"server_groups": {SIM_GROUP: {"status": 5}}}),
                    ("source server null", {"protected_instances": {pi["id"]: {"source_server": None}}}),
                    ("fault_level not a number", {"replications": {
                        state["replications"][0]["id"]: {"fault_level": "high"}}})):
                with self.subTest(case=name):
                    sim.control("reset", {})
                    sim.control("mutate", mutation)
                    res = run("check", SIM_GROUP, *sim.endpoint_args(), "--format", "json",
                              env=creds(TOKEN_ENV))
                    self.assertEqual(res.code, 3, res)
                    self.assertEqual(res.json()["verdict"], "INDETERMINATE")
        finally:
            sim.stop()




class Credentials(TempDirTest):
    """A credential with a control character is refused before anything is sent, naming the
    variable and never the value; clear-text endpoints that would receive credentials are loud."""

    def test_control_characters_are_refused(self):
        sim = Sim(self.tmp, basic_scenario())
        try:
            for name, env in (
                    ("OS_AUTH_TOKEN", {"OS_AUTH_TOKEN": SIM_TOKEN + "\r\nX-Injected: yes"}),
                    ("OS_SECRET_KEY", {"OS_ACCESS_KEY": SIM_AK, "OS_SECRET_KEY": SIM_SK + "\x1b[2J"}),
                    ("OS_PASSWORD", dict(PASSWORD_ENV, OS_PASSWORD=SIM_USER[1] + "\n"))):
                with self.subTest(variable=name):
                    before = len(sim.requests())
                    res = run("check", SIM_GROUP, *sim.endpoint_args(), "--iam-endpoint", sim.url,
                              env=creds(env))
                    self.assertEqual(res.code, 2, res)
                    self.assertIn(name + " contains a control character", res.err)
                    self.assertNotIn(SIM_TOKEN, res.err + res.out)
                    self.assertNotIn(SIM_SK, res.err + res.out)
                    self.assertNotIn(SIM_USER[1], res.err + res.out)
                    self.assertEqual(len(sim.requests()), before, "nothing is sent")
        finally:
            sim.stop()

    def test_cleartext_endpoint_is_loud(self):
        """192.0.2.1 (TEST-NET-1) is not loopback; nothing answers there, so the run fails after
        the warning."""
        far = "http://192.0.2.1:9"
        for env, which in ((TOKEN_ENV, "SDRS endpoint " + far), (AKSK_ENV, "ECS endpoint " + far),
                           (PASSWORD_ENV, "IAM endpoint " + far)):
            with self.subTest(which=which):
                res = run("check", "sg-1", "--endpoint", far, "--ecs-endpoint", far,
                          "--iam-endpoint", far, "--project-id", "p1", "--timeout", "0.5",
                          "--retries", "0", env=creds(env))
                self.assertEqual(res.code, 3, res)
                self.assertIn("WARNING: the " + which + " is plain http://", res.err)
                self.assertIn("clear text", res.err)

    def test_loopback_is_quiet(self):
        sim = Sim(self.tmp, basic_scenario())
        try:
            res = run("check", SIM_GROUP, *sim.endpoint_args(), env=creds(TOKEN_ENV))
            self.assertEqual(res.code, 0, res)
            self.assertNotIn("clear text", res.err)
        finally:
            sim.stop()


class InputsFromPipes(TempDirTest):
    """--snapshot - reads standard input; every input FILE may be a pipe (<(command)), the way a
    shell passes it: /dev/fd/N, read once to its end."""

    def sh(self, script, env=None, stdin=None):
        """Runs script in bash with $B the binary; returns a Result."""
        e = dict(os.environ)
        e.pop("NO_COLOR", None)
        e.update({"B": BINARY, "EX": src("examples"), "SOURCE_DATE_EPOCH": "1795608000"})
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return Result(subprocess.run(["bash", "-c", script], env=e, capture_output=True,
                                     text=True, input=stdin, timeout=60))

    def test_snapshot_from_stdin_and_every_offline_input_from_a_pipe(self):
        files = run("check", "--snapshot", src("examples", "go.json"), "--facts",
                    src("examples", "facts.json"), "--waivers", src("examples", "waivers.json"),
                    "--rules", src("examples", "custom-rules", "ACME-001-owner-tag.lua"),
                    "--format", "json")
        self.assertEqual(files.code, 0, files)
        piped = self.sh('cat "$EX/go.json" | "$B" check --snapshot - --facts <(cat "$EX/facts.json")'
                        ' --waivers <(cat "$EX/waivers.json")'
                        ' --rules <(cat "$EX/custom-rules/ACME-001-owner-tag.lua") --format json')
        self.assertEqual(piped.code, 0, piped)
        a, b = files.json(), piped.json()
        self.assertEqual([r["id"] for r in a["results"]], [r["id"] for r in b["results"]])
        self.assertIn("ACME-001", [r["id"] for r in b["results"]])
        self.assertEqual(a["verdict"], b["verdict"])
        self.assertEqual(a["inputs"], b["inputs"])

    def test_bad_json_on_stdin_names_standard_input(self):
        res = run("check", "--snapshot", "-", stdin="{not json")
        self.assertEqual(res.code, 2, res)
        self.assertIn("snapshot '<stdin>': not JSON", res.err)

    def test_live_inputs_from_pipes(self):
        """fetch | check --snapshot -, a token and a CA bundle from pipes, over TLS."""
        sim = Sim(self.tmp, basic_scenario(), tls=True)
        try:
            args = " ".join(sim.endpoint_args())
            res = self.sh('"$B" fetch %s %s --cacert <(cat %s) --token-file <(printf %%s "$TOK") '
                          '| "$B" check --snapshot - --format json'
                          % (SIM_GROUP, args, sim.cert),
                          env=dict(creds({}), TOK=SIM_TOKEN))
            self.assertEqual(res.code, 0, res)
            self.assertEqual(json.loads(res.out)["verdict"], "GO")
            self.assertNotIn(SIM_TOKEN, res.out + res.err)
            res = run("check", SIM_GROUP, *sim.endpoint_args(), "--cacert", self.write("x.pem", "junk"),
                      env=creds(TOKEN_ENV))
            self.assertEqual(res.code, 2, res)
            self.assertIn("holds no PEM certificate", res.err)
        finally:
            sim.stop()

    def test_audit_log_verified_from_a_pipe(self):
        log = self.path("audit.jsonl")
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", log, "-q")
        self.assertEqual(res.code, 0, res)
        res = self.sh('"$B" verify-log <(cat "%s")' % log)
        self.assertEqual(res.code, 0, res)
        self.assertIn("1 line, chain intact", res.out)

    def test_dash_misuse_is_a_usage_error(self):
        for args, say in (
                (["check", "--snapshot", "-", "--facts", "-"], "both read standard input"),
                (["check", "--snapshot", "-", "--report", "json=-"], "needs a FILE, not '-'"),
                (["check", "--snapshot", "-", "--audit-log", "-"], "--audit-log needs a FILE"),
                (["check", "sg-1", "--save-snapshot", "-"], "--save-snapshot needs a FILE"),
                (["failover", "sg-1", "--execute", "--token-file", "-"],
                 "where the confirmation is typed")):
            with self.subTest(args=args):
                res = run(*args, stdin="")
                self.assertEqual(res.code, 2, res)
                self.assertIn(say, res.err)


def rechain(lines):
    """What someone who can write the log (but has no key) does after an edit: renumber seq and
    recompute every prev_sha256, leaving the rest of each line as it is."""
    out, prev = [], "0" * 64
    for i, line in enumerate(lines, 1):
        line = re.sub(r'^\{"seq":[^,]*,"prev_sha256":"[0-9a-f]*"',
                      '{"seq":%d,"prev_sha256":"%s"' % (i, prev), line)
        out.append(line)
        prev = hashlib.sha256(line.encode()).hexdigest()
    return out


class KeyedAuditLog(TempDirTest):
    """--audit-key-file: an HMAC-SHA256 chain that cannot be re-chained without the key."""

    KEY = "k3y-0f-the-audit-team-2f9d81c4e6a7"

    def setUp(self):
        super().setUp()
        self.key = self.write("audit.key", self.KEY + "\n")
        os.chmod(self.key, 0o600)
        self.log = self.path("audit.jsonl")
        for action in ("failover", "planned-failover", "drill", "failover"):
            res = run("check", "--snapshot", src("examples", "go.json"), "--action", action,
                      "--audit-log", self.log, "--audit-key-file", self.key, "-q")
            self.assertIn(res.code, (0, 1), res)
            self.assertNotIn(self.KEY, res.out + res.err)
        with open(self.log) as f:
            self.lines = f.read().splitlines()
        self.assertEqual(len(self.lines), 4)
        self.assertNotIn(self.KEY, "\n".join(self.lines))

    def verify(self, lines=None, key=True):
        path = self.log
        if lines is not None:
            path = self.write("tampered.jsonl", "\n".join(lines) + "\n")
        start = time.monotonic()
        res = run("verify-log", path, *(["--audit-key-file", self.key] if key else []))
        self.assertLess(time.monotonic() - start, 30)
        self.assertNotIn(self.KEY, res.out + res.err)
        return res

    def test_intact_with_and_without_the_key(self):
        res = self.verify()
        self.assertEqual(res.code, 0, res)
        self.assertIn("4 lines, chain intact, every MAC checks with key", res.out)
        key_id = json.loads(self.lines[0])["key_id"]
        self.assertRegex(key_id, "^[0-9a-f]{16}$")
        self.assertTrue(all(l.endswith('"}') and ',"mac":"' in l for l in self.lines))
        res = self.verify(key=False)
        self.assertEqual(res.code, 0, res)
        self.assertIn("NOT checked", res.out)
        self.assertIn(key_id, res.out)

    def test_an_edit_rechained_without_the_key_is_found(self):
        edited = list(self.lines)
        edited[2] = edited[2].replace('"verdict":"GO"', '"verdict":"NO-GO"')
        self.assertNotEqual(edited, self.lines)
        forged = rechain(edited)
        self.assertEqual(self.verify(forged, key=False).code, 0, "the unkeyed chain is fooled")
        res = self.verify(forged)
        self.assertEqual(res.code, 1, res)
        self.assertIn("BROKEN at line 3 of 4: the MAC does not match", res.out)

    def test_deletion_reordering_and_stripping(self):
        for name, lines, at in (
                ("deleted", rechain(self.lines[:1] + self.lines[2:]), 2),
                ("deleted, not re-chained", self.lines[:1] + self.lines[2:], 2),
                ("reordered", rechain([self.lines[0], self.lines[2], self.lines[1],
                                       self.lines[3]]), 2),
                ("first removed", rechain(self.lines[1:]), 1),
                ("MACs stripped", rechain([re.sub(r',"key_id":"[0-9a-f]*","mac":"[0-9a-f]*"\}$',
                                                  "}", l) for l in self.lines]), 1)):
            with self.subTest(attack=name):
                res = self.verify(lines)
                self.assertEqual(res.code, 1, res)
                self.assertIn("BROKEN at line %d" % at, res.out)

    def test_appended_forgeries(self):
        last = json.loads(self.lines[-1])
        prev = hashlib.sha256(self.lines[-1].encode()).hexdigest()
        body = dict(last, seq=5, prev_sha256=prev, verdict="GO")
        del body["mac"]
        fake_mac = json.dumps(body, separators=(",", ":"))[:-1] + ',"mac":"%s"}' % ("0" * 64)
        replayed = json.dumps(body, separators=(",", ":"))[:-1] + ',"mac":"%s"}' % last["mac"]
        unkeyed = json.dumps({k: v for k, v in body.items() if k != "key_id"},
                             separators=(",", ":"))
        for name, line, say in ((fake_mac, fake_mac, "the MAC does not match"),
                                ("replayed MAC", replayed, "the MAC does not match"),
                                ("no MAC", unkeyed, "the line has no MAC")):
            with self.subTest(attack=name):
                res = self.verify(self.lines + [line])
                self.assertEqual(res.code, 1, res)
                self.assertIn("BROKEN at line 5 of 5: " + say, res.out)
        res = self.verify(self.lines + [unkeyed], key=False)
        self.assertEqual(res.code, 1, res)
        self.assertIn("an unkeyed line in a keyed log", res.out)

    def test_another_key(self):
        other = self.write("other.key", "a-different-key-of-32-characters")
        os.chmod(other, 0o600)
        res = run("verify-log", self.log, "--audit-key-file", other)
        self.assertEqual(res.code, 1, res)
        self.assertIn("BROKEN at line 1 of 4: the line was written with another key", res.out)
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", self.log,
                  "--audit-key-file", other)
        self.assertEqual(res.code, 2, res)
        self.assertIn("does not verify with the key", res.err)
        with open(self.log) as f:
            self.assertEqual(len(f.read().splitlines()), 4, "nothing appended")

    def test_keyed_and_unkeyed_do_not_mix(self):
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", self.log)
        self.assertEqual(res.code, 2, res)
        self.assertIn("is keyed: give --audit-key-file", res.err)
        plain = self.path("plain.jsonl")
        self.assertEqual(run("check", "--snapshot", src("examples", "go.json"), "--audit-log",
                             plain).code, 0)
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", plain,
                  "--audit-key-file", self.key)
        self.assertEqual(res.code, 2, res)
        self.assertIn("was begun without a key", res.err)
        res = run("verify-log", plain, "--audit-key-file", self.key)
        self.assertEqual(res.code, 1, res)
        self.assertIn("BROKEN at line 1 of 1: the line has no MAC", res.out)
        res = run("verify-log", plain)
        self.assertEqual(res.code, 0, res)
        self.assertIn("an unkeyed log", res.out)

    def test_key_file_problems(self):
        short = self.write("short.key", "  short \n")
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", self.log,
                  "--audit-key-file", short)
        self.assertEqual(res.code, 2, res)
        self.assertIn("holds 5 bytes of key, fewer than 16", res.err)
        self.assertNotIn("short", res.err.replace("short.key", ""))
        os.chmod(self.key, 0o644)
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", self.log,
                  "--audit-key-file", self.key, "-q")
        self.assertIn(res.code, (0, 1), res)
        self.assertIn("may be read by others", res.err)
        res = run("check", "--snapshot", src("examples", "go.json"), "--audit-key-file", self.key)
        self.assertEqual(res.code, 2, res)
        self.assertIn("give that too", res.err)
        res = self.verify_pipe()
        self.assertEqual(res.code, 0, res)

    def verify_pipe(self):
        """The key from a pipe, the way a secret manager hands it over."""
        return Result(subprocess.run(
            ["bash", "-c", '"$B" verify-log "$LOG" --audit-key-file <(cat "$KEY")'],
            env=dict(os.environ, B=BINARY, LOG=self.log, KEY=self.key), capture_output=True,
            text=True, timeout=60))


class SeqOutOfRange(TempDirTest):
    """A seq at or beyond the int64 edge is reported, not overflowed."""

    def test_append_and_verify(self):
        for seq in ("9223372036854775807", "99999999999999999999", "-1", "0", "1.5", '"1"'):
            with self.subTest(seq=seq):
                log = self.write("edge.jsonl", '{"seq":%s,"prev_sha256":"%s","event":"x"}\n'
                                 % (seq, "0" * 64))
                res = run("check", "--snapshot", src("examples", "go.json"), "--audit-log", log)
                self.assertEqual(res.code, 2, res)
                self.assertRegex(res.err, "out of range|not an audit entry")
                with open(log) as f:
                    self.assertEqual(len(f.read().splitlines()), 1, "nothing appended")
                res = run("verify-log", log)
                self.assertEqual(res.code, 1, res)
                self.assertIn("BROKEN at line 1 of 1: seq is %s, expected 1"
                              % ("out of range (beyond 9223372036854775807)" if len(seq) > 19
                                 else seq), res.out)


class OutputsOverInputs(TempDirTest):
    """No output replaces a file the run reads, and no special file is replaced by a regular one."""

    def go(self, *extra):
        return run("check", "--snapshot", src("examples", "go.json"), *extra)

    def unchanged(self, path, before):
        with open(path, "rb") as f:
            self.assertEqual(f.read(), before, "%s was changed" % path)

    def test_rule_files_and_snapshot_dir_members(self):
        rules = os.path.join(self.tmp, "rules")
        os.makedirs(rules)
        rule = os.path.join(rules, "X-1.lua")
        body = b"return { id = 'X-1', title = 't', severity = 'info', actions = 'all',\n" \
               b"  check = function(ctx) end }\n"
        with open(rule, "wb") as f:
            f.write(body)
        res = self.go("--rules", rules, "-o", rule)
        self.assertExit(res, 2)
        self.assertIn("refusing to write the report over the input file", res.err)
        self.unchanged(rule, body)
        res = self.go("--rules", rules, "--report", "json=" + rule)
        self.assertExit(res, 2)
        self.unchanged(rule, body)
        snaps = os.path.join(self.tmp, "snaps")
        os.makedirs(snaps)
        member = os.path.join(snaps, "a.json")
        with open(src("examples", "go.json"), "rb") as f:
            data = f.read()
        with open(member, "wb") as f:
            f.write(data)
        res = run("check", "--snapshot-dir", snaps, "-o", member)
        self.assertExit(res, 2)
        self.unchanged(member, data)

    def test_cacert_and_token_file(self):
        sim = Sim(self.tmp, basic_scenario())
        try:
            ca = self.write("ca.pem", "-----BEGIN CERTIFICATE-----\nnot used over http\n")
            token = self.write("token", "basic-token-0123456789abcdef\n")
            args = ["check", SIM_GROUP, *sim.endpoint_args(), "--cacert", ca, "--token-file", token]
            res = run(*args, "-o", ca, env=creds({}))
            self.assertExit(res, 2)
            self.assertIn("refusing to write the report over the input file", res.err)
            self.unchanged(ca, b"-----BEGIN CERTIFICATE-----\nnot used over http\n")
            res = run(*args, "--report", "markdown=" + token, env=creds({}))
            self.assertExit(res, 2)
            self.unchanged(token, b"basic-token-0123456789abcdef\n")
        finally:
            sim.stop()

    def test_special_files_are_written_in_place(self):
        import stat
        import threading
        res = self.go("-o", "/dev/null")
        self.assertExit(res, 0)
        self.assertTrue(stat.S_ISCHR(os.stat("/dev/null").st_mode), "/dev/null was replaced")
        fifo = os.path.join(self.tmp, "fifo")
        os.mkfifo(fifo)
        got = []

        def read_fifo():
            with open(fifo, "rb") as f:
                got.append(f.read())

        reader = threading.Thread(target=read_fifo)
        reader.start()
        res = self.go("--format", "json", "-o", fifo)
        reader.join(30)
        self.assertExit(res, 0)
        self.assertTrue(stat.S_ISFIFO(os.stat(fifo).st_mode))
        self.assertEqual(json.loads(got[0])["verdict"], "GO")
        res = self.go("--format", "json", "-o", "/dev/stdout")
        self.assertExit(res, 0)
        self.assertEqual(res.json()["verdict"], "GO")
        self.assertTrue(os.path.islink("/dev/stdout"), "/dev/stdout was replaced")
        # through a symlink to a regular file: the file is replaced, the link stays
        target = self.write("real.txt", "old")
        link = os.path.join(self.tmp, "link.txt")
        os.symlink(target, link)
        self.assertExit(self.go("-o", link), 0)
        self.assertTrue(os.path.islink(link))
        with open(target) as f:
            self.assertTrue(f.read().startswith("GO"))

    def test_a_directory_is_refused(self):
        res = self.go("-o", self.tmp)
        self.assertExit(res, 2)
        self.assertIn("it is a directory", res.err)


if __name__ == "__main__":
    unittest.main()
