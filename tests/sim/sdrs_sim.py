#!/usr/bin/env python3
"""sdrs_sim: a stateful fake of SDRS v1, ECS v1, IMS and IAM v3 on 127.0.0.1, for sdrs-preflight's
tests, demo and benchmarks. Python 3 standard library only. See README.md in this directory."""

import argparse
import os
import signal
import ssl
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scenario as scenario_mod  # noqa: E402
from simserver import SimHTTPServer, Simulator  # noqa: E402


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="sdrs_sim.py", description=__doc__)
    parser.add_argument("--scenario", required=True, metavar="FILE", help="scenario JSON file (see README.md)")
    parser.add_argument("--port-file", required=True, metavar="FILE",
                        help="where to write the port once listening (written atomically)")
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (default 0: a free port)")
    parser.add_argument("--log", metavar="FILE", help="append every request as one JSON line to FILE")
    parser.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate chain")
    parser.add_argument("--tls-key", metavar="PEM", help="private key for --tls-cert")
    parser.add_argument("--quiet", action="store_true", help="no access log or notices on stderr")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    return args


def write_port_file(path, port):
    """Write the port so that a reader sees either no file or the whole content."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, path)


def main(argv=None):
    args = parse_args(argv)
    try:
        scenario = scenario_mod.load(args.scenario)
    except scenario_mod.ScenarioError as e:
        sys.stderr.write("sdrs_sim: scenario %s\n" % e)
        return 2
    context = None
    if args.tls_cert:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(args.tls_cert, args.tls_key)
        except (OSError, ssl.SSLError) as e:
            sys.stderr.write("sdrs_sim: cannot load TLS certificate or key: %s\n" % e)
            return 2
    try:
        sim = Simulator(scenario, args.log, args.quiet)
        server = SimHTTPServer(("127.0.0.1", args.port), sim, context)
    except OSError as e:
        sys.stderr.write("sdrs_sim: cannot start: %s\n" % e)
        return 2

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    write_port_file(args.port_file, server.server_address[1])
    sim.say("listening on %s (scenario %s)" % (sim.api.base_url, args.scenario))
    while not stop.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    try:
        os.remove(args.port_file)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
