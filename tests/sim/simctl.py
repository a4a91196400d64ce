#!/usr/bin/env python3
"""Drive sdrs_sim.py from shell tests. State lives in a directory D:
D/sim.pid, D/sim.port, D/sim.url, D/requests.jsonl (request log), D/sim.stderr.

    simctl.py start --scenario F --dir D [--tls-cert PEM --tls-key PEM] [--timeout S]   prints the base URL
    simctl.py stop --dir D                    SIGTERM (SIGKILL after 5 s); exit 0 if it was running
    simctl.py url --dir D                     prints the base URL
    simctl.py requests --dir D                prints the request log (JSON array)
    simctl.py control --dir D NAME [JSON]     without JSON: GET requests|state|faults, else POST
                                              (reset-log, faults, clear-faults, mutate, reset)
    simctl.py cert --dir D                    writes D/cert.pem and D/key.pem (self-signed for 127.0.0.1; needs openssl)
"""

import argparse
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
GET_CONTROLS = ("requests", "state", "faults")


def _path(directory, name):
    return os.path.join(directory, name)


def _read(directory, name):
    try:
        with open(_path(directory, name)) as f:
            return f.read().strip()
    except OSError:
        return None


def _alive(pid):
    """True if pid runs (a zombie, which an init that does not reap may leave, counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def start(args):
    os.makedirs(args.dir, exist_ok=True)
    old = _read(args.dir, "sim.pid")
    if old and _alive(int(old)):
        sys.stderr.write("simctl: a simulator is already running in %s (pid %s)\n" % (args.dir, old))
        return 1
    port_file = _path(args.dir, "sim.port")
    for name in ("sim.port", "sim.url", "sim.pid"):
        if os.path.exists(_path(args.dir, name)):
            os.remove(_path(args.dir, name))
    command = [sys.executable, os.path.join(HERE, "sdrs_sim.py"), "--scenario", args.scenario,
               "--port-file", port_file, "--log", _path(args.dir, "requests.jsonl"), "--quiet"]
    if args.tls_cert:
        command += ["--tls-cert", args.tls_cert, "--tls-key", args.tls_key]
    with open(_path(args.dir, "sim.stderr"), "ab") as err:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                start_new_session=True)
    with open(_path(args.dir, "sim.pid"), "w") as f:
        f.write("%d\n" % proc.pid)
    deadline = time.monotonic() + args.timeout
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            if proc.poll() is None:
                proc.kill()
            sys.stderr.write("simctl: the simulator did not start:\n%s" % (_read(args.dir, "sim.stderr") or ""))
            os.remove(_path(args.dir, "sim.pid"))
            return 1
        time.sleep(0.02)
    url = "%s://127.0.0.1:%s" % ("https" if args.tls_cert else "http", _read(args.dir, "sim.port"))
    with open(_path(args.dir, "sim.url"), "w") as f:
        f.write(url + "\n")
    print(url)
    return 0


def stop(args):
    pid = _read(args.dir, "sim.pid")
    if not pid:
        sys.stderr.write("simctl: no simulator in %s\n" % args.dir)
        return 1
    pid = int(pid)
    was_running = _alive(pid)
    if was_running:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        while _alive(pid) and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.05)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    for name in ("sim.pid", "sim.url"):
        if os.path.exists(_path(args.dir, name)):
            os.remove(_path(args.dir, name))
    if not was_running:
        sys.stderr.write("simctl: the simulator (pid %d) was not running\n" % pid)
        return 1
    return 0


def _reap(pid):
    try:
        os.waitpid(pid, os.WNOHANG)  # only succeeds when we are its parent (start in this process)
    except ChildProcessError:
        pass


def control_call(directory, name, body=None):
    """The parsed JSON answer of /__sim/<name>: GET for requests/state/faults without a body, else POST."""
    url = _read(directory, "sim.url")
    if not url:
        raise SystemExit("simctl: no simulator URL in %s" % directory)
    data = None if name in GET_CONTROLS and body is None else (body or "{}").encode("utf-8")
    req = urllib.request.Request(url + "/__sim/" + name, data=data, method="GET" if data is None else "POST",
                                 headers={"Content-Type": "application/json"})
    context = ssl._create_unverified_context() if url.startswith("https") else None  # our own test server
    try:
        with urllib.request.urlopen(req, timeout=30, context=context) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as e:
        raise SystemExit("simctl: %s: %s" % (name, e.read().decode("utf-8", "replace")))


def cert(args):
    if shutil.which("openssl") is None:
        sys.stderr.write("simctl: openssl is not installed\n")
        return 1
    os.makedirs(args.dir, exist_ok=True)
    cert_path, key_path = _path(args.dir, "cert.pem"), _path(args.dir, "key.pem")
    result = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                             "-keyout", key_path, "-out", cert_path], capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write("simctl: openssl failed:\n%s" % result.stderr)
        return 1
    print(cert_path)
    print(key_path)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="simctl.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="start a simulator in the background, print its base URL")
    p.add_argument("--scenario", required=True)
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the port file")
    for name in ("stop", "url", "requests", "cert"):
        sub.add_parser(name)
    p = sub.add_parser("control", help="call the control API")
    p.add_argument("name", help="requests, state, faults, reset-log, clear-faults, mutate, reset")
    p.add_argument("body", nargs="?", help="JSON body for POST (faults: {\"faults\": [...]})")
    for p in sub.choices.values():
        p.add_argument("--dir", required=True, help="state directory of this simulator")
    args = parser.parse_args(argv)
    if args.command == "start":
        if bool(args.tls_cert) != bool(args.tls_key):
            parser.error("--tls-cert and --tls-key go together")
        return start(args)
    if args.command == "stop":
        return stop(args)
    if args.command == "cert":
        return cert(args)
    if args.command == "url":
        url = _read(args.dir, "sim.url")
        if not url:
            sys.stderr.write("simctl: no simulator URL in %s\n" % args.dir)
            return 1
        print(url)
        return 0
    name = "requests" if args.command == "requests" else args.name
    print(json.dumps(control_call(args.dir, name, getattr(args, "body", None)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
