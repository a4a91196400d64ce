"""Reports at a real group's size (issue #11): a screen of text, a comment of Markdown, every finding
in JSON. The snapshots are generated here (bench/gen_snapshot.py), never committed."""
import importlib.util
import json
import os
import re
import unittest

from clitest import TempDirTest, run, src

_spec = importlib.util.spec_from_file_location("gen_snapshot", src("bench", "gen_snapshot.py"))
gen_snapshot = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen_snapshot)

MD_LIMIT = 65536


def deleted(doc, indices):
    """The DR servers of the instances at indices, deleted through ECS (404 Ecs.0114): a blocker each."""
    names = []
    for i in indices:
        pi = doc["protected_instances"][i]
        doc["servers"][pi["target_server"]] = {
            "http_status": 404, "error": {"code": "Ecs.0114", "message": "The ECS does not exist."}}
        names.append(pi["name"])
    return names


class Large(TempDirTest):
    def snapshot(self, n, blocking=()):
        doc = gen_snapshot.snapshot(n)
        names = deleted(doc, blocking)
        return self.write("s%d.json" % n, json.dumps(doc)), names

    def check(self, path, *args):
        return run("check", "--snapshot", path, *args, timeout=120)

    def test_500_instances_fit_a_screen(self):
        path, blocking = self.snapshot(500, (7, 250, 499))
        res = self.check(path)
        self.assertEqual(res.code, 1, res.err)
        lines = res.out.splitlines()
        self.assertLessEqual(len(lines), 60, res.out)
        for name in blocking:  # every blocking resource is named, in full
            self.assertIn('"%s"' % name, res.out)
        self.assertEqual(res.out.count("[FAIL]"), 1)
        # the credential warning on every instance is a few lines, each naming its count
        counts = [int(m) for m in re.findall(r"^\s+(\d+) protected instances: ", res.out, re.M)]
        self.assertGreater(len(counts), 0, res.out)
        self.assertLessEqual(len(counts), 4)
        self.assertIn("findings: 3 blocking, 501 warnings, 0 notes", res.out)
        # -v expands everything: every finding and the credential plan
        full = self.check(path, "-v")
        self.assertGreater(len(full.out.splitlines()), 500)
        self.assertIn("Credential plan for the change window (SDRS-012): 3 rows for 500 resources",
                      full.out)

    def test_json_keeps_every_finding(self):
        path, _ = self.snapshot(500, (1, 2, 3))
        doc = self.check(path, "--format", "json").json()
        by_id = {r["id"]: r for r in doc["results"]}
        self.assertEqual(len(by_id["SDRS-012"]["findings"]), 500)
        grouped = sorted(i for g in by_id["SDRS-012"]["groups"] for i in g["findings"])
        self.assertEqual(grouped, list(range(500)))
        plan = by_id["SDRS-012"]["tables"][0]
        self.assertEqual(plan["name"], "credential_plan")
        self.assertEqual(sum(len(r["resources"]) for r in plan["rows"]), 500)
        self.assertEqual(len(by_id["SDRS-003"]["findings"]), 3)

    def test_rules_run_again_with_the_hook_give_the_same_report(self):
        # built-in rules run first without the count hook, within a CPU allowance of budget / 2 ns;
        # a budget of 10 million leaves 5 ms, so the long rules of a 500-instance group run again
        # with the hook (-vv says which): the report must be the same, finding for finding
        path, _ = self.snapshot(500, (1, 250))
        env = {"SOURCE_DATE_EPOCH": "1795608000"}
        fast = run("check", "--snapshot", path, "--format", "json", "-vv", env=env, timeout=120)
        slow = run("check", "--snapshot", path, "--format", "json", "-vv",
                   "--rule-instructions", "10000000", env=env, timeout=120)
        self.assertEqual(fast.code, 1, fast.err)
        again = re.findall(r"rule (SDRS-\d+): .*ran again with the count hook", slow.err)
        self.assertIn("SDRS-012", again, slow.err)
        a, b = fast.json(), slow.json()
        self.assertEqual([r["findings"] for r in a["results"]], [r["findings"] for r in b["results"]])
        self.assertEqual([r.get("tables") for r in a["results"]],
                         [r.get("tables") for r in b["results"]])
        self.assertEqual(a["verdict"], b["verdict"])

    def test_markdown_fits_a_comment_up_to_2000_instances(self):
        for n, blocking in ((500, (7, 250, 499)), (2000, tuple(range(0, 2000, 97)))):
            with self.subTest(n=n):
                path, names = self.snapshot(n, blocking)
                res = self.check(path, "--format", "markdown")
                self.assertEqual(res.code, 1)
                self.assertLessEqual(len(res.out), MD_LIMIT)
                for name in names:
                    self.assertIn(name, res.out)
                self.assertIn("### Credential plan for the change window (SDRS-012)", res.out)
                self.assertNotIn("Shortened", res.out)

    def test_markdown_says_what_it_shortened(self):
        """Every instance blocks: the findings cannot all come with evidence in one comment."""
        path, _ = self.snapshot(2000, range(2000))
        res = self.check(path, "--format", "markdown")
        self.assertEqual(res.code, 1)
        self.assertLessEqual(len(res.out), MD_LIMIT)
        self.assertIn("**Shortened to fit a comment:**", res.out)
        self.assertIn("the JSON report (`--format json`) has every finding", res.out)
        self.assertEqual(len(re.findall(r"Shortened to fit a comment", res.out)), 1)


class GroupedGoldens(TempDirTest):
    """Folded text, Markdown and the credential plan, byte for byte, on a generated group of 12
    (SDRS_UPDATE_GOLDEN=1 rewrites them)."""

    def test_golden(self):
        doc = gen_snapshot.snapshot(12)
        deleted(doc, (5,))
        path = self.write("grouped.json", json.dumps(doc))
        for name, args in (("grouped.txt", []), ("grouped.v.txt", ["-v"]),
                           ("grouped.md", ["--format", "markdown"])):
            with self.subTest(golden=name):
                res = run("check", "--snapshot", path, *args)
                self.assertEqual(res.code, 1, res.err)
                golden = src("tests", "golden", name)
                if os.environ.get("SDRS_UPDATE_GOLDEN"):
                    with open(golden, "w") as f:
                        f.write(res.out)
                with open(golden) as f:
                    self.assertEqual(res.out, f.read(), "golden %s differs" % golden)


class ReasonInTheLog(TempDirTest):
    def test_one_line_on_stderr_when_the_report_goes_elsewhere(self):
        cases = (("indeterminate-fetch-error.json", 3, "INDETERMINATE: failover of group ",
                  "fetch GET /v2/cloudimages"),
                 ("nogo-server-deleted.json", 1, "NO-GO: failover of group ", "SDRS-003 "),
                 ("go.json", 0, "GO: failover of group ", None))
        for name, code, head, reason in cases:
            with self.subTest(example=name):
                res = run("check", "--snapshot", src("examples", name), "--format", "json")
                self.assertEqual(res.code, code)
                lines = res.err.splitlines()
                self.assertEqual(len(lines), 1, res.err)
                self.assertIn(head, lines[0])
                if reason:
                    self.assertIn(reason, lines[0])
                res = run("check", "--snapshot", src("examples", name), "-o", self.path("r.txt"))
                self.assertIn(head, res.err)
                quiet = run("check", "--snapshot", src("examples", name), "--format", "json", "-q")
                self.assertEqual(quiet.err, "")
        # text on the terminal is the report itself: no extra line
        res = run("check", "--snapshot", src("examples", "go.json"))
        self.assertEqual(res.err, "")


class Counts(TempDirTest):
    def test_counts_agree_with_what_is_shown(self):
        res = run("check", "--snapshot", src("examples", "indeterminate-fetch-error.json"))
        self.assertEqual(res.code, 3)
        last = res.out.strip().splitlines()[-1]
        self.assertRegex(last, r"^22 rules: \d+ passed, .* \d+ errored; findings: \d+ blocking, "
                               r"\d+ warnings?, \d+ notes?; 1 problem made the decision impossible")
        res = run("check", "--snapshot", src("examples", "nogo-server-deleted.json"), "--format",
                  "json")
        doc = res.json()
        shown = sum(len(r["findings"]) for r in doc["results"]
                    if r["result"] != "waived" for f in [0])
        text = run("check", "--snapshot", src("examples", "nogo-server-deleted.json")).out
        m = re.search(r"findings: (\d+) blocking, (\d+) warnings?, (\d+) notes?", text)
        levels = [f["level"] for r in doc["results"] if r["result"] != "waived"
                  for f in r["findings"]]
        self.assertEqual((int(m.group(1)), int(m.group(2)), int(m.group(3))),
                         (levels.count("fail"), levels.count("warn"), levels.count("info")))
        self.assertEqual(shown, len(levels))


class Fleet(TempDirTest):
    def test_200_groups_one_line_each(self):
        d = os.path.join(self.tmp, "snaps")
        os.makedirs(d)
        base = gen_snapshot.snapshot(3)
        for g in range(200):
            doc = json.loads(json.dumps(base))
            doc["server_group"]["id"] = "%08x-0000-4000-8000-%012x" % (0x9, g)
            doc["server_group"]["name"] = "pg-%03d" % g
            for pi in doc["protected_instances"]:
                pi["server_group_id"] = doc["server_group"]["id"]
            for p in doc["replications"]:
                p["server_group_id"] = doc["server_group"]["id"]
            with open(os.path.join(d, "g%03d.json" % g), "w") as f:
                json.dump(doc, f)
        res = run("check", "--snapshot-dir", d, timeout=300)
        self.assertEqual(res.code, 0, res.err)
        group_lines = [l for l in res.out.splitlines() if l.startswith("  ") and re.search(r"\bpg-\d{3}\b", l)]
        self.assertEqual(len(group_lines), 200)
        # one summary line names the groups without drill evidence: ten, then how many more
        self.assertIn("without recent DR drill evidence (SDRS-017): 200 groups: pg-000, pg-001,", res.out)
        self.assertIn("pg-009 and 190 more\n", res.out)
        self.assertLessEqual(len(res.out.splitlines()), 200 + 10)


if __name__ == "__main__":
    unittest.main()
