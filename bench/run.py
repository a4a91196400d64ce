#!/usr/bin/env python3
"""The sdrs-preflight benchmark (issue 7, DESIGN section 6): live checks against the simulator with
injected latency, offline snapshot checks, a fleet check and start-up, in one run.

    python3 bench/run.py [--quick] [--binary PATH] [--repeat N] [--json FILE] [--no-ref]
                         [--only live,offline,fleet] [--keep]

1. Live `check GROUP` of a group with N protected instances (2N servers), latency L, concurrency C.
   Floor = (1 + ceil(2N / C)) x L: the group and its lists in one round, then the servers in rounds
   of C. One server process per scenario: started, warmed by one untimed run (with -vv, whose log
   gives the HTTP statistics), then --repeat timed runs; the median is reported.
   Every case is run at L = 20 ms and at L = 0 (the fixed costs: client CPU, server CPU, start-up).
   Batch mode (--batch-servers on: up to 100 servers a request) at C = 16 (and 64 for N = 500):
   floor = (2 + ceil(ceil(2N / 100) / C)) x L (the group and lists, the batches, the images they
   name); round trips are counted in the simulator's request log. The client's -v time line gives
   what it spends after the last answer; client CPU per request is reported, and the CPU of a
   request itself (one-per-server minus batched, over the requests saved).
   For N = 10 and 100, bench/sequential.sh (curl + jq, one request at a time: what a user writes
   instead) runs once against the same server at L = 20 ms, and the speed-up is reported.
   Two servers: `sim` is tests/sim/sdrs_sim.py (the simulator the issue names: a thread per
   connection, every answer computed under the GIL); `ref` is bench/refserver.py (the same answers,
   computed once and served from a cache by one asyncio loop), which tells the client's cost apart
   from the simulator's.
2. Offline `check --snapshot` of bench/gen_snapshot.py snapshots: median wall, peak RSS, per instance.
3. Fleet `check --all` over G groups of 10 instances (bench/gen_fleet.py), L = 20 ms, C = 64.
4. Start-up: `sdrs-preflight version`.
5. The sequential script's time and the speed-up (see 1).

Wall time is measured from posix_spawn to wait4 of the binary; peak RSS and CPU time come from the
rusage wait4 returns. Python 3 standard library only.
"""

import argparse
import datetime
import json
import math
import os
import platform
import re
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True  # no __pycache__ in bench/ or tests/sim/ from the imports below
BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
SIM_DIR = os.path.join(ROOT, "tests", "sim")
sys.path.insert(0, SIM_DIR)
sys.path.insert(0, BENCH)

import gen_fleet  # noqa: E402
import gen_scenario  # noqa: E402

TOKEN = "sim-token"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Issue 7's targets.
TARGET_LIVE = 1.3
TARGET_FLEET = 1.5
TARGET_OFFLINE_MS = 50.0
TARGET_OFFLINE_MIB = 32.0
TARGET_START_MS = 5.0
# Issue 17's targets.
TARGET_BATCH_ROUNDS = 4
TARGET_BATCH_RATIO = 1.3
TARGET_SEQ_SPEEDUP = 30.0
BATCH = ("--batch-servers", "on")
BATCH_MAX = 100  # ids per batch request (src/api.h API_BATCH_MAX)


class BenchError(Exception):
    pass


def say(text=""):
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


# ---- running the binary --------------------------------------------------------------------------

class Run:
    def __init__(self, wall_ms, code, rss_kib, cpu_ms):
        self.wall_ms = wall_ms
        self.code = code
        self.rss_kib = rss_kib
        self.cpu_ms = cpu_ms


# The binary is started by this small helper (python3 -I -S, about 9 MiB) rather than by run.py
# itself: Linux charges a child's peak RSS with the RSS of the process it was spawned from
# (exec_mmap() keeps the old mm's high-water mark in the child's maxrss), so a child of run.py
# (some 25 MiB of Python) would never show less than that. The helper reads one JSON request a line
# ({"argv", "stdout", "stderr"}), answers {"pid"} when the child is started and
# {"wall_ms", "code", "rss_kib", "cpu_ms"} when it has exited: wall from posix_spawn to wait4,
# peak RSS and CPU from the rusage wait4 returns.
SPAWNER = r"""
import json, os, sys, time
W = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
for line in sys.stdin:
    req = json.loads(line)
    acts = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, req["stdout"], W, 0o644),
            (os.POSIX_SPAWN_OPEN, 2, req["stderr"], W, 0o644)]
    try:
        t0 = time.perf_counter()
        pid = os.posix_spawn(req["argv"][0], req["argv"], os.environ, file_actions=acts)
    except OSError as e:
        print(json.dumps({"error": str(e)}), flush=True)
        continue
    print(json.dumps({"pid": pid}), flush=True)
    _, status, ru = os.wait4(pid, 0)
    t1 = time.perf_counter()
    print(json.dumps({"wall_ms": (t1 - t0) * 1000.0, "code": os.waitstatus_to_exitcode(status),
                      "rss_kib": ru.ru_maxrss, "cpu_ms": (ru.ru_utime + ru.ru_stime) * 1000.0}), flush=True)
"""


class Spawner:
    """The helper process that starts and times the binary (see SPAWNER)."""

    def __init__(self, env):
        self.proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", SPAWNER], env=env, bufsize=0,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True)
        self.buf = b""

    def _read(self, timeout):
        """The helper's next answer, or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise BenchError("the spawner helper exited unexpectedly")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def run(self, argv, stdout_path=os.devnull, stderr_path=os.devnull, timeout=300.0):
        self.proc.stdin.write((json.dumps({"argv": argv, "stdout": stdout_path, "stderr": stderr_path}) + "\n").encode())
        started = self._read(30)
        if started is None or "error" in started:
            raise BenchError("cannot start %s: %s" % (argv[0], (started or {}).get("error", "no answer")))
        done = self._read(timeout)
        if done is None:
            try:
                os.kill(started["pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._read(30)
            raise BenchError("%s did not finish within %.0f s (killed)" % (" ".join(argv[:3]), timeout))
        return Run(done["wall_ms"], done["code"], done["rss_kib"], done["cpu_ms"])

    def close(self):
        """Ends the helper; a binary still running (after an interruption) is in its session and goes too."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()


def tail(path, n=15):
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in lines[-n:])


WARNED_NOGO = set()


def expect(run, want, what, stderr_path):
    """want 0 for version; for a check, GO (0) or NO-GO (1): a decision was made from complete data.
    2 (usage) and 3 (INDETERMINATE: something could not be fetched or evaluated) end the benchmark."""
    if run.code == want or (want == 0 and run.code == 1 and what.split()[0] in ("live", "offline", "fleet")):
        if run.code == 1 and what.split()[0] not in WARNED_NOGO:
            WARNED_NOGO.add(what.split()[0])
            say("  note: %s: the verdict is NO-GO (exit 1), not the GO the generated data should give" % what)
        return
    raise BenchError("%s: exit code %d, expected %d; its stderr ends with:\n%s"
                     % (what, run.code, want, tail(stderr_path)))


# ---- the -vv log of a live run: HTTP statistics --------------------------------------------------

ATTEMPT_RE = re.compile(r"^sdrs-preflight: (.*): ([^:]+?), (\d+) ms \(attempt (\d+)/(\d+)\)(.*)$")
DETAIL_RE = re.compile(r", (\d+) bytes, request id '[^']*', (new|reused) connection$")


def http_stats(path):
    """Requests, retries, statuses, connections, bytes and per-request milliseconds of a -vv log."""
    st = {"requests": 0, "retries": 0, "status": {}, "connections": 0, "reused": 0, "bytes": 0, "ms": [],
          "round1_ms": 0}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = ATTEMPT_RE.match(line)
            if m:
                label, msg, ms = m.group(1), m.group(2), int(m.group(3))
                if m.group(6).startswith(", retrying"):
                    st["retries"] += 1
                    continue
                st["requests"] += 1
                st["ms"].append(ms)
                key = msg[5:] if msg.startswith("HTTP ") else msg
                st["status"][key] = st["status"].get(key, 0) + 1
                if re.search(r"/server-groups/[^/?]+$|/protected-instances\?|/replications\?|"
                             r"/disaster-recovery-drills\?", label):
                    st["round1_ms"] = max(st["round1_ms"], ms)
                continue
            m = DETAIL_RE.search(line)
            if m:
                st["bytes"] += int(m.group(1))
                st["connections" if m.group(2) == "new" else "reused"] += 1
    return st


TIME_RE = re.compile(r"time: fetch ([0-9.]+) ms \(assembling the snapshot after the last answer ([0-9.]+) ms\), "
                     r"checking the snapshot ([0-9.]+) ms, rules and report ([0-9.]+) ms")


def fixed_costs(path):
    """The -v time line of a live run: what the client spends after the last answer (ms)."""
    with open(path, errors="replace") as f:
        m = TIME_RE.search(f.read())
    if not m:
        return None
    fetch, assemble, check, rules = (float(g) for g in m.groups())
    return {"fetch_ms": fetch, "assemble_ms": assemble, "check_ms": check, "rules_ms": rules,
            "after_ms": assemble + check + rules}


def rounds(arrivals_ms, latency_ms):
    """Round trips in the reference server's arrival times: a request arriving within half a
    latency of the one before belongs to the same round. Only the reference server's times are
    used: the simulator answers a burst one after the other under the GIL (milliseconds each for a
    batch), so its rounds run into each other and a count from its log would be too low. None
    without arrival times or without latency."""
    if not arrivals_ms or latency_ms <= 0:
        return None
    times = sorted(arrivals_ms)
    return 1 + sum(1 for a, b in zip(times, times[1:]) if b - a >= latency_ms / 2.0)


def pct(values, p):
    if not values:
        return 0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100.0 * (len(s) - 1))))]


# ---- the servers ---------------------------------------------------------------------------------

class Server:
    """tests/sim/sdrs_sim.py ("sim") or bench/refserver.py ("ref") on a free loopback port."""

    live = []

    def __init__(self, kind, scenario_path, workdir):
        self.kind = kind
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        port_file = os.path.join(workdir, "port")
        self.stderr_path = os.path.join(workdir, "stderr")
        if kind == "sim":
            args = [sys.executable, os.path.join(SIM_DIR, "sdrs_sim.py"), "--scenario", scenario_path,
                    "--port-file", port_file, "--quiet"]
        else:
            args = [sys.executable, os.path.join(BENCH, "refserver.py"), "--scenario", scenario_path,
                    "--port-file", port_file]
        self._err = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self._err, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        Server.live.append(self)
        deadline = time.time() + 60
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                self.stop()
                raise BenchError("the %s server did not start (%s):\n%s" % (kind, scenario_path,
                                                                          tail(self.stderr_path)))
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def _call(self, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method="GET" if data is None else "POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.loads(r.read().decode() or "null")
        except (urllib.error.URLError, OSError, ValueError) as e:
            raise BenchError("the %s server's control API %s failed: %s" % (self.kind, path, e)) from None

    def set_latency(self, ms):
        if self.kind == "sim":
            self._call("/__sim/mutate", {"latency_ms": ms})
        else:
            self._call("/__ref/latency/%g" % ms, {})

    def reset_log(self):
        self._call("/__sim/reset-log" if self.kind == "sim" else "/__ref/reset-stats", {})

    def arrivals(self):
        """When the requests since the last reset arrived (ms, monotonic): the reference server only."""
        return self._call("/__ref/stats")["arrivals_ms"] if self.kind == "ref" else None

    def requests(self):
        """The requests since the last reset: a list of log entries (sim) or a count (ref)."""
        if self.kind == "sim":
            return self._call("/__sim/requests")
        return self._call("/__ref/stats")["requests"]

    def cpu_s(self):
        """CPU seconds (user + system) the server process has used so far."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._err.close()
        if self in Server.live:
            Server.live.remove(self)

    @classmethod
    def stop_all(cls):
        for s in list(cls.live):
            try:
                s.stop()
            except Exception:  # keep stopping the others
                pass


def count_requests(log):
    return log if isinstance(log, int) else len(log)


# ---- the benchmark -------------------------------------------------------------------------------

class Bench:
    def __init__(self, args):
        self.args = args
        self.binary = os.path.abspath(args.binary)
        self.tmp = tempfile.mkdtemp(prefix="sdrs-bench-")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("OS_", "HW_")) and k not in ("http_proxy", "https_proxy", "HTTP_PROXY",
                                                                       "HTTPS_PROXY", "all_proxy", "ALL_PROXY")}
        self.env.update({"OS_AUTH_TOKEN": TOKEN, "NO_COLOR": "1", "no_proxy": "127.0.0.1,localhost",
                         "SOURCE_DATE_EPOCH": "1795608000"})
        self.results = {"live": [], "offline": [], "fleet": [], "startup": None, "sequential": []}
        self.start_ms = None
        self.spawner = Spawner(self.env)

    def spawn(self, argv, stdout_path=os.devnull, stderr_path=os.devnull, timeout=300.0):
        return self.spawner.run(argv, stdout_path, stderr_path, timeout)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def cleanup(self):
        Server.stop_all()
        self.spawner.close()
        if self.args.keep:
            say("kept %s" % self.tmp)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- live --------------------------------------------------------------------------------------

    def live_args(self, server, project_id, group_id, c, extra=()):
        return [self.binary, "check", group_id, "--endpoint", server.url, "--ecs-endpoint", server.url,
                "--ims-endpoint", server.url, "--evs-endpoint", server.url, "--project-id", project_id, "--concurrency", str(c)] + list(extra)

    def measure_live(self, server, argv, what, repeat):
        """One warm run with -vv (the HTTP statistics), then `repeat` timed runs. Returns a dict."""
        err = self.path("stderr.txt")
        server.reset_log()
        warm = self.spawn(argv + ["-vv"], stderr_path=err)
        expect(warm, 0, what + " (warm-up)", err)
        stats = http_stats(err)
        costs = fixed_costs(err)
        log = server.requests()
        walls, rss, cpu, sent = [], [], [], []
        cpu0 = server.cpu_s()
        for _ in range(repeat):
            server.reset_log()
            r = self.spawn(argv, stderr_path=err)
            expect(r, 0, what, err)
            walls.append(r.wall_ms)
            rss.append(r.rss_kib)
            cpu.append(r.cpu_ms)
            sent.append(count_requests(server.requests()))
        arrivals = server.arrivals()  # of the last timed run: the warm-up's answers are computed, not cached
        server_cpu = server.cpu_s() - cpu0  # includes answering the log queries (small)
        if len(set(sent)) != 1:
            say("  note: %s sent %s requests in its runs" % (what, sorted(set(sent))))
        return {"median_ms": statistics.median(walls), "min_ms": min(walls), "max_ms": max(walls),
                "runs": walls, "rss_mib": max(rss) / 1024.0, "client_cpu_ms": statistics.median(cpu),
                "requests": statistics.median(sent), "server_cpu_s": server_cpu,
                "server_cpu_pct": 100.0 * server_cpu / (sum(walls) / 1000.0),
                "server_us_per_req": 1e6 * server_cpu / max(1, sum(sent)),
                "http": {k: v for k, v in stats.items() if k != "ms"},
                "req_ms_p50": pct(stats["ms"], 50), "req_ms_max": max(stats["ms"] or [0]),
                "cpu_us_per_req": 1000.0 * statistics.median(cpu) / max(1, statistics.median(sent)),
                "costs": costs, "arrivals": arrivals, "warm_log": log if isinstance(log, list) else None}

    def live(self):
        a = self.args
        ns, cs = ([10, 100], [16]) if a.quick else ([10, 100, 500], [16, 64])
        latencies = [20, 0]
        kinds = ["sim"] + ([] if a.no_ref else ["ref"])
        for kind in kinds:
            for n in ns:
                doc = gen_scenario.generate(n, latency_ms=20)
                sc_path = self.path("live-%d.json" % n)
                with open(sc_path, "w") as f:
                    json.dump(doc, f)
                pid, gid = doc["project_id"], doc["server_groups"][0]["id"]
                server = Server(kind, sc_path, self.path("%s-%d" % (kind, n)))
                try:
                    cases = [(c, lat, ()) for c in cs for lat in latencies]
                    cases += [(16, lat, BATCH) for lat in latencies]
                    if n == 500:
                        cases.append((64, 20, BATCH))
                    if n == 10 and not a.quick:
                        cases.append((64, 20, ("--no-images",)))
                    for c, lat, extra in cases:
                        server.set_latency(lat)
                        what = "live %s N=%d C=%d L=%d%s" % (kind, n, c, lat, " " + " ".join(extra) if extra else "")
                        say("  " + what)
                        m = self.measure_live(server, self.live_args(server, pid, gid, c, extra), what, a.repeat)
                        if extra == BATCH:
                            # the group and lists; the batches (ceil(2N / 100) requests, C at a time); the
                            # images, which only the servers' answers name
                            floor = (2 + math.ceil(math.ceil(2 * n / BATCH_MAX) / c)) * lat
                        else:
                            floor = (1 + math.ceil(2 * n / c)) * lat
                        log = m.pop("warm_log")
                        m.update({"server": kind, "n": n, "c": c, "l": lat,
                                  "variant": "batch" if extra == BATCH else " ".join(extra),
                                  "floor_ms": floor, "ratio": m["median_ms"] / floor if floor else None,
                                  "rounds": rounds(m.pop("arrivals"), lat)})
                        if log is not None:
                            m["by_kind"] = classify(log)
                        self.results["live"].append(m)
                    if n in (10, 100) and not a.quick:
                        self.sequential(server, kind, n, pid, gid)
                finally:
                    server.stop()

    def sequential(self, server, kind, n, pid, gid):
        """bench/sequential.sh (curl + jq, one request at a time) against the same server at L = 20."""
        server.set_latency(20)
        server.reset_log()
        what = "sequential %s N=%d L=20" % (kind, n)
        say("  " + what)
        env = dict(self.env)
        t0 = time.perf_counter()
        p = subprocess.run(["bash", os.path.join(BENCH, "sequential.sh"), server.url, pid, gid], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900)
        wall = (time.perf_counter() - t0) * 1000.0
        if p.returncode != 0 or not p.stdout.startswith("GO"):
            raise BenchError("%s: exit code %d, output %r, stderr:\n%s" % (what, p.returncode, p.stdout,
                                                                           p.stderr[-2000:]))
        self.results["sequential"].append({"server": kind, "n": n, "l": 20, "wall_ms": wall,
                                           "requests": count_requests(server.requests())})

    # -- offline -----------------------------------------------------------------------------------

    def offline(self):
        a = self.args
        ns = [100, 500] if a.quick else [100, 500, 2000, 5000]
        repeat = max(a.repeat, 10)
        for n in ns:
            snap = self.path("snapshot-%d.json" % n)
            with open(snap, "w") as f:
                subprocess.run([sys.executable, os.path.join(BENCH, "gen_snapshot.py"), str(n)], stdout=f,
                               check=True)
            argv = [self.binary, "check", "--snapshot", snap]
            err = self.path("stderr.txt")
            say("  offline N=%d" % n)
            expect(self.spawn(argv, stderr_path=err), 0, "offline N=%d (warm-up)" % n, err)
            runs = []
            for _ in range(repeat):
                r = self.spawn(argv, stderr_path=err)
                expect(r, 0, "offline N=%d" % n, err)
                runs.append(r)
            walls = [r.wall_ms for r in runs]
            med = statistics.median(walls)
            # what a reviewer gets: the text report's lines and bytes, the Markdown report's size
            text, md = self.path("report-%d.txt" % n), self.path("report-%d.md" % n)
            expect(self.spawn(argv + ["-o", text, "--report", "markdown=" + md], stderr_path=err), 0,
                   "offline N=%d (reports)" % n, err)
            with open(text, encoding="utf-8") as f:
                text_lines = len(f.read().splitlines())
            self.results["offline"].append({
                "n": n, "snapshot_bytes": os.path.getsize(snap), "runs": walls, "median_ms": med,
                "text_lines": text_lines, "text_bytes": os.path.getsize(text),
                "markdown_bytes": os.path.getsize(md),
                "min_ms": min(walls), "rss_mib": max(r.rss_kib for r in runs) / 1024.0,
                "client_cpu_ms": statistics.median(r.cpu_ms for r in runs),
                "ms_per_instance": med / n,
                "net_ms_per_instance": (med - (self.start_ms or 0)) / n})

    # -- fleet -------------------------------------------------------------------------------------

    def fleet(self):
        a = self.args
        groups, per, c = (20 if a.quick else 200), 10, 64
        doc = gen_fleet.generate(groups, per, latency_ms=20)
        sc_path = self.path("fleet.json")
        with open(sc_path, "w") as f:
            json.dump(doc, f)
        pid = doc["project_id"]
        kinds = ["sim"] + ([] if a.no_ref else ["ref"])
        for kind in kinds:
            server = Server(kind, sc_path, self.path("%s-fleet" % kind))
            try:
                for lat in (20, 0):
                    server.set_latency(lat)
                    what = "fleet %s %dx%d C=%d L=%d" % (kind, groups, per, c, lat)
                    say("  " + what)
                    argv = [self.binary, "check", "--all", "--endpoint", server.url, "--ecs-endpoint", server.url,
                            "--ims-endpoint", server.url, "--evs-endpoint", server.url, "--project-id", pid, "--concurrency", str(c)]
                    m = self.measure_live(server, argv, what, a.repeat)
                    log = m.pop("warm_log")
                    if log is not None:
                        kinds_seen = classify(log)
                        list_reqs = kinds_seen.get("group-list", 0)
                    else:  # the ref server counts only; the request set is the same as the simulator's
                        kinds_seen = None
                        list_reqs = math.ceil(groups / 1000.0)
                    after = m["http"]["requests"] - list_reqs
                    floor = (1 + 1 + math.ceil(after / c)) * lat
                    m.update({"server": kind, "groups": groups, "n": per, "c": c, "l": lat, "by_kind": kinds_seen,
                              "requests_after_list": after, "floor_ms": floor,
                              "ratio": m["median_ms"] / floor if floor else None})
                    self.results["fleet"].append(m)
            finally:
                server.stop()

    # -- start-up ----------------------------------------------------------------------------------

    def startup(self):
        n = 20 if self.args.quick else 50
        argv = [self.binary, "version"]
        err = self.path("stderr.txt")
        expect(self.spawn(argv, stderr_path=err), 0, "version", err)
        runs = [self.spawn(argv, stderr_path=err) for _ in range(n)]
        for r in runs:
            expect(r, 0, "version", err)
        walls = [r.wall_ms for r in runs]
        self.start_ms = statistics.median(walls)
        true = shutil.which("true") or "/bin/true"
        floor = max(self.spawn([true]).rss_kib for _ in range(3)) / 1024.0
        self.results["startup"] = {"runs": n, "median_ms": self.start_ms, "min_ms": min(walls),
                                   "p90_ms": pct(walls, 90), "rss_mib": max(r.rss_kib for r in runs) / 1024.0,
                                   "rss_floor_mib": floor}


def classify(log):
    """Counts of a simulator request log by kind of request."""
    out = {}
    for e in log:
        p = e["path"].rstrip("/")
        if p.endswith("/server-groups"):
            k = "group-list"
        elif "/server-groups/" in p:
            k = "group"
        elif p.endswith("/cloudservers/flavors"):
            k = "flavors"
        elif p.endswith("/resources"):
            k = "capacity"
        elif "/cloudvolumes/" in p or "/os-vendor-volumes/" in p:
            k = "disk"
        elif "/cloudservers/" in p:
            k = "server"
        elif "cloudimages" in p:
            k = "image"
        elif re.search(r"/(protected-instances|replications|disaster-recovery-drills)$", p):
            k = "list-page"
        else:
            k = "other"
        out[k] = out.get(k, 0) + 1
    return out


# ---- the machine ---------------------------------------------------------------------------------

def machine(binary):
    info = {"date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "kernel": platform.release(), "cores": os.cpu_count(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            models = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        info["cpu"] = models[0] if models else platform.processor() or "unknown"
    except OSError:
        info["cpu"] = platform.processor() or "unknown"
    try:
        with open("/etc/os-release") as f:
            for line in f:
                if line.startswith("PRETTY_NAME="):
                    info["os"] = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    try:
        info["memory_gib"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        pass
    try:
        info["libcurl"] = subprocess.run(["curl-config", "--version"], capture_output=True, text=True,
                                         timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    cache = os.path.join(os.path.dirname(binary), "CMakeCache.txt")
    if os.path.exists(cache):
        with open(cache, errors="replace") as f:
            for line in f:
                if line.startswith("CMAKE_BUILD_TYPE:"):
                    info["build_type"] = line.split("=", 1)[1].strip()
                elif line.startswith("CMAKE_C_COMPILER:"):
                    info["compiler"] = os.path.basename(line.split("=", 1)[1].strip())
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no", "--", "src",
                                "rules", "CMakeLists.txt"], capture_output=True, text=True, timeout=10).stdout.strip()
        if head:
            info["source"] = head + (" with uncommitted changes in src/, rules/ or CMakeLists.txt" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        if os.path.getmtime(binary) < max(os.path.getmtime(os.path.join(ROOT, "src", f))
                                          for f in os.listdir(os.path.join(ROOT, "src"))):
            info["stale"] = True
    except OSError:
        pass
    info["loadavg_start"] = os.getloadavg()[0]
    return info


# ---- the tables ----------------------------------------------------------------------------------

def table(headers, rows, right=None):
    """Plain-text table; columns right-aligned unless listed in `right` as False."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        parts = []
        for i, c in enumerate(r):
            left = right is not None and right[i] is False
            parts.append(c.ljust(widths[i]) if left else c.rjust(widths[i]))
        lines.append("  ".join(parts).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def f0(x):
    return "%.0f" % x


def f1(x):
    return "%.1f" % x


def f2(x):
    return "%.2f" % x


def verdict(ok):
    return "ok" if ok else "OVER"


def report(bench, info):
    a, res = bench.args, bench.results
    out = []
    out.append("sdrs-preflight benchmark (bench/run.py%s, --repeat %d)" % (" --quick" if a.quick else "", a.repeat))
    out.append("date     %s" % info["date"])
    out.append("machine  %s, %d cores, %s GiB, kernel %s%s" % (info["cpu"], info["cores"], info.get("memory_gib", "?"),
                                                              info["kernel"], ", " + info["os"] if "os" in info else ""))
    out.append("build    %s (%s, %s), %s, python %s" % (bench.binary, info.get("build_type", "build type unknown"),
                                                       info.get("compiler", "?"), info.get("libcurl", "libcurl ?"),
                                                       info["python"]))
    out.append("source   commit %s%s" % (info.get("source", "unknown"),
                                          "; WARNING: the binary is older than src/ (rebuild it)" if info.get("stale") else ""))
    out.append("load     1-min load average %.2f before the benchmark%s, %.2f at its end (its own servers and "
               "client included)" % (info["loadavg_start"],
                                     " (BUSY: other processes shared the CPUs; the figures are pessimistic)"
                                     if info["loadavg_start"] > 0.5 else "", info["loadavg_end"]))
    out.append("")

    if res["live"]:
        out.extend(live_section(a, res))
    if res["offline"]:
        out.extend(offline_section(a, res))
    if res["fleet"]:
        out.extend(fleet_section(res))
    out.extend(startup_section(res))
    if res["sequential"]:
        out.extend(sequential_section(res))
    out.extend(targets_section(res))
    return "\n".join(out)


def targets_section(res):
    """Issues 7's and 17's targets against what was measured."""
    out = ["", "Targets (issues 7 and 17)"]
    rows = []
    for kind in ("sim", "ref"):
        big = [m for m in res["live"] if m["server"] == kind and m["ratio"] and not m["variant"] and m["n"] >= 100]
        if big:
            worst = max(big, key=lambda m: m["ratio"])
            met = sum(1 for m in big if m["ratio"] <= TARGET_LIVE)
            rows.append(["%s: live N >= 100, C = 16 and 64, <= %.1fx floor" % (kind, TARGET_LIVE),
                         "%d of %d cases; worst %.2fx (N=%d C=%d)" % (met, len(big), worst["ratio"], worst["n"],
                                                                      worst["c"]), verdict(met == len(big))])
        bat = [m for m in res["live"] if m["server"] == kind and m["variant"] == "batch" and m["n"] == 500 and
               m["l"] == 20]
        for m in bat:
            rnd = m.get("rounds")
            rows.append(["%s: batch N = 500, C = %d: <= %d round trips, <= %.1fx its floor" %
                         (kind, m["c"], TARGET_BATCH_ROUNDS, TARGET_BATCH_RATIO),
                         "%s round trips, %.2fx (%.0f ms, floor %.0f ms)" %
                         (rnd if rnd else "(counted on ref only)", m["ratio"], m["median_ms"], m["floor_ms"]),
                         verdict((rnd is None or rnd <= TARGET_BATCH_ROUNDS) and m["ratio"] <= TARGET_BATCH_RATIO)])
    for s in res["sequential"]:
        if s["n"] == 100 and s.get("speedup_c16"):
            rows.append(["%s: >= %.0fx the sequential script, N = 100" % (s["server"], TARGET_SEQ_SPEEDUP),
                         "%.1fx at C = 16%s" % (s["speedup_c16"], ", %.1fx at C = 64" % s["speedup_c64"]
                                                 if s.get("speedup_c64") else ""),
                         verdict(s["speedup_c16"] >= TARGET_SEQ_SPEEDUP)])
    live = [m for m in res["live"] if m["server"] == "sim" and m["ratio"] and not m["variant"]]
    if live:
        worst = max(live, key=lambda m: m["ratio"])
        met = sum(1 for m in live if m["ratio"] <= TARGET_LIVE)
        rows.append(["sim: live check, every N, <= %.1fx floor" % TARGET_LIVE, "%d of %d cases; worst %.2fx (N=%d C=%d)"
                     % (met, len(live), worst["ratio"], worst["n"], worst["c"]), verdict(met == len(live))])
    off = next((m for m in res["offline"] if m["n"] == 500), None)
    if off:
        rows.append(["offline N=500 < %g ms, < %g MiB" % (TARGET_OFFLINE_MS, TARGET_OFFLINE_MIB),
                     "%.1f ms, %.1f MiB" % (off["median_ms"], off["rss_mib"]),
                     verdict(off["median_ms"] < TARGET_OFFLINE_MS and off["rss_mib"] < TARGET_OFFLINE_MIB)])
    fl = next((m for m in res["fleet"] if m["server"] == "sim" and m["ratio"]), None)
    if fl:
        rows.append(["fleet %d groups <= %.1fx floor" % (fl["groups"], TARGET_FLEET), "%.2fx" % fl["ratio"],
                     verdict(fl["ratio"] <= TARGET_FLEET)])
    st = res["startup"]
    rows.append(["start-up < %g ms" % TARGET_START_MS, "%.2f ms" % st["median_ms"],
                 verdict(st["median_ms"] < TARGET_START_MS)])
    out.append(table(["target", "measured", ""], rows, right=[False, False, False]))
    return out


def live_section(a, res):
    out = []
    out.append("1. Live check of one group: N instances, 2N servers; floor = (1 + ceil(2N / C)) x L; median of %d runs"
               % a.repeat)
    out.append("   server sim = tests/sim/sdrs_sim.py; ref = bench/refserver.py (the same answers from a cache, one asyncio"
               " loop)")
    out.append("   batch = --batch-servers on (up to 100 servers a request); its floor = (2 + ceil(ceil(2N / 100) / C)) x L: "
               "the group and lists, the batches, the images they name")
    rows = []
    for m in res["live"]:
        h, costs = m["http"], m.get("costs") or {}
        target = TARGET_BATCH_RATIO if m["variant"] == "batch" else TARGET_LIVE
        rows.append([m["server"], m["n"], m["c"], m["l"], m["variant"] or "", f0(m["median_ms"]),
                     f0(m["floor_ms"]) if m["floor_ms"] else "-", f2(m["ratio"]) if m["ratio"] else "-",
                     (verdict(m["ratio"] <= target) if m["ratio"] and m["variant"] in ("", "batch") else ""),
                     m["rounds"] if m.get("rounds") and m["variant"] == "batch" else "-", f1(m["rss_mib"]), "%d" % m["requests"],
                     h["connections"], h["retries"], "%d/%d" % (m["req_ms_p50"], m["req_ms_max"]),
                     f0(m["client_cpu_ms"]), f0(m["cpu_us_per_req"]),
                     f0(costs["after_ms"]) if costs else "-", f0(m["server_cpu_pct"]), f0(m["server_us_per_req"])])
    out.append(table(["server", "N", "C", "L ms", "variant", "median ms", "floor ms", "ratio", "<=1.3x", "rounds",
                      "RSS MiB", "requests", "conns", "retries", "req ms p50/max", "client CPU ms", "CPU us/req",
                      "after ms", "server CPU %", "server us/req"], rows,
                     right=[False, True, True, True, False] + [True] * 15))
    out.append("   requests: counted by the server; rounds (batch mode): round trips seen by the reference server in the "
               "last timed run (arrivals more than L/2 apart); conns, retries, req ms: the client's -vv log of the warm-up run; CPU us/req: client CPU / "
               "requests; after ms: the client's -v account of the time after the last answer (assembly, snapshot "
               "check, rules and report; start-up and exit not included)")
    marg = []
    for kind in sorted({m["server"] for m in res["live"]}):
        for n in sorted({m["n"] for m in res["live"] if m["n"] >= 500}):
            one = next((m for m in res["live"] if (m["server"], m["n"], m["c"], m["l"], m["variant"]) ==
                        (kind, n, 16, 0, "")), None)
            bat = next((m for m in res["live"] if (m["server"], m["n"], m["c"], m["l"], m["variant"]) ==
                        (kind, n, 16, 0, "batch")), None)
            if one and bat and one["requests"] > bat["requests"]:
                marg.append("%s N=%d %.0f us" % (kind, n, 1000.0 * (one["client_cpu_ms"] - bat["client_cpu_ms"]) /
                                                 (one["requests"] - bat["requests"])))
    if marg:
        out.append("   client CPU of a request itself, apart from the bytes it carries (L=0, C=16: CPU one-per-server "
                   "minus CPU batched, over the requests saved): " + ", ".join(marg))
    costs = [m for m in res["live"] if m.get("costs") and m["l"] == 20 and not m["variant"]]
    if costs:
        big = max(costs, key=lambda m: (m["n"], m["c"]))
        c = big["costs"]
        out.append("   after the last answer, %s N=%d C=%d: assembling the snapshot %.1f ms, checking it (and its digest) "
                   "%.1f ms, rules and report %.1f ms" % (big["server"], big["n"], big["c"], c["assemble_ms"],
                                                          c["check_ms"], c["rules_ms"]))
    statuses = sorted({k for m in res["live"] for k in m["http"]["status"]})
    out.append("   HTTP statuses seen: %s" % ", ".join(
        "%s x %d" % (s, sum(m["http"]["status"].get(s, 0) for m in res["live"])) for s in statuses))
    out.append("")
    return out


def offline_section(a, res):
    out = []
    out.append("2. Offline check --snapshot (bench/gen_snapshot.py); median of %d runs; net = minus the start-up median"
               % max(a.repeat, 10))
    rows = []
    base = res["offline"][0] if res["offline"] else None
    for m in res["offline"]:
        rows.append([m["n"], f0(m["snapshot_bytes"] / 1024), f1(m["median_ms"]), f1(m["min_ms"]), f1(m["rss_mib"]),
                     f0(m["client_cpu_ms"]), "%.3f" % m["ms_per_instance"], "%.3f" % m["net_ms_per_instance"],
                     f2(m["net_ms_per_instance"] / base["net_ms_per_instance"]) if base["net_ms_per_instance"] > 0
                     else "-",
                     ("%s / %s" % (verdict(m["median_ms"] < TARGET_OFFLINE_MS), verdict(m["rss_mib"] < TARGET_OFFLINE_MIB))
                      if m["n"] == 500 else ""),
                     m["text_lines"], f1(m["text_bytes"] / 1024), f1(m["markdown_bytes"] / 1024)])
    out.append(table(["N", "snapshot KiB", "median ms", "min ms", "RSS MiB", "CPU ms", "ms/inst", "net ms/inst",
                      "vs N=%d" % (base["n"] if base else 0), "N=500 <50ms / <32MiB", "text lines", "text KiB",
                      "md KiB"], rows))
    if len(res["offline"]) > 1:
        last = res["offline"][-1]
        out.append("   linearity: time per instance N=%d / N=%d = %.2f (raw), %.2f (net of start-up)"
                   % (last["n"], base["n"], last["ms_per_instance"] / base["ms_per_instance"],
                      last["net_ms_per_instance"] / base["net_ms_per_instance"]))
        steps = []
        for lo, hi in zip(res["offline"], res["offline"][1:]):
            steps.append((lo["n"], hi["n"], (hi["median_ms"] - lo["median_ms"]) / (hi["n"] - lo["n"])))
        out.append("   marginal cost per instance: %s%s" % (
            ", ".join("N=%d->%d %.3f ms" % st for st in steps),
            " (last / first %.2f; 1.00 = linear)" % (steps[-1][2] / steps[0][2]) if len(steps) > 1 and steps[0][2] > 0
            else ""))
    out.append("")
    return out


def fleet_section(res):
    out = []
    f = res["fleet"][0]
    out.append("3. Fleet check --all: %d groups x %d instances, C = %d; floor = (1 + 1 + ceil(R / C)) x L, R = requests "
               "after the group list" % (f["groups"], f["n"], f["c"]))
    bk = next((m["by_kind"] for m in res["fleet"] if m.get("by_kind")), None)
    if bk:
        out.append("   R = %d groups x (1 group + 3 lists) + %d servers + %d disk batches + %d image, %d flavor-list "
                   "and %d capacity requests (shared by the groups) = %d (simulator log: %s)"
                   % (f["groups"], bk.get("server", 0), bk.get("disk", 0), bk.get("image", 0), bk.get("flavors", 0),
                      bk.get("capacity", 0), f["requests_after_list"],
                      ", ".join("%s %d" % kv for kv in sorted(bk.items()))))
    rows = []
    for m in res["fleet"]:
        h = m["http"]
        rows.append([m["server"], m["groups"], m["c"], m["l"], f0(m["median_ms"]),
                     f0(m["floor_ms"]) if m["floor_ms"] else "-", f2(m["ratio"]) if m["ratio"] else "-",
                     verdict(m["ratio"] <= TARGET_FLEET) if m["ratio"] else "", f1(m["rss_mib"]),
                     "%d" % m["requests"], h["connections"], h["retries"], "%d/%d" % (m["req_ms_p50"], m["req_ms_max"]),
                     f0(m["client_cpu_ms"]), f0(m["server_cpu_pct"]), f0(m["server_us_per_req"])])
    out.append(table(["server", "groups", "C", "L ms", "median ms", "floor ms", "ratio", "<=1.5x", "RSS MiB",
                      "requests", "conns", "retries", "req ms p50/max", "client CPU ms", "server CPU %",
                      "server us/req"], rows, right=[False] + [True] * 15))
    out.append("")
    return out


def sequential_section(res):
    out = ["", "5. What a user writes instead: bench/sequential.sh (curl + jq, one request at a time, the same reads), "
           "L = 20 ms, one run, against the same server"]
    rows = []
    for s in res["sequential"]:
        ours = [m for m in res["live"] if (m["server"], m["n"], m["l"], m["variant"]) == (s["server"], s["n"], 20, "")]
        c16 = next((m for m in ours if m["c"] == 16), None)
        c64 = next((m for m in ours if m["c"] == 64), None)
        s["speedup_c16"] = s["wall_ms"] / c16["median_ms"] if c16 else None
        s["speedup_c64"] = s["wall_ms"] / c64["median_ms"] if c64 else None
        rows.append([s["server"], s["n"], f0(s["wall_ms"]), s["requests"], f0(c16["median_ms"]) if c16 else "-",
                     "%.1fx" % s["speedup_c16"] if c16 else "-", f0(c64["median_ms"]) if c64 else "-",
                     "%.1fx" % s["speedup_c64"] if c64 else "-"])
    out.append(table(["server", "N", "sequential ms", "requests", "C=16 ms", "speed-up", "C=64 ms", "speed-up"],
                     rows, right=[False] + [True] * 7))
    return out


def startup_section(res):
    out = []
    s = res["startup"]
    out.append("4. Start-up: sdrs-preflight version, %d runs: median %.2f ms, min %.2f ms, p90 %.2f ms, RSS %.1f MiB "
               "(target < %g ms: %s)" % (s["runs"], s["median_ms"], s["min_ms"], s["p90_ms"], s["rss_mib"],
                                         TARGET_START_MS, verdict(s["median_ms"] < TARGET_START_MS)))
    out.append("")
    out.append("Wall: posix_spawn to wait4 of the binary. Peak RSS: wait4's ru_maxrss, which Linux never reports below "
               "the RSS of the\nprocess the binary was spawned from: a small helper, %.1f MiB here (its figure for "
               "/bin/true)." % s["rss_floor_mib"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(prog="run.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: N = 10, 100; C = 16; repeat 3; a 20-group fleet")
    parser.add_argument("--binary", default=os.path.join(ROOT, "build-bench", "sdrs-preflight"),
                        help="the sdrs-preflight to measure (default build-bench/sdrs-preflight)")
    parser.add_argument("--repeat", type=int, help="timed runs per case (default 5; 3 with --quick)")
    parser.add_argument("--json", metavar="FILE", help="also write every figure as JSON")
    parser.add_argument("--no-ref", action="store_true", help="only the simulator, not bench/refserver.py")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (scenarios, logs)")
    parser.add_argument("--only", metavar="PARTS", default="live,offline,fleet",
                        help="comma-separated parts to run: live, offline, fleet (default all; start-up always runs)")
    args = parser.parse_args(argv)
    if args.repeat is None:
        args.repeat = 3 if args.quick else 5
    if args.repeat < 1:
        parser.error("--repeat must be >= 1")
    if not (os.path.isfile(args.binary) and os.access(args.binary, os.X_OK)):
        parser.error("no executable sdrs-preflight at %s: build it (cmake -S . -B build-bench "
                     "-DCMAKE_BUILD_TYPE=Release -DSDRS_TESTS=OFF && cmake --build build-bench) or give --binary"
                     % args.binary)

    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    if parts - {"live", "offline", "fleet"}:
        parser.error("--only takes live, offline and fleet")
    bench = Bench(args)
    info = machine(bench.binary)
    if info.get("build_type") and info["build_type"] not in ("Release", "RelWithDebInfo", "MinSizeRel"):
        say("warning: %s is a %s build; the figures will not be representative" % (args.binary, info["build_type"]))
    if info["loadavg_start"] > 0.5:
        say("warning: the 1-minute load average is %.2f: other processes are using the CPUs" % info["loadavg_start"])

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    signal.signal(signal.SIGTERM, on_signal)
    code = 0
    try:
        say("start-up ...")
        bench.startup()
        for part in ("live", "offline", "fleet"):
            if part in parts:
                say("%s ..." % part)
                getattr(bench, part)()
        info["loadavg_end"] = os.getloadavg()[0]
        text = report(bench, info)
        print(text)
        if args.json:
            doc = {"schema": "sdrs-preflight/bench@1", "machine": info, "quick": args.quick, "repeat": args.repeat,
                   "targets": {"live_ratio": TARGET_LIVE, "fleet_ratio": TARGET_FLEET,
                               "offline_n500_ms": TARGET_OFFLINE_MS, "offline_n500_mib": TARGET_OFFLINE_MIB,
                               "startup_ms": TARGET_START_MS, "batch_rounds": TARGET_BATCH_ROUNDS,
                               "batch_ratio": TARGET_BATCH_RATIO, "sequential_speedup": TARGET_SEQ_SPEEDUP},
                   "results": bench.results, "table": text}
            with open(args.json, "w") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
    except BenchError as e:
        say("bench: %s" % e)
        code = 1
    except KeyboardInterrupt:
        say("bench: interrupted")
        code = 130
    finally:
        bench.cleanup()
    return code


if __name__ == "__main__":
    sys.exit(main())
