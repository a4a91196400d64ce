"""Shared helpers for the end-to-end tests: run the real binary, read its outputs.

CTest sets SDRS_BINARY (the built binary) and SDRS_SOURCE_DIR (the source tree).
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ.get("SDRS_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BINARY = os.environ.get("SDRS_BINARY") or os.path.join(SOURCE, "build", "sdrs-preflight")
EXAMPLES = os.path.join(SOURCE, "examples")
# The built-in rules, as rules/ holds them (rules/SDRS-0NN-<slug>.lua).
BUILTIN_IDS = sorted(name[:8] for name in os.listdir(os.path.join(SOURCE, "rules"))
                     if name.startswith("SDRS-") and name.endswith(".lua"))


def src(*parts):
    return os.path.join(SOURCE, *parts)


# failover --execute holds a lock per group per host: each test process (CTest runs several at
# once, all on the simulator's one group id) has a lock directory of its own.
LOCK_DIR = tempfile.mkdtemp(prefix="sdrs-locks-")


class Result:
    def __init__(self, proc):
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "exit %d\n--- stdout\n%s\n--- stderr\n%s" % (self.code, self.out[:4000], self.err[:4000])


def run(*args, env=None, cwd=None, timeout=60, stdin=None):
    """Runs the binary with args; returns a Result. env adds to a clean copy of os.environ."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e["SOURCE_DATE_EPOCH"] = "1795608000"
    e.setdefault("SDRS_LOCK_DIR", LOCK_DIR)
    if env:
        for k, v in env.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
    proc = subprocess.run([BINARY] + [str(a) for a in args], env=e, cwd=cwd, timeout=timeout,
                          capture_output=True, text=True, input=stdin)
    return Result(proc)


class TempDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sdrs-cli-")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def write(self, name, text):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text if isinstance(text, str) else json.dumps(text))
        return p

    def assertExit(self, res, code):
        self.assertEqual(res.code, code, res)


SIM = os.path.join(SOURCE, "tests", "sim")
SIM_PROJECT = "0b5d2d1f6a8e4c3b9f7a1e2d3c4b5a69"
SIM_GROUP = "5c8f0e9a-3d2b-4c1e-9a7f-6b5d4c3e2f10"
SIM_TOKEN = "basic-token-0123456789abcdef"
SIM_AK = "BASICSIMAK0000000001"
SIM_SK = "basicSimSecretKey0123456789abcdefghijklmn"
SIM_USER = ("alice", "alice-password", "sim-domain")


class Sim:
    """One simulator process on a free loopback port, started from a scenario (a dict or a path)."""

    def __init__(self, tmp, scenario, tls=False, name="sim"):
        import time
        import urllib.request  # noqa: F401  (used by control)
        self.dir = os.path.join(tmp, name)
        os.makedirs(self.dir, exist_ok=True)
        if isinstance(scenario, dict):
            path = os.path.join(self.dir, "scenario.json")
            with open(path, "w") as f:
                json.dump(scenario, f)
            scenario = path
        self.scenario = scenario
        port_file = os.path.join(self.dir, "port")
        args = [sys_executable(), os.path.join(SIM, "sdrs_sim.py"), "--scenario", scenario,
                "--port-file", port_file, "--log", os.path.join(self.dir, "requests.jsonl"), "--quiet"]
        self.cert = None
        if tls:
            self.cert = os.path.join(self.dir, "cert.pem")
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", self.cert], check=True, capture_output=True)
            args += ["--tls-cert", self.cert, "--tls-key", key]
        self.stderr = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen(args, stderr=self.stderr, stdout=subprocess.DEVNULL)
        deadline = time.time() + 60  # generous: only a loaded machine waits
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError("the simulator did not start: %s" % open(
                    os.path.join(self.dir, "stderr")).read())
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)

    def control(self, name, body=None):
        """Calls the control API (/__sim/NAME): GET without a body, POST with one."""
        import ssl
        import urllib.request
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/__sim/" + name, data=data,
                                     method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        ctx = ssl._create_unverified_context() if self.cert else None
        with urllib.request.urlopen(req, timeout=10, context=ctx) as r:
            text = r.read().decode()
        return json.loads(text) if text.strip() else None

    def requests(self):
        return self.control("requests")

    def faults(self, *faults):
        """Replaces the fault rules and empties the request log."""
        self.control("clear-faults", {})
        self.control("reset-log", {})
        if faults:
            self.control("faults", {"faults": list(faults)})

    def endpoint_args(self):
        return ["--endpoint", self.url, "--ecs-endpoint", self.url, "--ims-endpoint", self.url,
                "--evs-endpoint", self.url, "--project-id", SIM_PROJECT]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.stderr.close()


def sys_executable():
    import sys
    return sys.executable


def basic_scenario(**extra):
    """The simulator's basic scenario (3 instances, every credential kind), with changes."""
    with open(os.path.join(SIM, "scenarios", "basic.json")) as f:
        sc = json.load(f)
    sc.update(extra)
    return sc


def scenario_from_snapshot(path, **extra):
    """A world served from a snapshot file, with the basic scenario's credentials."""
    sc = {"snapshot": os.path.abspath(path), "credentials": basic_scenario()["credentials"],
          "project_id": SIM_PROJECT}
    sc.update(extra)
    return sc


TOKEN_ENV = {"OS_AUTH_TOKEN": SIM_TOKEN}
AKSK_ENV = {"OS_ACCESS_KEY": SIM_AK, "OS_SECRET_KEY": SIM_SK}
PASSWORD_ENV = {"OS_USERNAME": SIM_USER[0], "OS_PASSWORD": SIM_USER[1],
                "OS_USER_DOMAIN_NAME": SIM_USER[2], "OS_PROJECT_ID": SIM_PROJECT}
NO_CREDS = {k: None for k in ("OS_AUTH_TOKEN", "OS_ACCESS_KEY", "OS_SECRET_KEY", "HW_ACCESS_KEY",
                              "HW_SECRET_KEY", "OS_USERNAME", "OS_PASSWORD", "OS_USER_DOMAIN_NAME",
                              "OS_DOMAIN_NAME", "OS_PROJECT_ID", "OS_PROJECT_NAME", "OS_REGION_NAME")}


def creds(kind_env):
    e = dict(NO_CREDS)
    e.update(kind_env)
    return e
