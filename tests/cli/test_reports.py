"""End-to-end tests of the report formats: --format json against docs/report.schema.json, --format
junit (well-formed XML, the counts CI readers show), --format markdown, and golden files of both
(SDRS_UPDATE_GOLDEN=1 rewrites them). Python standard library only.
"""
import json
import os
import re
import unittest
import xml.etree.ElementTree as ET

from clitest import EXAMPLES, TempDirTest, run, src

UPDATE = os.environ.get("SDRS_UPDATE_GOLDEN") == "1"
SCHEMA_PATH = src("docs", "report.schema.json")
HEADINGS = {"GO": "## ✅ GO — ", "NO-GO": "## ⛔ NO-GO — ",
            "INDETERMINATE": "## ⚠️ INDETERMINATE — "}


# ---- a small JSON Schema validator: the subset docs/report.schema.json uses ---------------------

ANNOTATIONS = {"$schema", "$id", "title", "description", "$defs"}
KEYWORDS = {"type", "enum", "const", "required", "properties", "additionalProperties", "items",
            "pattern", "minimum", "$ref"}
TYPES = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def same(a, b):
    """JSON equality: true is not 1, 1 is 1.0."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def unsupported(schema, path="#"):
    """Keywords in schema (anywhere) that validate() does not implement."""
    bad = []
    if isinstance(schema, dict):
        for k, v in schema.items():
            if k not in KEYWORDS | ANNOTATIONS:
                bad.append("%s/%s" % (path, k))
            if k in ("properties", "$defs"):
                for name, sub in v.items():
                    bad += unsupported(sub, "%s/%s/%s" % (path, k, name))
            elif k in ("items", "additionalProperties") and isinstance(v, dict):
                bad += unsupported(v, "%s/%s" % (path, k))
    return bad


def validate(value, schema, root=None, path="$"):
    """Returns a list of "path: problem" strings, empty when value is valid."""
    root = schema if root is None else root
    if schema is True:
        return []
    if schema is False:
        return ["%s: not allowed" % path]
    errors = []
    if "$ref" in schema:
        ref = schema["$ref"]
        if not ref.startswith("#/"):
            raise ValueError("only local $ref is supported: " + ref)
        target = root
        for part in ref[2:].split("/"):
            target = target[part]
        errors += validate(value, target, root, path)
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[t](value) for t in types):
            return errors + ["%s: %r is not of type %s" % (path, value, "/".join(types))]
    if "const" in schema and not same(value, schema["const"]):
        errors.append("%s: %r is not %r" % (path, value, schema["const"]))
    if "enum" in schema and not any(same(value, e) for e in schema["enum"]):
        errors.append("%s: %r is not one of %r" % (path, value, schema["enum"]))
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        errors.append("%s: %r does not match %s" % (path, value, schema["pattern"]))
    if "minimum" in schema and TYPES["number"](value) and value < schema["minimum"]:
        errors.append("%s: %r is less than %r" % (path, value, schema["minimum"]))
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: %s is missing" % (path, key))
        for key, v in value.items():
            if key in props:
                errors += validate(v, props[key], root, "%s.%s" % (path, key))
            elif "additionalProperties" in schema:
                errors += validate(v, schema["additionalProperties"], root, "%s.%s" % (path, key))
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            errors += validate(v, schema["items"], root, "%s[%d]" % (path, i))
    return errors


def load_schema():
    with open(SCHEMA_PATH) as f:
        return json.load(f)


def examples():
    """(snapshot file name, expected.json entry) for every example, sorted."""
    with open(os.path.join(EXAMPLES, "expected.json")) as f:
        return sorted(json.load(f).items())


def check(name, want, fmt, *extra):
    args = ["check", "--snapshot", os.path.join(EXAMPLES, name), "--format", fmt,
            "--action", want.get("action", "failover")]
    if want.get("facts"):
        args += ["--facts", os.path.join(EXAMPLES, want["facts"])]
    return run(*args, *extra)


# ---- the schema -------------------------------------------------------------------------------

class Schema(TempDirTest):
    def test_schema_is_draft_2020_12_in_the_supported_subset(self):
        schema = load_schema()
        self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
        self.assertEqual(schema["properties"]["schema"]["const"], "sdrs-preflight/report@1")
        self.assertEqual(unsupported(schema), [])
        for name in ("verdict", "action"):
            self.assertIn("enum", schema["properties"][name])
        for name in ("level", "result"):
            self.assertIn(name, schema["$defs"])
        self.assertIn("enum", schema["$defs"]["result"]["properties"]["severity"])
        self.assertIn("enum", schema["$defs"]["result"]["properties"]["result"])

    def test_every_example_report_matches_the_schema(self):
        schema = load_schema()
        self.assertGreaterEqual(len(examples()), 12)
        for name, want in examples():
            with self.subTest(example=name):
                res = check(name, want, "json")
                self.assertEqual(res.code, want["exit_code"], res)
                self.assertEqual(validate(res.json(), schema), [])

    def test_synthetic_report_matches_the_schema(self):
        """The unit test's report: every result kind, every evidence type, a rule error."""
        with open(src("tests", "golden", "synthetic.json")) as f:
            self.assertEqual(validate(json.load(f), load_schema()), [])

    def test_validator_rejects_what_the_schema_forbids(self):
        schema = load_schema()
        name, want = examples()[0]
        good = check(name, want, "json").json()
        self.assertEqual(validate(good, schema), [])
        cases = [
            (lambda r: r.update(extra=1), "extra"),
            (lambda r: r.pop("verdict"), "verdict is missing"),
            (lambda r: r.update(verdict="MAYBE"), "$.verdict"),
            (lambda r: r.update(exit_code=True), "$.exit_code"),
            (lambda r: r["summary"].update(pass_=-1), "pass_"),
            (lambda r: r["summary"].update({"pass": -1}), "less than"),
            (lambda r: r["inputs"].update(snapshot_sha256="XYZ"), "does not match"),
            (lambda r: r["target"].update(name=5), "$.target.name"),
            (lambda r: r["results"][0].update(result="passed"), "$.results[0].result"),
            (lambda r: r["results"][0].update(findings=[{"level": "fail", "message": "m",
                                                         "resource": None,
                                                         "evidence": {"k": [1]}}]),
             "$.results[0].findings[0].evidence.k"),
            (lambda r: r.update(schema="sdrs-preflight/report@2"), "$.schema"),
        ]
        for change, needle in cases:
            with self.subTest(needle=needle):
                bad = json.loads(json.dumps(good))
                change(bad)
                errors = validate(bad, schema)
                self.assertTrue(any(needle in e for e in errors), errors)

    def test_waivers_in_the_report_match_the_schema(self):
        path = self.write("waivers.json", WAIVERS)
        res = run("check", "--snapshot", os.path.join(EXAMPLES, "nogo-server-deleted.json"),
                  "--waivers", path, "--format", "json")
        report = res.json()
        self.assertEqual(sorted(w["state"] for w in report["waivers"]),
                         ["applied", "expired", "unused"])
        self.assertEqual(validate(report, load_schema()), [])


WAIVERS = {"waivers": [
    {"rule": "SDRS-003", "group": "*", "reason": "DR server is being rebuilt",
     "approved_by": "change board", "expires": "2099-12-31", "ticket": "CHG-1234"},
    {"rule": "SDRS-012", "group": "*", "reason": "credentials checked by hand",
     "approved_by": "ops", "expires": "2020-01-31"},
    {"rule": "SDRS-009", "group": "another-group", "reason": "not this group",
     "approved_by": "ops", "expires": "2099-12-31"},
]}


# ---- JUnit --------------------------------------------------------------------------------------

class JUnit(TempDirTest):
    def parse(self, text):
        root = ET.fromstring(text.encode())
        self.assertTrue(text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n'))
        self.assertEqual(root.tag, "testsuites")
        self.assertEqual([c.tag for c in root], ["testsuite"])
        return root, root[0]

    def test_every_example_is_well_formed_with_the_right_counts(self):
        for name, want in examples():
            with self.subTest(example=name):
                res = check(name, want, "junit")
                self.assertEqual(res.code, want["exit_code"], res)
                report = check(name, want, "json").json()
                root, suite = self.parse(res.out)
                results = report["results"]

                def count(kind):
                    return sum(1 for r in results if r["result"] == kind)
                other = [e for e in report["errors"] if e["kind"] != "rule"]
                snapshot_case = 1 if other else 0
                for el in (root, suite):
                    self.assertEqual(int(el.get("tests")), len(results) + snapshot_case)
                    self.assertEqual(int(el.get("failures")), count("fail"))
                    self.assertEqual(int(el.get("errors")), count("error") + snapshot_case)
                    self.assertEqual(int(el.get("skipped")), count("skipped") + count("waived"))
                group = report["target"]["name"] or report["target"]["server_group_id"]
                self.assertEqual(suite.get("name"),
                                 "sdrs-preflight %s %s" % (want.get("action", "failover"), group))
                self.assertEqual(suite.get("timestamp"), report["generated_at"])
                self.assertIsNone(suite.get("hostname"))
                props = {p.get("name"): p.get("value") for p in suite.find("properties")}
                self.assertEqual(props["verdict"], want["verdict"])
                self.assertEqual(props["exit_code"], str(want["exit_code"]))
                self.assertEqual(props["snapshot_sha256"], report["inputs"]["snapshot_sha256"])
                self.assertEqual(props["rules_sha256"], report["inputs"]["rules_sha256"])
                for key in ("action", "facts_sha256", "waivers_sha256", "fetched_at"):
                    self.assertIn(key, props)
                cases = suite.findall("testcase")
                self.assertEqual(len(cases), len(results) + snapshot_case)
                for case, r in zip(cases, results):
                    self.assertEqual(case.get("name"), "%s %s" % (r["id"], r["title"]))
                    self.assertEqual(case.get("classname"),
                                     "sdrs." + re.sub(r"[^A-Za-z0-9_-]", "_", group))
                    self.assertEqual(case.get("time"), "0")
                    tags = [c.tag for c in case]
                    expect = {"pass": [], "fail": ["failure"], "error": ["error"],
                              "skipped": ["skipped"], "waived": ["skipped"],
                              "warn": ["system-out"], "info": ["system-out"]}[r["result"]]
                    if r["result"] in ("pass", "info", "warn") and not r["findings"]:
                        expect = []
                    self.assertEqual(tags, expect, r["id"])
                failing = sorted(c.get("name").split()[0] for c in cases
                                 if c.find("failure") is not None)
                self.assertEqual(failing, sorted(want["failing"]))
                for case, r in zip(cases, results):
                    if r["result"] == "fail":
                        failure = case.find("failure")
                        first = next(f for f in r["findings"] if f["level"] == "fail")
                        self.assertEqual(failure.get("message"), first["message"])
                        self.assertEqual(failure.get("type"), r["severity"])
                        for f in r["findings"]:
                            self.assertIn(f["message"], failure.text)
                            if f["resource"]:
                                self.assertIn("resource: " + f["resource"], failure.text)
                        if r["remediation"]:
                            self.assertIn("fix: " + r["remediation"], failure.text)
                if snapshot_case:
                    error = cases[-1].find("error")
                    self.assertEqual(cases[-1].get("name"), "snapshot")
                    for e in other:
                        self.assertIn(e["message"], error.text)

    def test_fail_on_warning_and_waivers(self):
        path = self.write("waivers.json", WAIVERS)
        res = run("check", "--snapshot", os.path.join(EXAMPLES, "nogo-server-deleted.json"),
                  "--waivers", path, "--format", "junit")
        self.assertEqual(res.code, 1, res)
        _, suite = self.parse(res.out)
        cases = {c.get("name").split()[0]: c for c in suite.findall("testcase")}
        self.assertEqual(cases["SDRS-003"].find("skipped").get("message"),
                         "waived: DR server is being rebuilt (approved by change board, "
                         "expires 2099-12-31, CHG-1234)")
        self.assertIn("[FAIL] protected instance", cases["SDRS-003"].find("system-out").text)
        self.assertEqual(cases["waivers"].find("failure").get("type"), "expired-waiver")
        self.assertIn("SDRS-012", cases["waivers"].find("failure").get("message"))
        self.assertEqual((suite.get("failures"), suite.get("skipped")), ("1", "3"))
        res = run("check", "--snapshot", os.path.join(EXAMPLES, "warn-replication-lag.json"),
                  "--fail-on", "warning", "--format", "junit")
        self.assertEqual(res.code, 1, res)
        _, suite = self.parse(res.out)
        failures = [c for c in suite.findall("testcase") if c.find("failure") is not None]
        self.assertTrue(failures)
        self.assertEqual(int(suite.get("failures")), len(failures))
        for c in failures:
            self.assertTrue(
                c.find("failure").get("message").startswith("warning (--fail-on warning): "))

    def test_golden_junit_files_are_well_formed(self):
        for name in sorted(os.listdir(src("tests", "golden"))):
            if name.endswith(".junit.xml"):
                with self.subTest(golden=name):
                    with open(src("tests", "golden", name), encoding="utf-8") as f:
                        self.parse(f.read())


# ---- Markdown -----------------------------------------------------------------------------------

class Markdown(TempDirTest):
    def test_every_example_starts_with_the_verdict_and_names_failing_rules(self):
        for name, want in examples():
            with self.subTest(example=name):
                res = check(name, want, "markdown")
                self.assertEqual(res.code, want["exit_code"], res)
                report = check(name, want, "json").json()
                head = HEADINGS[want["verdict"]] + "%s of protection group `" % want.get(
                    "action", "failover")
                self.assertTrue(res.out.startswith(head), res.out[:200])
                for rule in want["failing"]:
                    self.assertIn("#### %s · " % rule, res.out)
                for e in report["errors"]:
                    self.assertIn("- **%s** `%s`: " % (e["kind"], e["where"]) if e["where"]
                                  else "- **%s**: " % e["kind"], res.out)
                self.assertIn("### Inputs", res.out)
                self.assertIn("`%s`" % report["inputs"]["snapshot_sha256"], res.out)
                self.assertIn("`%s`" % report["inputs"]["rules_sha256"], res.out)
                self.assertEqual("### Could not decide" in res.out, bool(report["errors"]))
                self.assertNotIn("### Waivers applied", res.out)
                self.assertNotIn("\t", res.out)

    def test_waivers(self):
        path = self.write("waivers.json", WAIVERS)
        res = run("check", "--snapshot", os.path.join(EXAMPLES, "nogo-server-deleted.json"),
                  "--waivers", path, "--format", "markdown")
        self.assertEqual(res.code, 1, res)
        self.assertTrue(res.out.startswith(
            "## ⛔ NO-GO — failover of protection group `pg-erp-prod`\n\n1 expired waiver.\n"),
            res.out[:300])
        self.assertIn("#### Expired waivers", res.out)
        self.assertIn("### Waivers applied\n\n- **SDRS-003** No server of a protected instance was "
                      "deleted (blocker): DR server is being rebuilt (approved by change board, "
                      "expires 2099-12-31, CHG-1234)\n", res.out)

    def test_deterministic(self):
        a = run("check", "--snapshot", src("examples", "go.json"), "--format", "markdown")
        b = run("check", "--snapshot", src("examples", "go.json"), "--format", "markdown")
        self.assertEqual(a.out, b.out)


# ---- golden files -------------------------------------------------------------------------------

class Golden(unittest.TestCase):
    """JUnit and Markdown reports of examples, byte for byte (SDRS_UPDATE_GOLDEN=1 rewrites)."""

    CASES = ["go.json", "nogo-server-deleted.json", "indeterminate-missing-server.json"]
    SUFFIX = {"junit": "junit.xml", "markdown": "md"}

    def test_golden_reports(self):
        for name in self.CASES:
            for fmt, suffix in self.SUFFIX.items():
                with self.subTest(example=name, format=fmt):
                    res = run("check", "--snapshot", os.path.join(EXAMPLES, name), "--format", fmt)
                    self.assertIn(res.code, (0, 1, 3), res)
                    golden = src("tests", "golden", "%s.%s" % (name[:-5], suffix))
                    out = res.out.replace(os.path.join(EXAMPLES, ""), "examples/")
                    if UPDATE:
                        with open(golden, "w", encoding="utf-8") as f:
                            f.write(out)
                    with open(golden, encoding="utf-8") as f:
                        self.assertEqual(out, f.read(), "golden %s differs" % golden)


if __name__ == "__main__":
    unittest.main()
