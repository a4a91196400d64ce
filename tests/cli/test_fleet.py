"""Fleet checks: check --all against the simulator with groups of mixed verdicts, and
check --snapshot-dir offline."""
import json
import os
import shutil
import unittest

from clitest import SIM_PROJECT, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds, run, src

PROJECT = SIM_PROJECT


def group_world(n, status="protected"):
    """One group (from tests/fixtures/minimal.json) with every id made unique by n."""
    with open(src("tests", "fixtures", "minimal.json")) as f:
        text = f.read()
    suffix = "%04d" % n
    # every id in the fixture ends in 12 hex digits: give each group its own
    for old in ("11111111-2222-3333-4444-555555555555", "11111111222233334444555555555555",
                "66666666-7777-8888-9999-000000000001", "aaaaaaaa-0000-0000-0000-000000000001",
                "bbbbbbbb-0000-0000-0000-000000000001", "cccccccc-0000-0000-0000-000000000001"):
        text = text.replace(old, old[:-4] + suffix)
    snap = json.loads(text)
    snap["server_group"]["status"] = status
    snap["server_group"]["name"] = "pg-%s" % suffix
    return snap


def scenario(groups):
    sc = {"project_id": PROJECT, "credentials": basic_scenario()["credentials"],
          "server_groups": [], "protected_instances": [], "replications": [],
          "disaster_recovery_drills": [], "servers": {}}
    for g in groups:
        sc["server_groups"].append(g["server_group"])
        sc["protected_instances"] += g["protected_instances"]
        sc["replications"] += g["replications"]
        sc["servers"].update({k: v["server"] for k, v in g["servers"].items()})
    return sc


class FleetLive(TempDirTest):
    def test_all_groups_mixed_verdicts(self):
        groups = [group_world(1), group_world(2, "available"), group_world(3), group_world(4)]
        broken = groups[2]["replications"][0]["id"]
        sim = Sim(self.tmp, scenario(groups))
        try:
            sim.faults({"match": {"path": "/replications$", "query": "0003"}, "kind": "status",
                        "status": 500})
            args = ["check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                    "--project-id", PROJECT]
            res = run(*args, env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            self.assertIn("failover preflight of 4 protection groups: 2 GO, 1 NO-GO, 1 INDETERMINATE",
                          res.out)
            lines = res.out.splitlines()[1:5]
            self.assertTrue(lines[0].lstrip().startswith("INDETERMINATE"), lines)
            self.assertIn("pg-0003", lines[0])
            self.assertTrue(lines[1].lstrip().startswith("NO-GO"))
            self.assertIn("SDRS-001", lines[1])
            res = run(*args, "--format", "json", env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            doc = res.json()
            self.assertEqual(doc["schema"], "sdrs-preflight/fleet-report@1")
            self.assertEqual(doc["summary"], {"groups": 4, "GO": 2, "NO-GO": 1, "INDETERMINATE": 1,
                                              "exit_code": 3})
            self.assertEqual([r["schema"] for r in doc["reports"]], ["sdrs-preflight/report@1"] * 4)
            # all groups were fetched in one run: the group list once, then each group's requests
            reqs = sim.requests()
            self.assertEqual(len([r for r in reqs if r["path"].endswith("/server-groups")]), 2)
            del broken
        finally:
            sim.stop()

    def test_worst_exit_code_without_indeterminate(self):
        sim = Sim(self.tmp, scenario([group_world(1), group_world(2, "available")]))
        try:
            res = run("check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                      "--project-id", PROJECT, env=creds(TOKEN_ENV))
            self.assertExit(res, 1)
            res = run("check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                      "--project-id", PROJECT, "--format", "junit", env=creds(TOKEN_ENV))
            self.assertExit(res, 2)
            self.assertIn("a fleet check writes --format text or json", res.err)
        finally:
            sim.stop()


class FleetOffline(TempDirTest):
    def test_snapshot_dir(self):
        d = os.path.join(self.tmp, "snaps")
        os.makedirs(d)
        for name in ("go.json", "nogo-group-status.json", "indeterminate-missing-server.json"):
            shutil.copy(src("examples", name), d)
        with open(os.path.join(d, "broken.json"), "w") as f:
            f.write("{not json")
        res = run("check", "--snapshot-dir", d)
        self.assertExit(res, 3)
        self.assertIn("of 4 protection groups: 1 GO, 1 NO-GO, 2 INDETERMINATE", res.out)
        self.assertIn("broken.json:", res.out)
        self.assertIn("not JSON", res.out)
        os.remove(os.path.join(d, "broken.json"))
        os.remove(os.path.join(d, "indeterminate-missing-server.json"))
        res = run("check", "--snapshot-dir", d, "--format", "json")
        self.assertExit(res, 1)
        doc = res.json()
        self.assertEqual(doc["summary"]["exit_code"], 1)
        self.assertEqual(sorted(r["verdict"] for r in doc["reports"]), ["GO", "NO-GO"])
        res = run("check", "--snapshot-dir", os.path.join(self.tmp, "nope"))
        self.assertExit(res, 2)
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        res = run("check", "--snapshot-dir", empty)
        self.assertExit(res, 2)
        self.assertIn("no *.json snapshots", res.err)


if __name__ == "__main__":
    unittest.main()
