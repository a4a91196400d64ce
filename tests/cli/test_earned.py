"""GO is earned: what the fetch did not read in full, or read twice, or could not understand, is
INDETERMINATE live as much as offline, and never GO (the binary against the simulator).

Each case is first run without its fault, to show that the same world is NO-GO (or GO) when it is
read whole: the fault is what turns the verdict, and the fault is what the message names.
"""
import json
import os

from clitest import (SIM_GROUP, SIM_PROJECT, TOKEN_ENV, Sim, TempDirTest, basic_scenario, creds,
                     run, src)
from test_fleet import PROJECT, group_world, scenario as fleet_scenario

REPEAT_LATER_PAGES = {"kind": "repeat_page", "from_offset": 0}


def paged_world(deleted_dr_of_last=True):
    """The basic scenario with pages of two items, three drills, and (by default) the DR server of
    the last protected instance deleted, so that only the last page shows what blocks."""
    sc = basic_scenario(page_limit=2)
    drill = sc["disaster_recovery_drills"][0]
    for n in (2, 3):
        extra = json.loads(json.dumps(drill))
        extra["id"] = drill["id"][:-1] + str(n)
        extra["name"] = "%s-%d" % (drill["name"], n)
        sc["disaster_recovery_drills"].append(extra)
    for g in sc["server_groups"]:
        if g["id"] == SIM_GROUP:
            g["disaster_recovery_drill_num"] = 3
    if deleted_dr_of_last:
        last = sc["protected_instances"][-1]
        sc["servers"].pop(last["target_server"])
    return sc


class RepeatedPages(TempDirTest):
    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, paged_world())

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def check(self, *args):
        return run("check", SIM_GROUP, *self.sim.endpoint_args(), "--format", "json", *args,
                   env=creds(TOKEN_ENV))

    def test_read_whole_the_world_is_no_go(self):
        res = self.check()
        self.assertExit(res, 1)
        failed = [r["id"] for r in res.json()["results"] if r["result"] == "fail"]
        self.assertIn("SDRS-003", failed)

    def test_a_repeated_page_of_any_list_is_indeterminate(self):
        last = basic_scenario()["protected_instances"][-1]
        for path in ("/protected-instances$", "/replications$", "/disaster-recovery-drills$"):
            with self.subTest(list=path):
                self.sim.faults(dict(REPEAT_LATER_PAGES, match={"path": path, "query": "offset=[1-9]"}))
                res = self.check()
                self.assertExit(res, 3)
                rep = res.json()
                self.assertEqual(rep["verdict"], "INDETERMINATE")
                errors = " ".join("%s %s" % (e["where"], e["message"]) for e in rep["errors"])
                self.assertIn("appears twice", errors)
                self.assertIn("offset=2", errors)  # the request that repeated
                self.assertIn(path.strip("$/"), errors)
                if path == "/protected-instances$":
                    # the instance on the lost page was never read, so neither were its servers
                    paths = {r["path"] for r in self.sim.requests()}
                    self.assertFalse(any(last["target_server"] in p for p in paths))

    def test_text_report_names_the_request(self):
        self.sim.faults(dict(REPEAT_LATER_PAGES,
                             match={"path": "/protected-instances$", "query": "offset=[1-9]"}))
        res = run("check", SIM_GROUP, *self.sim.endpoint_args(), env=creds(TOKEN_ENV))
        self.assertExit(res, 3)
        self.assertTrue(res.out.startswith("INDETERMINATE"), res.out)
        self.assertIn("GET /v1/%s/protected-instances" % SIM_PROJECT, res.out)
        self.assertIn("appears twice", res.out)


class Answers(TempDirTest):
    """Answers of the wrong shape are failures to look, never skipped in silence."""

    def setUp(self):
        super().setUp()
        self.sim = Sim(self.tmp, basic_scenario())

    def tearDown(self):
        self.sim.stop()
        super().tearDown()

    def check(self, *args):
        return run("check", SIM_GROUP, *self.sim.endpoint_args(), "--format", "json", *args,
                   env=creds(TOKEN_ENV))

    def test_malformed_image_list(self):
        res = self.check()
        self.assertExit(res, 0)
        for body in ('{"images": [17]}', '{"images": [{"name": "no id"}]}', '{"images": {}}',
                     '{"image": []}'):
            with self.subTest(body=body):
                self.sim.faults({"match": {"path": "/v2/cloudimages"}, "kind": "body",
                                 "body": body})
                res = self.check()
                self.assertExit(res, 3)
                where = [e["where"] for e in res.json()["errors"]]
                self.assertTrue(any("cloudimages" in w for w in where), where)

    def test_repeated_key_in_an_answer(self):
        group = basic_scenario()["server_groups"][0]
        body = json.dumps({"server_group": dict(group, status="available")})
        # the same group answer with a second "status": a reader sees "available", json-c
        # would keep "protected"
        body = body[:-2] + ', "status": "protected"}}'
        self.sim.faults({"match": {"path": "/server-groups/%s$" % SIM_GROUP}, "kind": "body",
                         "body": body})
        res = self.check()
        self.assertExit(res, 3)
        msgs = " ".join(e["message"] for e in res.json()["errors"])
        self.assertIn('key "status" appears twice in $.server_group', msgs)

    def test_a_number_json_does_not_allow(self):
        # json-c's tokener reads "1." and writes it back as it came: the snapshot's own reader
        # refuses it, so the API answer is refused where it arrives, naming the request, and what
        # --save-snapshot wrote is a snapshot this tool reads back
        group = basic_scenario()["server_groups"][0]
        body = json.dumps({"server_group": group})
        body = body[:-2] + ', "x_extra": 1.}}'
        self.sim.faults({"match": {"path": "/server-groups/%s$" % SIM_GROUP}, "kind": "body",
                         "body": body})
        saved = os.path.join(self.tmp, "saved.json")
        res = self.check("--save-snapshot", saved)
        self.assertExit(res, 3)
        self.assertIn("a number is not written as JSON allows (RFC 8259)",
                      " ".join(e["message"] for e in res.json()["errors"]))
        again = run("check", "--snapshot", saved, "--format", "json")
        self.assertExit(again, 3)
        self.assertIn("RFC 8259", " ".join(e["message"] for e in again.json()["errors"]))

    def test_a_404_without_an_ecs_code_is_not_a_deletion(self):
        server = basic_scenario()["protected_instances"][0]["target_server"]
        for body in ('{"error_code": "APIG.0101", "error_msg": "The API does not exist"}', ""):
            with self.subTest(body=body):
                self.sim.faults({"match": {"path": "/cloudservers/%s$" % server}, "kind": "status",
                                 "status": 404, "body": body})
                res = self.check()
                self.assertExit(res, 3)
                rep = res.json()
                sdrs3 = [r for r in rep["results"] if r["id"] == "SDRS-003"][0]
                self.assertNotEqual(sdrs3["result"], "fail")
                self.assertIn("cannot tell whether the server was deleted",
                              " ".join(e["message"] for e in rep["errors"]))

    def test_an_answer_about_another_group(self):
        other = dict(basic_scenario()["server_groups"][0], id="00000000-0000-4000-8000-000000000099")
        self.sim.faults({"match": {"path": "/server-groups/%s$" % SIM_GROUP}, "kind": "body",
                         "body": json.dumps({"server_group": other})})
        res = self.check()
        self.assertExit(res, 3)
        self.assertIn("the answer is about protection group",
                      " ".join(e["message"] for e in res.json()["errors"]))


class Snapshots(TempDirTest):
    """The same classification offline: a saved 404 that is not ECS's own is a failure to look."""

    def test_saved_apig_404_is_indeterminate(self):
        with open(src("examples", "nogo-server-deleted.json")) as f:
            snap = json.load(f)
        for sid, entry in snap["servers"].items():
            if entry.get("http_status") == 404:
                entry["error"] = {"code": "APIG.0101", "message": "The API does not exist"}
        path = self.write("apig.json", json.dumps(snap))
        res = run("check", "--snapshot", path, "--format", "json")
        self.assertExit(res, 3)
        self.assertIn("cannot tell whether it was deleted",
                      " ".join(e["message"] for e in res.json()["errors"]))

    def test_repeated_key_in_a_snapshot(self):
        with open(src("examples", "go.json")) as f:
            text = f.read()
        # a second "status" in the group, after the first: a reader of the file sees "protected"
        text = text.replace('"status": "protected",', '"status": "protected", "status": "failing-over",', 1)
        path = self.write("dup.json", text)
        res = run("check", "--snapshot", path, "--format", "json")
        self.assertExit(res, 3)
        errs = res.json()["errors"]
        self.assertTrue(any(e["where"] == "$.server_group" and 'key "status" appears twice' in e["message"]
                            for e in errs), errs)

    def test_instance_listed_twice_in_place_of_another(self):
        with open(src("examples", "nogo-server-deleted.json")) as f:
            snap = json.load(f)
        # the instance whose server was deleted is replaced by a copy of the first one
        deleted = {sid for sid, e in snap["servers"].items() if e.get("http_status") == 404}
        victim = [i for i, pi in enumerate(snap["protected_instances"])
                  if pi["source_server"] in deleted or pi["target_server"] in deleted][0]
        keep = 0 if victim else 1
        snap["protected_instances"][victim] = snap["protected_instances"][keep]
        path = self.write("twice.json", json.dumps(snap))
        res = run("check", "--snapshot", path, "--format", "json")
        self.assertExit(res, 3)
        self.assertIn("appears twice", " ".join(e["message"] for e in res.json()["errors"]))


class FleetRepeatedPage(TempDirTest):
    def test_a_repeated_group_page_is_indeterminate(self):
        groups = [group_world(1), group_world(2), group_world(3, "available")]
        sc = fleet_scenario(groups)
        sc["page_limit"] = 2
        sim = Sim(self.tmp, sc)
        try:
            args = ["check", "--all", "--endpoint", sim.url, "--ecs-endpoint", sim.url,
                    "--evs-endpoint", sim.url, "--project-id", PROJECT]
            res = run(*args, env=creds(TOKEN_ENV))
            self.assertExit(res, 1)  # read whole: the third group is NO-GO
            sim.faults(dict(REPEAT_LATER_PAGES,
                            match={"path": "/server-groups$", "query": "offset=[1-9]"}))
            res = run(*args, env=creds(TOKEN_ENV))
            self.assertExit(res, 3)
            self.assertIn("appears twice", res.err)
            self.assertIn("GET /v1/%s/server-groups" % PROJECT, res.err)
        finally:
            sim.stop()


if __name__ == "__main__":
    import unittest
    unittest.main()
