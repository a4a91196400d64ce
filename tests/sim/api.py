"""The simulated REST APIs: IAM v3 tokens, SDRS v1, ECS v1 cloudservers and flavors, IMS v2
cloudimages and EVS v2 cloudvolumes.

handle(request, auth) turns a parsed request into a Response; it never touches the socket. Error
bodies follow sdrs-api.md section 7.1: SDRS/ECS/IMS wrap {"error": {"code", "message"}}, IAM and
the API gateway (APIG) use flat {"error_msg", "error_code"[, "request_id"]}; EVS answers its
OpenStack-style class-named wrapper {"itemNotFound": {"message", "code": 404}} (readiness-api.md 1.1).
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode

import derive
from scenario import DEFAULT_ROLES
from world import SdrsError, api_time

JSON = "application/json"


@dataclass
class Request:
    method: str
    path: str  # raw path, without the query
    query: str  # raw query string, "" if none
    headers: dict  # lower-case name -> value
    body: bytes
    request_id: str
    raw_headers: list = field(default_factory=list)  # (name, value) as received, for the log
    # Set by a repeat_page fault: the SDRS lists serve the page at this offset instead of the requested
    # one (the requested offset is still validated); every other endpoint ignores it.
    page_offset: int = None
    # Set by a stale fault: the reads (SDRS, ECS, EVS, IMS, jobs) answer from the world as it was just before
    # the last accepted action; actions and IAM ignore it.
    stale: bool = False


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = JSON
    headers: list = field(default_factory=list)  # extra (name, value) pairs


def json_response(status, obj, headers=()):
    return Response(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), JSON, list(headers))


# ---- error bodies -------------------------------------------------------------------------------

def apig_error(status, code, message, request_id):
    """The API gateway's flat error body (APIG.0301 auth, APIG.0302 not authorized, APIG.0308 throttling,
    APIG.0101 no such API)."""
    return json_response(status, {"error_msg": message, "error_code": code, "request_id": request_id})


def iam_error(status, code, message):
    return json_response(status, {"error_msg": message, "error_code": code})


def wrapped_error(status, code, message):
    """SDRS, ECS, IMS (and EVS's default fault bodies): {"error": {"code", "message"}}."""
    return json_response(status, {"error": {"code": code, "message": message}})


def evs_error(status, kind, message):
    """EVS's class-named wrapper: {"badRequest" | "itemNotFound" | "forbidden": {"message", "code": status}}."""
    return json_response(status, {kind: {"message": message, "code": status}})


class Answer(Exception):
    """Raised by a handler to answer with response at once (an error found deep in a helper)."""

    def __init__(self, response):
        super().__init__(response.status)
        self.response = response


# Default error bodies of the "status" fault: (5xx, other 4xx) per service. The SDRS codes are
# documented; the ECS, IMS, EVS and IAM ones are the simulator's own (only the shape is documented).
_DEFAULT_CODES = {
    "sdrs": (("SDRS.0013", "Internal error"), ("SDRS.0201", "Invalid request parameters")),
    "ecs": (("Ecs.0000", "Internal error"), ("Ecs.0000", "Request error")),
    "ims": (("IMG.0001", "Internal error"), ("IMG.0001", "Request error")),
    "evs": (("EVS.5400", "Internal error"), ("EVS.0001", "Request error")),
    "iam": (("IAM.0006", "Internal error"), ("IAM.0011", "Request error")),
}


def default_error(service, status, request_id):
    """The body a "status" fault sends when it gives none: 429 APIG.0308, 401 APIG.0301,
    502/503/504 APIG.0201 (gateway), otherwise the service's own shape."""
    if status == 429:
        return apig_error(429, "APIG.0308", "The throttling threshold has been reached: policy user over ratelimit",
                          request_id)
    if status == 401:
        return apig_error(401, "APIG.0301", "Incorrect IAM authentication information: injected fault", request_id)
    if status in (502, 503, 504):
        return apig_error(status, "APIG.0201", "Backend timeout" if status == 504 else "Backend unavailable",
                          request_id)
    server_side, client_side = _DEFAULT_CODES[service]
    code, message = server_side if status >= 500 else client_side
    if service == "iam":
        return iam_error(status, code, message)
    return wrapped_error(status, code, message)


# EVS: /v2/{project_id}/cloudvolumes..., os-vendor-volumes..., volumes... (IMS /v2/cloudimages has
# no project in its path).
_EVS_PATH = re.compile(r"/v2/[^/]+/(?:cloudvolumes|os-vendor-volumes|volumes)(?:/|\Z)")


def service_of(path):
    """Which service a path belongs to: iam, ecs, evs, ims or sdrs (the default)."""
    if path.startswith("/v3/"):
        return "iam"
    if re.match(r"/v1/[^/]+/cloudservers(/|$)", path):
        return "ecs"
    if _EVS_PATH.match(path):
        return "evs"
    if path.startswith("/v2/"):
        return "ims"
    return "sdrs"


# ---- the API ------------------------------------------------------------------------------------

_PID = r"/v1/(?P<pid>[^/]+)"
_EVS = r"/v2/(?P<pid>[^/]+)"
# (method, path regex, handler name); the service comes from service_of(path). The first route
# whose method and path match takes the request: cloudservers/flavors before cloudservers/{id}.
_ROUTES = [
    ("POST", r"/v3/auth/tokens", "iam_tokens"),
    ("GET", _PID + r"/server-groups", "list_groups"),
    ("GET", _PID + r"/server-groups/(?P<oid>[^/]+)", "show_group"),
    ("POST", _PID + r"/server-groups/(?P<oid>[^/]+)/action", "group_action"),
    ("GET", _PID + r"/protected-instances", "list_instances"),
    ("GET", _PID + r"/protected-instances/(?P<oid>[^/]+)", "show_instance"),
    ("GET", _PID + r"/replications", "list_replications"),
    ("GET", _PID + r"/replications/(?P<oid>[^/]+)", "show_replication"),
    ("GET", _PID + r"/disaster-recovery-drills", "list_drills"),
    ("GET", _PID + r"/disaster-recovery-drills/(?P<oid>[^/]+)", "show_drill"),
    ("GET", _PID + r"/jobs/(?P<oid>[^/]+)", "show_job"),
    ("GET", _PID + r"/cloudservers/detail", "list_servers"),
    ("GET", _PID + r"/cloudservers/flavors", "list_flavors"),
    ("GET", _PID + r"/cloudservers/flavors/(?P<oid>[^/]+)/resources", "flavor_capacity"),
    ("GET", _PID + r"/cloudservers/(?P<oid>[^/]+)", "show_server"),
    ("GET", r"/v2/cloudimages", "list_images"),
    ("GET", _EVS + r"/cloudvolumes/detail", "list_volumes"),
    ("GET", _EVS + r"/cloudvolumes/(?P<oid>[^/]+)", "show_cloudvolume"),
    ("GET", _EVS + r"/os-vendor-volumes/(?P<oid>[^/]+)", "show_volume"),
]
_ROUTES = [(method, re.compile(pattern + r"/?\Z"), name) for method, pattern, name in _ROUTES]

# Paged SDRS collections: (collection, list key, singular key, not-found code and message).
_SDRS_OBJECTS = {
    "server_groups": ("server_groups", "server_group", "SDRS.1013", "Protection group not found"),
    "protected_instances": ("protected_instances", "protected_instance", "SDRS.1320", "Protected instance not found"),
    "replications": ("replications", "replication", "SDRS.1608", "Replication pair not found"),
    "disaster_recovery_drills": ("disaster_recovery_drills", "disaster_recovery_drill", "SDRS.1902",
                                 "DR drill not found"),
}


# EVS: at most this many ids in one cloudvolumes/detail?ids=[...] (evs_04_2005).
MAX_VOLUME_IDS = 60


class Api:
    def __init__(self, world, authenticator, server_id_filter=True, evs_cloudvolumes_show=True,
                 flavor_capacity=None):
        self.world = world
        self.capacity = flavor_capacity
        self.server_id_filter = server_id_filter
        self.auth = authenticator
        self.base_url = None  # http(s)://127.0.0.1:port, set once the server listens
        # Routes the cloud does not have: Open Telekom Cloud documents no GET cloudvolumes/{id}.
        self.missing = set() if evs_cloudvolumes_show else {"show_cloudvolume"}
        # Huawei Cloud's "Querying the Capacity of a Flavor" (ecs_02_2604) exists only when the
        # scenario gives flavor_capacity; Open Telekom Cloud documents no such call.
        if flavor_capacity is None:
            self.missing.add("flavor_capacity")

    def handle(self, req, auth):
        """The Response to req; auth is the request's AuthResult."""
        for method, pattern, name in _ROUTES:
            m = pattern.match(req.path)
            if m and method == req.method and name not in self.missing:
                break
        else:
            return apig_error(404, "APIG.0101", "The API does not exist or has not been published in the "
                              "environment", req.request_id)
        params = {k: unquote(v) for k, v in m.groupdict().items()}
        service = service_of(req.path)
        if service != "iam":
            if auth.kind not in ("token", "aksk"):  # 401 APIG.0301, or 403 APIG.0302 (X-Project-Id)
                return apig_error(auth.status, auth.code, auth.error, req.request_id)
            pid = params.pop("pid", None)
            if pid is not None and (pid != self.world.project_id or auth.project_id not in (None, pid)):
                if service == "ecs":
                    return wrapped_error(403, "Ecs.0000", "Invalid project ID %r for this token or AK/SK" % pid)
                if service == "evs":
                    return evs_error(403, "forbidden", "Invalid project ID %r for this token or AK/SK" % pid)
                return wrapped_error(400, "SDRS.0001", "Invalid tenant ID: %s" % pid)
        try:
            return getattr(self, name)(req, **params)
        except SdrsError as e:
            return wrapped_error(e.status, e.code, e.message)
        except Answer as e:
            return e.response

    # ---- IAM ----------------------------------------------------------------------------------

    def iam_tokens(self, req):
        try:
            doc = json.loads(req.body.decode("utf-8"))
            identity = doc["auth"]["identity"]
            methods = identity["methods"]
            user_spec = identity["password"]["user"]
            name, password = user_spec["name"], user_spec["password"]
            domain = user_spec.get("domain") or {}
            scope = doc["auth"].get("scope") or {}
            if not isinstance(methods, list) or not all(isinstance(x, str) for x in (name, password)):
                raise TypeError
        except (ValueError, KeyError, TypeError, AttributeError):
            return iam_error(400, "IAM.0011", "The request body is invalid: need auth.identity.methods and "
                             "auth.identity.password.user {name, password, domain}")
        if "password" not in methods:
            return iam_error(401, "IAM.0101", "Only the password method is supported by the simulator")
        user = self.auth.find_user(name, domain.get("name"), domain.get("id"))
        if user is None or user["password"] != password:
            return iam_error(401, "IAM.0101", "The username or password is wrong.")
        project = scope.get("project") if isinstance(scope, dict) else None
        project_id = None
        if isinstance(project, dict):
            wanted = project.get("id") or project.get("name")
            if wanted not in (user["project_id"], user["project_name"]):
                return iam_error(401, "IAM.0102", "The user has no access to project %r" % wanted)
            project_id = user["project_id"]
        value, token = self.auth.issue_token(user, project_id)
        return json_response(201, {"token": self._token_body(token, "nocatalog" not in parse_qs(req.query))},
                             [("X-Subject-Token", value)])

    def _token_body(self, token, with_catalog):
        user = token.user
        domain = {"id": user.get("domain_id", _stable_id("domain", user["domain"])), "name": user["domain"]}
        body = {"methods": ["password"], "expires_at": _iam_time(token.expires_at),
                "issued_at": _iam_time(token.issued_at),
                "user": {"id": user.get("user_id", _stable_id("user", user["name"])), "name": user["name"],
                         "domain": domain, "password_expires_at": ""},
                "roles": [{"id": _stable_id("role", role), "name": role}
                          for role in user.get("roles", DEFAULT_ROLES)]}
        if token.project_id is not None:
            body["project"] = {"id": token.project_id, "name": user["project_name"], "domain": domain}
        else:
            body["domain"] = domain
        if with_catalog:
            body["catalog"] = self._catalog(token.project_id)
        return body

    def _catalog(self, project_id):
        base, region = self.base_url, self.world.region
        project = project_id or self.world.project_id
        project_url = base + "/v1/" + project
        # EVS as Open Telekom Cloud lists it: evs/evs and volumev2/cinderv2, both .../v2/<project_id>.
        evs_url = base + "/v2/" + project
        entries = [("identity", "keystone", base + "/v3"), ("sdrs", "sdrs", project_url),
                   ("ecs", "ecs", project_url), ("ims", "ims", base), ("image", "glance", base),
                   ("evs", "evs", evs_url), ("volumev2", "cinderv2", evs_url)]
        return [{"type": kind, "name": name, "id": _stable_id("service", name),
                 "endpoints": [{"url": url, "region": region, "region_id": region, "interface": "public",
                                "id": _stable_id("endpoint", name)}]}
                for kind, name, url in entries]

    # ---- SDRS ---------------------------------------------------------------------------------

    def list_groups(self, req):
        q = _query(req)
        zone = q.get("availability_zone")

        def keep(g):
            current_zone = g.get("target_availability_zone" if g.get("priority_station") == "target"
                                 else "source_availability_zone")
            return _common_filters(q, g) and (zone is None or current_zone == zone)
        return self._list(req, "server_groups", q, keep)

    def list_instances(self, req):
        q = _query(req)
        groups = _id_filter(q, "server_group_ids", "server_group_id")
        ids = None if groups is not None else _id_filter(q, "protected_instance_ids", None)
        return self._list(req, "protected_instances", q, lambda pi: _common_filters(q, pi)
                          and _has(groups, pi.get("server_group_id"))
                          and _has(ids, pi.get("id")))

    def list_replications(self, req):
        q = _query(req)
        groups = _id_filter(q, "server_group_ids", "server_group_id")
        instances = _id_filter(q, "protected_instance_ids", "protected_instance_id")

        def attached_to(pair):
            return {_norm_id(a.get("protected_instance")) for a in pair.get("attachment") or [] if isinstance(a, dict)}
        return self._list(req, "replications", q, lambda r: _common_filters(q, r)
                          and _has(groups, r.get("server_group_id"))
                          and (instances is None or attached_to(r) & instances))

    def list_drills(self, req):
        q = _query(req)
        groups = _id_filter(q, "server_group_ids", "server_group_id")
        vpc = q.get("drill_vpc_id")
        return self._list(req, "disaster_recovery_drills", q, lambda d: _common_filters(q, d)
                          and _has(groups, d.get("server_group_id"))
                          and (vpc is None or d.get("drill_vpc_id") == vpc))

    def _list(self, req, collection, q, keep):
        limit = _int_param(q, "limit", 1000, "SDRS.0221", "limit value must be greater than 0 or less than 1000",
                           lambda n: 1 <= n <= 1000)
        offset = _int_param(q, "offset", 0, "SDRS.0222", "offset value cannot be negative, and must be an integer",
                            lambda n: n >= 0)
        if req.page_offset is not None:  # a repeat_page fault: same filters and limit, another page
            offset = req.page_offset
        items, count = self.world.page(collection, keep, limit, offset, req.stale)
        return json_response(200, {_SDRS_OBJECTS[collection][0]: items, "count": count})

    def _show(self, req, collection, object_id):
        _, key, code, message = _SDRS_OBJECTS[collection]
        obj = self.world.get(collection, object_id, req.stale)
        if obj is None:
            raise SdrsError(400, code, "%s: %s" % (message, object_id))
        return json_response(200, {key: obj})

    def show_group(self, req, oid):
        return self._show(req, "server_groups", oid)

    def show_instance(self, req, oid):
        return self._show(req, "protected_instances", oid)

    def show_replication(self, req, oid):
        return self._show(req, "replications", oid)

    def show_drill(self, req, oid):
        return self._show(req, "disaster_recovery_drills", oid)

    def group_action(self, req, oid):
        try:
            body = json.loads(req.body.decode("utf-8"))
        except ValueError:
            raise SdrsError(400, "SDRS.0201", "Invalid request parameters: the body is not JSON") from None
        return json_response(200, {"job_id": self.world.start_action(oid, body)})

    def show_job(self, req, oid):
        job = self.world.job(oid, req.stale)
        if job is None:
            raise SdrsError(404, "SDRS.0408", "Null job: job %s not found" % oid)
        return json_response(200, job)

    # ---- ECS and IMS --------------------------------------------------------------------------

    def show_server(self, req, oid):
        status, obj = self.world.server(oid, req.stale)
        if status == 200:
            return json_response(200, {"server": obj})
        if obj is not None:
            return json_response(status, obj)  # an error a snapshot recorded
        if status == 404:
            return json_response(404, {"error": {"message": "The ECS does not exist.", "code": "Ecs.0114"}})
        return default_error("ecs", status, req.request_id)

    def list_servers(self, req):
        """GET cloudservers/detail: the servers, `limit` (default 25, at most 1000) from `offset`
        (ECS paging), with the total as `count`. With `server_id=<id>,<id>,...` (Huawei Cloud's
        filter, unless the scenario turns it off as OTC has none): exactly those servers in the
        order asked, every other parameter ignored; an id without a server (deleted, or recorded
        with an error) comes back as an entry whose fields but `id` and `fault` are null."""
        q = _query(req)
        if self.server_id_filter and "server_id" in q:
            found = []
            for sid in q["server_id"].split(","):
                status, obj = self.world.server(sid, req.stale)
                found.append(obj if status == 200 else dict(_NULL_SERVER, id=sid))
            return json_response(200, {"count": len(found), "servers": found})
        servers = self.world.select("servers", lambda s: True, req.stale)
        limit = _int_param(q, "limit", 25, "Ecs.0005", "Invalid limit", lambda v: 1 <= v <= 1000)
        offset = _int_param(q, "offset", 1, "Ecs.0005", "Invalid offset", lambda v: v >= 1)
        start = (offset - 1) * limit
        return json_response(200, {"count": len(servers), "servers": servers[start:start + limit]})

    def list_flavors(self, req):
        """GET cloudservers/flavors: all the region's flavors; with `availability_zone=AZ` only those
        whose effective sale status there is normal, obt or promotion (derive.sale_status)."""
        zone = _query(req).get("availability_zone")
        flavors = self.world.select("flavors", lambda f: not zone or derive.sale_status(f, zone)
                                    in derive.LISTED_STATUSES, req.stale)
        return json_response(200, {"flavors": flavors})

    def flavor_capacity(self, req, oid):
        """GET cloudservers/flavors/{id}/resources: {"resources": [{"region_id", "availability_zone",
        "prefer"}]}, prefer true when the flavor's resources in the zone are sufficient (ecs_02_2604);
        a flavor the scenario does not list has no entries."""
        zones = self.capacity.get(oid, {})
        return json_response(200, {"resources": [
            {"region_id": self.world.region, "availability_zone": az, "prefer": prefer}
            for az, prefer in zones.items()]})

    def list_images(self, req):
        q = _query(req)
        image_id = q.get("id")
        images = self.world.select("images", lambda img: image_id is None or img.get("id") == image_id, req.stale)
        return json_response(200, {"images": images})

    # ---- EVS ----------------------------------------------------------------------------------

    def list_volumes(self, req):
        """GET cloudvolumes/detail: the project's volumes, or with `ids=['a','b',...]` (at most 60)
        those of the ids that exist, in the order asked; `limit` of them after the `marker` volume,
        `count` all that match, and `volumes_links` [{href, rel: next}] when more remain."""
        q = _query(req)
        limit = _evs_limit(q)
        ids = _evs_ids(q["ids"]) if "ids" in q else None
        entries = self.world.entries("volumes", req.stale, ids=ids)
        start = _evs_marker(q, entries)
        page = entries[start:start + limit]
        body = {"volumes": [volume for _, volume in page], "count": len(entries)}
        if start + limit < len(entries):
            body["volumes_links"] = [{"href": self._next_link(req, page[-1][0]), "rel": "next"}]
        return json_response(200, body)

    def _next_link(self, req, marker):
        """The request's URL with marker= the last volume of this page (the other parameters kept)."""
        params = [(k, v) for k, v in parse_qsl(req.query, keep_blank_values=True) if k != "marker"]
        query = urlencode(params + [("marker", marker)], quote_via=quote)
        return "%s%s?%s" % (self.base_url or "", req.path, query)

    def show_volume(self, req, oid):
        """GET os-vendor-volumes/{id} (and cloudvolumes/{id} where the cloud has it)."""
        status, obj = self.world.volume(oid, req.stale)
        if status == 200:
            return json_response(200, {"volume": obj})
        if obj is not None:
            return json_response(status, obj)  # an error a snapshot recorded
        if status == 404:
            return evs_error(404, "itemNotFound", "Volume %s could not be found." % oid)
        return default_error("evs", status, req.request_id)

    show_cloudvolume = show_volume


# ---- helpers ------------------------------------------------------------------------------------

# What Huawei Cloud's ECS returns for an id of the server_id filter that has no server: the fields
# of a server, null but id and fault (sdrs-api.md 9.3).
_NULL_SERVER = {name: None for name in (
    "name", "status", "addresses", "flavor", "image", "metadata", "key_name", "created", "updated",
    "tenant_id", "user_id", "hostId", "OS-EXT-AZ:availability_zone", "OS-EXT-STS:vm_state",
    "OS-EXT-STS:task_state", "OS-EXT-STS:power_state", "OS-SRV-USG:launched_at",
    "os-extended-volumes:volumes_attached", "security_groups", "tags", "description", "locked")}
_NULL_SERVER["fault"] = None

def _query(req):
    """First value of each query parameter."""
    return {name: values[0] for name, values in parse_qs(req.query, keep_blank_values=True).items()}


def _evs_limit(q):
    """EVS `limit`: 1..1000, default 1000; otherwise 400 badRequest."""
    raw = q.get("limit")
    if raw is None:
        return 1000
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= 1000:
        raise Answer(evs_error(400, "badRequest", "Invalid input received: limit must be an integer from 1 to "
                                                  "1000 (got %r)" % raw))
    return limit


def _evs_ids(raw):
    """The ids of an EVS ids filter, ['id1','id2',...] (single or double quotes), without repeats;
    400 badRequest if it is not such a list or names more than MAX_VOLUME_IDS ids."""
    text = raw.strip()
    if not (text.startswith("[") and text.endswith("]")):
        raise Answer(evs_error(400, "badRequest", "Invalid input received: ids must be a list like "
                                                  "['id1','id2'] (got %r)" % raw))
    ids = [item.strip().strip("'\"").strip() for item in text[1:-1].split(",")]
    ids = [i for i in ids if i]
    if len(ids) > MAX_VOLUME_IDS:
        raise Answer(evs_error(400, "badRequest", "Invalid input received: ids has %d ids, at most %d are allowed"
                                                  % (len(ids), MAX_VOLUME_IDS)))
    return list(dict.fromkeys(ids))


def _evs_marker(q, entries):
    """Where the page after the `marker` volume starts in entries [(id, volume)]; 0 without a marker,
    400 badRequest if no listed volume has that id."""
    marker = q.get("marker")
    if not marker:
        return 0
    for index, (volume_id, _) in enumerate(entries):
        if volume_id == marker:
            return index + 1
    raise Answer(evs_error(400, "badRequest", "Invalid input received: marker [%s] not found" % marker))


def _int_param(q, name, default, code, message, valid):
    raw = q.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SdrsError(400, code, "%s (got %r)" % (message, raw)) from None
    if not valid(value):
        raise SdrsError(400, code, "%s (got %r)" % (message, raw))
    return value


def _norm_id(value):
    """An id compared the way the service treats it: without dashes and case, so the UUID form and
    the 32-hex form of an id are the same id (both forms occur in real answers)."""
    return value.replace("-", "").lower() if isinstance(value, str) else value


def _has(ids, value):
    """Whether the (normalised) id set of a filter holds value; None is no filter."""
    return ids is None or _norm_id(value) in ids


def _id_filter(q, list_name, single_name):
    """The normalised ids an *_ids (URL-encoded JSON array, at most 30) or *_id filter allows; None = no filter."""
    if list_name in q:
        try:
            ids = json.loads(q[list_name])
        except ValueError:
            ids = None
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            raise SdrsError(400, "SDRS.0201", "Invalid request parameters: %s must be a JSON array of ids" % list_name)
        if len(ids) > 30:
            raise SdrsError(400, "SDRS.0226", "IDs exceed the upper limit: %s has %d ids (max 30)"
                            % (list_name, len(ids)))
        return {_norm_id(i) for i in ids}
    if single_name is not None and single_name in q:
        return {_norm_id(q[single_name])}
    return None


def _common_filters(q, obj):
    """status (exact) and name (case-insensitive substring)."""
    name = q.get("name")
    return ((q.get("status") is None or obj.get("status") == q["status"])
            and (name is None or name.lower() in str(obj.get("name") or "").lower()))


def _stable_id(kind, name):
    return uuid.uuid5(uuid.NAMESPACE_URL, "sdrs-sim/%s/%s" % (kind, name)).hex


def _iam_time(epoch):
    """IAM writes 2026-11-26T12:00:00.000000Z."""
    return api_time(epoch)[:-1] + "000Z"
