"""The gated failover against the simulator, asserting its request log: what is sent, and what is not."""
import json
import os
import pty
import select
import subprocess
import time
import unittest

from clitest import (BINARY, SIM_GROUP, SIM_PROJECT, TOKEN_ENV, Sim, TempDirTest, basic_scenario,
                     creds, run, src)

FAST = ["--poll-interval", "0.1"]


def posts(sim):
    return [r for r in sim.requests() if r["method"] == "POST"]


class FailoverTest(TempDirTest):
    jobs = {"steps": 2, "step_seconds": 0.2, "outcome": "SUCCESS"}

    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario(jobs=self.jobs))

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def failover(self, *args, env=None):
        return run("failover", SIM_GROUP, *self.sim.endpoint_args(), *FAST, *args,
                   env=creds(env or TOKEN_ENV))

    def group(self):
        state = self.sim.control("state")
        return [g for g in state["server_groups"] if g["id"] == SIM_GROUP][0]

    def stop_servers(self, which):
        """Stops the production ("source_server") or DR ("target_server") servers."""
        state = self.sim.control("state")
        ids = [pi[which] for pi in state["protected_instances"]]
        self.sim.control("mutate", {"servers": {i: {"status": "SHUTOFF", "OS-EXT-STS:power_state": 4}
                                                for i in ids}})


class Execute(FailoverTest):
    def test_go_execute_sends_one_post_and_follows_the_job(self):
        res = self.failover("--execute", "--yes")
        self.assertExit(res, 0)
        self.assertTrue(res.out.startswith("GO"), res)
        sent = posts(self.sim)
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0]["path"], "/v1/%s/server-groups/%s/action" % (SIM_PROJECT, SIM_GROUP))
        self.assertEqual(json.loads(sent[0]["body"]), {"failover-server-group": {}})
        self.assertGreater(len([r for r in self.sim.requests() if "/jobs/" in r["path"]]), 0)
        self.assertIn("failover finished: the group is now failed-over, production at target", res.err)
        g = self.group()
        self.assertEqual((g["status"], g["priority_station"]), ("failed-over", "target"))

    def test_planned_failover_sends_the_opposite_side(self):
        self.stop_servers("source_server")
        res = self.failover("--execute", "--yes", "--action", "planned-failover")
        self.assertExit(res, 0)
        sent = posts(self.sim)
        self.assertEqual(len(sent), 1)
        self.assertEqual(json.loads(sent[0]["body"]), {"reverse-server-group": {"priority_station": "target"}})
        g = self.group()
        self.assertEqual((g["status"], g["priority_station"]), ("protected", "target"))

    def test_disable_protection(self):
        res = self.failover("--execute", "--yes", "--action", "disable-protection")
        self.assertExit(res, 0)
        self.assertEqual(json.loads(posts(self.sim)[0]["body"]), {"stop-server-group": {}})
        self.assertEqual(self.group()["status"], "available")

    def test_dry_run_sends_nothing(self):
        res = self.failover()
        self.assertExit(res, 0)
        self.assertIn("dry run: no request was sent", res.err)
        self.assertEqual(posts(self.sim), [])
        self.assertTrue(all(r["method"] == "GET" for r in self.sim.requests()))

    def test_no_go_sends_nothing(self):
        self.sim.control("mutate", {"server_groups": {SIM_GROUP: {"status": "available"}}})
        res = self.failover("--execute", "--yes")
        self.assertExit(res, 1)
        self.assertIn("refusing to run the failover: the verdict is NO-GO", res.err)
        self.assertEqual(posts(self.sim), [])

    def test_indeterminate_sends_nothing(self):
        self.sim.faults({"match": {"path": "/replications"}, "kind": "status", "status": 500})
        res = self.failover("--execute", "--yes")
        self.assertExit(res, 3)
        self.assertIn("the verdict is INDETERMINATE", res.err)
        self.assertEqual(posts(self.sim), [])

    def test_refused_by_sdrs(self):
        # the group passes the preflight, but SDRS answers the POST with an error
        self.sim.faults({"match": {"method": "POST", "path": "/action$"}, "kind": "status",
                         "status": 400, "body": '{"error": {"code": "SDRS.1002", "message": '
                         '"Operation not allowed for the protection group in the current state"}}'})
        res = self.failover("--execute", "--yes")
        self.assertExit(res, 4)
        self.assertIn("SDRS refused failover (HTTP 400, SDRS.1002", res.err)
        self.assertIn("the group shows protected, production at source", res.err)
        self.assertNotIn("nothing was started", res.err)
        self.assertEqual(len(posts(self.sim)), 1)


class JobFails(FailoverTest):
    jobs = {"steps": 2, "step_seconds": 0.2, "outcome": "FAIL", "fail_subjob": True,
            "error_code": "SDRS.1030", "fail_reason": "Failed to perform the failover"}

    def test_job_failure_is_exit_4_with_the_reason(self):
        res = self.failover("--execute", "--yes")
        self.assertExit(res, 4)
        self.assertIn("failover failed: SDRS.1030: Failed to perform the failover", res.err)
        self.assertIn("failed sub-job", res.err)
        self.assertIn("the group is now error-failing-over", res.err)
        self.assertEqual(len(posts(self.sim)), 1)


class JobStatusNotDocumented(FailoverTest):
    """A job status the documentation does not list is neither success nor failure."""

    def test_undocumented_job_status_is_not_success(self):
        for status in ("SUCCESSFUL", "success", ""):
            with self.subTest(status=status):
                self.sim.control("reset", {})
                self.sim.faults({"match": {"path": "/jobs/"}, "kind": "body",
                                 "body": json.dumps({"status": status, "job_id": "x"})})
                res = self.failover("--execute", "--yes")
                self.assertExit(res, 4)
                self.assertIn('reports status "%s", which the documentation does not list' % status,
                              res.err)
                self.assertNotIn("failover finished", res.err)
                self.assertEqual(len(posts(self.sim)), 1)


class JobTimeout(FailoverTest):
    jobs = {"steps": 2, "step_seconds": 30, "outcome": "SUCCESS"}

    def test_job_timeout_is_exit_4_and_says_how_to_look(self):
        start = time.monotonic()
        res = self.failover("--execute", "--yes", "--job-timeout", "1")
        self.assertLess(time.monotonic() - start, 20)
        self.assertExit(res, 4)
        self.assertIn("did not finish within the job timeout; it may still be running", res.err)
        self.assertIn("/jobs/", res.err)


class UnknownOutcome(FailoverTest):
    def test_a_post_without_answer_is_resolved_by_reading_the_group(self):
        # SDRS processes the POST, but the answer never comes back
        self.sim.faults({"match": {"method": "POST", "path": "/action$"}, "kind": "hang",
                         "seconds": 5, "process": True})
        res = self.failover("--execute", "--yes", "--timeout", "1")
        self.assertEqual(len(posts(self.sim)), 1, "the POST must never be sent twice")
        self.assertExit(res, 0)
        self.assertIn("failover finished", res.err)
        self.assertEqual(self.group()["status"], "failed-over")

    def test_a_post_that_did_not_take_effect(self):
        self.sim.faults({"match": {"method": "POST", "path": "/action$"}, "kind": "reset"})
        res = self.failover("--execute", "--yes", "--timeout", "1", "--accept-window", "2")
        self.assertEqual(len(posts(self.sim)), 1)
        self.assertExit(res, 4)
        self.assertIn("failover was not seen to start within 2 s", res.err)
        self.assertIn("the group still shows protected", res.err)
        self.assertNotIn("nothing", res.err.split("calling failover")[1])
        self.assertEqual(self.group()["status"], "protected")


class Confirmation(FailoverTest):
    def pty_failover(self, answer, before_answer=None):
        """Runs failover --execute on a terminal; answers the prompt after before_answer()."""
        env = dict(os.environ, SOURCE_DATE_EPOCH="1795608000", **creds(TOKEN_ENV))
        env = {k: v for k, v in env.items() if v is not None}
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(BINARY, ["sdrs-preflight", "failover", SIM_GROUP, *self.sim.endpoint_args(),
                               *FAST, "--execute", "--no-color"], env)
        out = b""
        deadline = time.time() + 30
        answered = False
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
                if before_answer:
                    before_answer()
                os.write(fd, answer.encode() + b"\n")
                answered = True
        _, status = os.waitpid(pid, 0)
        return os.waitstatus_to_exitcode(status), out.decode(errors="replace")

    def test_typed_name_confirms(self):
        code, out = self.pty_failover("pg-prod-erp")
        self.assertEqual(code, 0, out)
        self.assertEqual(len(posts(self.sim)), 1)

    def test_wrong_name_sends_nothing(self):
        code, out = self.pty_failover("pg-something-else")
        self.assertEqual(code, 1, out)
        self.assertIn("not confirmed; nothing was sent", out)
        self.assertEqual(posts(self.sim), [])

    def test_a_change_between_report_and_execute_stops_the_call(self):
        def change():
            # while the operator reads the report, a server of the group is deleted in ECS
            state = self.sim.control("state")
            victim = state["protected_instances"][0]["target_server"]
            self.sim.control("mutate", {"servers": {victim: None}})
        code, out = self.pty_failover("pg-prod-erp", before_answer=change)
        self.assertEqual(code, 1, out)
        self.assertIn("the group changed since the report (SDRS-003 pass -> fail)", out)
        self.assertIn("Nothing was sent", out)
        self.assertEqual(posts(self.sim), [])


class ApprovedReport(FailoverTest):
    def test_approval_binds_the_call(self):
        approved = self.path("approved.json")
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--format", "json", "-o", approved,
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        other = self.path("other-action.json")
        rep = json.loads(open(approved).read())
        rep["action"] = "planned-failover"
        with open(other, "w") as f:
            json.dump(rep, f)
        res = self.failover("--execute", "--yes", "--approved-report", other)
        self.assertExit(res, 1)
        self.assertIn("it approves planned-failover, not failover", res.err)
        self.assertEqual(posts(self.sim), [])
        nogo = self.path("nogo.json")
        rep = json.loads(open(approved).read())
        rep["verdict"] = "NO-GO"
        with open(nogo, "w") as f:
            json.dump(rep, f)
        res = self.failover("--execute", "--yes", "--approved-report", nogo)
        self.assertExit(res, 1)
        self.assertIn("its verdict is NO-GO, not GO", res.err)
        res = self.failover("--execute", "--yes", "--approved-report", approved)
        self.assertExit(res, 0)
        self.assertEqual(len(posts(self.sim)), 1)


class AuditLog(FailoverTest):
    def verify(self, path):
        return run("verify-log", path)

    def test_chain_and_tampering(self):
        log = self.path("audit.log")
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--audit-log", log,
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        res = self.failover("--execute", "--yes", "--audit-log", log)
        self.assertExit(res, 0)
        lines = open(log).read().splitlines()
        events = [json.loads(l)["event"] + "/" + json.loads(l).get("phase", "") for l in lines]
        self.assertEqual(events, ["decision/check", "decision/preflight", "decision/re-check",
                                  "action/execute"])
        action = json.loads(lines[-1])
        self.assertEqual(action["outcome"], "success")
        self.assertTrue(action["job_id"])
        self.assertEqual(action["status_after"], "failed-over")
        self.assertEqual(json.loads(lines[0])["prev_sha256"], "0" * 64)
        text = open(log).read()
        for secret in (TOKEN_ENV["OS_AUTH_TOKEN"],):
            self.assertNotIn(secret, text)
        res = self.verify(log)
        self.assertExit(res, 0)
        self.assertIn("4 lines, chain intact", res.out)

        def tampered(name, new_lines):
            p = self.write(name, "\n".join(new_lines) + "\n")
            return self.verify(p)

        edited = list(lines)
        edited[1] = edited[1].replace('"verdict":"GO"', '"verdict":"NO-GO"')
        self.assertNotEqual(edited[1], lines[1])
        res = tampered("edited.log", edited)
        self.assertExit(res, 1)
        self.assertIn("BROKEN at line 3", res.out)
        self.assertIn("line 2 was changed, removed or moved", res.out)
        res = tampered("deleted.log", lines[:1] + lines[2:])
        self.assertExit(res, 1)
        self.assertIn("BROKEN at line 2", res.out)
        res = tampered("swapped.log", [lines[0], lines[2], lines[1], lines[3]])
        self.assertExit(res, 1)
        self.assertIn("BROKEN at line 2", res.out)
        res = tampered("first-gone.log", lines[1:])
        self.assertExit(res, 1)
        self.assertIn("BROKEN at line 1", res.out)
        # an incomplete last line is refused, not extended
        cut = self.path("cut.log")
        with open(cut, "w") as f:
            f.write(open(log).read()[:-10])
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--audit-log", cut,
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 2)
        self.assertIn("ends with an incomplete line", res.err)
        # and an unwritable log stops an execution before anything is sent
        self.sim.faults()
        res = self.failover("--execute", "--yes", "--audit-log", "/nonexistent/dir/audit.log")
        self.assertExit(res, 2)
        self.assertEqual(posts(self.sim), [])

    def test_concurrent_appends_stay_chained(self):
        log = self.path("audit.log")
        snap = src("examples", "go.json")
        env = dict(os.environ, SOURCE_DATE_EPOCH="1795608000")
        procs = [subprocess.Popen([BINARY, "check", "--snapshot", snap, "--audit-log", log, "-q"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(12)]
        for p in procs:
            p.wait(timeout=60)
        res = self.verify(log)
        self.assertExit(res, 0)
        self.assertIn("12 lines, chain intact", res.out)


class Usage(TempDirTest):
    def test_usage_errors(self):
        cases = [
            (["failover"], "failover needs a GROUP_ID"),
            (["failover", "g", "--snapshot", "x.json"], "--snapshot does not apply to failover"),
            (["failover", "g", "--action", "drill"], "cannot create a DR drill"),
            (["failover", "g", "--yes"], "only make sense with --execute"),
            (["failover", "g", "--poll-interval", "0"], "--poll-interval needs seconds"),
            (["verify-log"], "verify-log needs exactly one FILE"),
        ]
        for args, needle in cases:
            with self.subTest(args=args):
                res = run(*args)
                self.assertExit(res, 2)
                self.assertIn(needle, res.err)
        res = run("verify-log", "/nonexistent.log")
        self.assertExit(res, 2)


if __name__ == "__main__":
    unittest.main()
