"""Tests of the simulator: the AK/SK verifier against known-answer vectors, and the running server end
to end over real sockets. Run: python3 -m unittest discover -s tests/sim"""

import datetime
import hashlib
import hmac
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import aksk  # noqa: E402
import auth as auth_mod  # noqa: E402
import gen_scenario  # noqa: E402
import scenario as scenario_mod  # noqa: E402

SHARED = os.environ.get("SDRS_SHARED_DIR", os.path.join(HERE, "..", "..", "..", "shared"))
VECTORS = os.path.join(SHARED, "api-examples", "signing-vectors.json")
BASIC = os.path.join(HERE, "scenarios", "basic.json")
FROM_SNAPSHOT = os.path.join(HERE, "scenarios", "from-snapshot.json")

with open(BASIC) as _f:
    BASIC_DOC = json.load(_f)
PID = BASIC_DOC["project_id"]
GID = BASIC_DOC["server_groups"][0]["id"]
TOKEN = BASIC_DOC["credentials"]["tokens"][0]
AK = BASIC_DOC["credentials"]["aksk"][0]["ak"]
SK = BASIC_DOC["credentials"]["aksk"][0]["sk"]
USER = BASIC_DOC["credentials"]["users"][0]
INSTANCES = BASIC_DOC["protected_instances"]


def utc(text):
    return datetime.datetime.strptime(text, aksk.DATE_FORMAT).replace(tzinfo=datetime.timezone.utc)


def sdk_now(offset_seconds=0):
    moment = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=offset_seconds)
    return moment.strftime(aksk.DATE_FORMAT)


# ---- AK/SK ------------------------------------------------------------------------------------------

class SigningVectorsTest(unittest.TestCase):
    """Every vector of api-examples/signing-vectors.json (read at test time, never copied)."""

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(VECTORS):
            raise unittest.SkipTest("no %s" % VECTORS)
        with open(VECTORS) as f:
            cls.doc = json.load(f)

    def test_signature_vectors(self):
        self.assertGreater(len(self.doc["vectors"]), 0)
        for vector in self.doc["vectors"]:
            with self.subTest(vector["id"]):
                inputs, expected = vector["inputs"], vector["expected"]["authorization"]
                _, signed, _ = aksk.parse_authorization(expected)
                headers = {k.lower(): v for k, v in inputs["headers_signed_view"].items()}
                body = inputs["body"].encode("utf-8")
                pairs = [tuple(p) for p in inputs["query"]]
                canonical = aksk.canonical_request(inputs["method"], inputs["path"], pairs, headers, signed,
                                                   aksk.sha256_hex(body))
                derived = vector.get("derived", {})
                if "canonical_request" in derived:
                    self.assertEqual(canonical, derived["canonical_request"])
                sts = aksk.string_to_sign(canonical, headers["x-sdk-date"])
                if "string_to_sign" in derived:
                    self.assertEqual(sts, derived["string_to_sign"])
                auth = aksk.sign(inputs["ak"], inputs["sk"], inputs["method"], inputs["path"], pairs,
                                 {k: headers[k] for k in signed}, body)
                self.assertEqual(auth, expected)
                self._verify(inputs, headers, body, expected, signed)

    def _verify(self, inputs, headers, body, authorization, signed):
        """The verifier accepts the vector's request when host is signed, and says why when it is not."""
        received = dict(headers, authorization=authorization)
        raw_query = "&".join("%s=%s" % (aksk.escape(k), aksk.escape(v)) for k, v in inputs["query"])
        args = (inputs["method"], inputs["path"] or "/", raw_query, received, body,
                {inputs["ak"]: inputs["sk"]}.get, utc(headers["x-sdk-date"]))
        if "host" in signed:
            self.assertEqual(aksk.verify(*args), inputs["ak"])
        else:
            with self.assertRaisesRegex(aksk.SignatureError, "must include host"):
                aksk.verify(*args)

    def test_encoding_vectors(self):
        for vector in self.doc.get("encoding_vectors", []):
            with self.subTest(vector["id"]):
                if vector["id"] == "canonical-query-string":
                    pairs = []
                    for name, value in vector["inputs"]:
                        for item in value if isinstance(value, list) else [value]:
                            pairs.append((name, json.dumps(item) if isinstance(item, bool) else str(item)))
                    self.assertEqual(aksk.canonical_query(pairs), vector["expected"])
                else:
                    self.assertEqual(aksk.escape("".join(chr(c) for c in range(128))), vector["expected"])


class AkskTest(unittest.TestCase):
    """Own vectors: canonical forms written out by hand, and the verifier's refusals."""

    DATE = "20261125T120000Z"
    PATH = "/v1/%s/protected-instances" % PID
    QUERY = "server_group_id=%s&offset=0&limit=2&name=web%%20a" % GID

    def test_canonical_forms(self):
        self.assertEqual(aksk.canonical_uri(""), "/")
        self.assertEqual(aksk.canonical_uri("/v1/p/server-groups"), "/v1/p/server-groups/")
        self.assertEqual(aksk.canonical_uri("/v1/p/"), "/v1/p/")
        self.assertEqual(aksk.canonical_uri("/a b/%7Ex/c%2Fd"), "/a%20b/~x/c%2Fd/")
        self.assertEqual(aksk.canonical_query(aksk.query_pairs("b=2&a=x+y&a=%2A&c=")), "a=%2A&a=x%20y&b=2&c=")
        self.assertEqual(aksk.canonical_query([]), "")
        self.assertEqual(aksk.escape("é/"), "%C3%A9%2F")

    def test_hand_written_canonical_request(self):
        headers = {"host": "127.0.0.1:8443", "x-sdk-date": self.DATE, "content-type": "application/json"}
        expected_canonical = (
            "GET\n/v1/%s/protected-instances/\nlimit=2&name=web%%20a&offset=0&server_group_id=%s\n"
            "content-type:application/json\nhost:127.0.0.1:8443\nx-sdk-date:%s\n\n"
            "content-type;host;x-sdk-date\n%s" % (PID, GID, self.DATE, hashlib.sha256(b"").hexdigest()))
        canonical = aksk.canonical_request("GET", self.PATH, aksk.query_pairs(self.QUERY), headers,
                                           ["content-type", "host", "x-sdk-date"], aksk.sha256_hex(b""))
        self.assertEqual(canonical, expected_canonical)
        sts = "SDK-HMAC-SHA256\n%s\n%s" % (self.DATE, hashlib.sha256(expected_canonical.encode()).hexdigest())
        sig = hmac.new(SK.encode(), sts.encode(), hashlib.sha256).hexdigest()
        self.assertEqual(aksk.sign(AK, SK, "GET", self.PATH, aksk.query_pairs(self.QUERY), headers),
                         "SDK-HMAC-SHA256 Access=%s, SignedHeaders=content-type;host;x-sdk-date, Signature=%s"
                         % (AK, sig))
        # A frozen value, so a change in any step shows up even if the steps stay self-consistent.
        self.assertEqual(sig, "e5371f814aae3f7eb23bb0105512d78ce223371294126c4bf62a9bb728788f99")

    def _request(self, body=b"", **overrides):
        headers = {"host": "127.0.0.1:8443", "x-sdk-date": self.DATE}
        auth = aksk.sign(AK, SK, "POST", self.PATH, aksk.query_pairs(self.QUERY), headers, body)
        received = dict(headers, authorization=auth)
        received.update(overrides)
        return received

    def _verify(self, received, body=b"", now=None, path=None):
        return aksk.verify("POST", path or self.PATH, self.QUERY, received, body, {AK: SK}.get,
                           now or utc(self.DATE))

    def test_accepts_good_request(self):
        self.assertEqual(self._verify(self._request(b'{"a":1}'), b'{"a":1}'), AK)
        # 14 minutes of skew either way is fine
        self.assertEqual(self._verify(self._request(), now=utc(self.DATE) + datetime.timedelta(minutes=14)), AK)
        self.assertEqual(self._verify(self._request(), now=utc(self.DATE) - datetime.timedelta(minutes=14)), AK)

    def test_refusals(self):
        good = self._request()
        cases = [
            ("verify aksk signature fail", dict(good), b"tampered", None, None),
            ("verify aksk signature fail", dict(good), b"", None, self.PATH + "/x"),
            ("verify aksk signature fail", dict(good, host="127.0.0.1:9999"), b"", None, None),
            ("x-sdk-date expired", dict(good), b"", utc(self.DATE) + datetime.timedelta(minutes=16), None),
            ("in the future", dict(good), b"", utc(self.DATE) - datetime.timedelta(minutes=16), None),
            ("not YYYYMMDDTHHMMSSZ", dict(good, **{"x-sdk-date": "2026-11-25T12:00:00Z"}), b"", None, None),
            ("ak not exist", dict(good, authorization=good["authorization"].replace(AK, "NOSUCHAK")), b"", None,
             None),
            ("not SDK-HMAC-SHA256", dict(good, authorization="Bearer x"), b"", None, None),
            ("lacks Signature", dict(good, authorization="SDK-HMAC-SHA256 Access=%s, SignedHeaders=host" % AK),
             b"", None, None),
        ]
        for message, received, body, now, path in cases:
            with self.subTest(message):
                with self.assertRaisesRegex(aksk.SignatureError, message):
                    self._verify(received, body, now, path)

    def test_signed_headers_rules(self):
        headers = {"host": "h", "x-sdk-date": self.DATE, "content-type": "application/json"}
        only_date = aksk.sign(AK, SK, "POST", self.PATH, [], headers, signed_headers=["x-sdk-date"])
        with self.assertRaisesRegex(aksk.SignatureError, "must include host"):
            self._verify(dict(headers, authorization=only_date))
        unsorted = "SDK-HMAC-SHA256 Access=%s, SignedHeaders=x-sdk-date;host, Signature=00" % AK
        with self.assertRaisesRegex(aksk.SignatureError, "sorted"):
            self._verify(dict(headers, authorization=unsorted))
        signed_missing = aksk.sign(AK, SK, "POST", self.PATH, [], dict(headers, **{"x-project-id": PID}))
        with self.assertRaisesRegex(aksk.SignatureError, "x-project-id is not in the request"):
            self._verify(dict(headers, authorization=signed_missing))

    def test_unsigned_payload(self):
        headers = {"host": "h", "x-sdk-date": self.DATE, "x-sdk-content-sha256": aksk.UNSIGNED_PAYLOAD}
        lower = dict(headers)
        signed = sorted(lower)
        canonical = aksk.canonical_request("POST", self.PATH, aksk.query_pairs(self.QUERY), lower, signed,
                                           aksk.UNSIGNED_PAYLOAD)
        auth = aksk.authorization(AK, signed, aksk.signature(SK, aksk.string_to_sign(canonical, self.DATE)))
        self.assertEqual(self._verify(dict(headers, authorization=auth), b"any body"), AK)


# ---- the running simulator --------------------------------------------------------------------------

SDK_PROJECT = object()  # SimProcess.signed: send X-Project-Id as the official SDKs do


class SimProcess:
    """sdrs_sim.py in a subprocess on a free port, with small helpers to talk to it."""

    def __init__(self, scenario, tls=None):
        self.dir = tempfile.mkdtemp(prefix="sdrs-sim-test-")
        if isinstance(scenario, dict):
            path = os.path.join(self.dir, "scenario.json")
            with open(path, "w") as f:
                json.dump(scenario, f)
            scenario = path
        self.port_file = os.path.join(self.dir, "port")
        self.log_file = os.path.join(self.dir, "requests.jsonl")
        command = [sys.executable, os.path.join(HERE, "sdrs_sim.py"), "--scenario", scenario,
                   "--port-file", self.port_file, "--log", self.log_file, "--quiet"]
        self.context = None
        if tls:
            command += ["--tls-cert", tls[0], "--tls-key", tls[1]]
            self.context = ssl.create_default_context(cafile=tls[0])
        self.proc = subprocess.Popen(command, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60  # generous: only a loaded machine waits
        while not os.path.exists(self.port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.proc.kill()
                raise RuntimeError("simulator did not start: %s" % self.proc.stderr.read().decode())
            time.sleep(0.01)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(10)
        self.proc.stderr.close()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code

    def connection(self, timeout=5):
        if self.context:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout, context=self.context)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=TOKEN, timeout=5):
        """(status, lower-case headers, body bytes) of one request on a fresh connection."""
        headers = dict(headers or {})
        if token is not None:
            headers.setdefault("X-Auth-Token", token)
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        conn = self.connection(timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def json(self, method, path, body=None, **kwargs):
        status, _, data = self.request(method, path, body, **kwargs)
        return status, json.loads(data) if data else None

    def get(self, path, **kwargs):
        return self.json("GET", path, **kwargs)

    def control(self, name, body=None):
        status, doc = self.json("GET" if body is None and name in ("requests", "state", "faults") else "POST",
                                "/__sim/" + name, body if body is not None else {}, token=None)
        if status != 200:
            raise AssertionError("control %s: %s %s" % (name, status, doc))
        return doc

    def fault(self, **spec):
        self.control("faults", {"faults": [spec]})

    def signed(self, method, path, query="", body=b"", date=None, secret=SK, extra=None, ak=AK,
               project=SDK_PROJECT, signed_headers=None):
        """A request signed with AK/SK: host, x-sdk-date and every extra header signed, as the official
        SDKs do. project: the X-Project-Id to send (signed); by default the project the path addresses,
        as the SDKs send it (none for IAM); None sends none. signed_headers: only these (lower-case)."""
        headers = {"Host": "127.0.0.1:%d" % self.port, "X-Sdk-Date": date or sdk_now()}
        if project is SDK_PROJECT:
            project = auth_mod.project_of(path, PID)
        if project is not None:
            headers["X-Project-Id"] = project
        headers.update(extra or {})
        headers["Authorization"] = aksk.sign(ak, secret, method, path, aksk.query_pairs(query), headers, body,
                                             signed_headers)
        return self.request(method, path + ("?" + query if query else ""), body or None, headers, token=None)


def scenario(**changes):
    """basic.json with fast jobs, plus changes."""
    doc = json.loads(json.dumps(BASIC_DOC))
    doc["jobs"] = {"steps": 2, "step_seconds": 0.05}
    doc.update(changes)
    return doc


# ECS power state as (status, OS-EXT-STS:vm_state, OS-EXT-STS:power_state); OFF_FIELDS stops a server by mutate.
ON, OFF = ("ACTIVE", "active", 1), ("SHUTOFF", "stopped", 4)
OFF_FIELDS = {"status": "SHUTOFF", "OS-EXT-STS:vm_state": "stopped", "OS-EXT-STS:power_state": 4}


def power_of(server):
    return server["status"], server["OS-EXT-STS:vm_state"], server["OS-EXT-STS:power_state"]


class SimTestCase(unittest.TestCase):
    SCENARIO = None  # a dict or a path; default: scenario()

    @classmethod
    def setUpClass(cls):
        cls.sim = SimProcess(cls.SCENARIO if cls.SCENARIO is not None else scenario())

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def setUp(self):
        self.sim.control("reset", {})
        self.sim.control("reset-log", {})

    def assertError(self, response, status, code, message=None):
        got_status, doc = response
        self.assertEqual(got_status, status, doc)
        body = doc.get("error") or doc
        self.assertEqual(body.get("code") or body.get("error_code"), code, doc)
        if message:
            self.assertIn(message, body.get("message") or body.get("error_msg"))

    def group(self):
        return self.sim.get("/v1/%s/server-groups/%s" % (PID, GID))[1]["server_group"]

    def action(self, body):
        return self.sim.json("POST", "/v1/%s/server-groups/%s/action" % (PID, GID), body)

    def wait_job(self, job_id, seen=None):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            status, job = self.sim.get("/v1/%s/jobs/%s" % (PID, job_id))
            self.assertEqual(status, 200)
            if seen is not None:
                seen.add(job["status"])
            if job["status"] in ("SUCCESS", "FAIL"):
                return job
            time.sleep(0.01)
        self.fail("job %s did not finish" % job_id)


class SdrsApiTest(SimTestCase):
    def test_group_show_and_errors(self):
        group = self.group()
        self.assertEqual((group["id"], group["status"], group["description"]), (GID, "protected", None))
        self.assertError(self.sim.get("/v1/%s/server-groups/nope" % PID), 400, "SDRS.1013", "Protection group")
        self.assertError(self.sim.get("/v1/wrongproject/server-groups/%s" % GID), 400, "SDRS.0001")
        self.assertError(self.sim.get("/v1/%s/nothing-here" % PID), 404, "APIG.0101")
        self.assertError(self.sim.get("/v1/%s/protected-instances/nope" % PID), 400, "SDRS.1320")
        self.assertError(self.sim.get("/v1/%s/jobs/0123" % PID), 404, "SDRS.0408")
        self.assertEqual(self.sim.get("/v1/%s/server-groups/%s/" % (PID, GID))[0], 200)  # trailing slash

    def test_lists_and_filters(self):
        base = "/v1/%s/" % PID
        status, doc = self.sim.get(base + "protected-instances?server_group_id=%s" % GID)
        self.assertEqual((status, doc["count"], len(doc["protected_instances"])), (200, 3, 3))
        self.assertEqual(doc["protected_instances"], INSTANCES)  # verbatim
        self.assertEqual(self.sim.get(base + "protected-instances?server_group_id=other")[1],
                         {"protected_instances": [], "count": 0})
        ids = urllib.parse.quote(json.dumps([GID]))
        self.assertEqual(self.sim.get(base + "replications?server_group_ids=" + ids)[1]["count"], 3)
        self.assertEqual(self.sim.get(base + "replications?protected_instance_id=" + INSTANCES[1]["id"])[1]["count"], 1)
        too_many = urllib.parse.quote(json.dumps(["x"] * 31))
        self.assertError(self.sim.get(base + "replications?server_group_ids=" + too_many), 400, "SDRS.0226")
        self.assertEqual(self.sim.get(base + "disaster-recovery-drills?server_group_id=" + GID)[1]["count"], 1)
        self.assertEqual(self.sim.get(base + "server-groups?status=protected&name=ERP")[1]["count"], 1)
        self.assertEqual(self.sim.get(base + "server-groups?status=available")[1]["count"], 0)
        self.assertEqual(self.sim.get(base + "server-groups?availability_zone=eu-de-01")[1]["count"], 1)
        odd = self.sim.get(base + "replications/" + BASIC_DOC["replications"][2]["id"])[1]["replication"]
        self.assertEqual(odd["fault_level"], 0)  # served as the scenario typed it

    def test_limit_and_offset_validation(self):
        base = "/v1/%s/protected-instances?" % PID
        for query in ("limit=0", "limit=1001", "limit=abc", "limit=-1", "limit="):
            self.assertError(self.sim.get(base + query), 400, "SDRS.0221")
        for query in ("offset=-1", "offset=x"):
            self.assertError(self.sim.get(base + query), 400, "SDRS.0222")
        status, doc = self.sim.get(base + "limit=2&offset=2")
        self.assertEqual((status, len(doc["protected_instances"]), doc["count"]), (200, 1, 3))
        self.assertEqual(self.sim.get(base + "limit=1000&offset=10")[1], {"protected_instances": [], "count": 3})

    def test_ecs_server_list(self):
        """GET cloudservers/detail: ECS paging (limit, offset from 1) and the total."""
        status, doc = self.sim.get("/v1/%s/cloudservers/detail?limit=1" % PID)
        self.assertEqual((status, doc["count"], len(doc["servers"])),
                         (200, len(BASIC_DOC["servers"]), 1))
        status, doc = self.sim.get("/v1/%s/cloudservers/detail?limit=4&offset=2" % PID)
        self.assertEqual(len(doc["servers"]), len(BASIC_DOC["servers"]) - 4)
        self.assertError(self.sim.get("/v1/%s/cloudservers/detail?limit=0" % PID), 400, "Ecs.0005")

    def test_ecs_and_ims(self):
        server_id = INSTANCES[0]["source_server"]
        status, doc = self.sim.get("/v1/%s/cloudservers/%s" % (PID, server_id))
        self.assertEqual((status, doc["server"]), (200, BASIC_DOC["servers"][server_id]))
        status, doc = self.sim.get("/v1/%s/cloudservers/%s" % (PID, "no-such-server"))
        self.assertEqual((status, doc), (404, {"error": {"message": "The ECS does not exist.", "code": "Ecs.0114"}}))
        self.sim.control("mutate", {"servers": {server_id: {"status": "DELETED"}}})
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/%s" % (PID, server_id))[1]["server"]["status"], "DELETED")
        self.sim.control("mutate", {"servers": {server_id: None}})
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/%s" % (PID, server_id))[0], 404)
        self.assertEqual(self.sim.get("/v1/other/cloudservers/%s" % server_id)[0], 403)
        image_id = BASIC_DOC["servers"][INSTANCES[1]["source_server"]]["image"]["id"]
        status, doc = self.sim.get("/v2/cloudimages?id=" + image_id)
        self.assertEqual((status, [i["__os_type"] for i in doc["images"]]), (200, ["Windows"]))
        self.assertEqual(self.sim.get("/v2/cloudimages?id=unknown")[1], {"images": []})


class AuthTest(SimTestCase):
    def test_token(self):
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.get(path)[0], 200)
        self.assertError(self.sim.get(path, token=None), 401, "APIG.0301", "neither X-Auth-Token")
        self.assertError(self.sim.get(path, token="forged"), 401, "APIG.0301", "decrypt token fail")
        # IAM and the control API need no credentials
        self.assertEqual([e["auth"] for e in self.sim.control("requests")], ["token", "none", "invalid"])

    def test_aksk(self):
        path = "/v1/%s/protected-instances" % PID
        status, _, body = self.sim.signed("GET", path, "server_group_id=%s&limit=2" % GID)
        self.assertEqual((status, json.loads(body)["count"]), (200, 3))
        status, _, body = self.sim.signed("GET", path, secret="wrong")
        self.assertEqual(status, 401)
        self.assertIn("verify aksk signature fail", json.loads(body)["error_msg"])
        status, _, body = self.sim.signed("GET", path, date=sdk_now(-16 * 60))
        self.assertEqual((status, json.loads(body)["error_code"]), (401, "APIG.0301"))
        self.assertIn("x-sdk-date expired", json.loads(body)["error_msg"])
        action = json.dumps({"failover-server-group": {}}).encode()
        status, _, body = self.sim.signed("POST", "/v1/%s/server-groups/%s/action" % (PID, GID), body=action,
                                          extra={"Content-Type": "application/json"})
        self.assertEqual(status, 200, body)
        log = self.sim.control("requests")
        self.assertEqual([e["auth"] for e in log], ["aksk", "invalid", "invalid", "aksk"])
        self.assertIn("canonical request", log[1]["auth_error"])
        self.assertEqual(log[0]["headers"]["Authorization"], "***")

    def iam(self, body, query=""):
        return self.sim.request("POST", "/v3/auth/tokens" + query, body, token=None)

    def password_body(self, password=USER["password"], scope=None):
        return {"auth": {"identity": {"methods": ["password"], "password": {"user": {
            "name": USER["name"], "password": password, "domain": {"name": USER["domain"]}}}},
            "scope": scope if scope is not None else {"project": {"id": PID}}}}

    def test_iam_password_token(self):
        status, headers, body = self.iam(self.password_body())
        self.assertEqual(status, 201, body)
        token = headers["x-subject-token"]
        doc = json.loads(body)["token"]
        self.assertEqual(doc["project"]["id"], PID)
        self.assertEqual(doc["methods"], ["password"])
        endpoints = {entry["type"]: entry["endpoints"][0]["url"] for entry in doc["catalog"]}
        base = "http://127.0.0.1:%d" % self.sim.port
        self.assertEqual(endpoints["sdrs"], base + "/v1/" + PID)
        self.assertEqual(endpoints["ecs"], base + "/v1/" + PID)
        self.assertEqual(endpoints["ims"], base)
        self.assertEqual(endpoints["identity"], base + "/v3")
        self.assertEqual((endpoints["evs"], endpoints["volumev2"]), (base + "/v2/" + PID, base + "/v2/" + PID))
        self.assertEqual({e["type"]: e["name"] for e in doc["catalog"]}["evs"], "evs")
        self.assertEqual(self.sim.get(endpoints["sdrs"][len(base):] + "/server-groups", token=token)[0], 200)
        self.assertEqual(self.sim.get(endpoints["evs"][len(base):] + "/cloudvolumes/detail", token=token)[0], 200)
        self.assertEqual(doc["roles"], [{"id": doc["roles"][0]["id"], "name": "te_admin"}])  # the default
        self.assertRegex(doc["roles"][0]["id"], r"\A[0-9a-f]{32}\Z")
        # the password never reaches the log
        logged = self.sim.control("requests")[0]
        self.assertNotIn(USER["password"], logged["body"])
        self.assertEqual(json.loads(logged["body"])["auth"]["identity"]["password"]["user"]["name"], USER["name"])

    def test_iam_variants_and_errors(self):
        status, headers, body = self.iam(self.password_body(scope={"project": {"name": "eu-de"}}), "?nocatalog=1")
        self.assertEqual(status, 201)
        self.assertNotIn("catalog", json.loads(body)["token"])
        status, _, body = self.iam(self.password_body("wrong"))
        self.assertEqual((status, json.loads(body)["error_msg"]), (401, "The username or password is wrong."))
        self.assertEqual(self.iam(self.password_body(scope={"project": {"id": "other"}}))[0], 401)
        self.assertEqual(self.iam("{not json")[0], 400)
        self.assertEqual(self.iam({"auth": {}})[0], 400)
        status, headers, _ = self.iam(self.password_body(scope={"domain": {"name": USER["domain"]}}))
        self.assertEqual(status, 201)
        self.assertError(self.sim.get("/v1/%s/server-groups" % PID, token=headers["x-subject-token"]), 401,
                         "APIG.0301", "not scoped to a project")

    def test_aksk_project_header_default(self):
        """Without aksk_project_header a scenario follows scenario.DEFAULT_AKSK_PROJECT_HEADER, the one
        switch (basic.json must not pin it, or flipping the default would not reach it)."""
        self.assertNotIn("aksk_project_header", BASIC_DOC)
        default = scenario_mod.DEFAULT_AKSK_PROJECT_HEADER
        self.assertIn(default, ("required", "optional"))
        self.assertEqual(self.sim.control("state")["aksk_project_header"], default)
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.signed("GET", path)[0], 200)  # X-Project-Id sent and signed
        status, _, body = self.sim.signed("GET", path, project=None)
        if default == "required":
            self.assertEqual((status, json.loads(body)["error_code"]), (401, "APIG.0301"))
        else:
            self.assertEqual(status, 200, body)
        self.assertEqual(self.sim.signed("GET", path, project="other")[0], 403)  # present: must match


# a temporary AK/SK pair and its security token (IAM's "securitytoken")
TEMP_AK, TEMP_SK = "TEMPSIMAK00000000001", "tempSimSecretKey0123456789abcdefghijklmno"
TEMP_TOKEN = "gQpzZWN1cml0eS10b2tlbi1mb3ItdGhlLXNpbQ"


def gateway_scenario(mode):
    """scenario() with aksk_project_header = mode (None: not set) and a temporary AK/SK pair added."""
    doc = scenario()
    doc["credentials"]["aksk"].append({"ak": TEMP_AK, "sk": TEMP_SK, "security_token": TEMP_TOKEN})
    if mode is not None:
        doc["aksk_project_header"] = mode
    return doc


class AkskRequiredProjectTest(SimTestCase):
    """aksk_project_header "required": the real gateway for a sub-project, and the official SDKs."""
    SCENARIO = gateway_scenario("required")
    SERVER = INSTANCES[0]["source_server"]
    IMAGE = BASIC_DOC["servers"][INSTANCES[1]["source_server"]]["image"]["id"]
    # (method, path, query) of each project-scoped service the client reads
    READS = [("GET", "/v1/%s/server-groups/%s" % (PID, GID), ""),
             ("GET", "/v1/%s/protected-instances" % PID, "server_group_id=%s&limit=2" % GID),
             ("GET", "/v1/%s/cloudservers/%s" % (PID, SERVER), ""),
             ("GET", "/v1/%s/cloudservers/flavors" % PID, "availability_zone=eu-de-02"),
             ("GET", "/v2/cloudimages", "id=" + IMAGE),
             ("GET", "/v2/%s/cloudvolumes/detail" % PID,
              "ids=" + urllib.parse.quote("['%s']" % BASIC_DOC["replications"][0]["volume_ids"].split(",")[0])),
             ("GET", "/v2/%s/os-vendor-volumes/%s" % (PID, BASIC_DOC["replications"][0]["volume_ids"].split(",")[1]),
              "")]

    def test_state(self):
        self.assertEqual(self.sim.control("state")["aksk_project_header"], "required")

    def test_each_service(self):
        for method, path, query in self.READS:
            with self.subTest(path=path):
                self.sim.control("reset-log", {})
                status, _, body = self.sim.signed(method, path, query)
                self.assertEqual(status, 200, body)
                self.assertError(self._json(self.sim.signed(method, path, query, project=None)), 401, "APIG.0301",
                                 "must carry X-Project-Id: %s, signed" % PID)
                self.assertError(self._json(self.sim.signed(method, path, query,
                                                            signed_headers=["host", "x-sdk-date"])),
                                 401, "APIG.0301", "X-Project-Id must be among the SignedHeaders (got host;x-sdk-date)")
                self.assertError(self._json(self.sim.signed(method, path, query, project="0" * 32)), 403, "APIG.0302",
                                 "X-Project-Id %s is not the project of the request (%s)" % ("0" * 32, PID))
                log = self.sim.control("requests")
                self.assertEqual([(e["auth"], e["status"]) for e in log],
                                 [("aksk", 200), ("invalid", 401), ("invalid", 401), ("invalid", 403)])
                self.assertEqual([e["signed_headers"] for e in log],
                                 [["host", "x-project-id", "x-sdk-date"], ["host", "x-sdk-date"],
                                  ["host", "x-sdk-date"], ["host", "x-project-id", "x-sdk-date"]])
                self.assertEqual(log[0]["headers"]["X-Project-Id"], PID)  # not a secret: logged as sent
                self.assertIn("must carry X-Project-Id", log[1]["auth_error"])

    def test_error_body(self):
        status, headers, body = self.sim.signed("GET", "/v1/%s/server-groups" % PID, project=None)
        doc = json.loads(body)
        self.assertEqual((status, set(doc), doc["request_id"]), (401, {"error_msg", "error_code", "request_id"},
                                                                 headers["x-request-id"]))
        self.assertTrue(doc["error_msg"].startswith("Incorrect IAM authentication information: "), doc)
        status, _, body = self.sim.signed("GET", "/v1/%s/server-groups" % PID, project="other")
        doc = json.loads(body)
        self.assertEqual((status, doc["error_code"]), (403, "APIG.0302"))
        self.assertTrue(doc["error_msg"].startswith("The IAM user is not authorized to access the API: "), doc)

    def test_refused_action_does_nothing(self):
        path = "/v1/%s/server-groups/%s/action" % (PID, GID)
        body = json.dumps({"failover-server-group": {}}).encode()
        ctype = {"Content-Type": "application/json"}
        for project in (None, "other"):
            status, _, answer = self.sim.signed("POST", path, body=body, extra=ctype, project=project)
            self.assertIn(status, (401, 403), answer)
        self.assertEqual((self.group()["status"], self.sim.control("state")["actions_accepted"]), ("protected", 0))
        status, _, answer = self.sim.signed("POST", path, body=body, extra=ctype)
        self.assertEqual(status, 200, answer)
        self.assertEqual(self.sim.control("requests")[-1]["signed_headers"],
                         ["content-type", "host", "x-project-id", "x-sdk-date"])

    def test_path_project_is_the_one_checked(self):
        """X-Project-Id must equal the path's project; the services then check the path as before."""
        self.assertError(self._json(self.sim.signed("GET", "/v1/other/server-groups/%s" % GID)), 400, "SDRS.0001")
        self.assertEqual(self.sim.signed("GET", "/v1/other/cloudservers/%s" % self.SERVER)[0], 403)
        self.assertError(self._json(self.sim.signed("GET", "/v1/other/server-groups/%s" % GID, project=PID)),
                         403, "APIG.0302")
        # IMS names no project: the scenario's is the one
        self.assertError(self._json(self.sim.signed("GET", "/v2/cloudimages", project="other")), 403, "APIG.0302")
        # EVS names it after /v2/; another one passes the gateway when signed, and EVS refuses it
        self.assertError(self._json(self.sim.signed("GET", "/v2/other/cloudvolumes/detail", project=PID)),
                         403, "APIG.0302")
        status, _, body = self.sim.signed("GET", "/v2/other/cloudvolumes/detail")
        self.assertEqual((status, json.loads(body)["forbidden"]["code"]), (403, 403))

    def test_tokens_and_iam_unaffected(self):
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.get(path)[0], 200)
        self.assertEqual(self.sim.get(path, headers={"X-Project-Id": "other"})[0], 200)
        status, headers, _ = self.sim.request("POST", "/v3/auth/tokens", {"auth": {"identity": {
            "methods": ["password"], "password": {"user": {"name": USER["name"], "password": USER["password"],
                                                           "domain": {"name": USER["domain"]}}}},
            "scope": {"project": {"id": PID}}}}, token=None)
        self.assertEqual(status, 201)
        self.assertEqual(self.sim.get(path, token=headers["x-subject-token"])[0], 200)
        log = self.sim.control("requests")
        self.assertEqual([(e["auth"], e["signed_headers"]) for e in log],
                         [("token", None), ("token", None), ("none", None), ("token", None)])

    def test_signed_headers_of_refused_signatures(self):
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.signed("GET", path, secret="wrong")[0], 401)
        self.assertEqual(self.sim.request("GET", path, headers={"Authorization": "SDK-HMAC-SHA256 Access=x"},
                                          token=None)[0], 401)
        log = self.sim.control("requests")
        self.assertEqual([(e["auth"], e["signed_headers"]) for e in log],
                         [("invalid", ["host", "x-project-id", "x-sdk-date"]), ("invalid", None)])
        self.assertIn("verify aksk signature fail", log[0]["auth_error"])

    def test_temporary_aksk(self):
        path = "/v1/%s/server-groups/%s" % (PID, GID)
        token = {"X-Security-Token": TEMP_TOKEN}

        def call(extra=None, secret=TEMP_SK, **kwargs):
            return self._json(self.sim.signed("GET", path, ak=TEMP_AK, secret=secret, extra=extra, **kwargs))

        self.assertEqual(call(token)[0], 200)
        self.assertError(call(), 401, "APIG.0301", "ak %s is a temporary access key: the request must carry its "
                                                   "X-Security-Token" % TEMP_AK)
        self.assertError(call(token, signed_headers=["host", "x-project-id", "x-sdk-date"]), 401, "APIG.0301",
                         "X-Security-Token must be among the SignedHeaders (got host;x-project-id;x-sdk-date)")
        self.assertError(call({"X-Security-Token": TEMP_TOKEN + "x"}), 401, "APIG.0301",
                         "X-Security-Token is not the security token of ak %s" % TEMP_AK)
        self.assertError(call(token, project=None), 401, "APIG.0301", "must carry X-Project-Id")
        self.assertError(call(token, secret="wrong"), 401, "APIG.0301", "verify aksk signature fail")
        log = self.sim.control("requests")
        self.assertEqual([e["status"] for e in log], [200, 401, 401, 401, 401, 401])
        self.assertEqual(log[0]["signed_headers"], ["host", "x-project-id", "x-sdk-date", "x-security-token"])
        self.assertEqual(log[0]["headers"]["X-Security-Token"], "***")  # a credential: never logged
        self.assertIn("x-security-token:***", log[5]["auth_error"])  # the canonical request, redacted
        self.assertNotIn(TEMP_TOKEN, json.dumps(log))
        with open(self.sim.log_file) as f:
            self.assertNotIn(TEMP_TOKEN, f.read())
        # a permanent pair's X-Security-Token is not looked at
        self.assertEqual(self.sim.signed("GET", path, extra={"X-Security-Token": "whatever"})[0], 200)

    @staticmethod
    def _json(response):
        status, _, body = response
        return status, json.loads(body)


class AkskOptionalProjectTest(SimTestCase):
    SCENARIO = gateway_scenario("optional")

    def test_optional(self):
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.control("state")["aksk_project_header"], "optional")
        self.assertEqual(self.sim.signed("GET", path)[0], 200)
        self.assertEqual(self.sim.signed("GET", path, project=None)[0], 200)
        self.assertEqual(self.sim.signed("GET", "/v2/cloudimages", project=None)[0], 200)
        status, _, body = self.sim.signed("GET", path, signed_headers=["host", "x-sdk-date"])
        self.assertEqual((status, json.loads(body)["error_code"]), (401, "APIG.0301"))
        status, _, body = self.sim.signed("GET", path, project="other")
        self.assertEqual((status, json.loads(body)["error_code"]), (403, "APIG.0302"))
        # the security token is checked whatever the mode
        status, _, body = self.sim.signed("GET", path, ak=TEMP_AK, secret=TEMP_SK, project=None)
        self.assertEqual((status, json.loads(body)["error_code"]), (401, "APIG.0301"))
        self.assertEqual(self.sim.signed("GET", path, ak=TEMP_AK, secret=TEMP_SK, project=None,
                                         extra={"X-Security-Token": TEMP_TOKEN})[0], 200)
        self.assertEqual([e["signed_headers"] for e in self.sim.control("requests")][:2],
                         [["host", "x-project-id", "x-sdk-date"], ["host", "x-sdk-date"]])


class AkskIgnoredProjectTest(SimTestCase):
    SCENARIO = gateway_scenario("ignored")

    def test_ignored(self):
        path = "/v1/%s/server-groups" % PID
        self.assertEqual(self.sim.control("state")["aksk_project_header"], "ignored")
        for kwargs in ({}, {"project": None}, {"signed_headers": ["host", "x-sdk-date"]}, {"project": "other"}):
            with self.subTest(**{k: str(v) for k, v in kwargs.items()}):
                self.assertEqual(self.sim.signed("GET", path, **kwargs)[0], 200)
        status, _, body = self.sim.signed("GET", path, ak=TEMP_AK, secret=TEMP_SK)
        self.assertEqual((status, json.loads(body)["error_code"]), (401, "APIG.0301"))


def load_scenario(doc):
    """scenario_mod.load of doc, written to a temporary file."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return scenario_mod.load(path)


class GatewayScenarioTest(unittest.TestCase):
    """Loading aksk_project_header and temporary AK/SK pairs; which paths are project-scoped."""

    def load(self, doc):
        return load_scenario(doc)

    def test_load(self):
        sc = self.load(scenario())
        self.assertEqual((sc.aksk_project_header, sc.aksk, sc.security_tokens),
                         (scenario_mod.DEFAULT_AKSK_PROJECT_HEADER, {AK: SK}, {}))
        sc = self.load(gateway_scenario("required"))
        self.assertEqual((sc.aksk_project_header, sc.aksk, sc.security_tokens),
                         ("required", {AK: SK, TEMP_AK: TEMP_SK}, {TEMP_AK: TEMP_TOKEN}))
        for mode in ("optional", "ignored"):
            self.assertEqual(self.load(gateway_scenario(mode)).aksk_project_header, mode)

    def test_bad(self):
        def creds(*pairs):
            return {"tokens": [TOKEN], "aksk": list(pairs)}
        for doc, message in ((dict(scenario(), aksk_project_header="always"), "aksk_project_header must be"),
                             (dict(scenario(), aksk_project_header=True), "aksk_project_header must be"),
                             (dict(scenario(), credentials=creds({"ak": "A", "sk": "S", "security_token": ""})),
                              "security_token must be a non-empty string"),
                             (dict(scenario(), credentials=creds({"ak": "A", "sk": "S", "security_token": 1})),
                              "security_token must be a non-empty string"),
                             (dict(scenario(), credentials=creds({"ak": "A", "sk": "S", "securitytoken": "t"})),
                              "goes in security_token"),
                             (dict(scenario(), credentials={"aksk": {"ak": "A", "sk": "S"}}), "must be a list")):
            with self.subTest(message=message):
                with self.assertRaisesRegex(scenario_mod.ScenarioError, message):
                    self.load(doc)

    def test_project_of(self):
        for path, project in (("/v1/%s/server-groups" % PID, PID), ("/v1/p1/cloudservers/x", "p1"),
                              ("/v2.1/p2/servers/x", "p2"), ("/v1/p%203/jobs/j", "p 3"), ("/v1/p4", "p4"),
                              ("/v2/cloudimages", PID), ("/v2/cloudimages/", PID), ("/v3/auth/tokens", None),
                              ("/v1/", None), ("/", None), ("/v2/other", None),
                              ("/v2/p5/cloudvolumes/detail", "p5"), ("/v2/p6/os-vendor-volumes/v", "p6"),
                              ("/v2/p7/volumes", "p7"), ("/v2/p8/other", None)):
            with self.subTest(path=path):
                self.assertEqual(auth_mod.project_of(path, PID), project)


class ActionTest(SimTestCase):
    def job(self, job_id):
        status, job = self.sim.get("/v1/%s/jobs/%s" % (PID, job_id))
        self.assertEqual(status, 200, job)
        return job

    def test_failover_then_reprotect(self):
        # Each job step lasts an hour of the jobs' clock, which only /__sim/advance moves on: every
        # status below is seen however late the polls come (no timing, however loaded the machine).
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})
        status, doc = self.action({"failover-server-group": {}})
        self.assertEqual(status, 200, doc)
        self.assertRegex(doc["job_id"], r"\A[0-9a-f]{32}\Z")
        self.assertEqual(self.group()["status"], "failing-over")
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1002", "failing-over")
        seen = [self.job(doc["job_id"])["status"]]
        self.sim.control("advance", {"seconds": 3600})
        job = self.job(doc["job_id"])
        seen.append(job["status"])
        self.assertEqual([s["status"] for s in job["entities"]["sub_jobs"]], ["RUNNING"] * 3)
        self.assertEqual((self.group()["status"], job["end_time"]), ("failing-over", None))
        self.sim.control("advance", {"seconds": 3600})
        job = self.wait_job(doc["job_id"])
        seen.append(job["status"])
        self.assertEqual(seen, ["INIT", "RUNNING", "SUCCESS"])
        self.assertEqual((job["job_type"], job["status"], job["error_code"], job["fail_reason"]),
                         ("failoverProtectionGroupNoCG", "SUCCESS", None, None))
        self.assertRegex(job["begin_time"], r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\Z")
        self.assertEqual(job["entities"]["server_group_id"], GID)
        self.assertEqual(len(job["entities"]["sub_jobs"]), 3)
        group = self.group()
        self.assertEqual((group["status"], group["priority_station"]), ("failed-over", "target"))
        state = self.sim.control("state")
        for obj in state["protected_instances"] + state["replications"]:
            self.assertEqual((obj["status"], obj["priority_station"]), ("failed-over", "target"))

        # re-protection needs the current DR site (now the source servers) stopped
        self.assertError(self.action({"start-server-group": {}}), 400, "SDRS.1342")
        self.sim.control("mutate", {"servers": {pi["source_server"]: {"status": "SHUTOFF"} for pi in INSTANCES}})
        status, doc = self.action({"start-server-group": {}})
        self.assertEqual(status, 200, doc)
        self.assertEqual(self.group()["status"], "reprotecting")
        seen = [self.job(doc["job_id"])["status"]]
        self.sim.control("advance", {"seconds": 3600})
        seen.append(self.job(doc["job_id"])["status"])
        self.assertEqual(self.group()["status"], "reprotecting")
        self.sim.control("advance", {"seconds": 3600})
        job = self.wait_job(doc["job_id"])
        seen.append(job["status"])
        self.assertEqual(seen, ["INIT", "RUNNING", "SUCCESS"])
        self.assertEqual((job["job_type"], job["status"]), ("reprotectProtectionGroupNoCG", "SUCCESS"))
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("protected", "target"))

    def test_job_in_progress(self):
        self.sim.control("mutate", {"jobs": {"steps": 3, "step_seconds": 3600}})  # INIT until advanced
        job_id = self.action({"failover-server-group": {}})[1]["job_id"]
        status, job = self.sim.get("/v1/%s/jobs/%s" % (PID, job_id))
        self.assertEqual((status, job["status"], job["end_time"], job["error_code"]), (200, "INIT", None, None))
        self.assertEqual({s["status"] for s in job["entities"]["sub_jobs"]}, {"INIT"})
        self.assertEqual(self.group()["status"], "failing-over")

    def test_stop_fails_with_failing_subjob(self):
        # Hour-long steps moved on by /__sim/advance, as in test_failover_then_reprotect: "stopping" and
        # the RUNNING job are seen however late the polls come.
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600, "outcome": "FAIL",
                                             "fail_subjob": True}})
        status, doc = self.action({"stop-server-group": {}})
        self.assertEqual(status, 200)
        self.assertEqual(self.group()["status"], "stopping")
        seen = [(self.job(doc["job_id"])["status"], self.group()["status"])]
        self.sim.control("advance", {"seconds": 3600})
        job = self.job(doc["job_id"])
        seen.append((job["status"], self.group()["status"]))
        self.assertEqual([s["status"] for s in job["entities"]["sub_jobs"]], ["RUNNING"] * 3)
        self.assertEqual((job["end_time"], job["error_code"], job["fail_reason"]), (None, None, None))
        self.sim.control("advance", {"seconds": 3600})
        job = self.wait_job(doc["job_id"])
        seen.append((job["status"], self.group()["status"]))
        self.assertEqual(seen, [("INIT", "stopping"), ("RUNNING", "stopping"), ("FAIL", "error-stopping")])
        self.assertEqual((job["status"], job["error_code"], job["fail_reason"]),
                         ("FAIL", "SDRS.1028", "Failed to disable protection"))
        subs = job["entities"]["sub_jobs"]
        self.assertEqual([s["status"] for s in subs], ["FAIL", "SUCCESS", "SUCCESS"])
        self.assertEqual(subs[0]["job_type"], "stopProtectionGroupRepNoCG")
        self.assertEqual(subs[0]["error_code"], "SDRS.1028")
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("error-stopping", "source"))
        # a failed stop may be retried, and now succeeds (the hour-long steps still apply)
        self.sim.control("mutate", {"jobs": {"outcome": "SUCCESS", "error_code": "SDRS.9999"}})
        status, doc = self.action({"stop-server-group": {}})
        self.assertEqual((status, self.group()["status"]), (200, "stopping"))
        self.sim.control("advance", {"seconds": 7200})
        job = self.wait_job(doc["job_id"])
        self.assertEqual((job["status"], job["error_code"], self.group()["status"]), ("SUCCESS", None, "available"))

    def test_reverse(self):
        self.assertError(self.action({"reverse-server-group": {"priority_station": "source"}}), 400, "SDRS.1029",
                         "already")
        self.assertError(self.action({"reverse-server-group": {"priority_station": "target"}}), 400, "SDRS.1319")
        self.sim.control("mutate", {"servers": {pi["source_server"]: {"status": "SHUTOFF"} for pi in INSTANCES},
                                    "jobs": {"steps": 2, "step_seconds": 3600}})  # advanced below, no racing
        status, doc = self.action({"reverse-server-group": {"priority_station": "target"}})
        self.assertEqual((status, self.group()["status"]), (200, "reversing"))

        def observe(job):
            group = self.group()
            return job["status"], group["status"], group["priority_station"]

        seen = [observe(self.job(doc["job_id"]))]
        self.sim.control("advance", {"seconds": 3600})
        seen.append(observe(self.job(doc["job_id"])))
        self.sim.control("advance", {"seconds": 3600})
        job = self.wait_job(doc["job_id"])
        seen.append(observe(job))
        # the priority station changes only when the job succeeds
        self.assertEqual(seen, [("INIT", "reversing", "source"), ("RUNNING", "reversing", "source"),
                                ("SUCCESS", "protected", "target")])
        self.assertEqual(job["job_type"], "reverseProtectionGroupNoCG")
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("protected", "target"))

    def test_bad_bodies_and_preconditions(self):
        cases = [({}, "SDRS.0201"), ([], "SDRS.0201"), ({"explode-server-group": {}}, "SDRS.0206"),
                 ({"failover-server-group": {}, "stop-server-group": {}}, "SDRS.0201"),
                 ({"failover-server-group": None}, "SDRS.0201"), ({"failover-server-group": {"x": 1}}, "SDRS.0201"),
                 ({"reverse-server-group": {}}, "SDRS.0201"),
                 ({"reverse-server-group": {"priority_station": "left"}}, "SDRS.0201")]
        for body, code in cases:
            with self.subTest(body=body):
                self.assertError(self.action(body), 400, code)
        self.assertError(self.sim.json("POST", "/v1/%s/server-groups/%s/action" % (PID, GID), "nope"), 400,
                         "SDRS.0201")
        self.assertError(self.sim.json("POST", "/v1/%s/server-groups/nope/action" % PID,
                                       {"failover-server-group": {}}), 400, "SDRS.1013")
        self.assertError(self.action({"start-server-group": {}}), 400, "SDRS.1002", "protected")
        self.sim.control("mutate", {"server_groups": {GID: {"replication_num": "0"}}})
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1030", "no replication pairs")
        self.sim.control("reset", {})
        self.sim.control("mutate", {"servers": {INSTANCES[2]["target_server"]: None}})
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1326",
                         INSTANCES[2]["target_server"])
        self.sim.control("reset", {})
        self.sim.control("mutate", {"protected_instances": {INSTANCES[0]["id"]: {"status": "invalid"}}})
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1314")
        self.assertEqual(self.group()["status"], "protected")  # nothing moved
    # ---- job settings apply and stay_off; server power after an action --------------------------

    def server(self, server_id):
        status, doc = self.sim.get("/v1/%s/cloudservers/%s" % (PID, server_id))
        self.assertEqual(status, 200, doc)
        return doc["server"]

    def power(self, key):
        """(status, vm_state, power_state) of each instance's source_server or target_server, as ECS serves it."""
        return [power_of(self.server(pi[key])) for pi in INSTANCES]

    def run_action(self, body, outcome="SUCCESS"):
        """Start an action (hour-long steps, moved on by /__sim/advance) and let it finish; the job."""
        status, doc = self.action(body)
        self.assertEqual(status, 200, doc)
        self.sim.control("advance", {"seconds": 7200})
        job = self.wait_job(doc["job_id"])
        self.assertEqual(job["status"], outcome)
        return job

    def members(self):
        """(id, status, priority_station or "absent") of the group, its instances and its pairs."""
        state = self.sim.control("state")
        return [(o["id"], o["status"], o.get("priority_station", "absent"))
                for name in ("server_groups", "protected_instances", "replications") for o in state[name]]

    def test_failover_starts_the_new_production_servers(self):
        kept_off = INSTANCES[1]["target_server"]
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600, "stay_off": [kept_off]}})
        job_id = self.action({"failover-server-group": {}})[1]["job_id"]
        self.sim.control("advance", {"seconds": 3600})
        self.assertEqual(self.power("target_server"), [OFF] * 3)  # nothing starts before the job ends
        self.sim.control("advance", {"seconds": 3600})
        self.assertEqual(self.wait_job(job_id)["status"], "SUCCESS")
        self.assertEqual(self.power("target_server"), [ON, OFF, ON])  # except the one in stay_off
        self.assertEqual(self.power("source_server"), [ON] * 3)  # the old production site is left alone
        started = self.server(INSTANCES[0]["target_server"])
        self.assertIsNone(started["OS-EXT-STS:task_state"])
        self.assertRegex(started["updated"], r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
        power_fields = ("status", "OS-EXT-STS:vm_state", "OS-EXT-STS:power_state", "updated")
        before = BASIC_DOC["servers"][INSTANCES[0]["target_server"]]
        self.assertEqual({k: v for k, v in started.items() if k not in power_fields},
                         {k: v for k, v in before.items() if k not in power_fields})
        self.assertEqual(self.sim.control("state")["servers"][INSTANCES[0]["target_server"]], started)

        # re-protect (the DR site, now the source servers, stopped first) changes no power state; the
        # failover back to the source then starts the source servers
        self.sim.control("mutate", {"servers": {pi["source_server"]: OFF_FIELDS for pi in INSTANCES},
                                    "jobs": {"stay_off": []}})
        self.run_action({"start-server-group": {}})
        self.assertEqual((self.power("source_server"), self.power("target_server")), ([OFF] * 3, [ON, OFF, ON]))
        self.run_action({"failover-server-group": {}})
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("failed-over", "source"))
        self.assertEqual((self.power("source_server"), self.power("target_server")), ([ON] * 3, [ON, OFF, ON]))

    def test_servers_keep_their_power_otherwise(self):
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600, "stay_off": True}})
        self.run_action({"failover-server-group": {}})
        self.assertEqual((self.group()["status"], self.power("target_server")), ("failed-over", [OFF] * 3))

        self.sim.control("reset", {})  # a failed failover starts nothing
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600, "outcome": "FAIL"}})
        self.run_action({"failover-server-group": {}}, "FAIL")
        self.assertEqual((self.group()["status"], self.power("target_server")), ("error-failing-over", [OFF] * 3))

        self.sim.control("reset", {})  # a planned failover leaves the servers to be started by hand
        self.sim.control("mutate", {"servers": {pi["source_server"]: OFF_FIELDS for pi in INSTANCES},
                                    "jobs": {"steps": 2, "step_seconds": 3600}})
        self.run_action({"reverse-server-group": {"priority_station": "target"}})
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("protected", "target"))
        self.assertEqual((self.power("source_server"), self.power("target_server")), ([OFF] * 3, [OFF] * 3))

        self.sim.control("reset", {})  # nor does a stop
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})
        self.run_action({"stop-server-group": {}})
        self.assertEqual((self.group()["status"], self.power("source_server"), self.power("target_server")),
                         ("available", [ON] * 3, [OFF] * 3))

    def test_lying_job_changes_nothing(self):
        # an extra pair of the group without priority_station: it stays without one
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600, "apply": False},
                                    "replications": {"extra-pair": {"server_group_id": GID, "status": "protected"}}})
        before = self.members()
        self.assertIn(("extra-pair", "protected", "absent"), before)
        status, doc = self.action({"failover-server-group": {}})
        self.assertEqual((status, self.group()["status"]), (200, "failing-over"))
        self.sim.control("advance", {"seconds": 7200})
        job = self.wait_job(doc["job_id"])
        self.assertEqual((job["status"], job["error_code"]), ("SUCCESS", None))  # the job says it worked
        self.assertEqual(self.members(), before)  # but nothing changed
        self.assertEqual(self.power("target_server"), [OFF] * 3)  # and no server was started

        # a planned failover that lies: priority_station stays; a FAIL with apply false leaves no error status
        self.sim.control("mutate", {"servers": {pi["source_server"]: OFF_FIELDS for pi in INSTANCES}})
        self.assertEqual(self.run_action({"reverse-server-group": {"priority_station": "target"}})["job_type"],
                         "reverseProtectionGroupNoCG")
        self.assertEqual(self.members(), before)
        self.sim.control("mutate", {"jobs": {"outcome": "FAIL"}})
        self.assertEqual(self.run_action({"failover-server-group": {}}, "FAIL")["error_code"], "SDRS.1030")
        self.assertEqual(self.members(), before)

        self.sim.control("mutate", {"jobs": {"outcome": "SUCCESS", "apply": True}})  # the honest job, to compare
        self.run_action({"failover-server-group": {}})
        self.assertEqual(set(self.members()), {(oid, "failed-over", "target") for oid, _, _ in before})

    def test_job_settings_validation(self):
        for jobs, message in (({"apply": "no"}, "jobs.apply"), ({"apply": 0}, "jobs.apply"),
                              ({"apply": None}, "jobs.apply"), ({"stay_off": "id"}, "jobs.stay_off"),
                              ({"stay_off": [1]}, "jobs.stay_off"), ({"stay_off": None}, "jobs.stay_off"),
                              ({"stay_off": {"a": 1}}, "jobs.stay_off")):
            with self.subTest(jobs=jobs):
                status, doc = self.sim.json("POST", "/__sim/mutate", {"jobs": jobs}, token=None)
                self.assertEqual(status, 400, doc)
                self.assertIn(message, doc["error"])
        defaults = self.sim.control("state")["jobs_settings"]
        self.assertEqual((defaults["apply"], defaults["stay_off"]), (True, []))
        for stay_off in (True, False, [], ["a", "b"]):
            self.sim.control("mutate", {"jobs": {"apply": False, "stay_off": stay_off}})
            settings = self.sim.control("state")["jobs_settings"]
            self.assertEqual((settings["apply"], settings["stay_off"]), (False, stay_off))


class FaultTest(SimTestCase):
    GROUPS = "/v1/%s/server-groups" % PID

    def raw(self, path, timeout=5):
        """Send a GET on a raw socket; return everything received until EOF (or the exception)."""
        sock = socket.create_connection(("127.0.0.1", self.sim.port), timeout=timeout)
        try:
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nX-Auth-Token: %s\r\n\r\n" % (path, TOKEN)).encode())
            data = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return data
                data += chunk
        finally:
            sock.close()

    def test_latency_and_matching(self):
        self.sim.fault(kind="latency", ms=300, match={"method": "GET", "path": "server-groups$"}, times=1)
        started = time.monotonic()
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        started = time.monotonic()
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)
        self.assertLess(time.monotonic() - started, 0.3)
        self.assertEqual([e["fault"] for e in self.sim.control("requests")], ["latency", None])

    def test_status_defaults_and_windows(self):
        self.sim.fault(kind="status", status=500, match={"path": "/server-groups"}, after=1, times=1)
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)
        self.assertError(self.sim.get(self.GROUPS), 500, "SDRS.0013", "Internal error")
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)
        self.sim.control("clear-faults", {})
        self.sim.fault(kind="status", status=429, retry_after=2, match={"path": "cloudservers"})
        status, headers, body = self.sim.request("GET", "/v1/%s/cloudservers/x" % PID)
        self.assertEqual((status, headers["retry-after"], json.loads(body)["error_code"]), (429, "2", "APIG.0308"))
        self.sim.fault(kind="status", status=503, match={"path": "server-groups"})
        self.assertError(self.sim.get(self.GROUPS), 503, "APIG.0201")
        self.sim.fault(kind="status", status=500, body="<html>oops</html>", content_type="text/html",
                       match={"path": "cloudimages"})
        status, headers, body = self.sim.request("GET", "/v2/cloudimages?id=x")
        self.assertEqual((status, headers["content-type"], body), (500, "text/html", b"<html>oops</html>"))
        self.sim.fault(kind="status", status=400, match={"path": "jobs"})
        self.assertError(self.sim.get("/v1/%s/jobs/x" % PID), 400, "SDRS.0201")

    def test_query_match(self):
        self.sim.fault(kind="status", status=502, match={"path": "protected-instances", "query": r"offset=2\b"})
        base = "/v1/%s/protected-instances?limit=2&offset=" % PID
        self.assertEqual(self.sim.get(base + "0")[0], 200)
        self.assertEqual(self.sim.get(base + "2")[0], 502)
        self.assertEqual(self.sim.get(base + "20")[0], 200)

    def test_reset(self):
        self.sim.fault(kind="reset", match={"path": "server-groups"}, times=1)
        with self.assertRaises(ConnectionResetError):
            self.raw(self.GROUPS)
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)
        self.assertEqual(self.sim.control("requests")[0]["status"], None)

    def test_truncate(self):
        self.sim.fault(kind="truncate", match={"path": "server-groups"}, times=1)
        data = self.raw(self.GROUPS)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int([l for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0].split(b":")[1])
        self.assertEqual(len(body), length // 2)
        self.sim.fault(kind="truncate", match={"path": "server-groups"}, times=1)
        conn = self.sim.connection()
        conn.request("GET", self.GROUPS, headers={"X-Auth-Token": TOKEN})
        with self.assertRaises(http.client.IncompleteRead):
            conn.getresponse().read()
        conn.close()

    def test_body_faults(self):
        self.sim.fault(kind="malformed", match={"path": "server-groups"}, times=1)
        status, _, body = self.sim.request("GET", self.GROUPS)
        self.assertEqual(status, 200)
        self.assertRaises(ValueError, json.loads, body)
        self.sim.fault(kind="empty", match={"path": "server-groups"}, times=1)
        self.assertEqual(self.sim.request("GET", self.GROUPS)[::2], (200, b""))
        self.sim.fault(kind="huge", bytes=3 * 1024 * 1024 + 7, match={"path": "server-groups"}, times=1)
        status, headers, body = self.sim.request("GET", self.GROUPS)
        self.assertEqual((status, int(headers["content-length"]), len(body)), (200, 3 * 1024 * 1024 + 7, len(body)))
        self.assertEqual(len(json.loads(body)["sdrs_sim_huge"]), len(body) - len('{"sdrs_sim_huge": ""}'))
        self.sim.fault(kind="content_type", match={"path": "server-groups"}, times=1)
        status, headers, body = self.sim.request("GET", self.GROUPS)
        self.assertEqual((status, headers["content-type"], json.loads(body)["count"]),
                         (200, "text/html; charset=utf-8", 1))
        self.sim.fault(kind="body", body='{"server_groups": "oops", "count": "1"}', match={"path": "server-groups"},
                       times=1)
        self.assertEqual(self.sim.get(self.GROUPS), (200, {"server_groups": "oops", "count": "1"}))
        self.assertEqual([e["fault"] for e in self.sim.control("requests")],
                         ["malformed", "empty", "huge", "content_type", "body"])

    def test_slow(self):
        expected = self.sim.request("GET", self.GROUPS)[2]
        self.sim.fault(kind="slow", bytes_per_sec=2000, match={"path": "server-groups"}, times=1)
        started = time.monotonic()
        status, _, body = self.sim.request("GET", self.GROUPS)
        self.assertEqual((status, body), (200, expected))
        self.assertGreaterEqual(time.monotonic() - started, len(expected) / 2000 * 0.8)

    def test_hang(self):
        self.sim.fault(kind="hang", seconds=1, match={"path": "server-groups"}, times=1)
        with self.assertRaises(socket.timeout):
            self.sim.request("GET", self.GROUPS, timeout=0.3)
        entry = self.sim.control("requests")[0]
        self.assertEqual((entry["fault"], entry["status"]), ("hang", None))
        self.assertEqual(self.sim.get(self.GROUPS)[0], 200)  # others are served meanwhile

    def test_processed_fault_changes_state(self):
        """A lost response to a POST that reached the server: the action happened anyway."""
        # hour-long job steps, moved on only by /__sim/advance: "failing-over" is seen however slow the client
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})
        self.sim.fault(kind="status", status=504, process=True, match={"method": "POST", "path": "/action$"})
        self.assertError(self.action({"failover-server-group": {}}), 504, "APIG.0201")
        self.assertEqual(self.group()["status"], "failing-over")
        jobs = self.sim.control("state")["jobs"]
        self.assertEqual([(j["job_type"], j["status"]) for j in jobs], [("failoverProtectionGroupNoCG", "INIT")])
        self.sim.control("advance", {"seconds": 7200})  # the job the client never heard of finishes
        self.assertEqual((self.group()["status"], self.group()["priority_station"]), ("failed-over", "target"))
        self.sim.control("reset", {})
        self.sim.fault(kind="reset", match={"method": "POST"})  # not processed by default
        self.assertRaises(ConnectionError, self.action, {"failover-server-group": {}})
        self.assertEqual(self.group()["status"], "protected")
        self.assertEqual(self.sim.control("state")["jobs"], [])  # no job was started

    def accepted_job(self):
        """The one job /__sim/state shows, after checking the group moved to failing-over."""
        self.assertEqual(self.group()["status"], "failing-over")
        jobs = self.sim.control("state")["jobs"]
        self.assertEqual([(j["job_type"], j["status"], j["entities"]["server_group_id"]) for j in jobs],
                         [("failoverProtectionGroupNoCG", "INIT", GID)])
        return jobs[0]

    def test_action_accepted_then_504(self):
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})  # INIT until advanced
        self.sim.control("faults", {"faults": [{"kind": "status", "status": 504, "process": True,
                                                "match": {"method": "POST", "path": "/action$"}}]})
        self.assertError(self.action({"failover-server-group": {}}), 504, "APIG.0201", "Backend timeout")
        job = self.accepted_job()
        self.assertEqual(self.sim.get("/v1/%s/jobs/%s" % (PID, job["job_id"]))[1]["status"], "INIT")
        self.assertEqual([(e["status"], e["fault"]) for e in self.sim.control("requests")][0], (504, "status"))

    def test_action_accepted_then_reset(self):
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})
        self.sim.control("faults", {"faults": [{"kind": "reset", "process": True,
                                                "match": {"method": "POST", "path": "/action$"}}]})
        self.assertRaises(ConnectionError, self.action, {"failover-server-group": {}})
        job = self.accepted_job()
        self.assertEqual([(e["status"], e["fault"]) for e in self.sim.control("requests")][0], (None, "reset"))
        self.sim.control("advance", {"seconds": 7200})  # the job the client never heard of finishes
        self.assertEqual(self.sim.get("/v1/%s/jobs/%s" % (PID, job["job_id"]))[1]["status"], "SUCCESS")
        self.assertEqual(self.group()["status"], "failed-over")

    def test_when_after_action(self):
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})
        group = "%s/%s" % (self.GROUPS, GID)
        self.sim.fault(kind="status", status=503, when="after-action", after=1, times=1,
                       match={"method": "GET", "path": "server-groups/%s$" % GID})
        self.sim.fault(kind="status", status=500, when="after-action", match={"method": "POST", "path": "/action$"})
        self.sim.fault(kind="status", status=502, when="always", match={"path": "cloudimages"}, times=1)
        self.assertEqual(self.sim.get(group)[0], 200)  # no action yet: neither applied nor counted
        self.sim.control("mutate", {"server_groups": {GID: {"status": "available"}}})
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1002")  # refused: not accepted
        self.sim.control("mutate", {"server_groups": {GID: {"status": "protected"}}})
        self.assertEqual(self.sim.get(group)[0], 200)
        self.assertEqual(self.sim.get("/v2/cloudimages")[0], 502)  # "always" is the default behaviour
        self.assertEqual([f["seen"] for f in self.sim.control("faults")], [0, 0, 1])
        status, doc = self.action({"failover-server-group": {}})
        self.assertEqual(status, 200, doc)  # the accepted action is not "after" itself
        self.assertEqual([f["seen"] for f in self.sim.control("faults")], [0, 0, 1])
        self.assertEqual(self.sim.get(group)[0], 200)  # after: 1 counts from the action
        self.assertError(self.sim.get(group), 503, "APIG.0201")
        self.assertEqual(self.sim.get(group)[0], 200)  # times: 1
        self.assertError(self.action({"failover-server-group": {}}), 500, "SDRS.0013")
        self.assertEqual([f["seen"] for f in self.sim.control("faults")], [3, 1, 1])
        self.assertEqual([e["fault"] for e in self.sim.control("requests")],
                         [None, None, None, "status", None, None, "status", None, "status"])
        # reset forgets the action: an after-action fault waits for the next one
        self.sim.control("reset", {})
        self.sim.fault(kind="status", status=503, when="after-action", match={"method": "GET"})
        self.assertEqual((self.sim.get(group)[0], self.sim.control("faults")[0]["seen"]), (200, 0))
        self.assertEqual(self.sim.control("state")["actions_accepted"], 0)

    def test_when_validation(self):
        for bad in ("later", "After-Action", True, 1, None, ["after-action"]):
            with self.subTest(when=bad):
                status, doc = self.sim.json("POST", "/__sim/faults", {"faults": [
                    {"kind": "status", "when": bad, "match": {"path": "server-groups"}}]}, token=None)
                self.assertEqual(status, 400, doc)
                self.assertIn("when must be always or after-action", doc["error"])
        self.assertEqual(self.sim.control("faults"), [])

    def test_scenario_faults_and_page_limit(self):
        self.sim.control("mutate", {"page_limit": 2, "latency_ms": 1})
        self.assertEqual(len(self.sim.get("/v1/%s/replications?limit=3" % PID)[1]["replications"]), 2)


class StaleTest(SimTestCase):
    """The stale fault: reads answered from the world as it was just before the last accepted action."""

    def setUp(self):
        super().setUp()
        # hour-long job steps, moved on only by /__sim/advance: the jobs end exactly where the tests say
        self.sim.control("mutate", {"jobs": {"steps": 2, "step_seconds": 3600}})

    def read_all(self):
        """Every read of the group a client can make: group, lists, single objects, servers, images."""
        base = "/v1/%s/" % PID
        paths = ["server-groups", "server-groups/" + GID, "protected-instances?server_group_id=" + GID,
                 "replications?server_group_id=" + GID, "disaster-recovery-drills?server_group_id=" + GID,
                 "protected-instances/" + INSTANCES[0]["id"], "replications/" + BASIC_DOC["replications"][0]["id"]]
        paths += ["cloudservers/" + pi[key] for pi in INSTANCES for key in ("source_server", "target_server")]
        reads = {path: self.sim.get(base + path) for path in paths}
        reads["images"] = self.sim.get("/v2/cloudimages")
        return reads

    def test_group_reads_after_the_failover(self):
        self.sim.fault(kind="stale", match={"method": "GET", "path": "server-groups/%s$" % GID}, times=2)
        before = self.group()  # no action yet: the live group, not counted
        self.assertEqual(self.sim.control("faults")[0]["seen"], 0)
        self.assertEqual(self.action({"failover-server-group": {}})[0], 200)
        self.sim.control("advance", {"seconds": 7200})  # the failover has finished
        self.assertEqual([self.group() for _ in range(2)], [before, before])  # still protected, at source
        after = self.group()
        self.assertEqual((after["status"], after["priority_station"]), ("failed-over", "target"))
        self.assertEqual([e["fault"] for e in self.sim.control("requests")], [None, None, "stale", "stale", None])
        # reset forgets the action and its copy: a stale fault waits for the next one
        self.sim.control("reset", {})
        self.sim.fault(kind="stale", match={"method": "GET"})
        self.assertEqual((self.group(), self.sim.control("faults")[0]["seen"]), (before, 0))

    def test_whole_group_read_is_stale(self):
        before = self.read_all()
        self.sim.fault(kind="stale", match={"method": "GET"})
        job_id = self.action({"failover-server-group": {}})[1]["job_id"]
        self.sim.control("advance", {"seconds": 7200})
        self.assertEqual(self.read_all(), before)  # group, instances, pairs, drills, servers (still SHUTOFF), images
        # the job did not exist before the action
        self.assertError(self.sim.get("/v1/%s/jobs/%s" % (PID, job_id)), 404, "SDRS.0408")
        self.sim.control("clear-faults", {})
        live = self.read_all()
        self.assertEqual(live["server-groups/" + GID][1]["server_group"]["status"], "failed-over")
        pis = live["protected-instances?server_group_id=" + GID][1]["protected_instances"]
        self.assertEqual({(pi["status"], pi["priority_station"]) for pi in pis}, {("failed-over", "target")})
        servers = [live["cloudservers/" + pi["target_server"]][1]["server"] for pi in INSTANCES]
        self.assertEqual([power_of(s) for s in servers], [ON] * 3)
        self.assertEqual(self.sim.get("/v1/%s/jobs/%s" % (PID, job_id))[1]["status"], "SUCCESS")

    def test_stale_follows_the_last_action(self):
        self.sim.fault(kind="stale")  # every request; actions are handled as usual
        failover = self.action({"failover-server-group": {}})[1]["job_id"]
        self.sim.control("advance", {"seconds": 7200})
        self.sim.control("mutate", {"servers": {pi["source_server"]: OFF_FIELDS for pi in INSTANCES}})
        status, doc = self.action({"start-server-group": {}})  # re-protect, matched by the stale fault
        self.assertEqual(status, 200, doc)
        self.assertEqual(self.sim.control("state")["server_groups"][0]["status"], "reprotecting")
        self.sim.control("mutate", {"server_groups": {GID: {"name": "renamed"}}})  # after the copy: not seen
        group = self.group()
        self.assertEqual((group["status"], group["priority_station"], group["name"]),
                         ("failed-over", "target", "pg-prod-erp"))
        self.assertEqual(power_of(self.sim.get("/v1/%s/cloudservers/%s" % (PID, INSTANCES[0]["source_server"]))
                                  [1]["server"]), OFF)  # stopped before the re-protection was accepted
        self.assertEqual(self.sim.get("/v1/%s/jobs/%s" % (PID, failover))[1]["status"], "SUCCESS")
        self.assertError(self.sim.get("/v1/%s/jobs/%s" % (PID, doc["job_id"])), 404, "SDRS.0408")
        self.assertEqual(self.sim.control("state")["actions_accepted"], 2)
        self.assertEqual([e["fault"] for e in self.sim.control("requests")],
                         [None, "stale", "stale", "stale", "stale", "stale"])

    def test_stale_validation(self):
        for spec in ({"kind": "stale", "status": 200}, {"kind": "stale", "from_offset": 0},
                     {"kind": "stale", "when": "sometimes"}, {"kind": "stale", "times": "2"},
                     {"kind": "stale", "process": "yes"}):
            with self.subTest(spec=spec):
                status, doc = self.sim.json("POST", "/__sim/faults", {"faults": [spec]}, token=None)
                self.assertEqual(status, 400, doc)
        self.sim.fault(kind="stale", when="always", process=False, times=2, after=1, note="x")
        self.assertEqual(self.sim.control("faults")[0]["seen"], 0)

class ControlTest(SimTestCase):
    def test_log_state_and_validation(self):
        # the stop job must still be running when the state is read below, however slow this test is
        self.sim.control("mutate", {"jobs": {"step_seconds": 3600}})
        self.sim.request("POST", "/v1/%s/server-groups/%s/action" % (PID, GID), {"stop-server-group": {}},
                         headers={"X-Custom": "v"})
        self.sim.get("/v1/%s/server-groups?limit=5" % PID)
        log = self.sim.control("requests")
        self.assertEqual([(e["method"], e["status"]) for e in log], [("POST", 200), ("GET", 200)])
        self.assertEqual(log[0]["body"], '{"stop-server-group": {}}')
        self.assertEqual((log[0]["headers"]["X-Auth-Token"], log[0]["headers"]["X-Custom"]), ("***", "v"))
        self.assertEqual((log[1]["query"], log[1]["body"]), ("limit=5", None))
        self.assertLess(log[0]["seq"], log[1]["seq"])
        with open(self.sim.log_file) as f:
            lines = [json.loads(line) for line in f]
        self.assertEqual([e["request_id"] for e in lines[-2:]], [e["request_id"] for e in log])
        self.assertFalse(any(e["path"].startswith("/__sim/") for e in lines))
        self.sim.control("reset-log", {})
        self.assertEqual(self.sim.control("requests"), [])

        state = self.sim.control("state")
        self.assertEqual(state["server_groups"][0]["status"], "stopping")
        self.assertEqual(len(state["jobs"]), 1)
        self.assertEqual(set(state["servers"]), set(BASIC_DOC["servers"]))
        self.sim.control("mutate", {"server_groups": {GID: {"status": "error-failing-over"}},
                                    "replications": {BASIC_DOC["replications"][0]["id"]: {"fault_level": "5"}}})
        self.assertEqual(self.group()["status"], "error-failing-over")
        self.sim.control("reset", {})
        self.assertEqual(self.group()["status"], "protected")

        for name, body in (("faults", {"faults": [{"kind": "explode"}]}), ("faults", {"faults": {}}),
                           ("faults", {"faults": [{"kind": "latency"}]}),
                           ("faults", {"faults": [{"kind": "status", "match": {"path": "("}}]}),
                           ("faults", {"faults": [{"kind": "status", "status": 42}]}),
                           ("mutate", {"servers": []}), ("mutate", {"jobs": {"outcome": "MAYBE"}}),
                           ("mutate", {"jobs": "x"}), ("mutate", {"page_limit": "3"}), ("mutate", [1]),
                           ("mutate", {"nonsense": {}}), ("advance", {}), ("advance", {"seconds": -1}),
                           ("advance", {"seconds": "1"}), ("advance", {"seconds": True}), ("nope", {})):
            with self.subTest(name=name, body=body):
                status, _ = self.sim.json("POST", "/__sim/" + name, body, token=None)
                self.assertIn(status, (400, 404))
        self.assertEqual(self.sim.control("faults"), [])


class ConnectionTest(SimTestCase):
    def test_keep_alive(self):
        conn = self.sim.connection()
        conn.request("GET", "/v1/%s/server-groups" % PID, headers={"X-Auth-Token": TOKEN})
        conn.getresponse().read()
        sock = conn.sock
        started = time.monotonic()
        for _ in range(20):
            conn.request("GET", "/v1/%s/server-groups/%s" % (PID, GID), headers={"X-Auth-Token": TOKEN})
            resp = conn.getresponse()
            self.assertEqual(resp.status, 200)
            resp.read()
            self.assertIs(conn.sock, sock)  # the same connection
        conn.close()
        # Nagle + delayed ACK would cost ~40 ms per response (0.8 s here): TCP_NODELAY is set
        self.assertLess(time.monotonic() - started, 0.4)

    def test_64_parallel_clients(self):
        errors, barrier = [], threading.Barrier(64)

        def client():
            try:
                conn = self.sim.connection(timeout=10)
                barrier.wait()
                for pi in INSTANCES:
                    conn.request("GET", "/v1/%s/cloudservers/%s" % (PID, pi["source_server"]),
                                 headers={"X-Auth-Token": TOKEN})
                    resp = conn.getresponse()
                    if resp.status != 200 or json.loads(resp.read())["server"]["id"] != pi["source_server"]:
                        errors.append(resp.status)
                conn.close()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        threads = [threading.Thread(target=client) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(len(self.sim.control("requests")), 64 * len(INSTANCES))


class PagingTest(SimTestCase):
    SCENARIO = gen_scenario.generate(25, page_limit=7)

    def test_short_pages(self):
        pid, gid = self.SCENARIO["project_id"], self.SCENARIO["server_groups"][0]["id"]
        for collection in ("protected-instances", "replications"):
            ids, offset, pages = [], 0, 0
            while True:
                status, doc = self.sim.get("/v1/%s/%s?server_group_id=%s&limit=10&offset=%d"
                                           % (pid, collection, gid, offset), token="sim-token")
                items = doc[collection.replace("-", "_")]
                self.assertEqual((status, doc["count"]), (200, 25))
                self.assertLessEqual(len(items), 7)
                if not items:
                    break
                ids += [i["id"] for i in items]
                offset += len(items)
                pages += 1
            self.assertEqual((len(ids), len(set(ids)), pages), (25, 25, 4))
        self.assertEqual(len(self.SCENARIO["servers"]), 50)

    def test_generator_cli(self):
        out = os.path.join(self.sim.dir, "gen.json")
        subprocess.run([sys.executable, os.path.join(HERE, "gen_scenario.py"), "--instances", "3", "--group-id", "g1",
                        "--project-id", "p1", "--latency-ms", "5", "-o", out], check=True)
        with open(out) as f:
            doc = json.load(f)
        self.assertEqual((doc["project_id"], doc["server_groups"][0]["id"], doc["latency_ms"]), ("p1", "g1", 5))
        self.assertEqual([len(doc[k]) for k in ("protected_instances", "replications", "servers")], [3, 3, 6])
        self.assertEqual(doc, gen_scenario.generate(3, "g1", "p1", latency_ms=5))  # deterministic


def paging_scenario(n=5, page_limit=2):
    """gen_scenario's world (n instances and pairs) plus n - 1 more groups and n drills, so that each of
    the four SDRS lists holds n items and needs several pages."""
    doc = gen_scenario.generate(n, page_limit=page_limit, token=TOKEN)
    first = doc["server_groups"][0]
    for i in range(1, n):
        doc["server_groups"].append(dict(first, id="%08d-0000-4000-8000-000000000000" % i, name="pg-extra-%d" % i,
                                         protected_instance_num=0, replication_num=0))
    doc["disaster_recovery_drills"] = [
        {"id": "%08d-0000-4000-8000-00000000d011" % i, "name": "drill-%d" % i, "status": "available",
         "server_group_id": first["id"], "drill_vpc_id": first["source_vpc_id"], "drill_servers": []}
        for i in range(n)]
    return doc


class RepeatPageTest(SimTestCase):
    """The repeat_page fault: a later page of an SDRS list answers with an earlier page's items."""
    SCENARIO = paging_scenario()
    PROJECT = SCENARIO["project_id"]
    GROUP = SCENARIO["server_groups"][0]["id"]
    # (path, list key, query) of the four paged lists; the filters are part of what must still apply.
    LISTS = [("server-groups", "server_groups", ""),
             ("protected-instances", "protected_instances", "server_group_id=%s&" % GROUP),
             ("replications", "replications", "server_group_id=%s&" % GROUP),
             ("disaster-recovery-drills", "disaster_recovery_drills", "server_group_id=%s&" % GROUP)]

    def page(self, path, key, query, offset, limit=10):
        status, doc = self.sim.get("/v1/%s/%s?%slimit=%d&offset=%d" % (self.PROJECT, path, query, limit, offset))
        self.assertEqual(status, 200, doc)
        return [item["id"] for item in doc[key]], doc["count"]

    def walk(self, path, key, query):
        """All ids a client paging by the length of each answer collects, and the pages it needed."""
        ids, pages = [], 0
        while True:
            items, count = self.page(path, key, query, len(ids))
            self.assertEqual(count, 5)
            if not items:
                return ids, pages
            ids += items
            pages += 1

    def test_repeat_page_on_each_list(self):
        for path, key, query in self.LISTS:
            with self.subTest(path):
                self.sim.control("clear-faults", {})
                self.sim.control("reset-log", {})
                first, count = self.page(path, key, query, 0)
                self.assertEqual((len(first), count), (2, 5))  # page_limit 2: a short first page
                self.sim.fault(kind="repeat_page", match={"path": "/%s$" % path, "query": "offset=[1-9]"})
                self.assertEqual(self.page(path, key, query, 0), (first, 5))  # the first page stays correct
                self.assertEqual(self.page(path, key, query, 2), (first, 5))  # the second page repeats it
                self.assertEqual(self.page(path, key, query, 4), (first, 5))
                self.assertEqual([e["fault"] for e in self.sim.control("requests")],
                                 [None, None, "repeat_page", "repeat_page"])

    def test_from_offset_filters_and_validation_still_apply(self):
        path, key, query = self.LISTS[1]
        everything = self.walk(path, key, query)[0]
        self.sim.fault(kind="repeat_page", from_offset=1, match={"path": path, "query": "offset=[1-9]"})
        self.assertEqual(self.page(path, key, query, 4), (everything[1:3], 5))
        self.assertEqual(self.page(path, key, query, 4, limit=1), (everything[1:2], 5))  # the requested limit
        self.assertEqual(self.page(path, key, "server_group_id=other&", 2), ([], 0))  # the filters
        base = "/v1/%s/%s?offset=" % (self.PROJECT, path)
        self.assertError(self.sim.get(base + "1&limit=0"), 400, "SDRS.0221")
        self.assertError(self.sim.get(base + "1", token=None), 401, "APIG.0301")
        self.assertEqual([e["fault"] for e in self.sim.control("requests")][-2:], ["repeat_page"] * 2)

    def test_no_effect_outside_the_lists(self):
        self.sim.fault(kind="repeat_page", from_offset=3, match={"method": "GET"})
        status, doc = self.sim.get("/v1/%s/server-groups/%s" % (self.PROJECT, self.GROUP))
        self.assertEqual((status, doc["server_group"]["id"]), (200, self.GROUP))
        server_id = self.SCENARIO["protected_instances"][0]["source_server"]
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/%s" % (self.PROJECT, server_id))[1]["server"]["id"],
                         server_id)
        self.assertEqual(len(self.sim.get("/v2/cloudimages")[1]["images"]), 2)
        self.assertEqual([e["fault"] for e in self.sim.control("requests")], ["repeat_page"] * 3)

    def test_paging_unchanged_without_fault(self):
        for path, key, query in self.LISTS:
            with self.subTest(path):
                ids, pages = self.walk(path, key, query)
                self.assertEqual((len(ids), len(set(ids)), pages), (5, 5, 3))
        self.sim.fault(kind="repeat_page", match={"path": "replications", "query": "offset=[1-9]"})
        for path, key, query in self.LISTS:  # a fault on one list leaves the others alone
            if path != "replications":
                self.assertEqual(len(set(self.walk(path, key, query)[0])), 5)

    def test_from_offset_validation(self):
        for bad in (-1, "2", "x", 1.5, True, [0]):
            with self.subTest(from_offset=bad):
                status, doc = self.sim.json("POST", "/__sim/faults", {"faults": [
                    {"kind": "repeat_page", "from_offset": bad, "match": {"path": "server-groups"}}]}, token=None)
                self.assertEqual(status, 400, doc)
                self.assertIn("from_offset", doc["error"])
        status, doc = self.sim.json("POST", "/__sim/faults", {"faults": [
            {"kind": "repeat_page", "from_offset": 0}, {"kind": "repeat_page", "offset": 1}]}, token=None)
        self.assertEqual((status, "offset" in doc["error"]), (400, True))  # an unknown field; nothing added
        self.assertEqual(self.sim.control("faults"), [])
        self.sim.fault(kind="repeat_page")
        self.sim.fault(kind="repeat_page", from_offset=4)
        self.assertEqual([f.get("from_offset") for f in self.sim.control("faults")], [None, 4])


class SnapshotScenarioTest(SimTestCase):
    SCENARIO = FROM_SNAPSHOT

    def test_world_from_snapshot(self):
        with open(os.path.join(HERE, "scenarios", "snapshots", "deleted-server.snapshot.json")) as f:
            snap = json.load(f)
        self.assertEqual(self.group(), snap["server_group"])
        pairs = self.sim.get("/v1/%s/replications?server_group_id=%s" % (PID, GID))[1]["replications"]
        self.assertEqual([p["fault_level"] for p in pairs], ["0", 5, 0])
        for server_id, entry in snap["servers"].items():
            status, doc = self.sim.get("/v1/%s/cloudservers/%s" % (PID, server_id))
            self.assertEqual(status, entry["http_status"])
            self.assertEqual(doc, {"server": entry["server"]} if status == 200 else {"error": entry["error"]})
        self.assertError(self.action({"failover-server-group": {}}), 400, "SDRS.1314")
        # the snapshot has no "volumes" part: the pairs' disks are derived, as for an inline world
        disks = [d for p in snap["replications"] for d in p["volume_ids"].split(",")]
        ids = urllib.parse.quote(str(disks))
        doc = self.sim.get("/v2/%s/cloudvolumes/detail?ids=%s" % (PID, ids))[1]
        self.assertEqual(([v["id"] for v in doc["volumes"]], doc["count"]), (disks, 6))


# ---- EVS, flavors, roles -----------------------------------------------------------------------------

PAIRS = BASIC_DOC["replications"]
DISKS = [d for pair in PAIRS for d in pair["volume_ids"].split(",")]  # production, DR, production, ...


def ids_query(ids, quote="'"):
    """ids=[...] as the client sends it: ['a','b'] URL-encoded."""
    return "ids=" + urllib.parse.quote("[%s]" % ",".join(quote + i + quote for i in ids), safe="")


class EvsTest(SimTestCase):
    """EVS on basic.json: the volumes derived from its three pairs."""
    BASE = "/v2/%s/" % PID

    def detail(self, query=""):
        status, doc = self.sim.get(self.BASE + "cloudvolumes/detail" + ("?" + query if query else ""))
        self.assertEqual(status, 200, doc)
        return doc

    def test_batch_leaves_unknown_ids_out(self):
        wanted = [DISKS[3], "00000000-0000-4000-8000-00000000dead", DISKS[0]]
        self.assertIn("ids=%5B%27", ids_query(wanted))
        for quote in ("'", '"'):
            doc = self.detail(ids_query(wanted, quote))
            self.assertEqual(([v["id"] for v in doc["volumes"]], doc["count"]), ([DISKS[3], DISKS[0]], 2))
            self.assertNotIn("volumes_links", doc)
        self.assertEqual(self.detail(ids_query([DISKS[1], DISKS[1]]))["count"], 1)  # a repeat counts once
        self.assertEqual(self.detail("ids=%5B%5D"), {"volumes": [], "count": 0})

    def test_at_most_60_ids(self):
        ids = DISKS + ["%08d-0000-4000-8000-000000000000" % i for i in range(60 - len(DISKS))]
        self.assertEqual(self.detail(ids_query(ids))["count"], len(DISKS))
        status, doc = self.sim.get(self.BASE + "cloudvolumes/detail?" + ids_query(ids + ["one-too-many"]))
        self.assertEqual((status, doc["badRequest"]["code"]), (400, 400), doc)
        self.assertIn("61 ids, at most 60", doc["badRequest"]["message"])
        status, doc = self.sim.get(self.BASE + "cloudvolumes/detail?ids=" + DISKS[0])  # not a list
        self.assertEqual((status, set(doc)), (400, {"badRequest"}))

    def test_limit_and_marker(self):
        everything = self.detail()
        self.assertEqual(([v["id"] for v in everything["volumes"]], everything["count"]), (DISKS, 6))
        seen, query, pages = [], "limit=4", 0
        while True:
            doc = self.detail(query)
            self.assertEqual(doc["count"], 6)
            seen += [v["id"] for v in doc["volumes"]]
            pages += 1
            if "volumes_links" not in doc:
                break
            link, = doc["volumes_links"]
            self.assertEqual(link["rel"], "next")
            base = "http://127.0.0.1:%d%scloudvolumes/detail?" % (self.sim.port, self.BASE)
            self.assertTrue(link["href"].startswith(base), link)
            query = link["href"][len(base):]
            self.assertIn("marker=" + seen[-1], query)
        self.assertEqual((seen, pages), (DISKS, 2))
        doc = self.detail(ids_query(DISKS[:3]) + "&limit=1&marker=" + DISKS[0])  # ids and paging together
        self.assertEqual(([v["id"] for v in doc["volumes"]], doc["count"]), ([DISKS[1]], 3))
        self.assertIn(urllib.parse.quote("['%s'" % DISKS[0], safe=""), doc["volumes_links"][0]["href"])
        for query in ("limit=0", "limit=1001", "limit=x", "marker=nope"):
            status, doc = self.sim.get(self.BASE + "cloudvolumes/detail?" + query)
            self.assertEqual((status, list(doc)), (400, ["badRequest"]), query)

    def test_single_reads(self):
        for path in ("cloudvolumes/", "os-vendor-volumes/"):
            with self.subTest(path=path):
                status, doc = self.sim.get(self.BASE + path + DISKS[2])
                self.assertEqual((status, doc["volume"]), (200, self.detail(ids_query([DISKS[2]]))["volumes"][0]))
                status, doc = self.sim.get(self.BASE + path + "nope")
                self.assertEqual((status, doc), (404, {"itemNotFound": {
                    "message": "Volume nope could not be found.", "code": 404}}))
                status, doc = self.sim.get("/v2/other/%s%s" % (path, DISKS[2]))
                self.assertEqual((status, doc["forbidden"]["code"]), (403, 403))
                self.assertError(self.sim.get(self.BASE + path + DISKS[2], token=None), 401, "APIG.0301")
        self.assertError(self.sim.get(self.BASE + "volumes/" + DISKS[2]), 404, "APIG.0101")  # not simulated

    def test_derived_from_the_pairs(self):
        """Each pair's first disk is in the source AZ on the source server, the second in the target
        AZ on the target server; both in-use on the instance's device, sized as the pair says."""
        group = BASIC_DOC["server_groups"][0]
        volumes = {v["id"]: v for v in self.detail()["volumes"]}
        for pair in PAIRS:
            instance, = [i for i in INSTANCES if i["attachment"][0]["replication"] == pair["id"]]
            production, dr = pair["volume_ids"].split(",")
            for disk, zone, server in ((production, "source_availability_zone", "source_server"),
                                       (dr, "target_availability_zone", "target_server")):
                with self.subTest(disk=disk):
                    volume = volumes[disk]
                    self.assertEqual((volume["status"], volume["availability_zone"], volume["size"],
                                      volume["bootable"], volume["multiattach"], volume["volume_type"]),
                                     ("in-use", group[zone], pair["record_metadata"]["volume_size"], "true",
                                      False, "SSD"))
                    attachment, = volume["attachments"]
                    self.assertEqual((attachment["server_id"], attachment["device"], attachment["volume_id"],
                                      attachment["host_name"]), (instance[server], "/dev/vda", disk, None))
                    self.assertEqual((volume["service_type"], volume["replication_status"], volume["metadata"]),
                                     ("EVS", "disabled", {}))
                    self.assertRegex(volume["wwn"], r"\A [0-9a-f]{32}\Z")
                    for name in ("created_at", "updated_at"):
                        self.assertRegex(volume[name], r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\Z")
                    # the server sees the same disk (basic.json lists the disks in volumes_attached)
                    server = self.sim.get("/v1/%s/cloudservers/%s" % (PID, instance[server]))[1]["server"]
                    self.assertEqual(server["os-extended-volumes:volumes_attached"][0]["id"], disk)

    def test_mutate_state_and_stale(self):
        self.assertEqual(set(self.sim.control("state")["volumes"]), set(DISKS))
        self.sim.fault(kind="stale", match={"path": "volumes"})
        self.assertEqual(self.action({"failover-server-group": {}})[0], 200)
        self.sim.control("mutate", {"volumes": {DISKS[1]: {"status": "error"}, DISKS[2]: None}})
        self.assertEqual(self.sim.get(self.BASE + "os-vendor-volumes/" + DISKS[1])[1]["volume"]["status"],
                         "in-use")  # stale: as before the action
        self.sim.control("clear-faults", {})
        self.assertEqual(self.sim.get(self.BASE + "os-vendor-volumes/" + DISKS[1])[1]["volume"]["status"], "error")
        self.assertEqual(self.sim.get(self.BASE + "cloudvolumes/" + DISKS[2])[0], 404)
        self.assertEqual(self.detail(ids_query(DISKS))["count"], 5)

    def test_log_service(self):
        self.sim.get(self.BASE + "cloudvolumes/detail")
        self.sim.get(self.BASE + "os-vendor-volumes/" + DISKS[0])
        self.sim.get("/v1/%s/cloudservers/flavors" % PID)
        self.sim.get("/v2/cloudimages")
        self.sim.get("/v1/%s/server-groups" % PID)
        self.sim.request("POST", "/v3/auth/tokens", {}, token=None)
        self.assertEqual([e["service"] for e in self.sim.control("requests")],
                         ["evs", "evs", "ecs", "ims", "sdrs", "iam"])
        with open(self.sim.log_file) as f:
            self.assertEqual(json.loads(f.readlines()[-6])["service"], "evs")

    def test_derived_flavors(self):
        """One flavor per flavor.id of the servers, on sale everywhere; the route is not cloudservers/{id}."""
        for query in ("", "?availability_zone=eu-de-02", "?availability_zone="):
            status, doc = self.sim.get("/v1/%s/cloudservers/flavors%s" % (PID, query))
            self.assertEqual(status, 200, doc)
            flavor, = doc["flavors"]
            self.assertEqual((flavor["id"], flavor["vcpus"], flavor["ram"], flavor["disk"]),
                             ("s3.large.2", "2", 4096, "0"))
            self.assertEqual((flavor["OS-FLV-DISABLED:disabled"], flavor["os-flavor-access:is_public"]),
                             (False, True))
            self.assertTrue(all(isinstance(v, str) for v in flavor["os_extra_specs"].values()))
        self.assertEqual(self.sim.get("/v1/other/cloudservers/flavors")[0], 403)
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/flavors/" % PID)[0], 200)  # trailing slash


class EvsOtcTest(SimTestCase):
    """evs_cloudvolumes_show false: Open Telekom Cloud, which has no GET cloudvolumes/{id}."""
    SCENARIO = scenario(evs_cloudvolumes_show=False)

    def test_only_os_vendor_volumes(self):
        base = "/v2/%s/" % PID
        self.assertError(self.sim.get(base + "cloudvolumes/" + DISKS[0]), 404, "APIG.0101")
        self.assertError(self.sim.get(base + "cloudvolumes/nope", token=None), 404, "APIG.0101")
        status, doc = self.sim.get(base + "os-vendor-volumes/" + DISKS[0])
        self.assertEqual((status, doc["volume"]["id"]), (200, DISKS[0]))
        self.assertEqual(self.sim.get(base + "os-vendor-volumes/nope")[0], 404)
        self.assertEqual(self.sim.get(base + "cloudvolumes/detail?" + ids_query(DISKS[:2]))[1]["count"], 2)
        self.assertEqual(self.sim.get(base + "cloudvolumes/detail/")[1]["count"], 6)


class FlavorCapacityTest(SimTestCase):
    """flavor_capacity: Huawei Cloud's flavor capacity call; without it the call does not exist."""
    SCENARIO = scenario(flavor_capacity={"s3.large.2": {"eu-de-01": True, "eu-de-02": False}})

    def test_capacity_per_zone(self):
        base = "/v1/%s/cloudservers/flavors/" % PID
        status, doc = self.sim.get(base + "s3.large.2/resources")
        self.assertEqual(status, 200)
        self.assertEqual({r["availability_zone"]: r["prefer"] for r in doc["resources"]},
                         {"eu-de-01": True, "eu-de-02": False})
        self.assertTrue(all(r["region_id"] == self.sim.control("state")["region"] for r in doc["resources"]))
        self.assertEqual(self.sim.get(base + "other/resources")[1], {"resources": []})
        self.assertEqual(self.sim.get(base + "s3.large.2/resources", token=None)[0], 401)


class FlavorCapacityAbsentTest(SimTestCase):
    SCENARIO = scenario()

    def test_not_served(self):
        self.assertError(self.sim.get("/v1/%s/cloudservers/flavors/s3.large.2/resources" % PID), 404,
                         "APIG.0101")


FLAVORS = [
    {"id": "s3.large.2", "name": "s3.large.2", "vcpus": "2", "ram": 4096, "disk": "0",
     "os_extra_specs": {"cond:operation:az": "eu-de-01(normal), eu-de-02(sellout)"}},
    {"id": "s3.xlarge.2", "name": "s3.xlarge.2", "vcpus": "4", "ram": 8192, "disk": "0",
     "os_extra_specs": {"cond:operation:status": "sellout", "cond:operation:az": "eu-de-02(obt), eu-de-03()"}},
    {"id": "c4.large.2", "name": "c4.large.2", "vcpus": "2", "ram": 4096, "disk": "0"},
    {"id": "m2.large.8", "name": "m2.large.8", "vcpus": "2", "ram": 16384, "disk": "0",
     "os_extra_specs": {"cond:operation:status": "abandon"}},
    {"id": "s2.large.2", "name": "s2.large.2", "vcpus": "2", "ram": 4096, "disk": "0",
     "os_extra_specs": {"cond:operation:status": "promotion", "cond:operation:az": "eu-de-03(obt_sellout)"}},
]
EXPLICIT_VOLUME = {"id": "6b0e9c1a-0000-4000-8000-000000000001", "status": "error", "size": "40",
                   "bootable": "false", "attachments": []}


def explicit_scenario():
    """basic.json with the world's volumes, flavors and users' roles given explicitly."""
    doc = scenario(volumes={EXPLICIT_VOLUME["id"]: EXPLICIT_VOLUME}, flavors=FLAVORS)
    users = doc["credentials"]["users"]
    users.append(dict(users[0], name="bob", roles=["readonly", "sdrs_adm"]))
    users.append(dict(users[0], name="carol", roles=[]))
    return doc


class ExplicitWorldTest(SimTestCase):
    SCENARIO = explicit_scenario()

    def test_volumes_are_the_scenario_s(self):
        doc = self.sim.get("/v2/%s/cloudvolumes/detail" % PID)[1]
        self.assertEqual(doc, {"volumes": [EXPLICIT_VOLUME], "count": 1})  # verbatim; nothing derived
        self.assertEqual(self.sim.get("/v2/%s/cloudvolumes/%s" % (PID, DISKS[0]))[0], 404)

    def test_flavors_per_zone(self):
        def listed(query=""):
            status, doc = self.sim.get("/v1/%s/cloudservers/flavors%s" % (PID, query))
            self.assertEqual(status, 200, doc)
            return [f["id"] for f in doc["flavors"]]
        self.assertEqual(listed(), [f["id"] for f in FLAVORS])
        # eu-de-01: s3.large.2 normal there, s3.xlarge.2 sellout (region-wide), c4 normal (no specs),
        # m2 abandon, s2 promotion
        self.assertEqual(listed("?availability_zone=eu-de-01"), ["s3.large.2", "c4.large.2", "s2.large.2"])
        # eu-de-02: s3.large.2 sellout there, s3.xlarge.2 obt there
        self.assertEqual(listed("?availability_zone=eu-de-02"), ["s3.xlarge.2", "c4.large.2", "s2.large.2"])
        # eu-de-03: an empty entry is invalid (region-wide sellout applies); obt_sellout is left out
        self.assertEqual(listed("?availability_zone=eu-de-03"), ["s3.large.2", "c4.large.2"])
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/flavors" % PID)[1]["flavors"], FLAVORS)  # verbatim

    def test_token_roles(self):
        def roles(name):
            body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                "name": name, "password": USER["password"], "domain": {"name": USER["domain"]}}}},
                "scope": {"project": {"id": PID}}}}
            status, doc = self.sim.json("POST", "/v3/auth/tokens?nocatalog=1", body, token=None)
            self.assertEqual(status, 201, doc)
            return doc["token"]["roles"]
        bob = roles("bob")
        self.assertEqual([r["name"] for r in bob], ["readonly", "sdrs_adm"])
        self.assertEqual(len({r["id"] for r in bob}), 2)
        self.assertEqual(roles("carol"), [])
        self.assertEqual([r["name"] for r in roles(USER["name"])], ["te_admin"])
        self.assertEqual(roles("bob"), bob)  # deterministic ids

    def test_bad_keys(self):
        with tempfile.TemporaryDirectory() as d:
            for changes, message in (({"evs_cloudvolumes_show": "no"}, "evs_cloudvolumes_show must be"),
                                     ({"volumes": []}, "volumes must map ids"),
                                     ({"flavors": [{"name": "x"}]}, "needs a string id"),
                                     ({"credentials": {"users": [dict(USER, roles="te_admin")]}}, "roles must be")):
                with self.subTest(message=message):
                    path = os.path.join(d, "s.json")
                    with open(path, "w") as f:
                        json.dump(scenario(**changes), f)
                    with self.assertRaisesRegex(scenario_mod.ScenarioError, message):
                        scenario_mod.load(path)


class SnapshotVolumesTest(SimTestCase):
    """A snapshot's "volumes" part: 200 exists, 404 does not, another status is served as recorded."""
    ERROR = {"message": "volume backend unavailable", "code": "EVS.5400"}

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="sdrs-sim-snap-")
        with open(os.path.join(HERE, "scenarios", "snapshots", "deleted-server.snapshot.json")) as f:
            snap = json.load(f)
        cls.volume = dict(EXPLICIT_VOLUME, id=DISKS[0], status="in-use")
        snap["volumes"] = {DISKS[0]: {"http_status": 200, "volume": cls.volume},
                           DISKS[1]: {"http_status": 404, "error": {"itemNotFound": {"code": 404}}},
                           DISKS[2]: {"http_status": 500, "error": cls.ERROR},
                           DISKS[3]: {"http_status": 503}}
        path = os.path.join(cls.dir, "snap.json")
        with open(path, "w") as f:
            json.dump(snap, f)
        cls.SCENARIO = {"snapshot": path, "credentials": BASIC_DOC["credentials"]}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.dir, ignore_errors=True)

    def test_recorded_volumes(self):
        base = "/v2/%s/os-vendor-volumes/" % PID
        self.assertEqual(self.sim.get(base + DISKS[0]), (200, {"volume": self.volume}))
        self.assertEqual(self.sim.get(base + DISKS[1])[1]["itemNotFound"]["code"], 404)
        self.assertEqual(self.sim.get(base + DISKS[2]), (500, {"error": self.ERROR}))
        self.assertError(self.sim.get(base + DISKS[3]), 503, "APIG.0201")
        self.assertEqual(self.sim.get(base + DISKS[4])[0], 404)  # not recorded, and nothing derived
        doc = self.sim.get("/v2/%s/cloudvolumes/detail?%s" % (PID, ids_query(DISKS)))[1]
        self.assertEqual(doc, {"volumes": [self.volume], "count": 1})
        state = self.sim.control("state")
        self.assertEqual(state["volume_errors"][DISKS[2]], {"http_status": 500, "body": {"error": self.ERROR}})
        self.sim.control("mutate", {"volumes": {DISKS[2]: {"status": "available"}}})
        self.assertEqual(self.sim.get(base + DISKS[2])[1]["volume"], {"id": DISKS[2], "status": "available"})


class DenialFaultTest(SimTestCase):
    """403 faults with the documented denial bodies, on one API each."""
    EVS_DENY = {"error": {"message": "action in pdp check deny!", "code": "EVS.2056"}}
    ECS_DENY = {"error": {"message": "Policy doesn't allow ecs:cloudServers:get to be performed.", "code": "Ecs.0003"}}
    IAM_DENY = {"error_msg": "Policy doesn't allow evs:volumes:list to be performed.", "error_code": "IAM.0003"}

    def test_denials(self):
        server = "/v1/%s/cloudservers/%s" % (PID, INSTANCES[0]["source_server"])
        flavors = "/v1/%s/cloudservers/flavors" % PID
        self.sim.control("faults", {"faults": [
            {"kind": "status", "status": 403, "body": self.EVS_DENY, "match": {"path": "/cloudvolumes/"}},
            {"kind": "status", "status": 403, "body": self.ECS_DENY,
             "match": {"method": "GET", "path": "/cloudservers/(?!detail/?$|flavors/?$)[^/]+/?$"}},
            {"kind": "status", "status": 403, "body": json.dumps(self.IAM_DENY), "match": {"path": "/flavors$"}}]})
        self.assertEqual(self.sim.get("/v2/%s/cloudvolumes/detail" % PID), (403, self.EVS_DENY))
        self.assertEqual(self.sim.get("/v2/%s/cloudvolumes/%s" % (PID, DISKS[0])), (403, self.EVS_DENY))
        self.assertEqual(self.sim.get("/v2/%s/os-vendor-volumes/%s" % (PID, DISKS[0]))[0], 200)
        self.assertEqual(self.sim.get(server), (403, self.ECS_DENY))
        self.assertEqual(self.sim.get("/v1/%s/cloudservers/detail" % PID)[0], 200)
        self.assertEqual(self.sim.get(flavors), (403, self.IAM_DENY))
        self.assertEqual(self.sim.get("/v1/%s/server-groups" % PID)[0], 200)
        self.assertEqual([e["fault"] for e in self.sim.control("requests")],
                         ["status", "status", None, "status", None, "status", None])
        self.sim.control("clear-faults", {})
        self.sim.fault(kind="status", status=403, match={"path": "os-vendor-volumes"})  # no body: EVS's shape
        self.assertError(self.sim.get("/v2/%s/os-vendor-volumes/x" % PID), 403, "EVS.0001")
        self.sim.fault(kind="body", body={"volumes": "x"}, match={"path": "cloudvolumes"})  # body kind too
        self.assertEqual(self.sim.get("/v2/%s/cloudvolumes/detail" % PID), (200, {"volumes": "x"}))
        for bad in (403, True, 1.5):  # text, an object or an array only
            status, doc = self.sim.json("POST", "/__sim/faults", {"faults": [
                {"kind": "status", "status": 403, "body": bad}]}, token=None)
            self.assertEqual((status, "body" in doc["error"]), (400, True), doc)


class GeneratedVolumesTest(unittest.TestCase):
    def load(self, doc):
        return load_scenario(doc)

    def test_derived_and_volume_status(self):
        doc = gen_scenario.generate(3)
        self.assertNotIn("volumes", doc)
        derived = self.load(doc).world["volumes"]
        disks = [d for pair in doc["replications"] for d in pair["volume_ids"].split(",")]
        self.assertEqual(list(derived), disks)
        self.assertEqual({v["status"] for v in derived.values()}, {"in-use"})
        for instance in doc["protected_instances"]:  # each server's volumes_attached names its disk
            for key in ("source_server", "target_server"):
                server = doc["servers"][instance[key]]
                disk = derived[server["os-extended-volumes:volumes_attached"][0]["id"]]
                self.assertEqual((disk["attachments"][0]["server_id"], disk["availability_zone"]),
                                 (server["id"], server["OS-EXT-AZ:availability_zone"]))
        doc = gen_scenario.generate(3, volume_status="error")
        self.assertEqual({vid: v["status"] for vid, v in doc["volumes"].items()}, {d: "error" for d in disks})
        self.assertEqual(self.load(doc).world["volumes"], doc["volumes"])
        out = subprocess.run([sys.executable, os.path.join(HERE, "gen_scenario.py"), "--instances", "3",
                              "--volume-status", "error"], check=True, capture_output=True, text=True).stdout
        self.assertEqual(json.loads(out), doc)

    def test_pair_shapes(self):
        """An unattached pair gives available disks; a single id only a production disk; sizes may be strings."""
        doc = scenario()
        pair = dict(PAIRS[0], id="p-unattached", volume_ids=" v-a , v-b ", attachment=[],
                    record_metadata={"volume_size": "25", "multiattach": True, "volume_type": "SAS"})
        doc["replications"] = [pair, dict(PAIRS[1], id="p-single", volume_ids="v-c", record_metadata={})]
        volumes = self.load(doc).world["volumes"]
        self.assertEqual(list(volumes), ["v-a", "v-b", "v-c"])
        a, b, c = volumes.values()
        self.assertEqual((a["status"], a["attachments"], a["size"], a["multiattach"], a["volume_type"]),
                         ("available", [], 25, True, "SAS"))
        self.assertEqual((a["availability_zone"], b["availability_zone"]), ("eu-de-01", "eu-de-02"))
        self.assertEqual((c["size"], c["volume_type"], c["multiattach"], c["status"]), (10, "SSD", False, "in-use"))
        self.assertEqual(c["attachments"][0]["server_id"], INSTANCES[1]["source_server"])


class LifecycleTest(unittest.TestCase):
    def test_sigterm_and_port_file(self):
        sim = SimProcess(scenario())
        self.assertEqual(sim.get("/v1/%s/server-groups" % PID)[0], 200)
        port_file = sim.port_file
        self.assertEqual(sim.stop(), 0)
        self.assertFalse(os.path.exists(port_file))

    def test_bad_scenarios(self):
        with tempfile.TemporaryDirectory() as d:
            for doc, message in (({"region": "x"}, "project_id is required"),
                                 (dict(scenario(), bogus=1), "unknown key"),
                                 (dict(scenario(), faults=[{"kind": "nope"}]), "fault kind"),
                                 (dict(scenario(), faults=[{"kind": "stale", "when": 1}]), "when must be"),
                                 (dict(scenario(), jobs={"apply": "yes"}), "jobs.apply must be"),
                                 (dict(scenario(), jobs={"stay_off": "all"}), "jobs.stay_off must be"),
                                 (dict(scenario(), snapshot="missing.json"), "cannot read")):
                path = os.path.join(d, "s.json")
                with open(path, "w") as f:
                    json.dump(doc, f)
                result = subprocess.run([sys.executable, os.path.join(HERE, "sdrs_sim.py"), "--scenario", path,
                                         "--port-file", os.path.join(d, "port")], capture_output=True, text=True)
                self.assertEqual(result.returncode, 2)
                self.assertIn(message, result.stderr)

    def test_simctl(self):
        simctl = [sys.executable, os.path.join(HERE, "simctl.py")]
        with tempfile.TemporaryDirectory() as d:
            url = subprocess.run(simctl + ["start", "--scenario", BASIC, "--dir", d], capture_output=True, text=True,
                                 check=True).stdout.strip()
            try:
                self.assertRegex(url, r"\Ahttp://127\.0\.0\.1:\d+\Z")
                self.assertEqual(subprocess.run(simctl + ["url", "--dir", d], capture_output=True, text=True)
                                 .stdout.strip(), url)
                subprocess.run(simctl + ["control", "--dir", d, "faults",
                                         '{"faults": [{"kind": "empty", "match": {"path": "jobs"}}]}'],
                               check=True, capture_output=True)
                port = int(url.rsplit(":", 1)[1])
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/v1/%s/jobs/x" % PID, headers={"X-Auth-Token": TOKEN})
                self.assertEqual(conn.getresponse().read(), b"")
                conn.close()
                log = json.loads(subprocess.run(simctl + ["requests", "--dir", d], capture_output=True, text=True,
                                                check=True).stdout)
                self.assertEqual([(e["path"], e["fault"]) for e in log], [("/v1/%s/jobs/x" % PID, "empty")])
            finally:
                stopped = subprocess.run(simctl + ["stop", "--dir", d], capture_output=True)
            self.assertEqual(stopped.returncode, 0)
            self.assertNotEqual(subprocess.run(simctl + ["url", "--dir", d], capture_output=True).returncode, 0)

    @unittest.skipIf(shutil.which("openssl") is None, "openssl is needed to make a test certificate")
    def test_tls(self):
        with tempfile.TemporaryDirectory() as d:
            subprocess.run([sys.executable, os.path.join(HERE, "simctl.py"), "cert", "--dir", d], check=True,
                           capture_output=True)
            sim = SimProcess(scenario(), tls=(os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")))
            try:
                self.assertEqual(sim.get("/v1/%s/server-groups" % PID)[0], 200)
                body = {"auth": {"identity": {"methods": ["password"], "password": {"user": {
                    "name": USER["name"], "password": USER["password"], "domain": {"name": USER["domain"]}}}},
                    "scope": {"project": {"id": PID}}}}
                status, doc = sim.json("POST", "/v3/auth/tokens", body, token=None)
                self.assertEqual(status, 201)
                urls = [e["endpoints"][0]["url"] for e in doc["token"]["catalog"]]
                self.assertTrue(all(u.startswith("https://127.0.0.1:%d" % sim.port) for u in urls), urls)
                sim.fault(kind="reset", match={"path": "server-groups"}, times=1)
                self.assertRaises((ConnectionError, ssl.SSLError), sim.get, "/v1/%s/server-groups" % PID)
                self.assertEqual(sim.get("/v1/%s/server-groups" % PID)[0], 200)
            finally:
                self.assertEqual(sim.stop(), 0)


if __name__ == "__main__":
    unittest.main()
