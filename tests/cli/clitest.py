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


def src(*parts):
    return os.path.join(SOURCE, *parts)


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
