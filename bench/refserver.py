#!/usr/bin/env python3
"""A reference server for the benchmark: the simulator's own answers, served from a cache by a
single-threaded asyncio loop, so that the server's CPU cost per request is as small as Python allows.

    python3 bench/refserver.py --scenario FILE --port-file FILE [--latency-ms MS]

Why: tests/sim/sdrs_sim.py computes every answer under the GIL (a thread per connection, about
0.2-0.3 ms of CPU per request). When C requests arrive together, the last of them is answered
C x that later, which at C = 64 is most of a 20 ms round. This server computes each distinct answer
once with the simulator's code (tests/sim: World, Authenticator, Api: same bodies, same
authentication), keeps the bytes, and afterwards only parses the request line, looks up the answer
and writes it after the injected latency (loop.call_later). It serves GET only (a benchmark does
nothing else), HTTP/1.1 keep-alive, no TLS, no faults.

Control (never delayed, never counted):
    GET  /__ref/stats           {"requests": n, "distinct": k, "latency_ms": L, "arrivals_ms": [...]}
                                (arrivals_ms: when each request arrived, ms of the monotonic clock)
    POST /__ref/reset-stats     requests back to 0
    POST /__ref/latency/<ms>    change the injected latency
"""

import argparse
import asyncio
import json
import os
import signal
import socket
import sys
import time
import uuid

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "sim"))

import api as api_mod  # noqa: E402
import scenario as scenario_mod  # noqa: E402
from simserver import Simulator  # noqa: E402

REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
           404: "Not Found", 500: "Internal Server Error"}


def http_bytes(status, body, content_type="application/json", extra=()):
    head = ["HTTP/1.1 %d %s" % (status, REASONS.get(status, "Status")), "Server: sdrs-bench-ref/1.0",
            "X-Request-Id: %s" % uuid.uuid4().hex]
    head += ["%s: %s" % kv for kv in extra]
    if content_type:
        head.append("Content-Type: " + content_type)
    head.append("Content-Length: %d" % len(body))
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class Ref:
    def __init__(self, scenario, latency_ms):
        self.sim = Simulator(scenario, None, True)
        self.sim.api.base_url = "http://127.0.0.1:0"  # only the IAM catalog uses it
        self.latency = latency_ms / 1000.0
        self.cache = {}
        self.requests = 0
        self.arrivals = []

    def answer(self, method, target, headers):
        """The response bytes for a request (computed once per method, target and credential)."""
        key = (method, target, headers.get("x-auth-token"))
        data = self.cache.get(key)
        if data is not None:
            return data
        path, _, query = target.partition("?")
        req = api_mod.Request(method=method, path=path, query=query, headers=headers, body=b"",
                              request_id=uuid.uuid4().hex, raw_headers=list(headers.items()))
        auth = self.sim.auth.authenticate(method, path, query, headers, b"")
        resp = self.sim.api.handle(req, auth)
        data = http_bytes(resp.status, resp.body, resp.content_type, resp.headers)
        if method == "GET" and "x-auth-token" in headers:  # AK/SK requests are signed per call
            self.cache[key] = data
        return data

    def control(self, method, name):
        if method == "GET" and name == "stats":
            doc = {"requests": self.requests, "distinct": len(self.cache), "latency_ms": self.latency * 1000,
                   "arrivals_ms": self.arrivals}
        elif method == "POST" and name == "reset-stats":
            self.requests = 0
            self.arrivals = []
            doc = {"ok": True}
        elif method == "POST" and name.startswith("latency/"):
            self.latency = float(name.split("/", 1)[1]) / 1000.0
            doc = {"ok": True}
        else:
            return http_bytes(404, b'{"error": "unknown control endpoint"}')
        return http_bytes(200, json.dumps(doc).encode())


class Conn(asyncio.Protocol):
    def __init__(self, ref):
        self.ref = ref
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data):
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4:]
            lines = head.split("\r\n")
            try:
                method, target, _ = lines[0].split(" ", 2)
            except ValueError:
                self.transport.write(http_bytes(400, b'{"error": "bad request line"}'))
                self.transport.close()
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers.setdefault(name.strip().lower(), value.strip())
            length = int(headers.get("content-length", "0") or 0)
            if length:  # a body is read and ignored (the benchmark sends none)
                if len(self.buf) < length:
                    self.buf = (head + "\r\n\r\n").encode("latin-1") + self.buf
                    return
                self.buf = self.buf[length:]
            if target.startswith("/__ref/"):
                self.transport.write(self.ref.control(method, target[len("/__ref/"):].strip("/")))
                continue
            self.ref.requests += 1
            self.ref.arrivals.append(time.monotonic() * 1000.0)
            data = self.ref.answer(method, target, headers)
            if self.ref.latency > 0:
                asyncio.get_running_loop().call_later(self.ref.latency, self._send, data)
            else:
                self._send(data)

    def _send(self, data):
        if not self.transport.is_closing():
            self.transport.write(data)


async def serve(args):
    scenario = scenario_mod.load(args.scenario)
    latency = args.latency_ms if args.latency_ms is not None else (scenario.latency_ms or 0)
    ref = Ref(scenario, latency)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: Conn(ref), "127.0.0.1", args.port, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    ref.sim.api.base_url = "http://127.0.0.1:%d" % port
    tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, args.port_file)
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()
    try:
        os.remove(args.port_file)
    except OSError:
        pass


def main():
    parser = argparse.ArgumentParser(prog="refserver.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, help="default: the scenario's latency_ms")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except scenario_mod.ScenarioError as e:
        sys.stderr.write("refserver: scenario %s\n" % e)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
