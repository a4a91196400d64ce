"""The fault matrix: every fault kind the simulator injects, at every phase of the live fetch.

For each (phase, fault) the binary runs `check GROUP_ID` against the simulator and must
- never crash and never hang past its configured timeouts;
- exit 0 (GO) only when the retries recovered every answer (transient faults);
- otherwise exit 3 (INDETERMINATE) with a message naming the failing request, and never GO.
"""
import os
import re
import time
import unittest

from clitest import PASSWORD_ENV, SIM_GROUP, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds, run

# Where a fault is injected: a regular expression over the request path.
PHASES = {
    "group": r"/server-groups/[^/]+$",
    "instances": r"/protected-instances$",
    "replications": r"/replications$",
    "drills": r"/disaster-recovery-drills$",
    "servers": r"/cloudservers/(?!flavors)",
    "images": r"^/v2/cloudimages$",
    "volumes": r"/(cloudvolumes|os-vendor-volumes)/",
    "flavors": r"/cloudservers/flavors$",
    "iam": r"^/v3/auth/tokens$",
}

# A body of the right status whose types are wrong, per phase.
WRONG_TYPES = {
    "group": '{"server_group": "protected"}',
    "instances": '{"protected_instances": {"id": 1}, "count": 1}',
    "replications": '{"replications": [], "count": "many"}',
    "drills": '{"disaster_recovery_drills": null, "count": 0}',
    "servers": '{"server": [1, 2, 3]}',
    "images": '{"images": "none"}',
    "volumes": '{"volume": [1], "volumes": {"id": 1}}',
    "flavors": '{"flavors": [{"id": 7}]}',
    "iam": '{"token": []}',
}

ARGS = ["--timeout", "1", "--retries", "2"]

# (name, fault without "match", recovers?)
FAULTS = [
    ("503-once", {"kind": "status", "status": 503, "times": 1}, True),
    ("502-once", {"kind": "status", "status": 502, "times": 1}, True),
    ("504-once", {"kind": "status", "status": 504, "times": 1}, True),
    ("429-retry-after", {"kind": "status", "status": 429, "retry_after": 1, "times": 1}, True),
    ("reset-once", {"kind": "reset", "times": 1}, True),
    ("truncate-once", {"kind": "truncate", "times": 1}, True),
    ("empty-once", {"kind": "empty", "times": 1}, True),
    ("timeout-once", {"kind": "hang", "seconds": 3, "times": 1}, True),
    ("500", {"kind": "status", "status": 500}, False),
    ("503-always", {"kind": "status", "status": 503}, False),
    ("429-always", {"kind": "status", "status": 429, "retry_after": 1}, False),
    ("reset-always", {"kind": "reset"}, False),
    ("truncate-always", {"kind": "truncate"}, False),
    ("timeout-always", {"kind": "hang", "seconds": 3}, False),
    ("slow-body", {"kind": "slow", "bytes_per_sec": 100}, False),
    ("huge-body", {"kind": "huge", "bytes": 3 * 1024 * 1024}, False),
    ("malformed", {"kind": "malformed"}, False),
    ("empty-always", {"kind": "empty"}, False),
    ("html", {"kind": "content_type"}, False),
    ("wrong-types", {"kind": "body"}, False),
]


class FaultMatrix(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario())

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def run_phase(self, phase):
        env = creds(PASSWORD_ENV if phase == "iam" else TOKEN_ENV)
        where = ["--iam-endpoint", self.sim.url] if phase == "iam" else self.sim.endpoint_args()
        for name, fault, recovers in FAULTS:
            if phase == "iam" and name == "empty-once":
                # an empty 2xx to a POST is not retried: IAM then gave no token (exit 3)
                recovers = False
            with self.subTest(phase=phase, fault=name):
                f = dict(fault, match={"path": PHASES[phase]})
                if name == "wrong-types":
                    f["body"] = WRONG_TYPES[phase]
                self.sim.faults(f)
                extra = ["--max-body", "1"] if name == "huge-body" else []
                start = time.monotonic()
                res = run("check", SIM_GROUP, *where, *ARGS, *extra, "--format", "json", env=env,
                          timeout=60)
                elapsed = time.monotonic() - start
                # never hang: 3 attempts of at most 1 s, backoff and Retry-After waits, start-up
                self.assertLess(elapsed, 15, "took %.1f s" % elapsed)
                faulted = [r for r in self.sim.requests() if r.get("fault")]
                self.assertTrue(faulted, "the fault was never triggered")
                if recovers:
                    self.assertEqual(res.code, 0, res)
                    self.assertEqual(res.json()["verdict"], "GO")
                    continue
                self.assertEqual(res.code, 3, res)
                text = res.out + res.err
                # a failed batch of disks falls back to single reads: the message names the
                # faulted request that was the last word on the data
                paths = {r["path"] for r in faulted}
                self.assertTrue(any(p in text for p in paths), "the message does not name the request")
                if res.out:
                    rep = res.json()
                    self.assertEqual(rep["verdict"], "INDETERMINATE")
                    self.assertTrue(any(p in e["where"] for e in rep["errors"] for p in paths),
                                    rep["errors"])
                per_path = {}
                for r in faulted:
                    per_path[r["path"] + "?" + (r["query"] or "")] = per_path.get(
                        r["path"] + "?" + (r["query"] or ""), 0) + 1
                if name == "500":
                    self.assertEqual(set(per_path.values()), {1}, "a 500 is not retried")
                if name == "503-always" and phase != "iam":
                    self.assertEqual(set(per_path.values()), {3}, "1 try + 2 retries")
                if name == "huge-body":
                    self.assertIn("exceeds the limit", text)
                if name == "html":
                    self.assertIn("text/html", text)

    def test_group(self):
        self.run_phase("group")

    def test_instances(self):
        self.run_phase("instances")

    def test_replications(self):
        self.run_phase("replications")

    def test_drills(self):
        self.run_phase("drills")

    def test_servers(self):
        self.run_phase("servers")

    def test_images(self):
        self.run_phase("images")

    def test_volumes(self):
        self.run_phase("volumes")

    def test_flavors(self):
        self.run_phase("flavors")

    def test_iam(self):
        self.run_phase("iam")


class OtherFailures(TempDirTest):
    def test_a_404_that_is_not_ecs_is_not_a_deleted_server(self):
        sim = Sim(self.tmp, basic_scenario())
        try:
            sim.faults({"match": {"path": "/cloudservers/(?!flavors)"}, "kind": "status", "status": 404,
                        "body": "<html><body>Not Found</body></html>", "content_type": "text/html",
                        "times": 1})
            res = run("check", SIM_GROUP, *sim.endpoint_args(), "--format", "json",
                      env=creds(TOKEN_ENV))
            self.assertEqual(res.code, 3, res)
            self.assertIn("without an ECS error code", res.out)
            self.assertNotEqual(res.json()["verdict"], "NO-GO")
        finally:
            sim.stop()

    def test_connection_refused(self):
        import socket
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        url = "http://127.0.0.1:%d" % port
        res = run("check", SIM_GROUP, "--endpoint", url, "--ecs-endpoint", url, "--project-id", "p1",
                  "--retries", "1", env=creds(TOKEN_ENV))
        self.assertEqual(res.code, 3, res)
        self.assertIn("/server-groups/%s" % SIM_GROUP, res.out)
        self.assertRegex(res.out, re.compile("connect", re.I))


if __name__ == "__main__":
    unittest.main()
