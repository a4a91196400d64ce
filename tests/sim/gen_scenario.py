#!/usr/bin/env python3
"""Generate a simulator scenario with one protection group of N protected instances (2N ECS servers,
N replication pairs), for benchmarks and paging tests. Deterministic for a given --seed.

    gen_scenario.py --instances 500 -o /tmp/big.json
    gen_scenario.py --instances 40 --page-limit 7 --latency-ms 20 --group-status failed-over
    gen_scenario.py --instances 3 --volume-status error

The EVS volumes of the pairs are derived by the simulator when it loads the scenario; with
--volume-status the document carries them itself ("volumes"), every disk with that status.
"""

import argparse
import json
import random
import sys
import uuid

import derive

LINUX_IMAGE = ("Standard_CentOS_7_latest", "Linux", "CentOS", "CentOS 7.9 64bit")
WINDOWS_IMAGE = ("Standard_Windows_2019_DC_latest", "Windows", "Windows", "Windows Server 2019 Datacenter 64bit")


class Ids:
    """Deterministic ids: UUIDs (uuid()) and 32-hex job-style ids (hex32())."""

    def __init__(self, seed):
        self._rng = random.Random(seed)

    def uuid(self):
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex32(self):
        return "%032x" % self._rng.getrandbits(128)


def make_server(server_id, name, project_id, az, vpc_id, image, status="ACTIVE", key_name=None, volume_id=None):
    """An ECS v1 cloudservers object shaped like api-examples/docs/ecs-servers-detail.json."""
    image_id, (image_name, os_type, _, _) = image
    running = status == "ACTIVE"
    return {
        "id": server_id, "name": name, "description": "", "status": status,
        "OS-EXT-STS:vm_state": "active" if running else "stopped", "OS-EXT-STS:task_state": None,
        "OS-EXT-STS:power_state": 1 if running else 4, "OS-EXT-AZ:availability_zone": az,
        "OS-EXT-SRV-ATTR:hostname": name, "OS-EXT-SRV-ATTR:root_device_name": "/dev/vda",
        "key_name": key_name, "image": {"id": image_id},
        "flavor": {"id": "s3.large.2", "name": "s3.large.2", "vcpus": "2", "ram": "4096", "disk": "0"},
        "metadata": {"os_type": os_type, "os_bit": "64", "image_name": image_name, "metering.image_id": image_id,
                     "metering.imagetype": "gold", "metering.resourcetype": "1",
                     "metering.resourcespeccode": "s3.large.2." + os_type.lower(), "vpc_id": vpc_id,
                     "charging_mode": "0", "EcmResStatus": "normal", "lockSource": "", "lockSourceId": "",
                     "lockScene": "", "lockCheckEndpoint": ""},
        "locked": False, "fault": None, "host_status": "UP", "tags": [], "sys_tags": [],
        "tenant_id": project_id, "user_id": "0" * 32,
        "created": "2026-10-01T08:00:00Z", "updated": "2026-11-20T09:30:00Z",
        "os-extended-volumes:volumes_attached": [
            {"id": volume_id or str(uuid.uuid5(uuid.NAMESPACE_OID, server_id)), "device": "/dev/vda",
             "bootIndex": "0", "delete_on_termination": "false"}],
        "security_groups": [{"id": "b1786350-da65-11e7-b312-0255ac101b03", "name": "default"}],
        "os:scheduler_hints": {},
        "addresses": {vpc_id: [{"version": 4, "addr": "192.168.0.%d" % (int(server_id[:4], 16) % 250 + 2),
                                "OS-EXT-IPS:type": "fixed"}]},
    }


def make_image(image_id, image):
    """An IMS v2 cloudimages object."""
    name, os_type, platform, version = image
    return {"id": image_id, "name": name, "status": "active", "visibility": "public", "__imagetype": "gold",
            "__os_type": os_type, "__platform": platform, "__os_version": version, "__os_bit": "64",
            "__support_kvm": "true", "__isregistered": "true", "virtual_env_type": "FusionCompute",
            "disk_format": "zvhd2", "container_format": "bare", "min_disk": 40, "min_ram": 0,
            "hw_firmware_type": "bios", "protected": True, "tags": [],
            "created_at": "2026-01-10T02:00:00Z", "updated_at": "2026-01-10T02:30:00Z",
            "self": "/v2/images/" + image_id, "file": "/v2/images/%s/file" % image_id, "schema": "/v2/schemas/image"}


def make_group(group_id, name, status, instances, pairs, drills, vpc_id, domain_id, station="source"):
    """A protection group shaped like api-examples/docs/group-show.json."""
    return {"id": group_id, "name": name, "description": None,
            "source_availability_zone": "eu-de-01", "target_availability_zone": "eu-de-02",
            "domain_id": domain_id, "domain_name": "ActiveactiveDomain", "status": status,
            "protected_status": None, "replication_status": None, "health_status": None, "progress": 100,
            "priority_station": station, "protected_instance_num": instances, "replication_num": pairs,
            "disaster_recovery_drill_num": drills, "source_vpc_id": vpc_id, "target_vpc_id": vpc_id,
            "test_vpc_id": None, "dr_type": "migration", "server_type": "ECS",
            "created_at": "2026-10-01 08:15:02.113", "updated_at": "2026-11-20 09:41:10.856",
            "protection_type": "replication-pair", "replication_model": None}


def make_instance(instance_id, name, group_id, status, source, target, pair_id, station="source"):
    """A protected instance shaped like api-examples/docs/instance-list.json."""
    return {"id": instance_id, "name": name, "description": "", "server_group_id": group_id,
            "status": status, "progress": 100, "source_server": source, "target_server": target,
            "created_at": "2026-10-01 08:20:11.861", "updated_at": "2026-10-01 08:31:42.716",
            "priority_station": station, "attachment": [{"replication": pair_id, "device": "/dev/vda"}],
            "tags": [], "metadata": {}}


def make_pair(pair_id, name, group_id, status, instance_id, volumes, station="source", size=40):
    """A replication pair shaped like api-examples/docs/replication-list.json."""
    return {"id": pair_id, "name": name, "description": "", "replication_model": "hypermetro",
            "status": status, "progress": 100, "replication_status": "active",
            "attachment": [{"device": "/dev/vda", "protected_instance": instance_id}],
            "server_group_id": group_id, "volume_ids": ",".join(volumes), "priority_station": station,
            "fault_level": "0", "failure_detail": None,
            "created_at": "2026-10-01T08:18:24.108526", "updated_at": "2026-11-20T09:44:28.322873",
            "record_metadata": {"multiattach": False, "bootable": True, "volume_size": size, "volume_type": "SSD"}}


def generate(instances, group_id=None, project_id=None, token="sim-token", ak="SIMACCESSKEY0000001",
             sk="simSecretKey0000000000000000000000000001", user="sim-user", password="sim-password",
             domain="sim-domain", page_limit=None, latency_ms=None, group_status="protected", seed=1,
             volume_status=None):
    """The scenario document (a dict). Even-numbered instances run Linux, odd ones Windows with a key pair.
    volume_status: give the volumes the simulator would derive explicitly, each with this status."""
    ids = Ids(seed)
    project_id = project_id or ids.hex32()
    group_id = group_id or ids.uuid()
    vpc_id, domain_id = ids.uuid(), ids.uuid()
    station = "target" if group_status == "failed-over" else "source"
    member_status = group_status if group_status in ("protected", "available", "failed-over") else "protected"
    images = {ids.uuid(): LINUX_IMAGE, ids.uuid(): WINDOWS_IMAGE}
    image_list = list(images.items())
    doc = {"project_id": project_id, "region": "eu-de",
           "credentials": {"tokens": [token], "aksk": [{"ak": ak, "sk": sk}],
                           "users": [{"name": user, "password": password, "domain": domain,
                                      "project_id": project_id, "project_name": "eu-de"}]},
           "server_groups": [make_group(group_id, "pg-bench-%d" % instances, group_status, instances, instances,
                                        0, vpc_id, domain_id, station)],
           "protected_instances": [], "replications": [], "disaster_recovery_drills": [],
           "servers": {}, "images": {image_id: make_image(image_id, image) for image_id, image in image_list}}
    for i in range(instances):
        image = image_list[i % 2]
        key_name = "kp-win" if i % 2 else None
        source, target, instance_id, pair_id = ids.uuid(), ids.uuid(), ids.uuid(), ids.uuid()
        volumes = [ids.uuid(), ids.uuid()]
        doc["servers"][source] = make_server(source, "app-%04d" % i, project_id, "eu-de-01", vpc_id, image,
                                             "SHUTOFF" if station == "target" else "ACTIVE", key_name, volumes[0])
        doc["servers"][target] = make_server(target, "app-%04d" % i, project_id, "eu-de-02", vpc_id, image,
                                             "ACTIVE" if station == "target" else "SHUTOFF", key_name, volumes[1])
        doc["protected_instances"].append(make_instance(instance_id, "pi-app-%04d" % i, group_id, member_status,
                                                        source, target, pair_id, station))
        doc["replications"].append(make_pair(pair_id, "rep-app-%04d" % i, group_id, member_status, instance_id,
                                             volumes, station))
    if volume_status is not None:
        world = {name: {obj["id"]: obj for obj in doc[name]}
                 for name in ("server_groups", "protected_instances", "replications")}
        doc["volumes"] = derive.volumes(world, project_id, doc["region"], volume_status)
    if page_limit:
        doc["page_limit"] = page_limit
    if latency_ms:
        doc["latency_ms"] = latency_ms
    return doc


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gen_scenario.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=int, required=True, help="number of protected instances N")
    parser.add_argument("--group-id", help="protection group id (default: a generated UUID)")
    parser.add_argument("--project-id", help="project id (default: a generated 32-hex id)")
    parser.add_argument("--group-status", default="protected", help="group status (default protected)")
    parser.add_argument("--token", default="sim-token", help="accepted X-Auth-Token (default sim-token)")
    parser.add_argument("--ak", default="SIMACCESSKEY0000001", help="accepted access key")
    parser.add_argument("--sk", default="simSecretKey0000000000000000000000000001", help="its secret key")
    parser.add_argument("--user", default="sim-user", help="IAM user name")
    parser.add_argument("--password", default="sim-password", help="IAM user password")
    parser.add_argument("--domain", default="sim-domain", help="IAM user domain (account) name")
    parser.add_argument("--page-limit", type=int, help="cap every page at this many items")
    parser.add_argument("--latency-ms", type=float, help="latency added to every response")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated ids (default 1)")
    parser.add_argument("--volume-status", help="write the pairs' EVS volumes into the scenario, each with "
                                                "this status (default: the simulator derives them, in-use)")
    parser.add_argument("-o", "--output", help="write here instead of stdout")
    args = parser.parse_args(argv)
    if args.instances < 0:
        parser.error("--instances must be >= 0")
    doc = generate(args.instances, args.group_id, args.project_id, args.token, args.ak, args.sk, args.user,
                   args.password, args.domain, args.page_limit, args.latency_ms, args.group_status, args.seed,
                   args.volume_status)
    text = json.dumps(doc, indent=1) + "\n"
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
