"""End-to-end tests of the live path: the binary against the simulator (tests/sim), over real HTTP.

Each test class starts its own simulator on a free loopback port and stops it afterwards.
"""
import json
import os
import re
import unittest

from clitest import (AKSK_ENV, EXAMPLES, NO_CREDS, PASSWORD_ENV, SIM_GROUP, SIM_PROJECT, SIM_SK,
                     SIM_TOKEN, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds, run,
                     scenario_from_snapshot, src)

EXAMPLE_GROUP = "3c8f1a2e-6b4d-4f9a-9e21-7d5c0b8a4f13"


def results_by_id(report):
    return {r["id"]: r for r in report["results"]}


class LiveTest(TempDirTest):
    scenario = None

    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, self.scenario or basic_scenario())

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def check(self, *args, env=None, group=SIM_GROUP):
        return run("check", group, *self.sim.endpoint_args(), *args, env=creds(env or TOKEN_ENV))


class Credentials(LiveTest):
    def test_token(self):
        res = self.check("--format", "json")
        self.assertExit(res, 0)
        self.assertEqual(res.json()["verdict"], "GO")
        self.assertEqual(res.json()["target"]["server_group_id"], SIM_GROUP)
        auth = {r["auth"] for r in self.sim.requests()}
        self.assertEqual(auth, {"token"})

    def test_token_file(self):
        path = self.write("token", SIM_TOKEN + "\n")
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--token-file", path, "-q",
                  env=creds({}))
        self.assertExit(res, 0)

    def test_wrong_token(self):
        res = self.check(env={"OS_AUTH_TOKEN": "not-the-token"})
        self.assertExit(res, 3)
        self.assertIn("token credentials from OS_AUTH_TOKEN", res.err)
        self.assertIn("APIG.0301", res.err)
        self.assertIn("may have expired", res.err)
        self.assertEqual(res.out, "")
        self.assertNotIn("not-the-token", res.err)

    def test_aksk(self):
        res = self.check("--format", "json", env=AKSK_ENV)
        self.assertExit(res, 0)
        self.assertEqual({r["auth"] for r in self.sim.requests()}, {"aksk"})

    def test_huawei_aksk_variables(self):
        res = self.check("-q", env={"HW_ACCESS_KEY": AKSK_ENV["OS_ACCESS_KEY"],
                                    "HW_SECRET_KEY": AKSK_ENV["OS_SECRET_KEY"]})
        self.assertExit(res, 0)

    def test_wrong_secret_key(self):
        res = self.check(env={"OS_ACCESS_KEY": AKSK_ENV["OS_ACCESS_KEY"], "OS_SECRET_KEY": "wrong-sk"})
        self.assertExit(res, 3)
        self.assertIn("AK/SK credentials from OS_ACCESS_KEY and OS_SECRET_KEY", res.err)
        self.assertIn("verify aksk signature fail", res.err)
        self.assertNotIn("wrong-sk", res.err)

    def test_password(self):
        # only the IAM endpoint is given: SDRS, ECS and IMS come from the token's catalog
        res = run("check", SIM_GROUP, "--iam-endpoint", self.sim.url, "--format", "json", "-v",
                  env=creds(PASSWORD_ENV))
        self.assertExit(res, 0)
        self.assertIn("endpoint from the IAM catalog", res.err)
        reqs = self.sim.requests()
        self.assertEqual(reqs[0]["method"], "POST")
        self.assertEqual(reqs[0]["path"], "/v3/auth/tokens")
        self.assertEqual({r["auth"] for r in reqs[1:]}, {"token"})

    def test_wrong_password(self):
        res = run("check", SIM_GROUP, "--iam-endpoint", self.sim.url,
                  env=creds(dict(PASSWORD_ENV, OS_PASSWORD="wrong-password")))
        self.assertExit(res, 3)
        self.assertIn("IAM did not issue a token for user 'alice'", res.err)
        self.assertNotIn("wrong-password", res.err)
        self.assertEqual(len(self.sim.requests()), 1)

    def test_no_credentials(self):
        res = self.check(env=NO_CREDS)
        self.assertExit(res, 2)
        self.assertIn("no credentials", res.err)
        self.assertEqual(self.sim.requests(), [])

    def test_unknown_group(self):
        res = self.check(group="00000000-0000-0000-0000-00000000dead")
        self.assertExit(res, 3)
        self.assertIn("protection group '00000000-0000-0000-0000-00000000dead' was not found", res.err)
        self.assertIn("SDRS.1013", res.err)

    def test_missing_endpoint_or_project(self):
        res = run("check", SIM_GROUP, "--ecs-endpoint", self.sim.url, "--project-id", SIM_PROJECT,
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 2)
        self.assertIn("the SDRS endpoint is unknown", res.err)
        res = run("check", SIM_GROUP, "--endpoint", self.sim.url, "--ecs-endpoint", self.sim.url,
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 2)
        self.assertIn("the project id is unknown", res.err)


class ExpiredSignature(LiveTest):
    scenario = basic_scenario(clock_offset_seconds=3600)

    def test_expired_x_sdk_date(self):
        res = self.check(env=AKSK_ENV)
        self.assertExit(res, 3)
        self.assertIn("x-sdk-date expired", res.err)
        self.assertIn("clock", res.err)


class Replay(LiveTest):
    def test_saved_snapshot_replays_to_the_same_report(self):
        snap = self.path("seen.json")
        live = self.check("--format", "json", "--save-snapshot", snap)
        self.assertExit(live, 0)
        offline = run("check", "--snapshot", snap, "--format", "json")
        self.assertExit(offline, 0)
        a, b = live.json(), offline.json()
        self.assertEqual(a["inputs"], b["inputs"])
        self.assertEqual(a["results"], b["results"])
        self.assertEqual(a["verdict"], b["verdict"])
        with open(snap) as f:
            doc = json.load(f)
        self.assertEqual(doc["schema"], "sdrs-preflight/snapshot@1")
        # 3 instances' production and DR servers, and the server of the scenario's one DR drill
        self.assertEqual(len(doc["servers"]), 7)
        self.assertEqual(doc["fetch_errors"], [])
        self.assertEqual(list(doc["servers"]), sorted(doc["servers"]))

    def test_fetch_command(self):
        out = self.path("snap.json")
        res = run("fetch", SIM_GROUP, *self.sim.endpoint_args(), "-o", out, env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        self.assertEqual(res.out, "")
        with open(out) as f:
            self.assertEqual(json.load(f)["server_group"]["id"], SIM_GROUP)
        res = run("fetch", SIM_GROUP, *self.sim.endpoint_args(), env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        self.assertEqual(json.loads(res.out)["schema"], "sdrs-preflight/snapshot@1")

    def test_fetch_with_errors_still_writes_the_snapshot(self):
        self.sim.faults({"match": {"path": "/replications"}, "kind": "status", "status": 500})
        out = self.path("snap.json")
        res = run("fetch", SIM_GROUP, *self.sim.endpoint_args(), "-o", out, env=creds(TOKEN_ENV))
        self.assertExit(res, 3)
        self.assertIn("1 fetch error", res.err)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual(len(doc["fetch_errors"]), 1)
        self.assertIn("/replications", doc["fetch_errors"][0]["request"])
        res = run("check", "--snapshot", out)
        self.assertExit(res, 3)


class Paging(TempDirTest):
    def test_short_pages(self):
        import subprocess
        import sys
        scen = self.path("paged.json")
        subprocess.run([sys.executable, src("tests", "sim", "gen_scenario.py"), "--instances", "7",
                        "--page-limit", "2", "--group-id", SIM_GROUP, "--project-id", SIM_PROJECT,
                        "--token", SIM_TOKEN, "-o", scen], check=True)
        sim = Sim(self.tmp, scen)
        try:
            res = run("check", SIM_GROUP, *sim.endpoint_args(), "--format", "json",
                      env=creds(TOKEN_ENV))
            self.assertExit(res, 0)
            reqs = sim.requests()
            pages = sorted(int(re.search(r"offset=(\d+)", r["query"]).group(1))
                           for r in reqs if r["path"].endswith("/protected-instances"))
            self.assertEqual(pages, [0, 2, 4, 6])
            servers = [r for r in reqs if "/cloudservers/" in r["path"]
                       and "/cloudservers/flavors" not in r["path"]]
            self.assertEqual(len(servers), 14)
            self.assertEqual(len({r["path"] for r in servers}), 14)
            snap = self.path("snap.json")
            run("fetch", SIM_GROUP, *sim.endpoint_args(), "-o", snap, env=creds(TOKEN_ENV))
            with open(snap) as f:
                doc = json.load(f)
            self.assertEqual(len(doc["protected_instances"]), 7)
            self.assertEqual(len(doc["replications"]), 7)
            ids = [pi["id"] for pi in doc["protected_instances"]]
            self.assertEqual(len(set(ids)), 7)
        finally:
            sim.stop()


class Examples(TempDirTest):
    """Every example that a live world can express gives the same verdict live as offline."""

    LIVE_ONLY_DIFFERENT = {"indeterminate-fetch-error.json", "indeterminate-missing-server.json"}

    def test_examples_live(self):
        with open(os.path.join(EXAMPLES, "expected.json")) as f:
            expected = json.load(f)
        for name, want in sorted(expected.items()):
            if name in self.LIVE_ONLY_DIFFERENT:
                continue
            with self.subTest(example=name):
                sim = Sim(self.tmp, scenario_from_snapshot(os.path.join(EXAMPLES, name)), name=name)
                try:
                    res = run("check", EXAMPLE_GROUP, *sim.endpoint_args(), "--format", "json",
                              "--action", want.get("action", "failover"), env=creds(TOKEN_ENV))
                    self.assertEqual(res.code, want["exit_code"], res)
                    rep = res.json()
                    self.assertEqual(rep["verdict"], want["verdict"])
                    failing = sorted(r["id"] for r in rep["results"] if r["result"] == "fail")
                    self.assertEqual(failing, sorted(want["failing"]))
                finally:
                    sim.stop()


class Tls(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario(), tls=True)

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def test_verification_is_on_by_default(self):
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--retries", "0",
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 3)
        self.assertIn("TLS certificate of 127.0.0.1", res.out)
        self.assertIn("self-signed certificate", res.out)

    def test_cacert(self):
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--cacert", self.sim.cert, "-q",
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 0)

    def test_insecure_warns_loudly(self):
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), "--insecure", "-q",
                  env=creds(TOKEN_ENV))
        self.assertExit(res, 0)
        self.assertIn("WARNING: --insecure", res.err)


class Secrets(TempDirTest):
    """No secret appears in any output, report, snapshot or log line, at the highest verbosity."""

    def test_no_secret_anywhere(self):
        sim = Sim(self.tmp, basic_scenario(jobs={"steps": 2, "step_seconds": 0.1}))
        secrets = [SIM_TOKEN, SIM_SK, PASSWORD_ENV["OS_PASSWORD"]]
        outputs = []
        audit = self.path("audit.log")
        try:
            for kind, env, extra in (("token", TOKEN_ENV, sim.endpoint_args()),
                                     ("aksk", AKSK_ENV, sim.endpoint_args()),
                                     ("password", PASSWORD_ENV, ["--iam-endpoint", sim.url])):
                for fmt in ("text", "json", "junit", "markdown"):
                    snap = self.path("%s-%s.snap.json" % (kind, fmt))
                    rep = self.path("%s-%s.report" % (kind, fmt))
                    res = run("check", SIM_GROUP, *extra, "-vv", "--format", fmt,
                              "--save-snapshot", snap, "-o", rep, "--audit-log", audit,
                              env=creds(env))
                    self.assertExit(res, 0)
                    outputs += [res.out, res.err, open(snap).read(), open(rep).read()]
                res = run("fetch", SIM_GROUP, *extra, "-vv", env=creds(env))
                self.assertExit(res, 0)
                outputs += [res.out, res.err]
                res = run("check", "--all", *extra, "-vv", "--format", "json", env=creds(env))
                self.assertExit(res, 0)
                outputs += [res.out, res.err]
                # the action itself, executed and audited
                res = run("failover", SIM_GROUP, *extra, "-vv", "--execute", "--yes",
                          "--poll-interval", "0.1", "--audit-log", audit, env=creds(env))
                self.assertExit(res, 0)
                outputs += [res.out, res.err]
                sim.control("reset", {})
                # a rejected credential is named, never shown
                bad = dict(env)
                for k in ("OS_AUTH_TOKEN", "OS_SECRET_KEY", "OS_PASSWORD"):
                    if k in bad:
                        bad[k] = bad[k] + "-x"
                res = run("check", SIM_GROUP, *extra, "-vv", env=creds(bad))
                self.assertExit(res, 3)
                outputs += [res.out, res.err]
            issued = sim.control("state")["issued_tokens"]
            self.assertGreaterEqual(len(issued), 2)
            outputs.append(open(audit).read())
        finally:
            sim.stop()
        text = "\n".join(outputs)
        for s in secrets + list(issued):
            self.assertNotIn(s, text, "secret leaked")
        self.assertIn("GET /v1/", text)  # the -vv request lines are there
        self.assertIn('"event":"action"', text)


if __name__ == "__main__":
    unittest.main()
