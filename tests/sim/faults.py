"""Fault injection rules: which requests a fault hits, and the validated parameters of each kind.

How a fault is delivered on the wire lives in simserver.py; this module only decides *whether* and
*which* fault applies. Every fault counts the requests its `match` selects (all of them, whether or
not an earlier fault in the list took the request); it applies to match number n when
after < n <= after + times (no `times`: forever). The first applicable fault in list order wins,
so at most one fault hits a request. A fault with `when: "after-action"` (and every `stale` fault)
neither counts nor applies until the world has accepted a group action since the last reset.
"""

import json
import re
import threading

# kind -> {parameter: (type(s), default)}; default None with required=True below means mandatory.
_NUMBER = (int, float)
# A body is literal text, or a JSON object or array sent as its JSON text.
_BODY = (str, dict, list)
KINDS = {
    "latency": {"ms": (_NUMBER, None)},
    "status": {"status": (int, 500), "body": (_BODY, None), "retry_after": (_NUMBER, None),
               "content_type": (str, "application/json")},
    "reset": {},
    "truncate": {},
    "malformed": {},
    "empty": {},
    "huge": {"bytes": (int, None)},
    "slow": {"bytes_per_sec": (int, 1024)},
    "content_type": {"content_type": (str, "text/html; charset=utf-8")},
    "body": {"body": (_BODY, None), "status": (int, 200), "content_type": (str, "application/json")},
    "hang": {"seconds": (_NUMBER, 30)},
    "repeat_page": {"from_offset": (int, 0)},
    "stale": {},
}
_REQUIRED = {("latency", "ms"), ("huge", "bytes"), ("body", "body")}
# Kinds whose response is the real one, changed in transit: the request is always processed.
# (repeat_page changes the page a list serves while the request is handled, stale the world a read
# is answered from; see simserver.py.)
REAL_RESPONSE_KINDS = frozenset({"latency", "truncate", "slow", "content_type", "repeat_page", "stale"})
# Kinds that wait for an accepted action whatever `when` says (before one there is nothing to be stale about).
AFTER_ACTION_KINDS = frozenset({"stale"})
WHEN = ("always", "after-action")
_MINIMUM = {"ms": 0, "retry_after": 0, "seconds": 0, "bytes": 0, "bytes_per_sec": 1, "from_offset": 0}
_COMMON_KEYS = {"match", "kind", "times", "after", "process", "when", "note"}


class Fault:
    """One validated fault rule; `seen` counts the requests its match selected."""

    def __init__(self, spec):
        if not isinstance(spec, dict):
            raise ValueError("a fault must be an object, got %r" % (spec,))
        kind = spec.get("kind")
        if kind not in KINDS:
            raise ValueError("fault kind %r is not one of %s" % (kind, ", ".join(sorted(KINDS))))
        unknown = set(spec) - _COMMON_KEYS - set(KINDS[kind])
        if unknown:
            raise ValueError("fault %s: unknown field(s) %s" % (kind, ", ".join(sorted(unknown))))
        self.kind = kind
        self.spec = spec
        match = spec.get("match", {})
        if not isinstance(match, dict) or set(match) - {"method", "path", "query"}:
            raise ValueError("fault %s: match takes only method, path and query" % kind)
        self.method = _optional(match, "method", str, "match")
        self.method = self.method.upper() if self.method else None
        self.path = _regex(match, "path")
        self.query = _regex(match, "query")
        self.times = _optional(spec, "times", int, kind)
        self.after = _optional(spec, "after", int, kind) or 0
        if (self.times is not None and self.times < 0) or self.after < 0:
            raise ValueError("fault %s: times and after must not be negative" % kind)
        process = spec.get("process", kind in REAL_RESPONSE_KINDS)
        if not isinstance(process, bool):
            raise ValueError("fault %s: process must be true or false" % kind)
        self.process = process or kind in REAL_RESPONSE_KINDS
        when = spec.get("when", "always")
        if when not in WHEN:
            raise ValueError("fault %s: when must be %s (got %r)" % (kind, " or ".join(WHEN), when))
        self.after_action = when == "after-action" or kind in AFTER_ACTION_KINDS
        self.params = {}
        for name, (types, default) in KINDS[kind].items():
            value = _optional(spec, name, types, kind)
            if value is None and (kind, name) in _REQUIRED:
                raise ValueError("fault %s needs %s" % (kind, name))
            self.params[name] = default if value is None else value
        if "status" in self.params and not 100 <= self.params["status"] <= 599:
            raise ValueError("fault %s: status must be 100..599" % kind)
        for name, lowest in _MINIMUM.items():
            value = self.params.get(name)
            if value is not None and value < lowest:
                raise ValueError("fault %s: %s must be >= %s" % (kind, name, lowest))
        self.seen = 0

    def selects(self, method, path, query):
        return ((self.method is None or self.method == method)
                and (self.path is None or self.path.search(path) is not None)
                and (self.query is None or self.query.search(query) is not None))

    def describe(self):
        return dict(self.spec, seen=self.seen)


def _optional(obj, name, types, where):
    value = obj.get(name)
    if value is not None and (not isinstance(value, types) or isinstance(value, bool)):
        raise ValueError("fault %s: %s has the wrong type (%r)" % (where, name, value))
    return value


def _regex(match, name):
    pattern = _optional(match, name, str, "match")
    if pattern is None:
        return None
    try:
        return re.compile(pattern)
    except re.error as e:
        raise ValueError("fault match.%s %r is not a valid regex: %s" % (name, pattern, e)) from None


def body_bytes(body):
    """The bytes a fault's body parameter sends: a string as it is (UTF-8), an object or array as JSON."""
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def parse_faults(specs):
    """Validated Fault objects from a list of fault specs; ValueError names the first bad one."""
    if not isinstance(specs, list):
        raise ValueError("faults must be a list")
    return [Fault(spec) for spec in specs]


class FaultSet:
    """The active faults of a running simulator; thread-safe."""

    def __init__(self, faults=()):
        self._lock = threading.Lock()
        self._faults = list(faults)

    def add(self, faults):
        with self._lock:
            self._faults.extend(faults)

    def replace(self, faults):
        with self._lock:
            self._faults = list(faults)

    def pick(self, method, path, query, action_accepted=False):
        """Count this request against every fault that selects it; return the fault to apply, or None.

        action_accepted: whether the world has accepted a group action since the last reset (before
        this request is handled); until then the after-action faults ignore every request."""
        chosen = None
        with self._lock:
            for fault in self._faults:
                if (fault.after_action and not action_accepted) or not fault.selects(method, path, query):
                    continue
                fault.seen += 1
                active = fault.seen > fault.after and (fault.times is None or fault.seen <= fault.after + fault.times)
                if active and chosen is None:
                    chosen = fault
        return chosen

    def describe(self):
        with self._lock:
            return [fault.describe() for fault in self._faults]
