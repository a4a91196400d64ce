"""Readiness below SDRS's own checks (issue #16), live against the simulator: a DR server smaller
than its production server (SDRS-015) and security groups that drifted apart (SDRS-016) warn; data
the rules cannot read leaves the verdict open. Drill evidence (SDRS-017) with --max-drill-age."""
import json
import sys
import unittest

from clitest import SIM, Sim, TempDirTest, run, src

sys.path.insert(0, SIM)
sys.dont_write_bytecode = True
import gen_scenario  # noqa: E402

TOKEN = {"OS_AUTH_TOKEN": "sim-token"}


class Readiness(TempDirTest):
    def check(self, doc, *more):
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1], doc["project_id"],
                  "--format", "json", *more, env=TOKEN)
        return res, (json.loads(res.out) if res.out.strip() else None)

    def dr_server(self, doc, i=0):
        return doc["servers"][doc["protected_instances"][i]["target_server"]]

    def results(self, rep):
        return {r["id"]: r for r in rep["results"]}

    def test_smaller_dr_flavor_and_other_security_group_warn(self):
        doc = gen_scenario.generate(2)
        dr = self.dr_server(doc)
        dr["flavor"] = dict(dr["flavor"], vcpus="1", ram="2048")
        dr["security_groups"] = [{"id": "0f0e0d0c-0b0a-4909-8807-060504030201", "name": "sg-dr-only"}]
        res, rep = self.check(doc)
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(rep["verdict"], "GO")
        r = self.results(rep)
        self.assertEqual(r["SDRS-015"]["result"], "warn")
        self.assertEqual(r["SDRS-016"]["result"], "warn")
        f15 = r["SDRS-015"]["findings"][0]
        self.assertEqual(f15["evidence"]["dr_vcpus"], 1)
        self.assertEqual(f15["evidence"]["production_ram_mib"], 4096)
        self.assertIn("only on DR: 0f0e0d0c-0b0a-4909-8807-060504030201",
                      r["SDRS-016"]["findings"][0]["message"])
        res, _ = self.check(doc, "--fail-on", "warning")
        self.assertEqual(res.code, 1, res.err)

    def test_unreadable_flavor_is_indeterminate(self):
        doc = gen_scenario.generate(2)
        del self.dr_server(doc, 1)["flavor"]
        res, rep = self.check(doc)
        self.assertEqual(res.code, 3, res.err)
        self.assertEqual(rep["verdict"], "INDETERMINATE")
        self.assertEqual(self.results(rep)["SDRS-015"]["result"], "error")

    def test_same_servers_pass(self):
        res, rep = self.check(gen_scenario.generate(2))
        self.assertEqual(res.code, 0, res.err)
        r = self.results(rep)
        self.assertEqual((r["SDRS-015"]["result"], r["SDRS-016"]["result"]), ("pass", "pass"))



class DrillEvidence(TempDirTest):
    def snapshot(self, created):
        with open(src("examples", "go.json")) as f:
            doc = json.load(f)
        doc["disaster_recovery_drills"] = [{
            "id": "d0000001-1111-4222-8333-444455556666", "name": "drill-1", "status": "available",
            "server_group_id": doc["server_group"]["id"], "drill_vpc_id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "created_at": created, "updated_at": created, "drill_servers": []}]
        doc["server_group"]["disaster_recovery_drill_num"] = 1
        return self.write("snap.json", doc)

    def sdrs017(self, *args):
        res = run("check", "--snapshot", *args, "--format", "json")
        return res, next(r for r in json.loads(res.out)["results"] if r["id"] == "SDRS-017")

    def test_max_drill_age(self):
        snap = self.snapshot("2026-09-26 12:00:00.000")  # 60 days before the snapshot's fetched_at
        res, r = self.sdrs017(snap)
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(r["result"], "info")
        self.assertIn("60 days before the snapshot (limit 90)", r["findings"][0]["message"])
        res, r = self.sdrs017(snap, "--max-drill-age", "30")
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(r["result"], "warn")
        self.assertEqual(r["findings"][0]["evidence"]["max_age_days"], 30)
        res = run("check", "--snapshot", snap, "--max-drill-age", "30", "--fail-on", "warning")
        self.assertEqual(res.code, 1, res.err)
        res = run("check", "--snapshot", snap, "--max-drill-age", "0")
        self.assertEqual(res.code, 2, res.err)
        self.assertIn("--max-drill-age", res.err)

    def test_no_drill_warns(self):
        res, r = self.sdrs017(src("examples", "go.json"))
        self.assertEqual((res.code, r["result"]), (0, "warn"))
        self.assertIn("has no DR drill", r["findings"][0]["message"])


if __name__ == "__main__":
    unittest.main()
