"""Loading a scenario file (format in README.md): settings, credentials, faults and the world,
inline and/or from sdrs-preflight/snapshot@1 files. EVS volumes and ECS flavors the scenario does
not give are derived from the rest (derive.py)."""

import json
import os

import derive
import faults as faults_mod
import world as world_mod

SNAPSHOT_SCHEMA = "sdrs-preflight/snapshot@1"
LIST_COLLECTIONS = ("server_groups", "protected_instances", "replications", "disaster_recovery_drills", "flavors")
MAP_COLLECTIONS = ("servers", "images", "volumes")
_TOP_KEYS = {"project_id", "region", "credentials", "snapshot", "snapshots", "page_limit", "latency_ms",
             "token_ttl_seconds", "clock_offset_seconds", "faults", "jobs", "note",
             "aksk_project_header", "ecs_server_id_filter", "evs_cloudvolumes_show", "flavor_capacity"} \
    | set(LIST_COLLECTIONS) | set(MAP_COLLECTIONS)

# The roles of an IAM-issued token when the user's scenario entry names none.
DEFAULT_ROLES = ("te_admin",)

# How strictly AK/SK requests to the project-scoped services (SDRS, ECS, EVS, IMS) must carry a signed
# X-Project-Id equal to the project they address (README: "X-Project-Id"):
#   "required"  a request without it, or with it unsigned, or naming another project is refused
#               (what the real gateway does for a sub-project; the official SDKs always send it);
#   "optional"  accepted without it, but when present it must be signed and match;
#   "ignored"   never looked at.
AKSK_PROJECT_HEADER_MODES = ("required", "optional", "ignored")

# THE SWITCH. The scenario's "aksk_project_header" overrides it; basic.json and the generated
# scenarios do not set it, so they follow this: "required", the real gateway's behaviour for
# sub-projects, now that the C client sends and signs X-Project-Id (src/auth.c).
DEFAULT_AKSK_PROJECT_HEADER = "required"

_AKSK_KEYS = {"ak", "sk", "security_token"}


class ScenarioError(Exception):
    pass


class Scenario:
    """A validated scenario. world maps each collection to {id: object}; server_errors (volume_errors)
    maps a server (volume) id to (HTTP status, error body) for the servers (volumes) a snapshot
    recorded as neither 200 nor 404."""

    def __init__(self):
        self.project_id = None
        self.region = "eu-de"
        self.tokens = []
        self.aksk = {}  # access key -> secret key
        self.security_tokens = {}  # access key -> security token, for the temporary pairs only
        self.aksk_project_header = DEFAULT_AKSK_PROJECT_HEADER
        self.ecs_server_id_filter = True
        self.evs_cloudvolumes_show = True
        self.flavor_capacity = None
        self.users = []
        self.page_limit = None
        self.latency_ms = 0
        self.token_ttl_seconds = 86400
        self.clock_offset_seconds = 0
        self.fault_specs = []
        self.jobs = {}
        self.world = {name: {} for name in world_mod.COLLECTIONS}
        self.server_errors = {}
        self.volume_errors = {}
        self.snapshot_volumes = False  # whether a snapshot had a "volumes" part


def load(path):
    """The Scenario in the JSON file at path; ScenarioError says what is wrong."""
    doc = _read_json(path)
    try:
        return _parse(doc, os.path.dirname(os.path.abspath(path)))
    except ScenarioError as e:
        raise ScenarioError("%s: %s" % (path, e)) from None


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as e:
        raise ScenarioError("cannot read %s: %s" % (path, e.strerror)) from None
    except ValueError as e:
        raise ScenarioError("%s is not valid JSON: %s" % (path, e)) from None


def _parse(doc, base_dir):
    if not isinstance(doc, dict):
        raise ScenarioError("a scenario must be a JSON object")
    unknown = set(doc) - _TOP_KEYS
    if unknown:
        raise ScenarioError("unknown key(s) %s" % ", ".join(sorted(unknown)))
    sc = Scenario()

    snapshots = doc.get("snapshots", [])
    if "snapshot" in doc:
        snapshots = [doc["snapshot"]] + list(snapshots)
    if not isinstance(snapshots, list) or not all(isinstance(p, str) for p in snapshots):
        raise ScenarioError("snapshot must be a path and snapshots a list of paths")
    for rel in snapshots:
        _load_snapshot(sc, os.path.join(base_dir, rel))

    for name in LIST_COLLECTIONS:
        items = doc.get(name, [])
        if not isinstance(items, list):
            raise ScenarioError("%s must be a list" % name)
        for item in items:
            _add(sc.world[name], name, item)
    for name in MAP_COLLECTIONS:
        objects = doc.get(name, {})
        if not isinstance(objects, dict) or not all(isinstance(v, dict) for v in objects.values()):
            raise ScenarioError("%s must map ids to objects" % name)
        sc.world[name].update(objects)

    sc.project_id = doc.get("project_id", sc.project_id)
    if not isinstance(sc.project_id, str) or not sc.project_id:
        raise ScenarioError("project_id is required (a string; or taken from a snapshot)")
    sc.region = _typed(doc, "region", str, sc.region)
    sc.page_limit = _typed(doc, "page_limit", int, None)
    if sc.page_limit is not None and sc.page_limit < 1:
        raise ScenarioError("page_limit must be >= 1")
    sc.latency_ms = _typed(doc, "latency_ms", (int, float), 0)
    if sc.latency_ms < 0:
        raise ScenarioError("latency_ms must be >= 0")
    sc.token_ttl_seconds = _typed(doc, "token_ttl_seconds", (int, float), sc.token_ttl_seconds)
    sc.clock_offset_seconds = _typed(doc, "clock_offset_seconds", (int, float), 0)
    sc.aksk_project_header = doc.get("aksk_project_header", DEFAULT_AKSK_PROJECT_HEADER)
    if sc.aksk_project_header not in AKSK_PROJECT_HEADER_MODES:
        raise ScenarioError("aksk_project_header must be %s (got %r)"
                            % (", ".join('"%s"' % m for m in AKSK_PROJECT_HEADER_MODES), sc.aksk_project_header))
    sc.ecs_server_id_filter = doc.get("ecs_server_id_filter", True)
    if not isinstance(sc.ecs_server_id_filter, bool):
        raise ScenarioError("ecs_server_id_filter must be true or false")
    sc.evs_cloudvolumes_show = doc.get("evs_cloudvolumes_show", True)
    if not isinstance(sc.evs_cloudvolumes_show, bool):
        raise ScenarioError("evs_cloudvolumes_show must be true or false")
    sc.flavor_capacity = doc.get("flavor_capacity")
    if sc.flavor_capacity is not None and not (
            isinstance(sc.flavor_capacity, dict) and all(
                isinstance(zones, dict) and all(isinstance(v, bool) for v in zones.values())
                for zones in sc.flavor_capacity.values())):
        raise ScenarioError("flavor_capacity must map flavor ids to {zone: true|false}")
    _derive(sc, "volumes" in doc, "flavors" in doc)
    _parse_credentials(sc, doc.get("credentials", {}))
    try:
        sc.fault_specs = doc.get("faults", [])
        faults_mod.parse_faults(sc.fault_specs)
        sc.jobs = doc.get("jobs", {})
        world_mod.validate_jobs(sc.jobs)
    except ValueError as e:
        raise ScenarioError(str(e)) from None
    return sc


def _derive(sc, has_volumes, has_flavors):
    """The volumes of the pairs unless the scenario or one of its snapshots gives volumes; the
    flavors of the servers unless the scenario gives flavors (README: "Derived volumes and flavors")."""
    if not has_volumes and not sc.snapshot_volumes:
        sc.world["volumes"] = derive.volumes(sc.world, sc.project_id, sc.region)
    if not has_flavors:
        sc.world["flavors"] = derive.flavors(sc.world["servers"], sc.project_id, sc.region)


def _typed(doc, name, types, default):
    value = doc.get(name, default)
    if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
        raise ScenarioError("%s has the wrong type (%r)" % (name, value))
    return value


def _add(store, name, item):
    if not isinstance(item, dict) or not isinstance(item.get("id"), str):
        raise ScenarioError("every item of %s needs a string id" % name)
    store[item["id"]] = item


def _parse_credentials(sc, creds):
    if not isinstance(creds, dict) or set(creds) - {"tokens", "aksk", "users"}:
        raise ScenarioError("credentials takes tokens, aksk and users")
    sc.tokens = creds.get("tokens", [])
    if not isinstance(sc.tokens, list) or not all(isinstance(t, str) and t for t in sc.tokens):
        raise ScenarioError("credentials.tokens must be a list of strings")
    pairs = creds.get("aksk", [])
    if not isinstance(pairs, list):
        raise ScenarioError("credentials.aksk must be a list")
    for pair in pairs:
        if not isinstance(pair, dict) or not isinstance(pair.get("ak"), str) or not isinstance(pair.get("sk"), str):
            raise ScenarioError("credentials.aksk items need string ak and sk")
        unknown = set(pair) - _AKSK_KEYS
        if unknown:
            hint = " (IAM's \"securitytoken\" goes in security_token)" if "securitytoken" in unknown else ""
            raise ScenarioError("credentials.aksk items take ak, sk and security_token, not %s%s"
                                % (", ".join(sorted(unknown)), hint))
        sc.aksk[pair["ak"]] = pair["sk"]
        sc.security_tokens.pop(pair["ak"], None)
        if "security_token" in pair:
            token = pair["security_token"]
            if not isinstance(token, str) or not token:
                raise ScenarioError("credentials.aksk security_token must be a non-empty string (a temporary "
                                    "AK/SK's token); leave it out for a permanent pair")
            sc.security_tokens[pair["ak"]] = token
    for user in creds.get("users", []):
        if not isinstance(user, dict) or not all(isinstance(user.get(k), str) for k in ("name", "password", "domain")):
            raise ScenarioError("credentials.users items need string name, password and domain")
        roles = user.get("roles", list(DEFAULT_ROLES))
        if not isinstance(roles, list) or not all(isinstance(r, str) and r for r in roles):
            raise ScenarioError("credentials.users roles must be a list of role names (strings)")
        entry = dict({"project_id": sc.project_id, "project_name": sc.region}, **user)
        entry["roles"] = list(roles)
        sc.users.append(entry)


def _load_snapshot(sc, path):
    snap = _read_json(path)
    if not isinstance(snap, dict) or snap.get("schema") != SNAPSHOT_SCHEMA:
        raise ScenarioError("%s is not an %s file" % (path, SNAPSHOT_SCHEMA))
    if sc.project_id is None and isinstance(snap.get("project_id"), str):
        sc.project_id = snap["project_id"]
    if isinstance(snap.get("server_group"), dict):
        _add(sc.world["server_groups"], "server_group", snap["server_group"])
    for name in ("protected_instances", "replications", "disaster_recovery_drills"):
        for item in snap.get(name) or []:
            _add(sc.world[name], name, item)
    _load_recorded(snap.get("servers"), "server", sc.world["servers"], sc.server_errors)
    # 404 (or an unusable entry): the server does not exist, ECS answers 404 Ecs.0114.
    if "volumes" in snap:
        sc.snapshot_volumes = True
        _load_recorded(snap.get("volumes"), "volume", sc.world["volumes"], sc.volume_errors)
    # 404: the volume does not exist, EVS answers 404 itemNotFound.
    for image_id, image in (snap.get("images") or {}).items():
        if isinstance(image, dict):
            sc.world["images"][image_id] = image


def _load_recorded(entries, key, store, errors):
    """A snapshot's servers or volumes part: id -> {"http_status": 200, key: {object}} (the object
    exists), {"http_status": 404, ...} (it does not) or another status with the recorded "error",
    served with that status as {"error": error}."""
    if not isinstance(entries, dict):
        return
    for object_id, entry in entries.items():
        status = entry.get("http_status") if isinstance(entry, dict) else None
        if status == 200 and isinstance(entry.get(key), dict):
            store[object_id] = entry[key]
        elif isinstance(status, int) and status != 404:
            error = entry.get("error")
            errors[object_id] = (status, {"error": error} if error is not None else None)
