"""The simulator's HTTP side: the threaded HTTP/1.1 (optionally TLS) server, the request log, the
control API under /__sim/ and the delivery of faults on the wire."""

import json
import socket
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import api as api_mod
import faults as faults_mod
from api import Request, Response, json_response
from auth import Authenticator
from world import World

REDACTED_HEADERS = ("x-auth-token", "authorization", "x-subject-token", "x-security-token")
CONTROL_PREFIX = "/__sim/"
MALFORMED_BODY = b'{"sdrs-sim": "malformed", "items": [{"id": "1"'


class RequestLog:
    """Every non-control request: kept in memory and appended, one JSON line each, to a file."""

    def __init__(self, path=None):
        self._lock = threading.Lock()
        self._seq = 0
        self._entries = []
        self._file = open(path, "a", encoding="utf-8") if path else None

    def begin(self, req, arrived):
        """A new entry (seq and time of arrival); complete it and pass it to append()."""
        with self._lock:
            self._seq += 1
            seq = self._seq
        headers = {name: ("***" if name.lower() in REDACTED_HEADERS else value) for name, value in req.raw_headers}
        body = req.body.decode("utf-8", "replace") if req.method in ("POST", "PUT") else None
        if req.path.startswith("/v3/auth/tokens") and body:
            body = _redact_password(body)
        return {"seq": seq, "time": _iso(arrived), "method": req.method, "path": req.path, "query": req.query,
                "service": api_mod.service_of(req.path), "status": None, "auth": None, "signed_headers": None, "fault": None, "body": body, "headers": headers,
                "request_id": req.request_id}

    def append(self, entry):
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self._entries.append(entry)
            if self._file:
                self._file.write(line + "\n")
                self._file.flush()

    def entries(self):
        with self._lock:
            return sorted(self._entries, key=lambda e: e["seq"])

    def clear(self):
        """Forget the in-memory entries (the file keeps the full history; seq keeps counting)."""
        with self._lock:
            self._entries = []


class Simulator:
    """Everything one running simulator holds."""

    def __init__(self, scenario, log_path=None, quiet=False):
        self.scenario = scenario
        self.quiet = quiet
        self.world = World(scenario.project_id, scenario.region, scenario.world, scenario.server_errors,
                           scenario.jobs, scenario.page_limit, scenario.latency_ms,
                           volume_errors=scenario.volume_errors)
        self.auth = Authenticator(scenario)
        self.api = api_mod.Api(self.world, self.auth, scenario.ecs_server_id_filter,
                               scenario.evs_cloudvolumes_show, scenario.flavor_capacity)
        self.faults = faults_mod.FaultSet(faults_mod.parse_faults(scenario.fault_specs))
        self.log = RequestLog(log_path)

    def say(self, text):
        if not self.quiet:
            sys.stderr.write("sdrs_sim: %s\n" % text)

    # ---- control API --------------------------------------------------------------------------

    def control(self, method, name, body):
        """The Response to a /__sim/<name> request (unauthenticated, unlogged, never faulted)."""
        try:
            doc = json.loads(body.decode("utf-8")) if body.strip() else {}
        except ValueError as e:
            return json_response(400, {"error": "body is not JSON: %s" % e})
        routes = {
            ("GET", "requests"): lambda: self.log.entries(),
            ("POST", "reset-log"): lambda: self.log.clear(),
            ("POST", "faults"): lambda: self.faults.add(faults_mod.parse_faults(_field(doc, "faults"))),
            ("POST", "clear-faults"): lambda: self.faults.replace([]),
            ("GET", "faults"): lambda: self.faults.describe(),
            ("POST", "mutate"): lambda: self.world.mutate(doc),
            ("POST", "advance"): lambda: self.world.advance(_field(doc, "seconds")),
            ("GET", "state"): self._state,
            ("POST", "reset"): self._reset,
        }
        action = routes.get((method, name))
        if action is None:
            return json_response(404, {"error": "no control endpoint %s %s%s" % (method, CONTROL_PREFIX, name)})
        try:
            result = action()
        except ValueError as e:
            return json_response(400, {"error": str(e)})
        return json_response(200, {"ok": True} if result is None else result)

    def _state(self):
        state = self.world.state()
        state["faults"] = self.faults.describe()
        state["aksk_project_header"] = self.auth.project_header
        state["tokens_issued"] = self.auth.issued_count()
        state["issued_tokens"] = self.auth.issued_tokens()
        return state

    def _reset(self):
        self.world.reset()
        self.faults.replace(faults_mod.parse_faults(self.scenario.fault_specs))


def _field(doc, name):
    if not isinstance(doc, dict) or name not in doc:
        raise ValueError("body must be an object with %r" % name)
    return doc[name]


def _redact_password(body):
    try:
        doc = json.loads(body)
        doc["auth"]["identity"]["password"]["user"]["password"] = "***"
        return json.dumps(doc)
    except (ValueError, KeyError, TypeError):
        return body


def _iso(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch)) + ".%03dZ" % (int(epoch * 1000) % 1000)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sdrs-sim/1.0"
    sys_version = ""
    timeout = 120  # idle keep-alive connections are closed after this
    _request_id = None  # of the request being answered (control requests have none)
    _entry = None  # its request-log entry until _commit() logs it

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def version_string(self):
        return self.server_version

    def log_message(self, fmt, *args):
        self.server.sim.say("%s %s" % (self.address_string(), fmt % args))

    # ---- one request --------------------------------------------------------------------------

    def _serve(self):
        sim = self.server.sim
        arrived = time.time()
        try:
            body = self._read_body()
        except ValueError as e:
            self.close_connection = True
            self._send(json_response(400, {"error": "unreadable request body: %s" % e}))
            return
        path, _, query = self.path.partition("?")
        self._request_id = None
        if path.startswith(CONTROL_PREFIX):
            try:
                response = sim.control(self.command, path[len(CONTROL_PREFIX):].strip("/"), body)
            except Exception:  # a simulator bug: say so rather than drop the connection
                sim.say("internal error on %s %s:\n%s" % (self.command, self.path, traceback.format_exc()))
                response = json_response(500, {"error": "simulator bug, see its stderr"})
            self._send(response)
            return

        raw_headers = list(self.headers.items())
        headers = {}
        for name, value in raw_headers:
            headers.setdefault(name.lower(), value)
        req = Request(method=self.command, path=path, query=query, headers=headers, body=body,
                      request_id=uuid.uuid4().hex, raw_headers=raw_headers)
        self._request_id = req.request_id
        entry = sim.log.begin(req, arrived)
        # An action this request starts is not "after" it: the world is asked before it is handled.
        fault = sim.faults.pick(req.method, path, query, sim.world.actions_accepted() > 0)
        auth = sim.auth.authenticate(req.method, path, query, headers, body)
        entry["auth"] = auth.kind
        entry["signed_headers"] = auth.signed_headers  # AK/SK requests only (else None)
        if auth.error and auth.kind == "invalid":
            entry["auth_error"] = auth.error + (" | canonical request: %r" % auth.detail if auth.detail else "")
        entry["fault"] = fault.kind if fault else None

        if fault is not None and fault.kind == "repeat_page":
            req.page_offset = fault.params["from_offset"]  # only the SDRS list handlers look at it
        if fault is not None and fault.kind == "stale":
            req.stale = True  # only the read handlers look at it
        response = None
        if fault is None or fault.process:
            try:
                response = sim.api.handle(req, auth)
            except Exception:  # a simulator bug must not kill the connection silently
                sim.say("internal error on %s %s:\n%s" % (req.method, self.path, traceback.format_exc()))
                response = api_mod.wrapped_error(500, "SDRS.0013", "Internal error (simulator bug)")
        delay = (sim.world.latency_ms or 0) + (fault.params["ms"] if fault and fault.kind == "latency" else 0)
        if delay:
            time.sleep(delay / 1000.0)
        self._entry = entry
        try:
            self._deliver(fault, response, req)
        except OSError:  # the client went away (or a TLS error) mid-response
            self.close_connection = True
        self._commit(None)

    def _commit(self, status):
        """Log the request, once, just before the first byte of the answer (or the lack of one) goes
        out: a client that has seen the answer always finds its request in the log."""
        if self._entry is not None:
            self._entry["status"] = status
            self.server.sim.log.append(self._entry)
            self._entry = None

    def _read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = self.headers.get("Content-Length")
        if length is None:
            return b""
        n = int(length)
        if n < 0:
            raise ValueError("negative Content-Length")
        return self.rfile.read(n)

    # ---- delivery -----------------------------------------------------------------------------

    def _deliver(self, fault, response, req):
        """Send the (possibly faulted) response."""
        kind = fault.kind if fault else None
        p = fault.params if fault else {}
        if kind in (None, "latency", "repeat_page", "stale"):  # these acted while the request was handled
            return self._send(response)
        if kind == "reset":
            self._commit(None)
            return self._reset_connection()
        if kind == "hang":
            self._commit(None)
            return self._hang(p["seconds"])
        if kind == "status":
            if p["body"] is not None:
                faulted = Response(p["status"], faults_mod.body_bytes(p["body"]), p["content_type"])
            else:
                faulted = api_mod.default_error(api_mod.service_of(req.path), p["status"], req.request_id)
            if p["retry_after"] is not None:
                faulted.headers.append(("Retry-After", _number(p["retry_after"])))
            return self._send(faulted)
        if kind == "malformed":
            return self._send(Response(200, MALFORMED_BODY))
        if kind == "empty":
            return self._send(Response(200, b""))
        if kind == "body":
            return self._send(Response(p["status"], faults_mod.body_bytes(p["body"]), p["content_type"]))
        if kind == "content_type":
            response.content_type = p["content_type"]
            return self._send(response)
        if kind == "truncate":
            self._send_head(response, len(response.body))
            self.wfile.write(response.body[:len(response.body) // 2])
            self.close_connection = True
            return
        if kind == "slow":
            self._send_head(response, len(response.body))
            step = max(1, p["bytes_per_sec"] // 10)
            for start in range(0, len(response.body), step):
                chunk = response.body[start:start + step]
                self.wfile.write(chunk)
                time.sleep(len(chunk) / p["bytes_per_sec"])
            return
        if kind == "huge":
            return self._send_huge(p["bytes"])
        raise AssertionError("unhandled fault kind %s" % kind)

    def _send_head(self, response, length):
        self._commit(response.status)
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if self._request_id:
            self.send_header("X-Request-Id", self._request_id)
        if response.content_type:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _send(self, response):
        self._send_head(response, len(response.body))
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _send_huge(self, size):
        prefix, suffix = b'{"sdrs_sim_huge": "', b'"}'
        filler = max(0, size - len(prefix) - len(suffix))
        self._send_head(Response(200), len(prefix) + filler + len(suffix))
        self.wfile.write(prefix)
        block = b"x" * 65536
        while filler > 0:
            self.wfile.write(block[:filler])
            filler -= min(filler, len(block))
        self.wfile.write(suffix)

    def _reset_connection(self):
        """Close with SO_LINGER 0: the peer gets a TCP RST and no response."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        # The fd closes only when the last file object made from the socket is closed.
        for f in (self.wfile, self.rfile, self.connection):
            try:
                f.close()
            except OSError:
                pass

    def _hang(self, seconds):
        """Never answer: hold the connection, then close it."""
        self.close_connection = True
        time.sleep(seconds)


def _number(value):
    return str(int(value)) if float(value).is_integer() else str(value)


class SimHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, sim, ssl_context=None):
        self.sim = sim
        self.ssl_context = ssl_context
        super().__init__(address, Handler)
        scheme = "https" if ssl_context else "http"
        sim.api.base_url = "%s://127.0.0.1:%d" % (scheme, self.server_address[1])

    def finish_request(self, request, client_address):
        """Runs in the connection's thread, so a slow TLS handshake blocks nobody else."""
        # Headers and body are separate writes: without TCP_NODELAY, Nagle's algorithm and the
        # client's delayed ACK would add some 40 ms to every response and distort the benchmarks.
        request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if self.ssl_context is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(Handler.timeout)
        try:
            tls = self.ssl_context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError) as e:
            self.sim.say("TLS handshake with %s failed: %s" % (client_address[0], e))
            return
        try:
            super().finish_request(tls, client_address)
        finally:
            tls.close()

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return  # a client hung up; not news
        super().handle_error(request, client_address)
