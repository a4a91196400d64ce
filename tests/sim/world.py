"""The simulated cloud: protection groups, protected instances, replication pairs, DR drills, ECS
servers and flavors, IMS images, EVS volumes and SDRS jobs, with the group state machine of sdrs-api.md sections 1.4 and 6.

When an action is accepted the world keeps a deep copy of itself as it was just before, so that a
"stale" fault can answer a read from it (a read served by a replica that has not caught up).

Objects are stored and served verbatim (whatever types the scenario gave them). Every public method
takes the world lock, first advances the jobs to the current time (jobs are computed from elapsed
time, so a job finishes on schedule whether or not anyone polls it), and returns deep copies, so
callers serialise without holding the lock. Nothing here knows about HTTP: errors are SdrsError.
"""

import copy
import datetime
import math
import threading
import time
import uuid
from dataclasses import dataclass, field

# Collections of the world, in the order /__sim/state shows them. All are id -> object.
COLLECTIONS = ("server_groups", "protected_instances", "replications", "disaster_recovery_drills",
               "servers", "images", "volumes", "flavors")
# The collections /__sim/state shows as id -> object (the others as lists).
MAP_COLLECTIONS = ("servers", "images", "volumes")
# Collections whose objects a snapshot may have recorded as an error answer (see World.server/volume).
RECORDED_ERRORS = ("servers", "volumes")

DEFAULT_JOBS = {"steps": 2, "step_seconds": 0.2, "outcome": "SUCCESS", "fail_subjob": False,
                "error_code": None, "fail_reason": None, "apply": True, "stay_off": []}

# The fields a finished job with apply false puts back as they were before the action.
RESTORED_FIELDS = ("status", "priority_station")

GONE_SERVER_STATUSES = ("DELETED", "SOFT_DELETED")


class SdrsError(Exception):
    """An SDRS API error: HTTP status, SDRS.xxxx code and message."""

    def __init__(self, status, code, message):
        super().__init__("%s %s" % (code, message))
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Transition:
    """One group action: the job it runs and the statuses it moves through."""
    name: str
    job_type: str
    allowed: tuple
    running: str
    success: str
    failure: str
    error_code: str  # the action's own "failed to ..." code (SDRS.1027-1032)
    error_message: str


TRANSITIONS = {t.name: t for t in (
    Transition("start", "startProtectionGroupNoCG", ("available", "error-starting"),
               "starting", "protected", "error-starting", "SDRS.1027", "Failed to enable protection"),
    Transition("reprotect", "reprotectProtectionGroupNoCG", ("failed-over", "error-reprotecting"),
               "reprotecting", "protected", "error-reprotecting", "SDRS.1032", "Failed to enable protection again"),
    Transition("stop", "stopProtectionGroupNoCG", ("protected", "error-stopping"),
               "stopping", "available", "error-stopping", "SDRS.1028", "Failed to disable protection"),
    Transition("failover", "failoverProtectionGroupNoCG", ("protected", "error-failing-over", "error-reversing"),
               "failing-over", "failed-over", "error-failing-over", "SDRS.1030", "Failed to perform the failover"),
    Transition("reverse", "reverseProtectionGroupNoCG", ("protected", "error-reversing"),
               "reversing", "protected", "error-reversing", "SDRS.1029", "Failed to perform the planned failover"),
)}

# Action body key -> transition name ("start-server-group" picks start or reprotect by status).
ACTION_KEYS = {"start-server-group": "start", "stop-server-group": "stop",
               "failover-server-group": "failover", "reverse-server-group": "reverse"}


def validate_jobs(settings):
    """A complete job-settings dict from a partial one (scenario "jobs" or a mutation); ValueError if bad."""
    if not isinstance(settings, dict):
        raise ValueError("jobs must be an object")
    unknown = set(settings) - set(DEFAULT_JOBS)
    if unknown:
        raise ValueError("jobs: unknown field(s) %s" % ", ".join(sorted(unknown)))
    merged = dict(DEFAULT_JOBS, **settings)
    if not _is_int(merged["steps"]) or merged["steps"] < 0:
        raise ValueError("jobs.steps must be an integer >= 0")
    if not isinstance(merged["step_seconds"], (int, float)) or merged["step_seconds"] < 0:
        raise ValueError("jobs.step_seconds must be a number >= 0")
    if merged["outcome"] not in ("SUCCESS", "FAIL"):
        raise ValueError("jobs.outcome must be SUCCESS or FAIL")
    if not isinstance(merged["fail_subjob"], bool):
        raise ValueError("jobs.fail_subjob must be true or false")
    for name in ("error_code", "fail_reason"):
        if merged[name] is not None and not isinstance(merged[name], str):
            raise ValueError("jobs.%s must be a string" % name)
    if not isinstance(merged["apply"], bool):
        raise ValueError("jobs.apply must be true or false")
    stay_off = merged["stay_off"]
    if isinstance(stay_off, list) and all(isinstance(s, str) for s in stay_off):
        merged["stay_off"] = list(stay_off)
    elif not isinstance(stay_off, bool):
        raise ValueError("jobs.stay_off must be a list of server ids, true (all) or false (none)")
    return merged


def _is_int(value):
    return isinstance(value, int) and not isinstance(value, bool)


def ecs_time(epoch):
    """Server timestamps as ECS writes them: 2026-11-20T09:30:00Z."""
    return datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def api_time(epoch):
    """Job timestamps as SDRS writes them: 2019-06-13T09:40:53.930Z."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (moment.microsecond // 1000)


def record_time(epoch):
    """Group/instance timestamps as SDRS writes them: 2019-05-22 08:16:54.413."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + "%03d" % (moment.microsecond // 1000)


def as_int(value):
    """An integer from a number or a numeric string (the API sends both); 0 if neither."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def flip(station):
    return "source" if station == "target" else "target"


def server_key(station):
    """The protected-instance field naming the server of a site: target_server or source_server."""
    return "target_server" if station == "target" else "source_server"


def power_on(server, epoch):
    """Make an ECS server object ACTIVE, with the power fields it has (vm_state, power_state, task_state,
    updated) saying the same."""
    server["status"] = "ACTIVE"
    for name, value in (("OS-EXT-STS:vm_state", "active"), ("OS-EXT-STS:power_state", 1),
                        ("OS-EXT-STS:task_state", None), ("updated", ecs_time(epoch))):
        if name in server:
            server[name] = value


@dataclass
class Job:
    job_id: str
    job_type: str
    group_id: str
    transition: Transition
    settings: dict
    started: float  # monotonic clock
    begun_at: float  # wall clock
    success_station: str  # priority_station after SUCCESS
    sub_jobs: list = field(default_factory=list)  # [(sub job id, replication pair id)]
    # [(object, {field: value})]: RESTORED_FIELDS of the group, its instances and pairs before the
    # action, put back when a job with apply false finishes
    before: list = field(default_factory=list)
    finished: bool = False

    def duration(self):
        return self.settings["steps"] * self.settings["step_seconds"]

    def status(self, now):
        elapsed = now - self.started
        if elapsed >= self.duration():
            return self.settings["outcome"]
        return "RUNNING" if elapsed >= self.settings["step_seconds"] else "INIT"


class World:
    """The mutable state of one simulator. initial maps each of COLLECTIONS to {id: object};
    server_errors and volume_errors map an id to (HTTP status, error body or None) for the servers
    and volumes a snapshot recorded as answering neither 200 nor 404."""

    def __init__(self, project_id, region, initial, server_errors, jobs, page_limit=None, latency_ms=0,
                 clock=time.monotonic, wallclock=time.time, volume_errors=None):
        self.project_id = project_id
        self.region = region
        errors = {"servers": server_errors, "volumes": volume_errors or {}}
        self._initial = copy.deepcopy({"data": dict({name: {} for name in COLLECTIONS}, **initial),
                                       "errors": errors, "jobs": jobs,
                                       "page_limit": page_limit, "latency_ms": latency_ms})
        self._clock = clock
        self._wallclock = wallclock
        self._clock_offset = 0.0  # seconds added to clock by advance()
        self._lock = threading.RLock()
        self.reset()

    def reset(self):
        """Back to the scenario's initial state (jobs forgotten)."""
        with self._lock:
            initial = copy.deepcopy(self._initial)
            self._data = initial["data"]
            self._errors = initial["errors"]
            self.job_settings = validate_jobs(initial["jobs"])
            self.page_limit = initial["page_limit"]
            self.latency_ms = initial["latency_ms"]
            self._jobs = {}
            self._clock_offset = 0.0
            self._actions_accepted = 0
            self._before_action = None  # see _freeze()

    # ---- reads -------------------------------------------------------------------------------

    # Every read takes stale: true answers from the copy of the world taken just before the last
    # accepted action (the live world if no action was accepted since the last reset).

    def get(self, collection, object_id, stale=False):
        """A copy of one object, or None."""
        with self._lock:
            self._advance()
            return copy.deepcopy(self._view(stale)["data"][collection].get(object_id))

    def select(self, collection, keep, stale=False):
        """Copies of all the objects of a collection that pass keep(obj), in scenario order."""
        with self._lock:
            self._advance()
            return copy.deepcopy([obj for obj in self._view(stale)["data"][collection].values() if keep(obj)])

    def page(self, collection, keep, limit, offset, stale=False):
        """(copies of the objects passing keep(obj) in [offset, offset + limit), total that pass).

        The scenario's page_limit caps limit, so clients see short pages."""
        with self._lock:
            self._advance()
            selected = [obj for obj in self._view(stale)["data"][collection].values() if keep(obj)]
            if self.page_limit:
                limit = min(limit, self.page_limit)
            return copy.deepcopy(selected[offset:offset + limit]), len(selected)

    def server(self, server_id, stale=False):
        """(HTTP status, server object or recorded error body) for an ECS GET; (404, None) if absent."""
        return self._recorded("servers", server_id, stale)

    def volume(self, volume_id, stale=False):
        """(HTTP status, volume object or recorded error body) for an EVS GET; (404, None) if absent."""
        return self._recorded("volumes", volume_id, stale)

    def entries(self, collection, stale=False, ids=None):
        """[(id, copy of the object)] of a collection, in scenario order (the ids a map collection
        is keyed by, which the objects' own id fields need not repeat); with ids, only those that
        exist, in the order of ids (only they are copied: a batch read costs its own size)."""
        with self._lock:
            self._advance()
            data = self._view(stale)["data"][collection]
            items = list(data.items()) if ids is None else [(i, data[i]) for i in ids if i in data]
            return copy.deepcopy(items)

    def _recorded(self, collection, object_id, stale):
        with self._lock:
            self._advance()
            view = self._view(stale)
            if object_id in view["data"][collection]:
                return 200, copy.deepcopy(view["data"][collection][object_id])
            if object_id in view["errors"][collection]:
                return copy.deepcopy(view["errors"][collection][object_id])
            return 404, None

    def job(self, job_id, stale=False):
        """The job document (api-examples/docs/job-status.json shape), or None. Stale: the document as
        it was just before the last accepted action (None for that action's own job)."""
        with self._lock:
            self._advance()
            if stale and self._before_action is not None:
                return copy.deepcopy(self._before_action["jobs"].get(job_id))
            job = self._jobs.get(job_id)
            return None if job is None else self._job_document(job)

    def actions_accepted(self):
        """How many group actions were accepted (started a job) since the last reset."""
        with self._lock:
            return self._actions_accepted

    def state(self):
        """Everything, for GET /__sim/state."""
        with self._lock:
            self._advance()
            doc = {"project_id": self.project_id, "region": self.region, "page_limit": self.page_limit,
                   "latency_ms": self.latency_ms, "jobs_settings": copy.deepcopy(self.job_settings),
                   "actions_accepted": self._actions_accepted}
            for name in COLLECTIONS:
                objects = self._data[name]
                doc[name] = copy.deepcopy(objects if name in MAP_COLLECTIONS else list(objects.values()))
            for name in RECORDED_ERRORS:
                doc[name[:-1] + "_errors"] = {oid: {"http_status": status, "body": body}
                                              for oid, (status, body) in self._errors[name].items()}
            doc["jobs"] = [self._job_document(job) for job in self._jobs.values()]
            return doc

    # ---- writes ------------------------------------------------------------------------------

    def mutate(self, changes):
        """Apply a /__sim/mutate document; ValueError (nothing applied) if it is malformed.

        Each collection maps id -> object (shallow-merged into the existing object, or created) or
        null (deleted). page_limit, latency_ms and jobs (merged) change the simulator's behaviour."""
        if not isinstance(changes, dict):
            raise ValueError("mutate body must be an object")
        unknown = set(changes) - set(COLLECTIONS) - {"page_limit", "latency_ms", "jobs"}
        if unknown:
            raise ValueError("mutate: unknown key(s) %s" % ", ".join(sorted(unknown)))
        for name in COLLECTIONS:
            updates = changes.get(name, {})
            if not isinstance(updates, dict) or any(v is not None and not isinstance(v, dict)
                                                    for v in updates.values()):
                raise ValueError("mutate.%s must map ids to objects or null" % name)
        page_limit = changes.get("page_limit")
        if page_limit is not None and (not _is_int(page_limit) or page_limit < 1):
            raise ValueError("mutate.page_limit must be an integer >= 1 or null")
        latency = changes.get("latency_ms", 0)
        if not isinstance(latency, (int, float)) or isinstance(latency, bool) or latency < 0:
            raise ValueError("mutate.latency_ms must be a number >= 0")
        if not isinstance(changes.get("jobs", {}), dict):
            raise ValueError("mutate.jobs must be an object")
        with self._lock:
            jobs = validate_jobs(dict(self.job_settings, **changes.get("jobs", {})))
            self._advance()
            for name in COLLECTIONS:
                for object_id, update in changes.get(name, {}).items():
                    store = self._data[name]
                    if name in RECORDED_ERRORS:
                        self._errors[name].pop(object_id, None)
                    if update is None:
                        store.pop(object_id, None)
                    elif object_id in store:
                        store[object_id].update(copy.deepcopy(update))
                    else:
                        store[object_id] = dict({"id": object_id}, **copy.deepcopy(update))
            self.job_settings = jobs
            if "page_limit" in changes:
                self.page_limit = changes["page_limit"]
            if "latency_ms" in changes:
                self.latency_ms = changes["latency_ms"]

    def advance(self, seconds):
        """Move the jobs' clock on by seconds (POST /__sim/advance): jobs progress, and finish, as if that
        much more time had passed. Only jobs: timestamps use the wall clock, which stays. ValueError if
        seconds is not a finite number >= 0."""
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < math.inf:
            raise ValueError("advance: seconds must be a finite number >= 0")
        with self._lock:
            self._clock_offset += seconds
            self._advance()

    def start_action(self, group_id, body):
        """POST .../server-groups/{id}/action: check the request and the preconditions, keep a copy of
        the world as it is (for stale reads), move the group, its instances and pairs to the transient
        status, start a job; return the job id."""
        with self._lock:
            self._advance()
            group = self._data["server_groups"].get(group_id)
            if group is None:
                raise SdrsError(400, "SDRS.1013", "Protection group not found: %s" % group_id)
            key, params = _parse_action(body)
            transition = self._choose_transition(group, key)
            station = group.get("priority_station")
            if key == "reverse-server-group":
                success_station = params["priority_station"]
                if success_station == station:
                    raise SdrsError(400, transition.error_code, "%s: priority_station is already %r"
                                    % (transition.error_message, station))
            elif key == "failover-server-group":
                success_station = flip(station)
            else:
                success_station = station
            instances = self._members("protected_instances", group_id)
            pairs = self._members("replications", group_id)
            self._check_preconditions(group, transition, instances, pairs)

            self._before_action = self._freeze()
            self._actions_accepted += 1
            now, wall = self._now(), self._wallclock()
            job = Job(uuid.uuid4().hex, transition.job_type, group_id, transition,
                      self._job_settings_for(transition), now, wall, success_station,
                      [(uuid.uuid4().hex, pair["id"]) for pair in pairs],
                      _remember([group] + instances + pairs))
            self._jobs[job.job_id] = job
            self._set_status(group, instances, pairs, transition.running, None, wall)
            return job.job_id

    # ---- internals ---------------------------------------------------------------------------

    def _members(self, collection, group_id):
        want = group_id.replace("-", "").lower()
        return [obj for obj in self._data[collection].values()
                if isinstance(obj.get("server_group_id"), str)
                and obj["server_group_id"].replace("-", "").lower() == want]

    def _choose_transition(self, group, key):
        status = group.get("status")
        if key == "start-server-group":
            names = ("start", "reprotect")
        else:
            names = (ACTION_KEYS[key],)
        for name in names:
            if status in TRANSITIONS[name].allowed:
                return TRANSITIONS[name]
        allowed = [s for name in names for s in TRANSITIONS[name].allowed]
        raise SdrsError(400, "SDRS.1002", "Operation not allowed for the protection group in the current state: "
                        "status is %r; %s needs %s" % (status, key, ", ".join(allowed)))

    def _check_preconditions(self, group, transition, instances, pairs):
        if as_int(group.get("replication_num")) <= 0 or not pairs:
            raise SdrsError(400, transition.error_code, "%s: the protection group has no replication pairs"
                            % transition.error_message)
        production_key = "target_server" if group.get("priority_station") == "target" else "source_server"
        dr_key = "source_server" if production_key == "target_server" else "target_server"
        # Servers that must be SHUTOFF: the production site's for a planned failover, the DR site's for
        # a re-protection (sdrs-api.md 6.1).
        must_be_stopped = {
            "reverse": (production_key, "SDRS.1319", "Server at the current production site not stopped"),
            "reprotect": (dr_key, "SDRS.1342", "Current DR site server is not stopped"),
        }
        for instance in instances:
            if instance.get("status") == "invalid":
                raise SdrsError(400, "SDRS.1314", "Abnormal protected instance: %s is invalid" % instance.get("id"))
            for key in ("source_server", "target_server"):
                server_id = instance.get(key)
                server = self._data["servers"].get(server_id)
                if server_id in self._errors["servers"]:
                    continue  # exists, but ECS answers with an error (recorded by a snapshot)
                if server is None or server.get("status") in GONE_SERVER_STATUSES:
                    raise SdrsError(400, "SDRS.1326", "Server not found: %s (%s of protected instance %s)"
                                    % (instance.get(key), key, instance.get("id")))
            if transition.name in must_be_stopped:
                key, code, message = must_be_stopped[transition.name]
                status = self._data["servers"].get(instance.get(key), {}).get("status")
                if status != "SHUTOFF":
                    raise SdrsError(400, code, "%s: %s is %s" % (message, instance.get(key), status))

    def _view(self, stale):
        """What reads see: {"data", "errors"} of the live world, or with stale the copy taken just
        before the last accepted action (the live world if there is none)."""
        if stale and self._before_action is not None:
            return self._before_action
        return {"data": self._data, "errors": self._errors}

    def _freeze(self):
        """A deep copy of everything a read answers from: the collections, the recorded errors of
        servers and volumes and the job documents as they are now."""
        return {"data": copy.deepcopy(self._data), "errors": copy.deepcopy(self._errors),
                "jobs": {job_id: self._job_document(job) for job_id, job in self._jobs.items()}}

    def _job_settings_for(self, transition):
        settings = copy.deepcopy(self.job_settings)
        settings["error_code"] = settings["error_code"] or transition.error_code
        settings["fail_reason"] = settings["fail_reason"] or transition.error_message
        return settings

    def _set_status(self, group, instances, pairs, status, station, wall):
        for obj in [group] + instances + pairs:
            obj["status"] = status
            if station is not None:
                obj["priority_station"] = station
        group["updated_at"] = record_time(wall)

    def _now(self):
        """The jobs' clock: the monotonic clock, moved on by advance()."""
        return self._clock() + self._clock_offset

    def _advance(self):
        """Finish every job whose time is up."""
        now = self._now()
        for job in self._jobs.values():
            if job.finished or job.status(now) not in ("SUCCESS", "FAIL"):
                continue
            job.finished = True
            self._finish(job)

    def _finish(self, job):
        """Move the group, instances and pairs of a finished job to the final status; a failover that
        succeeded also starts the servers of the new production site. A job with apply false puts
        them back as they were before the action instead, and starts nothing."""
        group = self._data["server_groups"].get(job.group_id)
        if group is None:
            return
        ended = job.begun_at + job.duration()
        if not job.settings["apply"]:
            self._restore(job.before)
            group["updated_at"] = record_time(ended)
            return
        instances = self._members("protected_instances", job.group_id)
        pairs = self._members("replications", job.group_id)
        if job.settings["outcome"] == "SUCCESS":
            self._set_status(group, instances, pairs, job.transition.success, job.success_station, ended)
            if job.transition.name == "failover":
                self._start_servers(instances, job.success_station, job.settings["stay_off"], ended)
        else:
            self._set_status(group, instances, pairs, job.transition.failure, None, ended)

    def _restore(self, before):
        """Put RESTORED_FIELDS back as _remember() recorded them (absent fields become absent again).
        The objects are the world's own (mutate merges in place; reset forgets the jobs too)."""
        for obj, fields in before:
            for name in RESTORED_FIELDS:
                if name in fields:
                    obj[name] = fields[name]
                else:
                    obj.pop(name, None)

    def _start_servers(self, instances, station, stay_off, epoch):
        """After a failover: each instance's server at station (the new production site) becomes
        ACTIVE, except those stay_off names (true: all). Absent and deleted servers stay as they are."""
        if stay_off is True:
            return
        key = server_key(station)
        for instance in instances:
            server_id = instance.get(key)
            if not isinstance(server_id, str) or server_id in (stay_off or ()):
                continue
            server = self._data["servers"].get(server_id)
            if server is not None and server.get("status") not in GONE_SERVER_STATUSES:
                power_on(server, epoch)

    def _job_document(self, job):
        status = job.status(self._now())
        done = status in ("SUCCESS", "FAIL")
        end_time = api_time(job.begun_at + job.duration()) if done else None
        settings = job.settings

        def document(job_id, job_type, job_status, entities, failed):
            return {"job_id": job_id, "job_type": job_type, "begin_time": api_time(job.begun_at),
                    "end_time": end_time, "status": job_status,
                    "error_code": settings["error_code"] if failed else None,
                    "fail_reason": settings["fail_reason"] if failed else None, "entities": entities}

        sub_jobs = []
        for index, (sub_id, pair_id) in enumerate(job.sub_jobs):
            failed = status == "FAIL" and settings["fail_subjob"] and index == 0
            sub_status = "FAIL" if failed else ("SUCCESS" if done else status)
            sub_jobs.append(document(sub_id, job.job_type.replace("NoCG", "RepNoCG"), sub_status,
                                     {"server_group_id": job.group_id, "replication_pair_id": pair_id}, failed))
        return document(job.job_id, job.job_type, status,
                        {"server_group_id": job.group_id, "sub_jobs": sub_jobs}, status == "FAIL")


def _remember(objects):
    """[(object, {field: value})]: the RESTORED_FIELDS each object has now."""
    return [(obj, {name: copy.deepcopy(obj[name]) for name in RESTORED_FIELDS if name in obj}) for obj in objects]


def _parse_action(body):
    """(action key, its parameters) from an action request body; SdrsError if it is not exactly one action."""
    if not isinstance(body, dict) or len(body) != 1:
        raise SdrsError(400, "SDRS.0201", "Invalid request parameters: the body must be an object with exactly "
                        "one action key")
    (key, params), = body.items()
    if key not in ACTION_KEYS:
        raise SdrsError(400, "SDRS.0206", "Invalid action: %r" % key)
    if not isinstance(params, dict):
        raise SdrsError(400, "SDRS.0201", "Invalid request parameters: %s must be an object" % key)
    if key == "reverse-server-group":
        if set(params) != {"priority_station"} or params["priority_station"] not in ("source", "target"):
            raise SdrsError(400, "SDRS.0201", "Invalid request parameters: reverse-server-group needs exactly "
                            "priority_station source or target")
    elif params:
        raise SdrsError(400, "SDRS.0201", "Invalid request parameters: %s takes an empty object" % key)
    return key, params
