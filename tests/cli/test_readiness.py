"""Readiness below SDRS's own checks (issue #16), live against the simulator: a DR server smaller
than its production server (SDRS-015) and security groups that drifted apart (SDRS-016) warn; data
the rules cannot read leaves the verdict open. Drill evidence (SDRS-017) with --max-drill-age. The
EVS disks of the pairs (SDRS-020: batches of at most 60, single reads for what a batch leaves out,
Open Telekom Cloud's os-vendor-volumes path), the flavor lists of the DR zone (SDRS-021), the roles
of a password login (SDRS-022), and 403 answers as findings that name the permission."""
import json
import os
import re
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

    def test_a_dr_server_in_an_ecs_server_group_warns(self):
        # ECS serves the group a server was placed with (os:scheduler_hints.group); an anti-affinity
        # group may refuse to place the DR server when it starts
        doc = gen_scenario.generate(2)
        self.dr_server(doc)["os:scheduler_hints"] = {"group": ["5d8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"]}
        res, rep = self.check(doc)
        self.assertEqual(res.code, 0, res.err)
        r = self.results(rep)["SDRS-018"]
        self.assertEqual(r["result"], "warn")
        self.assertIn("5d8e1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", json.dumps(r["findings"]))

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


class Disks(TempDirTest):
    """The disks of every pair, read from EVS in batches; what a batch leaves out is read alone."""

    def start(self, doc):
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        return sim

    def check(self, sim, doc, *more, endpoints=None):
        args = endpoints if endpoints is not None else sim.endpoint_args()[:-1] + [doc["project_id"]]
        snap = self.path("seen.json")
        if os.path.exists(snap):
            os.unlink(snap)
        res = run("check", doc["server_groups"][0]["id"], *args, "--format", "json",
                  "--save-snapshot", snap, *more, env=TOKEN)
        rep = json.loads(res.out) if res.out.strip() else None
        saved = None
        if os.path.exists(snap):
            with open(snap) as f:
                saved = json.load(f)
        return res, rep, saved

    def evs(self, sim):
        return [r for r in sim.requests() if r.get("service") == "evs"]

    def test_batches_of_at_most_60(self):
        doc = gen_scenario.generate(70)  # 140 disks
        sim = self.start(doc)
        res, rep, saved = self.check(sim, doc)
        self.assertEqual(res.code, 0, res.err)
        r = {x["id"]: x for x in rep["results"]}
        self.assertEqual(r["SDRS-020"]["result"], "pass")
        self.assertEqual(r["SDRS-021"]["result"], "pass")
        reqs = self.evs(sim)
        self.assertEqual([q["path"].rsplit("/", 1)[1] for q in reqs], ["detail"] * 3)
        sizes = sorted(len(re.findall(r"%27", q["query"])) // 2 for q in reqs)
        self.assertEqual(sizes, [20, 60, 60])
        self.assertEqual(len(saved["volumes"]), 140)
        self.assertTrue(all(v["http_status"] == 200 for v in saved["volumes"].values()))
        self.assertEqual(saved["endpoints"]["evs"], sim.url)
        zones = {doc["server_groups"][0]["source_availability_zone"],
                 doc["server_groups"][0]["target_availability_zone"]}
        self.assertEqual(set(saved["flavors"]), zones)

    def deleted_dr_disk(self, **extra):
        doc = gen_scenario.generate(2, volume_status="in-use")
        doc.update(extra)
        dr_disk = doc["replications"][0]["volume_ids"].split(",")[1]
        del doc["volumes"][dr_disk]
        return doc, dr_disk

    def test_a_disk_the_batch_leaves_out_is_read_alone(self):
        # Huawei Cloud: cloudvolumes/{id} answers Cinder's itemNotFound: the disk is gone
        doc, gone = self.deleted_dr_disk()
        sim = self.start(doc)
        res, rep, saved = self.check(sim, doc)
        self.assertEqual(res.code, 1, res.err)
        self.assertEqual(rep["verdict"], "NO-GO")
        paths = [q["path"] for q in self.evs(sim)]
        self.assertEqual(len(paths), 2, paths)
        self.assertTrue(paths[1].endswith("/cloudvolumes/" + gone), paths)
        self.assertEqual(saved["volumes"][gone]["http_status"], 404)
        f = next(x for x in rep["results"] if x["id"] == "SDRS-020")
        self.assertEqual(f["result"], "fail")
        self.assertIn(gone, json.dumps(f["findings"]))

    def test_open_telekom_cloud_reads_a_disk_at_os_vendor_volumes(self):
        # Open Telekom Cloud serves no cloudvolumes/{id}: the gateway's 404 is no verdict on the
        # disk, the documented os-vendor-volumes/{id} is
        doc, gone = self.deleted_dr_disk(evs_cloudvolumes_show=False)
        sim = self.start(doc)
        res, rep, saved = self.check(sim, doc)
        self.assertEqual(res.code, 1, res.err)
        paths = [q["path"] for q in self.evs(sim)]
        self.assertEqual(len(paths), 3, paths)
        self.assertTrue(paths[1].endswith("/cloudvolumes/" + gone), paths)
        self.assertTrue(paths[2].endswith("/os-vendor-volumes/" + gone), paths)
        self.assertEqual(saved["volumes"][gone]["http_status"], 404)

    def test_a_disk_in_error_blocks(self):
        doc = gen_scenario.generate(2, volume_status="in-use")
        dr_disk = doc["replications"][1]["volume_ids"].split(",")[1]
        doc["volumes"][dr_disk]["status"] = "error_extending"
        sim = self.start(doc)
        res, rep, _ = self.check(sim, doc)
        self.assertEqual(res.code, 1, res.err)
        f = next(x for x in rep["results"] if x["id"] == "SDRS-020")
        self.assertEqual(f["result"], "fail")
        self.assertIn("error_extending", json.dumps(f["findings"]))

    def test_an_undocumented_disk_status_is_indeterminate(self):
        doc = gen_scenario.generate(2, volume_status="In-Use")
        sim = self.start(doc)
        res, rep, _ = self.check(sim, doc)
        self.assertEqual(res.code, 3, res.err)
        f = next(x for x in rep["results"] if x["id"] == "SDRS-020")
        self.assertEqual(f["result"], "error")
        self.assertIn("In-Use", json.dumps(f["findings"]))

    def test_a_pair_naming_many_disks_is_not_read_disk_by_disk(self):
        # a hostile answer: one pair naming thousands of disks; two are read, the rest is a fetch
        # error, and SDRS-020 says the pair's disks are not known
        doc = gen_scenario.generate(2)
        doc["replications"][0]["volume_ids"] += "".join(",extra-%04d" % i for i in range(2000))
        sim = self.start(doc)
        res, rep, _ = self.check(sim, doc)
        self.assertEqual(res.code, 3, res.err)
        self.assertIn("names more than the two disks of a pair", res.out)
        self.assertNotIn("extra-", json.dumps([q["query"] for q in self.evs(sim)]))
        self.assertEqual(next(x for x in rep["results"] if x["id"] == "SDRS-020")["result"], "error")

    def test_without_an_evs_endpoint_nothing_is_passed(self):
        doc = gen_scenario.generate(2)
        sim = self.start(doc)
        res, rep, saved = self.check(sim, doc, endpoints=["--endpoint", sim.url, "--ecs-endpoint", sim.url,
                                                          "--project-id", doc["project_id"]])
        self.assertEqual(res.code, 3, res.err)
        self.assertEqual(rep["verdict"], "INDETERMINATE")
        self.assertIn("the EVS endpoint is unknown (give --evs-endpoint URL or --region)", res.out)
        self.assertNotIn("volumes", saved)
        f = next(x for x in rep["results"] if x["id"] == "SDRS-020")
        self.assertEqual(f["result"], "error")
        self.assertIn("fetch again", f["error"])
        self.assertEqual(self.evs(sim), [])

    def test_a_snapshot_of_an_older_version_is_not_passed(self):
        with open(src("examples", "go.json")) as f:
            doc = json.load(f)
        del doc["volumes"], doc["flavors"]
        res = run("check", "--snapshot", self.write("old.json", doc), "--format", "json")
        self.assertEqual(res.code, 3, res.err)
        r = {x["id"]: x for x in json.loads(res.out)["results"]}
        for rule, part in (("SDRS-020", "volumes"), ("SDRS-021", "flavors")):
            self.assertEqual(r[rule]["result"], "error")
            self.assertIn("it reads %s, which the snapshot lacks" % part, r[rule]["error"])
            self.assertIn("fetch again", r[rule]["error"])
        self.assertIn("fetch again", res.err)


class Flavors(TempDirTest):
    def test_a_dr_flavor_sold_out_in_the_dr_zone_warns(self):
        doc = gen_scenario.generate(2)
        g = doc["server_groups"][0]
        dr = doc["servers"][doc["protected_instances"][0]["target_server"]]
        flavor = dict(dr["flavor"])
        doc["flavors"] = [{
            "id": flavor["id"], "name": flavor.get("name", flavor["id"]), "vcpus": str(flavor["vcpus"]),
            "ram": int(flavor["ram"]), "disk": "0", "os_extra_specs": {
                "cond:operation:status": "normal",
                "cond:operation:az": "%s(sellout)" % g["target_availability_zone"]}}]
        for s in doc["servers"].values():  # one flavor for all: every DR server is affected
            s["flavor"] = dict(flavor)
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        res = run("check", g["id"], *sim.endpoint_args()[:-1], doc["project_id"], "--format", "json",
                  "--save-snapshot", self.path("seen.json"), env=TOKEN)
        self.assertEqual(res.code, 0, res.err)
        r = {x["id"]: x for x in json.loads(res.out)["results"]}
        self.assertEqual(r["SDRS-021"]["result"], "warn")
        # the zone's list leaves the sold-out flavor out (OTC): the snapshot shows what ECS said
        with open(self.path("seen.json")) as f:
            saved = json.load(f)
        self.assertEqual(saved["flavors"][g["target_availability_zone"]]["flavors"], [])
        self.assertEqual(len(saved["flavors"][g["source_availability_zone"]]["flavors"]), 1)

    def test_huawei_cloud_flavor_capacity(self):
        # Huawei Cloud's capacity call says the DR flavor's resources in the DR zone are short
        doc = gen_scenario.generate(2)
        g = doc["server_groups"][0]
        flavors = {s["flavor"]["id"] for s in doc["servers"].values()}
        doc["flavor_capacity"] = {f: {g["source_availability_zone"]: True, g["target_availability_zone"]: False}
                                  for f in flavors}
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        args = ["check", g["id"], *sim.endpoint_args()[:-1], doc["project_id"], "--format", "json"]
        res = run(*args, "--save-snapshot", self.path("hwc.json"), env=TOKEN)
        self.assertEqual(res.code, 0, res.err)
        r = {x["id"]: x for x in json.loads(res.out)["results"]}
        self.assertEqual(r["SDRS-021"]["result"], "warn")
        self.assertIn("prefer", json.dumps(r["SDRS-021"]["findings"]))
        with open(self.path("hwc.json")) as f:
            saved = json.load(f)
        self.assertEqual(set(saved["flavor_capacity"]), flavors)
        asked = [q for q in sim.requests() if q["path"].endswith("/resources")]
        self.assertEqual(len(asked), len(flavors))  # once per flavor, not per server

    def test_open_telekom_cloud_is_not_asked_for_capacity(self):
        doc = gen_scenario.generate(2)
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        # the region says Open Telekom Cloud (its endpoints overridden to the simulator)
        res = run("check", doc["server_groups"][0]["id"], "--region", "eu-de", *sim.endpoint_args()[:-1],
                  doc["project_id"], "--format", "json", "--save-snapshot", self.path("otc.json"), env=TOKEN)
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual([q for q in sim.requests() if q["path"].endswith("/resources")], [])
        with open(self.path("otc.json")) as f:
            self.assertNotIn("flavor_capacity", json.load(f))
        # a cloud that does not offer the call (404) leaves no evidence and no problem
        res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1], doc["project_id"],
                  "--format", "json", env=TOKEN)
        self.assertEqual(res.code, 0, res.err)
        self.assertTrue([q for q in sim.requests() if q["path"].endswith("/resources")])


class Permissions(TempDirTest):
    """A 403 on a read is a finding naming the API and the permission it needs; only a refused
    credential (401) ends the run."""

    DENIALS = [
        ("/cloudvolumes/detail$", {"error": {"message": "action in pdp check deny!", "code": "EVS.2056"}},
         "evs:volumes:list"),
        ("/cloudservers/flavors$", {"error_msg": "Policy doesn't allow ecs:cloudServerFlavors:get to be "
                                                 "performed.", "error_code": "IAM.0003"},
         "ecs:cloudServerFlavors:get"),
        ("/cloudservers/(?!flavors)(?!detail)", {"error": {"message": "no permission", "code": "Ecs.0003"}},
         "ecs:cloudServers:showServer"),
        ("/protected-instances$", {"error": {"message": "no permission", "code": "SDRS.0005"}},
         "SDRS Administrator role (sdrs_adm"),
    ]

    def test_a_403_names_the_permission(self):
        doc = gen_scenario.generate(2)
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        for path, body, permission in self.DENIALS:
            with self.subTest(path=path):
                sim.faults({"match": {"path": path}, "kind": "status", "status": 403, "body": body})
                res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1],
                          doc["project_id"], "--batch-servers", "off", "--format", "json", env=TOKEN)
                self.assertEqual(res.code, 3, res.err)
                rep = json.loads(res.out)
                self.assertEqual(rep["verdict"], "INDETERMINATE")
                denied = [e for e in rep["errors"] if "HTTP 403" in e["message"]]
                self.assertTrue(denied, rep["errors"])
                self.assertIn(permission, denied[0]["message"])
                self.assertIn("GET ", denied[0]["where"])
                self.assertIn(permission, res.err)  # the reason line in the log
                if permission == "evs:volumes:list":
                    # a single read needs another permission: each disk is still asked for
                    singles = [q for q in sim.requests() if "/cloudvolumes/" in q["path"]
                               and not q["path"].endswith("/detail")]
                    self.assertTrue(singles)
        sim.faults({"match": {"path": "/replications$"}, "kind": "status", "status": 401,
                    "body": {"error_msg": "token expired", "error_code": "APIG.0301"}})
        res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1], doc["project_id"],
                  "--format", "json", env=TOKEN)
        self.assertEqual(res.code, 3, res.err)
        self.assertIn("was refused", res.err)


class Roles(TempDirTest):
    """A password login shows the token's roles: they go into the snapshot (never the token) and
    SDRS-022 warns when none of them grants SDRS."""

    def run_with_roles(self, roles):
        doc = gen_scenario.generate(2)
        doc["credentials"]["users"][0]["roles"] = roles
        sim = Sim(self.tmp, doc, name="sim-" + "-".join(roles or ["none"]))
        self.addCleanup(sim.stop)
        user = doc["credentials"]["users"][0]
        env = {"OS_USERNAME": user["name"], "OS_PASSWORD": user["password"],
               "OS_USER_DOMAIN_NAME": user["domain"], "OS_PROJECT_ID": doc["project_id"]}
        snap = self.path("seen-%s.json" % "-".join(roles or ["none"]))
        res = run("check", doc["server_groups"][0]["id"], "--iam-endpoint", sim.url, "--format", "json",
                  "--save-snapshot", snap, env=env)
        with open(snap) as f:
            text = f.read()
        self.assertNotIn(user["password"], text + res.out + res.err)
        self.assertNotIn("MII", text)  # the issued token
        return res, json.loads(res.out), json.loads(text)

    def test_roles_without_sdrs_warn(self):
        res, rep, saved = self.run_with_roles(["readonly"])
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(saved["caller"]["roles"], ["readonly"])
        r = {x["id"]: x for x in rep["results"]}
        self.assertEqual(r["SDRS-022"]["result"], "warn")
        res, rep, saved = self.run_with_roles(["te_admin"])
        self.assertEqual({x["id"]: x for x in rep["results"]}["SDRS-022"]["result"], "info")


if __name__ == "__main__":
    unittest.main()
