"""The parts of a world a scenario may leave out, derived from the rest so that every scenario is a
consistent, healthy world: the EVS disks behind the replication pairs and the ECS flavors of the
servers (README: "Derived volumes", "Derived flavors"). Pure functions of the scenario's objects.
"""

import re
import uuid

# EVS writes created_at, updated_at and attached_at as 2016-02-03T02:19:29.895237 (readiness-api §1.3).
EVS_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\Z")
DEFAULT_EVS_TIME = "2026-10-01T08:00:00.000000"
DEFAULT_VOLUME_SIZE = 10
DEFAULT_VOLUME_TYPE = "SSD"
BOOT_DEVICES = ("/dev/sda", "/dev/vda")


def norm_id(value):
    """An id without dashes and case (SDRS answers both the UUID and the 32-hex form of an id)."""
    return value.replace("-", "").lower() if isinstance(value, str) else value


def pair_volume_ids(pair):
    """The disk ids of a pair's volume_ids ("a,b": production disk first, then the DR disk)."""
    raw = pair.get("volume_ids")
    if not isinstance(raw, str):
        return []
    return [part.strip() for part in raw.split(",") if part.strip()]


def volumes(world, project_id, region, status=None):
    """{volume id: EVS volume object} for the disks of every replication pair of world (a dict of
    the scenario's collections, each id -> object).

    The first id of a pair's volume_ids is its production disk, in the group's
    source_availability_zone and attached to the instance's source_server; the second its DR
    disk, in target_availability_zone, attached to target_server. A pair that a protected
    instance lists in its attachment gives "in-use" disks, one that none lists "available" ones
    without attachments; status, when given, replaces both. A disk named by two pairs keeps the
    first one's."""
    groups = {norm_id(gid): group for gid, group in world.get("server_groups", {}).items()}
    attached = _attachments(world)
    derived = {}
    for pair_id, pair in world.get("replications", {}).items():
        group = groups.get(norm_id(pair.get("server_group_id"))) or {}
        instance, device = attached.get(norm_id(pair_id), (None, None))
        sites = (("source_availability_zone", "source_server", "source"),
                 ("target_availability_zone", "target_server", "target"))
        for volume_id, (zone_key, server_key, side) in zip(pair_volume_ids(pair), sites):
            server_id = instance.get(server_key) if instance is not None else None
            volume = _volume(volume_id, pair, side, group.get(zone_key), server_id, device, project_id, region)
            if status is not None:
                volume["status"] = status
            derived.setdefault(volume_id, volume)
    return derived


def _attachments(world):
    """{normalised pair id: (protected instance, device)}: the instance whose attachment lists the
    pair ({"replication": pair id, "device"}), else the one the pair's own attachment names
    ({"protected_instance": id, "device"})."""
    instances = world.get("protected_instances", {})
    found = {}
    for instance in instances.values():
        for item in instance.get("attachment") or []:
            if isinstance(item, dict) and isinstance(item.get("replication"), str):
                found.setdefault(norm_id(item["replication"]), (instance, item.get("device")))
    by_id = {norm_id(iid): instance for iid, instance in instances.items()}
    for pair_id, pair in world.get("replications", {}).items():
        for item in pair.get("attachment") or []:
            instance = by_id.get(norm_id(item.get("protected_instance"))) if isinstance(item, dict) else None
            if instance is not None:
                found.setdefault(norm_id(pair_id), (instance, item.get("device")))
    return found


def _volume(volume_id, pair, side, zone, server_id, device, project_id, region):
    """One EVS volume object (the shape of evs_04_2011 / evs_04_2005) of a pair's disk."""
    meta = pair.get("record_metadata") if isinstance(pair.get("record_metadata"), dict) else {}
    created = _evs_time(pair.get("created_at"), DEFAULT_EVS_TIME)
    updated = _evs_time(pair.get("updated_at"), created)
    if device is not None:
        bootable = device in BOOT_DEVICES
    else:
        bootable = meta.get("bootable") in (True, "true", "True")
    attachments = []
    if server_id is not None:
        attachments.append({"server_id": server_id, "attachment_id": _stable("attachment", volume_id),
                            "attached_at": created, "host_name": None, "volume_id": volume_id,
                            "device": device, "id": volume_id})
    href = "https://evs.%s.otc.t-systems.com/%%s%s/volumes/%s" % (region, project_id, volume_id)
    return {
        "id": volume_id, "name": "%s-%s" % (pair.get("name") or pair.get("id"), side),
        "status": "in-use" if attachments else "available", "attachments": attachments,
        "links": [{"href": href % "v2/", "rel": "self"}, {"href": href % "", "rel": "bookmark"}],
        "availability_zone": zone, "size": _size(meta.get("volume_size")),
        "bootable": "true" if bootable else "false", "multiattach": meta.get("multiattach") or False,
        "volume_type": meta.get("volume_type") or DEFAULT_VOLUME_TYPE, "metadata": {}, "tags": {},
        "description": "", "encrypted": False, "service_type": "EVS", "replication_status": "disabled",
        "snapshot_id": None, "source_volid": None, "consistencygroup_id": None,
        "os-vol-tenant-attr:tenant_id": project_id, "user_id": "0" * 32,
        "created_at": created, "updated_at": updated,
        "wwn": " 688860300000" + _stable("wwn", volume_id)[:20],
    }


def _size(value):
    """GB from record_metadata.volume_size (a number or a numeric string); DEFAULT_VOLUME_SIZE if neither."""
    try:
        size = int(float(value))
    except (TypeError, ValueError):
        return DEFAULT_VOLUME_SIZE
    return size if size > 0 else DEFAULT_VOLUME_SIZE


def _evs_time(value, default):
    return value if isinstance(value, str) and EVS_TIME.match(value) else default


def _stable(kind, name):
    return uuid.uuid5(uuid.NAMESPACE_URL, "sdrs-sim/%s/%s" % (kind, name)).hex


# ---- flavors ------------------------------------------------------------------------------------

def flavors(servers, project_id, region):
    """{flavor id: ECS flavor object} (the shape of GET cloudservers/flavors) for each distinct
    flavor.id of the servers, in order of first use; on sale everywhere ("normal")."""
    derived = {}
    for server in servers.values():
        flavor = server.get("flavor") if isinstance(server, dict) else None
        if isinstance(flavor, dict) and isinstance(flavor.get("id"), str) and flavor["id"] not in derived:
            derived[flavor["id"]] = _flavor(flavor, project_id, region)
    return derived


def _flavor(server_flavor, project_id, region):
    """A flavor from a server's flavor object ({"id", "name", "vcpus", "ram", ...}): vcpus a string,
    ram an integer (MiB), as the flavor list writes them."""
    flavor_id = server_flavor["id"]
    href = "https://ecs.%s.otc.t-systems.com/%%s%s/flavors/%s" % (region, project_id, flavor_id)
    try:
        ram = int(float(server_flavor.get("ram")))
    except (TypeError, ValueError):
        ram = 1024
    return {
        "id": flavor_id, "name": server_flavor.get("name") or flavor_id,
        "vcpus": str(server_flavor.get("vcpus", "1")), "ram": ram, "disk": "0", "swap": "",
        "links": [{"rel": "self", "href": href % "v1.0/", "type": None},
                  {"rel": "bookmark", "href": href % "", "type": None}],
        "OS-FLV-EXT-DATA:ephemeral": 0, "rxtx_factor": 1, "OS-FLV-DISABLED:disabled": False,
        "rxtx_quota": None, "rxtx_cap": None, "os-flavor-access:is_public": True,
        "os_extra_specs": {"ecs:virtualization_env_types": "CloudCompute",
                           "ecs:generation": flavor_id.split(".")[0], "ecs:performancetype": "normal",
                           "resource_type": "IOoptimized", "cond:operation:status": "normal"},
    }


# ---- flavor sale status -------------------------------------------------------------------------

# The statuses with which GET cloudservers/flavors?availability_zone=AZ still lists a flavor.
LISTED_STATUSES = ("normal", "obt", "promotion")
_AZ_ENTRY = re.compile(r"\s*([^,()]+?)\s*\(([^()]*)\)\s*(?:,|\Z)")


def sale_status(flavor, zone):
    """A flavor's effective sale status in zone: its entry in os_extra_specs cond:operation:az
    ("az1(normal), az2(sellout)"; an entry with empty parentheses is invalid and ignored), else
    cond:operation:status, else "normal"."""
    specs = flavor.get("os_extra_specs") if isinstance(flavor, dict) else None
    if not isinstance(specs, dict):
        return "normal"
    per_zone = specs.get("cond:operation:az")
    if isinstance(per_zone, str):
        for name, status in _AZ_ENTRY.findall(per_zone):
            if name == zone and status.strip():
                return status.strip()
    status = specs.get("cond:operation:status")
    return status.strip() if isinstance(status, str) and status.strip() else "normal"
