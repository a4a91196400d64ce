#!/usr/bin/env python3
"""Builds the seed corpora under tests/fuzz/corpus/ from the project's own fixtures.

    python3 tests/fuzz/make-corpus.py        # rewrites corpus/<target>/ (regressions/ untouched)

Snapshots come from examples/*.json, tests/fixtures/minimal.json, tests/rules/base/*.json and every
rule test case (its patch applied, its action and facts carried as the fuzz-only members
"fuzz_action" and "fuzz_facts"). Each is trimmed to the fields the reader and the rules name, and its
UUIDs are shortened, so a seed is a few KiB. Error bodies cover every shape of sdrs-api.md section 7.1 and the cases of
tests/unit/check_apierr.c; facts and patches come from examples/facts.json and the rule cases.
File names are content hashes, as libFuzzer writes them, so reruns are stable.
"""
import copy
import glob
import hashlib
import hmac
import json
import os
import re
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "api-examples"))
MAX_SEED = 16384

# Field names the snapshot reader and the rules mention; other fields are dropped from seeds.
WORDS = set()
for path in glob.glob(os.path.join(ROOT, "rules", "**", "*.lua"), recursive=True) + [
        os.path.join(ROOT, "src", f) for f in ("snapshot.c", "engine.c")]:
    with open(path, encoding="utf-8") as f:
        WORDS |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_:\-]*", f.read()))
MAPS = {"servers", "images", "volumes", "flavors", "flavor_capacity"}  # objects keyed by id or zone: every key is data


def trim(v, key=None, depth=0):
    if key is not None and key.startswith("fuzz_"):
        return v
    if isinstance(v, dict):
        keep = depth == 0 or key in MAPS and depth == 1
        return {k: trim(x, k, depth + 1) for k, x in v.items()
                if keep or k in WORDS}
    if isinstance(v, list):
        return [trim(x, key, depth) for x in v]
    return v


ID = re.compile(r"\b(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
                r"|[0-9a-fA-F]{32})\b")


def short_ids(text):
    """Replaces UUIDs (dashed or 32 hex digits) by short ids that still compare equal the way the
    reader compares ids (ignoring dashes and case): "3c8f...-4f13" -> "id-1", "3C8F...4F13" -> "ID1"."""
    ids = {}

    def sub(m):
        u = m.group(0)
        n = ids.setdefault(u.replace("-", "").lower(), len(ids) + 1)
        s = f"id-{n}" if "-" in u else f"id{n}"
        return s.upper() if u.upper() == u and not u.isdigit() else s

    return ID.sub(sub, text)


def pointer(path):
    return [t.replace("~1", "/").replace("~0", "~") for t in path.split("/")[1:]]


def patch(doc, ops):
    """The subset of RFC 6902 that jsonutil_patch implements (add, replace, remove)."""
    for op in ops:
        toks = pointer(op["path"])
        parent = doc
        for t in toks[:-1]:
            parent = parent[int(t)] if isinstance(parent, list) else parent[t]
        last = toks[-1]
        if isinstance(parent, list):
            if op["op"] == "remove":
                del parent[int(last)]
            elif op["op"] == "replace":
                parent[int(last)] = copy.deepcopy(op["value"])
            else:
                parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(op["value"]))
        elif op["op"] == "remove":
            del parent[last]
        else:
            parent[last] = copy.deepcopy(op["value"])
    return doc


def dumps(v):
    return short_ids(json.dumps(v, separators=(",", ":"), ensure_ascii=False)).encode()


class Corpus:
    def __init__(self, name):
        self.dir = os.path.join(HERE, "corpus", name)
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.n = 0

    def add(self, data):
        if isinstance(data, str):
            data = data.encode()
        elif not isinstance(data, bytes):
            data = dumps(data)
        if len(data) > MAX_SEED:
            sys.exit(f"make-corpus: a seed of {len(data)} bytes exceeds {MAX_SEED}")
        path = os.path.join(self.dir, hashlib.sha1(data).hexdigest())
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
            self.n += 1


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def snapshots():
    """Yields (snapshot, case) for every fixture; case is the rule test case or None."""
    paths = sorted(glob.glob(os.path.join(ROOT, "examples", "*.json")))
    paths += [os.path.join(ROOT, "tests", "fixtures", "minimal.json")]
    paths += sorted(glob.glob(os.path.join(ROOT, "tests", "rules", "base", "*.json")))
    for p in paths:
        d = load(p)
        if isinstance(d, dict) and "schema" in d:
            yield d, None
    for p in sorted(glob.glob(os.path.join(ROOT, "tests", "rules", "SDRS-*", "*.json"))):
        case = load(p)
        if "expect" not in case:
            continue
        snap = load(os.path.normpath(os.path.join(os.path.dirname(p), case["snapshot"])))
        try:
            patch(snap, case.get("patch", []))
        except (KeyError, IndexError, ValueError) as e:
            sys.exit(f"make-corpus: {p}: cannot apply the patch: {e}")
        if "action" in case:
            snap["fuzz_action"] = case["action"]
        if "facts" in case:
            snap["fuzz_facts"] = case["facts"]
        yield snap, case


def malformed(base):
    """Snapshots that are not snapshots, or are with parts of the wrong type."""
    yield b""
    yield b"{}"
    yield b"[]"
    yield b"null"
    yield b'{"schema":"sdrs-preflight/snapshot@2"}'
    yield b'{"schema":"sdrs-preflight/snapshot@1"}'
    for key, bad in (("server_group", []), ("protected_instances", {}), ("servers", []),
                     ("images", "x"), ("fetch_errors", {}), ("fetched_at", 1), ("project_id", 7)):
        d = copy.deepcopy(base)
        d[key] = bad
        yield d
    d = copy.deepcopy(base)
    d["fetched_at"] = "yesterday"
    d["server_group"]["protected_instance_num"] = "2"
    d["fetch_errors"] = [{"request": "GET /v1/x/replications", "error": "HTTP 503"}, {}]
    yield d
    d = copy.deepcopy(base)
    sid = next(iter(d["servers"]))
    d["servers"][sid] = {"http_status": 404, "error": {"message": "gone", "code": "Ecs.0114"}}
    d["servers"]["other"] = {"http_status": "500", "error": {"message": "boom"}}
    d["servers"]["bad"] = []
    yield d


def error_bodies():
    """sdrs-api.md 7.1, the shapes of tests/unit/check_apierr.c, and the shared example bodies."""
    yield '{"error": {"message": "XXXX", "code": "XXX"}}'
    yield '{"error":{"message":"The protection group does not exist.","code":"SDRS.1013"}}'
    yield '{"badrequest": {"message": "XXXX", "code": "XXX"}}'
    yield '{"itemNotFound": {"message": "Instance could not be found", "code": 404}}'
    yield '{"forbidden":{"code":403,"message":"Policy doesn\'t allow compute:get"}}'
    yield '{"error": {"code": "SDRS.0221"}}'
    yield '{"error": {"code": "Ecs.0114", "message": "Invalid server id"}}'
    yield ('{"error_msg":"Incorrect IAM authentication information: verify aksk signature fail",'
           '"error_code":"APIG.0301","request_id":"2b6d2ef3a8c4e4e9f0d1c2b3a4958677"}')
    yield '{"request_id":"r-1","error_code":"APIG.0308","error_msg":"The throttling threshold has been reached"}'
    yield '{"error_code":"IAM.0001","error_msg":"The request you have made requires authentication."}'
    yield '{"error_code":"APIG.0101","error_msg":null}'
    yield '{"status":"FAIL","error_code":"EVS.2024","fail_reason":"Insufficient quota"}'
    yield '{"job_id":"0123","status":"FAIL","error_code":"SDRS.001","fail_reason":"x:SDRS.0011:Client error : {\\"badRequest\\": {\\"message\\": \\"m\\", \\"code\\": 400}}"}'
    yield '{"error":{"error_code":"SDRS.1002","error_msg":"state not allowed","request_id":"in-wrapper"}}'
    yield '{"meta":{"x":1},"conflictingRequest":{"message":"busy","code":409}}'
    yield '{"code": 400, "message": "Bad request"}'
    yield '{"error":{"code":4.5,"message":true}}'
    yield '{"error":{"code":"X","message":"line1\\nline2\\u001b[31mred \\u202egnp.exe\\u2028 caf\\u00e9"}}'
    yield b'{"error":{"code":"X","message":"bad \xff\xfe overlong \xc0\xaf surrogate \xed\xa0\x80"}}'
    yield b'\xef\xbb\xbf{"error":{"code":"BOM"}}'
    yield '{"error":{"code":"A","message":"first"}}{"error":{"code":"B"}}'
    yield '{"job_id":"0123","status":"SUCCESS","error_code":null,"fail_reason":null}'
    yield '{"error": {"message": "trunc'
    yield "Service Unavailable\r\n"
    yield ("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad "
           "Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n")
    yield "<html><body><h1>503</h1><p>Service\nUnavailable</p></body></html>"
    yield "<!DOCTYPE html><HTML><HEAD><TITLE>\n  Access Denied \n</TITLE></HEAD></HTML>"
    yield '{"error":{"code":"BIG","message":"' + "\u00e9" * 200 + '"}}'
    yield ""
    for rel in ("docs/error.json", "docs/error-generic.json", "docs/error-badrequest.json",
                "otcextensions/job-fail-fake.json"):
        p = os.path.join(SHARED, rel)
        if os.path.exists(p):
            with open(p, "rb") as f:
                yield f.read()


# The key fuzz_auditlog verifies and appends with (tests/fuzz/fuzz_auditlog.c).
AUDIT_KEY = b"fuzz-audit-key-0123456789abcdef"


def audit_log(events, key=None):
    """A log as --audit-log writes it: seq, prev_sha256, the event, and with a key key_id and mac."""
    lines, prev = [], "0" * 64
    key_id = key and hmac.new(key, b"sdrs-preflight audit log key id", "sha256").hexdigest()[:16]
    for i, ev in enumerate(events, 1):
        obj = dict({"seq": i, "prev_sha256": prev}, **ev)
        if key:
            obj["key_id"] = key_id
        line = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        if key:
            line = line[:-1] + ',"mac":"%s"}' % hmac.new(key, line.encode(), "sha256").hexdigest()
        lines.append(line)
        prev = hashlib.sha256(line.encode()).hexdigest()
    return ("\n".join(lines) + "\n").encode() if lines else b""


def audit_logs():
    events = [{"time": "2026-11-25T12:00:00Z", "event": "decision", "phase": "preflight",
               "verdict": "GO", "exit_code": 0, "inputs": {"snapshot_sha256": "ab" * 32}},
              {"event": "refused", "message": "not GO"},
              {"event": "action", "job_id": "j-1", "outcome": "success",
               "status_after": "failed-over"}]
    yield b""
    for key in (None, AUDIT_KEY):
        yield audit_log(events[:1], key)
        yield audit_log(events, key)
    log = audit_log(events, AUDIT_KEY).splitlines(keepends=True)
    yield b"".join(log[:2]) + log[2][:-9] + b"\n"              # a MAC cut short
    yield audit_log(events).rstrip(b"\n")                     # the last line incomplete
    yield b'{"seq":9223372036854775807,"prev_sha256":"' + b"0" * 64 + b'"}\n'
    yield b'{"seq":99999999999999999999,"prev_sha256":"' + b"0" * 64 + b'"}\n'


def main():
    snap_c, rule_c, report_c = Corpus("snapshot"), Corpus("rule"), Corpus("report")
    facts_c, apierr_c = Corpus("facts"), Corpus("apierr")
    base = None
    for snap, case in snapshots():
        t = trim(snap)
        if base is None and len(t.get("servers", {})) > 1:
            base = t
        for c in (snap_c, rule_c, report_c):
            c.add(t)
        if case is not None:
            facts_c.add(case.get("patch", []))
            if "facts" in case:
                facts_c.add(case["facts"])
    for d in malformed(base):
        snap_c.add(d)
    for action in ("failover", "planned-failover", "enable-protection", "disable-protection", "drill"):
        d = dict(base, fuzz_action=action)
        rule_c.add(d)
        report_c.add(d)
    gid = base["server_group"]["id"]
    waiver = {"rule": "SDRS-009", "group": gid, "reason": "lag accepted", "approved_by": "ops",
              "expires": "2030-12-31", "ticket": "CHG-1"}
    report_c.add(dict(base, fuzz_waivers={"waivers": [
        waiver, dict(waiver, rule="SDRS-001", group="*", expires="2020-01-01"),
        dict(waiver, rule="SDRS-404", group="other")]}))
    facts_c.add(load(os.path.join(ROOT, "examples", "facts.json")))
    facts_c.add({"first_switchover": None, "servers": {}, "comment": "c"})
    facts_c.add({"servers": {"x": {"cloud_init": None, "comment": "c"}}})
    facts_c.add({"first_switchover": "yes"})
    facts_c.add([{"op": "add", "path": "/protected_instances/-", "value": {"id": "n"}},
                 {"op": "add", "path": "/servers/a~1b~0c", "value": {"http_status": 404}},
                 {"op": "remove", "path": "/replications/0"},
                 {"op": "replace", "path": "/server_group/status", "value": "failed-over"}])
    facts_c.add([{"op": "move", "path": "/x"}, {"op": "add", "path": "x", "value": 1}])
    for body in error_bodies():
        apierr_c.add(body)
    audit_c = Corpus("auditlog")
    for log in audit_logs():
        audit_c.add(log)
    for c in (snap_c, rule_c, report_c, facts_c, apierr_c, audit_c):
        print(f"{os.path.relpath(c.dir, ROOT)}: {c.n} seeds")


if __name__ == "__main__":
    main()
