"""Servers read in batches with ECS's server_id filter (issue #17): the same snapshot as one GET per
server, never a server called deleted on a batch answer alone, and a cloud that ignores the filter
noticed. Also: image lookups go ahead of the queued server reads, and -v accounts for the time."""
import json
import os
import re
import subprocess
import sys
import time
import unittest
from urllib.parse import parse_qs, urlsplit

from clitest import BINARY, SIM, SOURCE, Sim, TempDirTest, run

sys.path.insert(0, SIM)
sys.dont_write_bytecode = True
import gen_scenario  # noqa: E402

TOKEN = {"OS_AUTH_TOKEN": "sim-token"}


def batch_ids(entry):
    """The ids of a cloudservers/detail?server_id= request in the simulator's log, else None."""
    if not entry["path"].endswith("/cloudservers/detail"):
        return None
    q = parse_qs(entry.get("query") or urlsplit(entry.get("target", "")).query)
    return q["server_id"][0].split(",") if "server_id" in q else None


class Batch(TempDirTest):
    def start(self, n, **extra):
        self.doc = gen_scenario.generate(n)
        self.doc.update(extra)
        self.group = self.doc["server_groups"][0]["id"]
        self.sim = Sim(self.tmp, self.doc)
        self.addCleanup(self.sim.stop)

    def fetch(self, mode, *more, name=None):
        out = self.path(name or "snap-%s.json" % mode)
        res = run("fetch", self.group, *self.sim.endpoint_args()[:-1], self.doc["project_id"],
                  "--batch-servers", mode, "-o", out, "-vv", *more, env=TOKEN)
        with open(out) as f:
            doc = json.load(f)
        doc.pop("fetched_at")
        return res, doc

    def log(self):
        return self.sim.requests()

    def singles(self, log):
        return [e["path"].rsplit("/", 1)[1] for e in log
                if "/cloudservers/" in e["path"]
                and not e["path"].endswith(("/detail", "/flavors", "/resources"))]

    def test_same_snapshot_in_batches_with_ids_at_most_100(self):
        self.start(120)  # 240 servers
        self.sim.faults()
        res_off, off = self.fetch("off")
        self.assertEqual(res_off.code, 0, res_off.err)
        self.assertEqual(len(self.singles(self.log())), 240)
        self.sim.faults()
        res_on, on = self.fetch("on", "--concurrency", "4")
        self.assertEqual(res_on.code, 0, res_on.err)
        self.assertEqual(on, off)
        log = self.log()
        batches = [b for b in (batch_ids(e) for e in log) if b is not None]
        self.assertEqual(self.singles(log), [])
        self.assertEqual(sorted(i for b in batches for i in b), sorted(self.doc["servers"]))
        self.assertTrue(all(1 <= len(b) <= 100 for b in batches), [len(b) for b in batches])
        self.assertEqual(len(batches), 4)  # 240 ids over 4 connections, at most 100 each

    def test_deleted_server_is_confirmed_by_its_own_get(self):
        self.start(5)
        gone = self.doc["protected_instances"][2]["target_server"]
        del self.doc["servers"][gone]
        self.sim.stop()
        self.sim = Sim(self.tmp, self.doc, name="sim2")
        self.addCleanup(self.sim.stop)
        self.sim.faults()
        res_off, off = self.fetch("off")
        self.sim.faults()
        res_on, on = self.fetch("on")
        self.assertEqual(on, off)
        self.assertEqual(on["servers"][gone]["http_status"], 404)
        self.assertEqual(self.singles(self.log()), [gone])
        self.assertIn("server %s: null fields in the batch answer: asking for it alone" % gone,
                      res_on.err)
        self.assertIn("server %s: deleted" % gone, res_on.err)
        # and the check's verdict is the same NO-GO either way
        a = run("check", "--snapshot", self.path("snap-on.json"), "--format", "json")
        b = run("check", "--snapshot", self.path("snap-off.json"), "--format", "json")
        self.assertEqual(a.code, 1, a.err)
        self.assertEqual(a.json()["verdict"], b.json()["verdict"])

    def answer(self, servers):
        return {"kind": "body", "match": {"path": "/cloudservers/detail$"}, "times": 1,
                "body": json.dumps({"count": len(servers), "servers": servers})}

    def test_missing_from_the_answer_is_read_alone(self):
        self.start(3)
        ids = [i for p in self.doc["protected_instances"] for i in (p["source_server"], p["target_server"])]
        kept = [self.doc["servers"][i] for i in ids[:4]]
        self.sim.faults(self.answer(kept))
        res, doc = self.fetch("on")
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(sorted(self.singles(self.log())), sorted(ids[4:]))
        self.assertEqual(sorted(doc["servers"]), sorted(ids))
        self.assertIn("server %s: not in the batch answer: asking for it alone" % ids[5], res.err)

    def test_an_id_twice_is_indeterminate_naming_it(self):
        self.start(3)
        ids = [i for p in self.doc["protected_instances"] for i in (p["source_server"], p["target_server"])]
        servers = [self.doc["servers"][i] for i in ids] + [dict(self.doc["servers"][ids[1]], status="SHUTOFF")]
        self.sim.faults(self.answer(servers))
        res, doc = self.fetch("on")
        self.assertEqual(res.code, 3, res.err)  # the snapshot is saved, with the fetch error
        self.assertNotIn(ids[1], doc["servers"])
        errs = [e["error"] for e in doc["fetch_errors"]]
        self.assertTrue(any("server id '%s' appears twice in the answer" % ids[1] in e for e in errs), errs)
        chk = run("check", "--snapshot", self.path("snap-on.json"))
        self.assertEqual(chk.code, 3, chk.out + chk.err)

    def test_a_cloud_without_the_filter_is_noticed(self):
        # OTC's ECS ignores server_id: the plain list comes back, here led by servers of the
        # project that are in no protection group
        doc = gen_scenario.generate(30)
        other = {"0000000%d-aaaa-4bbb-8ccc-000000000000" % i: dict(next(iter(doc["servers"].values())),
                                                              id="0000000%d-aaaa-4bbb-8ccc-000000000000" % i)
                 for i in range(5)}
        self.start(30, ecs_server_id_filter=False, servers=dict(other, **doc["servers"]))
        self.sim.faults()
        res_off, off = self.fetch("off")
        self.sim.faults()
        res, on = self.fetch("on", "--concurrency", "1")
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(on, off)
        self.assertIn("the answer holds servers that were not asked for (the server_id filter is "
                      "not supported here): reading one server per request from here on", res.err)
        self.assertEqual(len(self.singles(self.log())), 60)
        self.assertEqual(res.err.count("reading one server per request"), 1)

    def test_a_failed_batch_falls_back_to_single_reads(self):
        self.start(4)
        self.sim.faults({"kind": "status", "status": 400, "match": {"path": "/cloudservers/detail$"},
                         "body": json.dumps({"error": {"code": "Ecs.0005", "message": "bad filter"}})})
        res, doc = self.fetch("on")
        self.assertEqual(res.code, 0, res.err)
        self.assertEqual(doc["fetch_errors"], [])
        self.assertEqual(len(self.singles(self.log())), 8)

    def test_wrong_shape_is_never_a_server(self):
        self.start(2)
        self.sim.faults({"kind": "body", "match": {"path": "/cloudservers/detail$"},
                         "body": json.dumps({"count": 1, "servers": [{"name": "no id"}]})})
        res, doc = self.fetch("on")
        self.assertEqual(res.code, 0, res.err)
        self.assertIn("servers[0] is not a server with an id", res.err)
        self.assertEqual(len(doc["servers"]), 4)  # every one read alone
        self.assertEqual(doc["fetch_errors"], [])

    def test_auto_follows_the_region_table(self):
        self.start(2)
        for region, batched in (("ap-southeast-1", True), ("eu-de", False)):
            with self.subTest(region=region):
                self.sim.faults()
                res, _ = self.fetch("auto", "--region", region, name="snap-%s.json" % region)
                self.assertEqual(res.code, 0, res.err)
                log = self.log()
                self.assertEqual(any(batch_ids(e) for e in log), batched)
                self.assertIn("servers: %s" % ("read in batches of up to 100" if batched else "one request each"),
                              res.err)

    def test_unknown_mode_is_a_usage_error(self):
        res = run("check", "g-1", "--batch-servers", "maybe", "--endpoint", "http://127.0.0.1:9",
                  "--ecs-endpoint", "http://127.0.0.1:9", "--project-id", "p", env=TOKEN)
        self.assertEqual(res.code, 2, res.err)
        self.assertIn("--batch-servers: unknown mode 'maybe' (choose auto, on or off)", res.err)


class ImagesAhead(TempDirTest):
    def test_an_image_is_asked_before_the_queued_servers(self):
        doc = gen_scenario.generate(6)
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        sim.faults()
        res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1], doc["project_id"],
                  "--concurrency", "1", "--batch-servers", "off", env=TOKEN)
        self.assertEqual(res.code, 0, res.out + res.err)
        kinds = ["image" if "cloudimages" in e["path"] else
                 "flavors" if "/cloudservers/flavors" in e["path"] else
                 "server" if "/cloudservers/" in e["path"] else "sdrs" for e in sim.requests()]
        first_image = kinds.index("image")
        # one connection: the slot the first server answer frees goes to the next server at once
        # (sent before that answer is handled); the image it names is the request after that,
        # not one after the ten other servers
        self.assertEqual(kinds[first_image - 1], "server")
        self.assertEqual(kinds[:first_image].count("server"), 2, kinds)
        self.assertEqual(kinds.count("server"), 12)


class NoIdleWait(TempDirTest):
    """An answer that completes while the client sends the next requests is handled at once: the
    client never sleeps in poll (up to a second) with a finished transfer waiting in curl. The
    benchmark saw requests of 1,003 ms at L = 0 in about a quarter of the runs against its fast
    reference server (bench/refserver.py), before the fix; the threaded simulator answers too slowly
    to show it. 20 runs here: the bug would pass them all with a chance of about 0.3%. 700 ms is
    far above any real answer on loopback."""

    def test_no_request_waits_for_the_poll_timeout(self):
        doc = gen_scenario.generate(10)
        scenario, port_file = self.path("scenario.json"), self.path("port")
        with open(scenario, "w") as f:
            json.dump(doc, f)
        ref = subprocess.Popen([sys.executable, os.path.join(SOURCE, "bench", "refserver.py"), "--scenario",
                                scenario, "--port-file", port_file, "--latency-ms", "0"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(ref.wait)
        self.addCleanup(ref.terminate)
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file):
            self.assertIsNone(ref.poll(), "bench/refserver.py did not start")
            self.assertLess(time.monotonic(), deadline, "bench/refserver.py did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            url = "http://127.0.0.1:%d" % int(f.read())
        worst = 0
        env = dict(os.environ, OS_AUTH_TOKEN="sim-token", NO_COLOR="1")
        for _ in range(20):
            # the log goes to a file and the report nowhere, as in the benchmark: pipes read by this
            # process change the client's timing enough to hide the race
            with open(self.path("err"), "w") as err:
                code = subprocess.call([BINARY, "check", doc["server_groups"][0]["id"], "--endpoint", url,
                                        "--ecs-endpoint", url, "--ims-endpoint", url, "--evs-endpoint", url, "--project-id",
                                        doc["project_id"], "--concurrency", "16", "-vv"], env=env,
                                       stdout=subprocess.DEVNULL, stderr=err, timeout=60)
            with open(self.path("err")) as f:
                log = f.read()
            self.assertEqual(code, 0, log)
            times = [int(t) for t in re.findall(r": HTTP 200, (\d+) ms", log)]
            # 26 SDRS, ECS and IMS reads, the flavor lists of the two zones and one batch of disks
            self.assertEqual(len(times), 29, log)
            worst = max(worst, max(times))
        self.assertLess(worst, 700, "a request waited for the poll timeout")


class Timings(TempDirTest):
    """-v says where a decision's time went: the fixed costs after the fetch are measured."""

    def test_live_and_offline_timings(self):
        doc = gen_scenario.generate(3)
        sim = Sim(self.tmp, doc)
        self.addCleanup(sim.stop)
        snap = self.path("snap.json")
        res = run("check", doc["server_groups"][0]["id"], *sim.endpoint_args()[:-1], doc["project_id"],
                  "--save-snapshot", snap, "-v", env=TOKEN)
        self.assertEqual(res.code, 0, res.err)
        self.assertRegex(res.err, r"time: fetch [0-9.]+ ms \(assembling the snapshot after the last "
                                  r"answer [0-9.]+ ms\), checking the snapshot [0-9.]+ ms, rules and "
                                  r"report [0-9.]+ ms")
        res = run("check", "--snapshot", snap, "-v")
        self.assertEqual(res.code, 0, res.err)
        self.assertRegex(res.err, r"time: reading the snapshot [0-9.]+ ms, rules and report [0-9.]+ ms")
        self.assertNotIn("time:", run("check", "--snapshot", snap).err)


if __name__ == "__main__":
    unittest.main()
