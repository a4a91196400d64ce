#!/usr/bin/env python3
"""Generates a simulator scenario with G protection groups of N protected instances each (a fleet for
`check --all`), reusing tests/sim/gen_scenario.py's object makers.

    python3 bench/gen_fleet.py --groups 200 --instances 10 --latency-ms 20 -o fleet.json

Every group is healthy (status protected, production at source): 2N servers (production ACTIVE, DR
SHUTOFF), N replication pairs, no drill. All groups share one VPC and the two public images of
gen_scenario (Linux and Windows), as groups of one project do. Deterministic per --seed. Credentials
are gen_scenario's defaults (token `sim-token`).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "sim"))

import gen_scenario as gs  # noqa: E402


def generate(groups, instances, latency_ms=None, token="sim-token", seed=1):
    """The scenario document (a dict) with `groups` groups of `instances` instances each."""
    doc = gs.generate(0, token=token, latency_ms=latency_ms, seed=seed)  # credentials, project, images
    ids = gs.Ids(seed + 7919)
    project_id = doc["project_id"]
    image_list = []
    for image_id, image in doc["images"].items():
        image_list.append((image_id, gs.LINUX_IMAGE if image["__os_type"] == "Linux" else gs.WINDOWS_IMAGE))
    image_list.sort(key=lambda item: item[1][1] != "Linux")  # Linux first, as gen_scenario does
    vpc_id, domain_id = ids.uuid(), ids.uuid()
    doc["server_groups"] = []
    for g in range(groups):
        group_id = ids.uuid()
        doc["server_groups"].append(gs.make_group(group_id, "pg-fleet-%03d" % g, "protected", instances,
                                                  instances, 0, vpc_id, domain_id))
        for i in range(instances):
            image = image_list[i % 2]
            key_name = "kp-win" if i % 2 else None
            source, target, instance_id, pair_id = ids.uuid(), ids.uuid(), ids.uuid(), ids.uuid()
            volumes = [ids.uuid(), ids.uuid()]
            name = "g%03d-app-%04d" % (g, i)
            doc["servers"][source] = gs.make_server(source, name, project_id, "eu-de-01", vpc_id, image,
                                                    "ACTIVE", key_name, volumes[0])
            doc["servers"][target] = gs.make_server(target, name, project_id, "eu-de-02", vpc_id, image,
                                                    "SHUTOFF", key_name, volumes[1])
            doc["protected_instances"].append(gs.make_instance(instance_id, "pi-" + name, group_id, "protected",
                                                               source, target, pair_id))
            doc["replications"].append(gs.make_pair(pair_id, "rep-" + name, group_id, "protected",
                                                    instance_id, volumes))
    doc["note"] = "bench/gen_fleet.py: %d groups of %d instances" % (groups, instances)
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gen_fleet.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--groups", type=int, required=True, help="number of protection groups")
    parser.add_argument("--instances", type=int, default=10, help="protected instances per group (default 10)")
    parser.add_argument("--latency-ms", type=float, help="latency added to every response")
    parser.add_argument("--token", default="sim-token", help="accepted X-Auth-Token (default sim-token)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated ids (default 1)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    if args.groups < 0 or args.instances < 0:
        parser.error("--groups and --instances must be >= 0")
    text = json.dumps(generate(args.groups, args.instances, args.latency_ms, args.token, args.seed)) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
