"""The outcome of failover --execute, checked against the group, never guessed (issue #12).

Each case runs the real binary against the simulator with one of its fault modes (tests/sim/README.md)
and asserts the exit code, the message, the audit record and the number of POSTs.
"""
import json
import os
import subprocess
import time
import unittest

from test_reports import load_schema, validate
from clitest import (BINARY, LOCK_DIR, SIM_GROUP, TOKEN_ENV, Sim, TempDirTest, basic_scenario,
                     creds, run, src)

FAST = ["--poll-interval", "0.1", "--timeout", "2"]
ACTION = {"method": "POST", "path": "/action$"}
GROUP_GET = {"method": "GET", "path": "server-groups/%s$" % SIM_GROUP}


def posts(sim):
    return [r for r in sim.requests() if r["method"] == "POST" and r["path"].endswith("/action")]


class OutcomeTest(TempDirTest):
    jobs = {"steps": 2, "step_seconds": 0.2, "outcome": "SUCCESS"}

    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario(jobs=self.jobs))
        self.audit = self.path("audit.jsonl")

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def failover(self, *args, env=None):
        return run("failover", SIM_GROUP, *self.sim.endpoint_args(), *FAST, "--execute", "--yes",
                   "--audit-log", self.audit, *args, env=creds(env or TOKEN_ENV))

    def action_record(self):
        with open(self.audit) as f:
            records = [json.loads(line) for line in f]
        actions = [r for r in records if r["event"] == "action"]
        self.assertEqual(len(actions), 1, records)
        return actions[0]

    def group(self):
        return [g for g in self.sim.control("state")["server_groups"] if g["id"] == SIM_GROUP][0]

    def state(self):
        return self.sim.control("state")


class AnswerLeavesTheOutcomeUnknown(OutcomeTest):
    """Once the POST may have been sent, only a clean 2xx with a job id says it was taken."""

    def test_accepted_then_5xx_or_401_is_followed_to_the_end(self):
        for fault in ({"kind": "status", "status": 504, "process": True},
                      {"kind": "status", "status": 502, "process": True,
                       "body": '{"error_code": "APIG.0201", "error_msg": "Backend timeout"}'},
                      {"kind": "status", "status": 401, "process": True},
                      {"kind": "reset", "process": True},
                      {"kind": "malformed", "process": True}):
            with self.subTest(fault=fault):
                self.sim.control("reset", {})
                if os.path.exists(self.audit):
                    os.unlink(self.audit)
                self.sim.faults(dict(fault, match=ACTION))
                res = self.failover()
                self.assertExit(res, 0)
                self.assertEqual(len(posts(self.sim)), 1, "the POST is never sent twice")
                self.assertIn("failover finished: the group is now failed-over", res.err)
                self.assertIn("end state verified", res.err)
                self.assertNotIn("refused", res.err)
                self.assertNotIn("nothing was started", res.err)
                rec = self.action_record()
                self.assertEqual((rec["outcome"], rec["end_state"], rec["posts"]),
                                 ("success", "verified", 1))
                self.assertEqual(self.group()["status"], "failed-over")

    def test_reset_then_stale_reads(self):
        """The POST is accepted, the connection resets, and the first reads still show
        protected: stale reads mean "not yet", and the failover is followed once it shows."""
        self.sim.faults(dict(kind="reset", process=True, match=ACTION),
                        dict(kind="stale", match=GROUP_GET, times=3))
        res = self.failover()
        self.assertExit(res, 0)
        self.assertEqual(len(posts(self.sim)), 1)
        stale = [r for r in self.sim.requests() if r.get("fault") == "stale"]
        self.assertEqual(len(stale), 3, "three reads were answered from before the failover")
        self.assertIn("failover finished", res.err)
        self.assertEqual(self.action_record()["outcome"], "success")

    def test_not_seen_within_the_accept_window(self):
        """Never "nothing was started": the group did not move while it was watched."""
        self.sim.faults(dict(kind="status", status=503, match=ACTION))  # not processed
        start = time.monotonic()
        res = self.failover("--accept-window", "2")
        self.assertLess(time.monotonic() - start, 30)
        self.assertExit(res, 4)
        self.assertEqual(len(posts(self.sim)), 1)
        self.assertIn("failover was not seen to start within 2 s: SDRS answered HTTP 503", res.err)
        self.assertIn("It was not sent again, and SDRS may still start it", res.err)
        self.assertNotIn("nothing was started", res.err)
        self.assertNotIn("nothing changed", res.err)
        rec = self.action_record()
        self.assertEqual((rec["outcome"], rec["posts"]), ("not-seen", 1))
        self.assertGreaterEqual(rec["duration_ms"], 2000)
        reads = [r for r in self.sim.requests() if r["method"] == "GET"
                 and r["path"].endswith(SIM_GROUP)]
        self.assertGreaterEqual(len(reads), 3, "the group was watched, not read once")

    def test_sdrs_refusal_is_confirmed_by_the_group(self):
        self.sim.faults(dict(kind="status", status=400, match=ACTION, body=json.dumps(
            {"error": {"code": "SDRS.1030", "message": "Failed to perform the failover"}})))
        res = self.failover()
        self.assertExit(res, 4)
        self.assertIn("SDRS refused failover (HTTP 400, SDRS.1030", res.err)
        self.assertIn("the group shows protected, production at source", res.err)
        self.assertEqual(self.action_record()["outcome"], "refused")
        self.assertEqual(len(posts(self.sim)), 1)


class LyingJob(OutcomeTest):
    jobs = {"steps": 2, "step_seconds": 0.2, "outcome": "SUCCESS", "apply": False}

    def test_success_that_did_not_happen_is_exit_4(self):
        res = self.failover("--format", "json")
        self.assertExit(res, 4)
        self.assertIn("failover reported success, but the group is not in the documented end "
                      "state: group status: expected failed-over, found protected", res.err)
        doc = json.loads(res.out)
        self.assertEqual(validate(doc, load_schema()), [])
        x = doc["execution"]
        self.assertEqual((x["outcome"], x["verified"]), ("unverified", False))
        self.assertEqual(x["job"]["status"], "SUCCESS")
        failed = [c["check"] for c in x["end_state"]["checks"] if not c["ok"]]
        self.assertIn("group status", failed)
        self.assertIn("group priority_station (was source)", failed)
        self.assertTrue(any(c.startswith("protected instance pi-web-01") for c in failed), failed)
        self.assertTrue(any(c.startswith("replication pair") for c in failed), failed)
        self.assertEqual(doc["exit_code"], 4)
        rec = self.action_record()
        self.assertEqual(rec["outcome"], "unverified")
        self.assertIn("group status: expected failed-over, found protected", rec["end_state"])
        self.assertEqual(len(posts(self.sim)), 1)


class ServersAfterFailover(OutcomeTest):
    def test_a_new_production_server_that_stays_off(self):
        state = self.state()
        sql = [pi for pi in state["protected_instances"] if pi["name"] == "pi-sql-01"][0]
        self.sim.control("mutate", {"jobs": {"stay_off": [sql["target_server"]]}})
        res = self.failover("--format", "json", "--report", "text=" + self.path("post.txt"),
                            "--report", "markdown=" + self.path("post.md"),
                            "--report", "junit=" + self.path("post.xml"))
        self.assertExit(res, 0)
        x = json.loads(res.out)["execution"]
        power = {s["name"]: (s["power"], s["id"]) for s in x["servers"]}
        self.assertEqual(power["ecs-sql-01"], ("stopped", sql["target_server"]))
        self.assertEqual(power["ecs-web-01"][0], "running")
        self.assertEqual(len(x["servers"]), 3)
        self.assertTrue(x["verified"])
        self.assertTrue(x["replication_stopped"])
        self.assertGreater(x["duration_ms"], 0)
        self.assertEqual(x["job"]["status"], "SUCCESS")
        self.assertEqual(x["job"]["sub_jobs_total"], 3)
        self.assertEqual(len(x["job"]["sub_jobs"]), 3)
        self.assertEqual((x["before"]["status"], x["after"]["status"]), ("protected", "failed-over"))
        self.assertEqual((x["before"]["priority_station"], x["after"]["priority_station"]),
                         ("source", "target"))
        self.assertTrue(any("Start the 1 stopped server" in n for n in x["next"]), x["next"])
        self.assertTrue(any("unprotected until protection is enabled" in n for n in x["next"]))
        self.assertEqual(x["next_command"],
                         "sdrs-preflight check %s --action enable-protection" % SIM_GROUP)
        with open(self.path("post.txt")) as f:
            text = f.read()
        self.assertTrue(text.startswith("failover SUCCEEDED, verified  protection group"), text)
        self.assertIn("[ok]    group status: failed-over", text)
        self.assertIn("Servers at the new production site (target): 2 running, 1 stopped", text)
        self.assertIn("stopped  ecs-sql-01", text)
        self.assertIn("Readiness for enable-protection", text)
        with open(self.path("post.md")) as f:
            md = f.read()
        self.assertIn("## ✅ failover SUCCEEDED, verified", md)
        self.assertIn("### Servers at the new production site (target)", md)
        with open(self.path("post.xml")) as f:
            xml = f.read()
        self.assertIn('<testcase name="execution failover" classname="execution"', xml)
        self.assertIn('<property name="execution_outcome" value="success"/>', xml)
        rec = self.action_record()
        self.assertGreater(rec["duration_ms"], 0)
        self.assertEqual(rec["status_after"], "failed-over")


class OneDocumentPerDestination(OutcomeTest):
    def test_json_on_stdout_is_one_document(self):
        res = self.failover("--format", "json")
        self.assertExit(res, 0)
        doc = json.loads(res.out)  # one document, not the preflight and the execution
        self.assertEqual(validate(doc, load_schema()), [])
        self.assertEqual(doc["action"], "enable-protection")
        self.assertEqual(doc["execution"]["preflight"]["verdict"], "GO")

    def test_refused_run_writes_the_preflight(self):
        self.sim.control("mutate", {"server_groups": {SIM_GROUP: {"status": "available"}}})
        res = self.failover("--format", "json")
        self.assertExit(res, 1)
        doc = json.loads(res.out)
        self.assertNotIn("execution", doc)
        self.assertEqual(doc["verdict"], "NO-GO")


class ApprovalBindsEveryInput(OutcomeTest):
    def approve(self, *extra):
        path = self.path("approved.json")
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--format", "json", "-o", path,
                  *extra, env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        return path

    def test_a_waiver_added_after_the_approval_refuses(self):
        approved = self.approve()
        # a blocker starts failing, and someone waives it to keep the verdict GO
        self.sim.control("mutate", {"replications": {
            self.state()["replications"][0]["id"]: {"fault_level": "5"}}})
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--format", "json",
                  env=creds(TOKEN_ENV))
        failing = [r["id"] for r in res.json()["results"] if r["result"] == "fail"]
        self.assertEqual(len(failing), 1, res.out)
        waivers = self.write("waivers.json", {"waivers": [{
            "rule": failing[0], "group": SIM_GROUP, "reason": "accepted", "approved_by": "x",
            "expires": "2030-01-01", "ticket": "CHG-9"}]})
        res = self.failover("--approved-report", approved, "--waivers", waivers)
        self.assertExit(res, 1)
        self.assertIn("the waivers differ (waivers_sha256 none then", res.err)
        self.assertIn("%s was pass then, is waived now" % failing[0], res.err)
        self.assertIn("Nothing was sent", res.err)
        self.assertEqual(posts(self.sim), [])

    def test_other_facts_refuse(self):
        facts = self.write("facts.json", {"first_switchover": True})
        approved = self.approve("--facts", facts)
        other = self.write("other.json", {"first_switchover": False})
        res = self.failover("--approved-report", approved, "--facts", other)
        self.assertExit(res, 1)
        self.assertIn("the facts differ", res.err)
        self.assertEqual(posts(self.sim), [])
        res = self.failover("--approved-report", approved, "--facts", facts)
        self.assertExit(res, 0)
        self.assertEqual(len(posts(self.sim)), 1)


class OneExecutionPerGroup(OutcomeTest):
    jobs = {"steps": 2, "step_seconds": 3600, "outcome": "SUCCESS"}

    def test_a_second_run_is_refused_and_names_the_first(self):
        env = dict(os.environ, SOURCE_DATE_EPOCH="1795608000", SDRS_LOCK_DIR=LOCK_DIR,
                   **creds(TOKEN_ENV))
        env = {k: v for k, v in env.items() if v is not None}
        first = subprocess.Popen([BINARY, "failover", SIM_GROUP, *self.sim.endpoint_args(), *FAST,
                                  "--execute", "--yes", "--audit-log", self.audit],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while not posts(self.sim) and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(len(posts(self.sim)), 1, "the first run sent its POST")
            res = self.failover()
            self.assertExit(res, 1)
            self.assertIn("another failover --execute of group %s is running on this host (pid %d, "
                          "started " % (SIM_GROUP, first.pid), res.err)
            self.assertIn("Nothing was sent", res.err)
            self.assertEqual(len(posts(self.sim)), 1)
            self.sim.control("advance", {"seconds": 7200})
            out, err = first.communicate(timeout=60)
            self.assertEqual(first.returncode, 0, err)
        finally:
            if first.poll() is None:
                first.kill()
                first.wait()
        with open(self.audit) as f:
            refused = [json.loads(l) for l in f if '"refused"' in l]
        self.assertEqual([r["phase"] for r in refused], ["lock"])

    def test_a_stale_lock_is_taken_over(self):
        lock_dir = self.path("locks")
        os.makedirs(lock_dir)
        project = self.sim.endpoint_args()[-1]
        with open(os.path.join(lock_dir, "sdrs-preflight.%s.%s.lock" % (project, SIM_GROUP)),
                  "w") as f:
            f.write("pid 999999, started 2026-01-01T00:00:00Z, user ghost\n")
        self.sim.control("mutate", {"jobs": {"step_seconds": 0.2}})
        res = run("failover", SIM_GROUP, *self.sim.endpoint_args(), *FAST, "--execute", "--yes",
                  env=dict(creds(TOKEN_ENV), SDRS_LOCK_DIR=lock_dir))
        self.assertExit(res, 0)
        self.assertIn("took over a stale lock of a run that is gone: pid 999999, started "
                      "2026-01-01T00:00:00Z, user ghost", res.err)
        self.assertEqual(len(posts(self.sim)), 1)


if __name__ == "__main__":
    unittest.main()
