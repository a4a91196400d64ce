#!/usr/bin/env python3
"""Writes a healthy snapshot@1 of one protection group with N protected instances (2N servers, 2N
EVS disks, the flavor lists of both zones).

    python3 bench/gen_snapshot.py N > snapshot.json

Deterministic: the same N gives the same bytes. Server objects have the size and shape of real ECS
answers (see sdrs-api.md §9.1), so the figures measured with them are realistic.
"""
import json
import sys


def uid(kind, i):
    return "%08x-%04x-4%03x-8%03x-%012x" % (kind, i >> 16, i & 0xfff, kind & 0xfff, i)


def server(sid, name, az, status, power, i):
    windows = i % 3 == 2
    return {
        "id": sid, "name": name, "status": status, "locked": False, "fault": None,
        "key_name": None if windows or i % 2 else "kp-bench",
        "OS-EXT-STS:power_state": power, "OS-EXT-STS:vm_state": "active" if power == 1 else "stopped",
        "OS-EXT-STS:task_state": None, "OS-EXT-AZ:availability_zone": az,
        "image": {"id": uid(0xf1, i % 7)}, "flavor": {"id": "s3.large.2", "vcpus": "2", "ram": "4096"},
        "addresses": {uid(0xa0, 1): [{"version": 4, "addr": "192.168.%d.%d" % (i // 250, i % 250 + 2),
                                      "OS-EXT-IPS:type": "fixed"}]},
        "metadata": {"os_type": "Windows" if windows else "Linux", "os_bit": "64",
                     "image_name": "Standard_Windows_2019" if windows else "Standard_Debian_12_latest",
                     "metering.imagetype": "gold", "EcmResStatus": "normal", "vpc_id": uid(0xa0, 1),
                     "charging_mode": "0"},
        "os-extended-volumes:volumes_attached": [{"id": uid(0xd0, i), "bootIndex": "0", "device": "/dev/vda"}],
        "security_groups": [{"name": "default"}], "tags": [], "created": "2019-05-22T03:23:59Z",
    }


def volume(vid, name, az, server_id, i):
    return {
        "id": vid, "name": name, "status": "in-use", "size": 40, "bootable": "true", "multiattach": False,
        "availability_zone": az, "volume_type": "SSD", "service_type": "EVS", "shareable": "false",
        "attachments": [{"server_id": server_id, "attachment_id": uid(0xe0, i), "volume_id": vid,
                         "device": "/dev/vda", "id": vid, "host_name": None,
                         "attached_at": "2019-05-22T03:24:10.000000"}],
        "metadata": {"hw:passthrough": "false"}, "replication_status": "disabled",
        "created_at": "2019-05-22T03:23:59.000000", "updated_at": "2019-05-22T03:24:10.000000",
        "wwn": " 688860300000d136fa16f48f0599%04x" % (i & 0xffff), "encrypted": False, "tags": {},
    }


FLAVORS = [{"id": "s3.large.2", "name": "s3.large.2", "vcpus": "2", "ram": 4096, "disk": "0", "swap": "",
            "OS-FLV-EXT-DATA:ephemeral": 0, "OS-FLV-DISABLED:disabled": False, "rxtx_factor": 1,
            "os-flavor-access:is_public": True, "links": [],
            "os_extra_specs": {"ecs:performancetype": "normal", "resource_type": "IOoptimizedS3",
                               "cond:operation:status": "normal"}}]


def snapshot(n):
    gid = uid(0x9, 1)
    instances, pairs, servers, volumes = [], [], {}, {}
    for i in range(n):
        pid, rid = uid(0x1, i), uid(0x2, i)
        src, dst = uid(0x3, i), uid(0x4, i)
        instances.append({
            "id": pid, "name": "vm-%04d" % i, "description": None, "server_group_id": gid,
            "status": "protected", "progress": 100, "source_server": src, "target_server": dst,
            "priority_station": "source", "created_at": "2019-05-22 08:16:54.413",
            "updated_at": "2019-05-22 08:16:54.413", "metadata": {}, "tags": [],
            "attachment": [{"replication": rid, "device": "/dev/vda"}]})
        pairs.append({
            "id": rid, "name": "r-%04d" % i, "description": None, "replication_model": "hypermetro",
            "status": "protected", "progress": 100, "replication_status": "active",
            "attachment": [{"device": "/dev/vda", "protected_instance": pid}],
            "server_group_id": gid, "volume_ids": "%s,%s" % (uid(0xd0, i), uid(0xd1, i)),
            "priority_station": "source", "fault_level": "0",
            "created_at": "2018-05-04T03:43:24.108526", "updated_at": "2018-05-04T03:44:28.322873",
            "record_metadata": {"multiattach": False, "bootable": True, "volume_size": 40, "volume_type": "SSD"}})
        servers[src] = {"http_status": 200, "server": server(src, "vm-%04d" % i, "eu-de-01", "ACTIVE", 1, i)}
        servers[dst] = {"http_status": 200, "server": server(dst, "vm-%04d-dr" % i, "eu-de-02", "SHUTOFF", 4, i)}
        for kind, az, sid in ((0xd0, "eu-de-01", src), (0xd1, "eu-de-02", dst)):
            volumes[uid(kind, i)] = {"http_status": 200,
                                     "volume": volume(uid(kind, i), "r-%04d-%x" % (i, kind), az, sid, i)}
    return {
        "schema": "sdrs-preflight/snapshot@1", "fetched_at": "2026-11-25T12:00:00Z", "tool_version": "0.1.0",
        "project_id": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "endpoints": {"sdrs": "https://sdrs.eu-de.otc.t-systems.com", "ecs": "https://ecs.eu-de.otc.t-systems.com"},
        "server_group": {
            "id": gid, "name": "pg-bench-%d" % n, "description": None, "status": "protected",
            "priority_station": "source", "source_availability_zone": "eu-de-01",
            "target_availability_zone": "eu-de-02", "protected_instance_num": n, "replication_num": n,
            "disaster_recovery_drill_num": 0, "progress": 100, "protected_status": None,
            "replication_status": None, "health_status": None, "dr_type": "migration", "server_type": "ECS",
            "created_at": "2019-05-22 08:16:54.413", "updated_at": "2019-05-23 09:11:10.856",
            "protection_type": "replication-pair", "replication_model": None},
        "protected_instances": instances, "replications": pairs, "disaster_recovery_drills": [],
        "servers": servers, "volumes": volumes,
        "flavors": {az: {"http_status": 200, "flavors": FLAVORS} for az in ("eu-de-01", "eu-de-02")},
        "fetch_errors": [],
    }


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: gen_snapshot.py N")
    json.dump(snapshot(int(sys.argv[1])), sys.stdout, indent=1, sort_keys=False)
    sys.stdout.write("\n")
