"""Fleet checks: check --all against the simulator with groups of mixed verdicts, and
check --snapshot-dir offline."""
import datetime
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
                "bbbbbbbb-0000-0000-0000-000000000001", "cccccccc-0000-0000-0000-000000000001",
                "dddddddd-0000-0000-0000-000000000001", "eeeeeeee-0000-0000-0000-000000000001"):
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
        sc["disaster_recovery_drills"] += g.get("disaster_recovery_drills", [])
        sc["servers"].update({k: v["server"] for k, v in g["servers"].items()})
    return sc


class FleetLive(TempDirTest):
    def test_all_groups_mixed_verdicts(self):
        groups = [group_world(1), group_world(2, "available"), group_world(3), group_world(4)]
        broken = groups[2]["replications"][0]["id"]
        # group 4 has a drill from yesterday: recent evidence (SDRS-017); the others have none
        yesterday = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=1)).strftime(
            "%Y-%m-%d %H:%M:%S.000")
        g4 = groups[3]["server_group"]
        groups[3]["disaster_recovery_drills"] = [{
            "id": "d0000004-1111-4222-8333-444455556666", "name": "drill-4", "status": "available",
            "server_group_id": g4["id"], "drill_vpc_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "created_at": yesterday, "updated_at": yesterday, "drill_servers": []}]
        g4["disaster_recovery_drill_num"] = 1
        sim = Sim(self.tmp, scenario(groups))
        try:
            sim.faults({"match": {"path": "/replications$", "query": "0003"}, "kind": "status",
                        "status": 500})
            args = ["check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                    "--evs-endpoint", sim.url, "--project-id", PROJECT]
            res = run(*args, env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            self.assertIn("failover preflight of 4 protection groups: 2 GO, 1 NO-GO, 1 INDETERMINATE",
                          res.out)
            # pg-0003 could not be decided (its pairs), but its drills were read: none
            self.assertIn("without recent DR drill evidence (SDRS-017): 3 groups: pg-0001, pg-0002, pg-0003\n",
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
                                              "exit_code": 3, "without_drill_evidence": [
                                                  g["server_group"]["id"] for g in groups[:3]]})
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
                      "--evs-endpoint", sim.url, "--project-id", PROJECT, env=creds(TOKEN_ENV))
            self.assertExit(res, 1)
            res = run("check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                      "--evs-endpoint", sim.url, "--project-id", PROJECT, "--format", "junit", env=creds(TOKEN_ENV))
            self.assertExit(res, 2)
            self.assertIn("a fleet check writes --format text or json", res.err)
        finally:
            sim.stop()


IMAGE_ID = "ffffffff-0000-0000-0000-000000000001"


def image_scenario(n):
    """n groups whose servers all run one image and have no os_type of their own, so the OS can
    come only from IMS."""
    groups = [group_world(i + 1) for i in range(n)]
    for g in groups:
        for entry in g["servers"].values():
            entry["server"]["metadata"].pop("os_type", None)
    sc = scenario(groups)
    sc["images"] = {IMAGE_ID: {"id": IMAGE_ID, "name": "Standard_Debian_12_latest",
                               "status": "active", "__os_type": "Linux",
                               "__os_version": "Debian GNU/Linux 12.0.0 64bit",
                               "__platform": "Debian", "__imagetype": "gold"}}
    return sc


def os_sources(report):
    """The os_source evidence of every SDRS-012 finding in a report."""
    rule = [r for r in report["results"] if r["id"] == "SDRS-012"][0]
    return sorted({f["evidence"]["os_source"] for f in rule["findings"]})


class FleetImages(TempDirTest):
    """An image several groups run is asked for once; every group gets its answer."""

    def args(self, sim):
        return ["check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                "--ims-endpoint", sim.url, "--evs-endpoint", sim.url, "--project-id", PROJECT,
                "--format", "json"]

    def test_one_request_serves_every_group(self):
        sim = Sim(self.tmp, image_scenario(5))
        try:
            res = run(*self.args(sim), env=creds(TOKEN_ENV))
            self.assertExit(res, 0)
            doc = res.json()
            self.assertEqual(doc["summary"]["GO"], 5)
            for rep in doc["reports"]:
                self.assertEqual(os_sources(rep), ["image __os_type"], rep["target"])
            images = [r for r in sim.requests() if "cloudimages" in r["path"]]
            self.assertEqual(len(images), 1, images)
        finally:
            sim.stop()

    def test_a_failed_image_request_fails_every_group_that_runs_it(self):
        sim = Sim(self.tmp, image_scenario(3))
        try:
            sim.faults({"match": {"path": "cloudimages"}, "kind": "status", "status": 500})
            res = run(*self.args(sim), "--retries", "0", env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            doc = res.json()
            self.assertEqual(doc["summary"]["INDETERMINATE"], 3)
            for rep in doc["reports"]:
                self.assertEqual(rep["verdict"], "INDETERMINATE")
                text = json.dumps(rep["errors"])
                self.assertIn("GET /v2/cloudimages?id=" + IMAGE_ID, text)
                self.assertIn("IMG.0001: Internal error", text)
            images = [r for r in sim.requests() if "cloudimages" in r["path"]]
            self.assertEqual(len(images), 1, images)  # one request for the three groups
        finally:
            sim.stop()

    def test_flavor_lists_and_capacity_are_asked_once_for_the_fleet(self):
        # the groups share their zones and flavors: one flavor list per zone, one capacity answer
        # per flavor (here a 404: the simulator offers the call only with flavor_capacity)
        sc = image_scenario(4)
        sim = Sim(self.tmp, sc)
        try:
            res = run(*self.args(sim), env=creds(TOKEN_ENV))
            self.assertExit(res, 0)
            self.assertEqual(res.json()["summary"]["GO"], 4)
            for rep in res.json()["reports"]:  # each group's own disks, each group's own answer
                r = {x["id"]: x["result"] for x in rep["results"]}
                self.assertEqual((r["SDRS-020"], r["SDRS-021"]), ("pass", "pass"), rep["target"])
            zones = {(g["source_availability_zone"], g["target_availability_zone"])
                     for g in sc["server_groups"]}
            lists = [r for r in sim.requests() if r["path"].endswith("/cloudservers/flavors")]
            self.assertEqual(sorted(r["query"] for r in lists),
                             sorted("availability_zone=" + z for z in set(sum(zones, ()))))
            flavors = {srv["flavor"]["id"] for srv in sc["servers"].values()}
            self.assertTrue(flavors)
            capacity = [r for r in sim.requests() if r["path"].endswith("/resources")]
            self.assertEqual(len(capacity), len(flavors), capacity)
        finally:
            sim.stop()


    def test_a_repaired_shared_answer_does_not_pass_another_group(self):
        # a flavor list with a field of an unusable type: the reader removes it after reporting it,
        # in its own group's copy; every group that got the answer reports it too
        sc = image_scenario(3)
        flavor = next(iter(sc["servers"].values()))["flavor"]
        sc["flavors"] = [{"id": flavor["id"], "name": flavor["id"], "vcpus": str(flavor["vcpus"]),
                          "ram": int(flavor["ram"]), "os_extra_specs": "oops"}]
        for srv in sc["servers"].values():
            srv["flavor"] = dict(flavor)
        sim = Sim(self.tmp, sc)
        try:
            res = run(*self.args(sim), env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            doc = res.json()
            self.assertEqual(doc["summary"]["INDETERMINATE"], 3, doc["summary"])
            for rep in doc["reports"]:
                self.assertIn("os_extra_specs", json.dumps(rep["errors"]), rep["target"])
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
