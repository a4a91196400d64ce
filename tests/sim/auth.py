"""Who sent a request: scenario tokens, IAM-issued tokens and AK/SK signatures.

Every request is classified once, for the request log and for the API's 401 decision:
"token" or "aksk" (valid), "none" (no credentials), "invalid" (credentials present but wrong).

AK/SK requests are checked as the API gateway does, beyond the signature itself (README: "AK/SK
verification", "X-Project-Id", "X-Security-Token"): a temporary pair's X-Security-Token, then the
X-Project-Id of a request to a project-scoped service (SDRS, ECS, EVS, IMS), as the scenario's
aksk_project_header says. Token requests are not affected.
"""

import datetime
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from urllib.parse import unquote

import aksk

PREFIX = "Incorrect IAM authentication information: "
# The gateway's documented codes: 401 APIG.0301 (IAM authentication information incorrect or
# incomplete) and 403 APIG.0302 (the IAM user is not authorized to access the API).
AUTH_FAILED = (401, "APIG.0301")
NOT_AUTHORIZED = (403, "APIG.0302")
NOT_AUTHORIZED_PREFIX = "The IAM user is not authorized to access the API: "

# Paths of the project-scoped services that name their project: SDRS and ECS /v1/{project_id}/...,
# ECS /v2.1/{project_id}/..., EVS /v2/{project_id}/cloudvolumes|os-vendor-volumes|volumes....
# IMS /v2/cloudimages names none: its project is the scenario's.
_PROJECT_IN_PATH = re.compile(r"/(?:v1|v2\.1)/(?P<pid>[^/]+)(?:/|\Z)"
                              r"|/v2/(?P<evs>[^/]+)/(?:cloudvolumes|os-vendor-volumes|volumes)(?:/|\Z)")
_PROJECT_OF_SCENARIO = re.compile(r"/v2/cloudimages(?:/|\Z)")


@dataclass
class AuthResult:
    kind: str  # token | aksk | none | invalid
    project_id: str = None  # the token's project (None for AK/SK: any project of the account)
    error: str = None  # error_msg for the error body when kind is none/invalid
    detail: str = None  # extra debugging text for the request log (AK/SK canonical request)
    status: int = 401  # of the gateway's answer when kind is none/invalid
    code: str = "APIG.0301"  # its error_code
    signed_headers: list = None  # AK/SK requests: the SignedHeaders of Authorization (None if unparsable)


@dataclass
class Token:
    user: dict
    project_id: str  # None for a domain-scoped or unscoped token
    issued_at: float
    expires_at: float  # wall clock; None = never (scenario tokens)


class Authenticator:
    def __init__(self, scenario, clock=time.time):
        offset = scenario.clock_offset_seconds
        self._clock = (lambda: clock() + offset) if offset else clock
        self._ttl = scenario.token_ttl_seconds
        self._aksk = dict(scenario.aksk)
        self._security_tokens = dict(scenario.security_tokens)
        self.project_header = scenario.aksk_project_header
        self._project_id = scenario.project_id
        self.users = list(scenario.users)
        self._lock = threading.Lock()
        self._tokens = {t: Token(None, scenario.project_id, 0, None) for t in scenario.tokens}

    def authenticate(self, method, path, query, headers, body):
        """Classify a request. headers maps lower-case names to values."""
        token = headers.get("x-auth-token")
        if token is not None:
            return self._check_token(token)
        if headers.get("authorization") is not None:
            return self._check_aksk(method, path, query, headers, body)
        return AuthResult("none", error=PREFIX + "the request carries neither X-Auth-Token nor an "
                                                  "SDK-HMAC-SHA256 Authorization header")

    def _check_aksk(self, method, path, query, headers, body):
        try:
            signed = aksk.parse_authorization(headers["authorization"])[1]
        except aksk.SignatureError:
            signed = None  # verify() says what is wrong with it
        now = datetime.datetime.fromtimestamp(self._clock(), datetime.timezone.utc)
        try:
            access_key = aksk.verify(method, path, query, headers, body, self._aksk.get, now)
        except aksk.SignatureError as e:
            return AuthResult("invalid", error=PREFIX + str(e), detail=_redact_canonical(e.detail),
                              signed_headers=signed)
        problem = (self._security_token_problem(access_key, headers, signed)
                   or self._project_header_problem(path, headers, signed))
        if problem:
            (status, code), message = problem
            return AuthResult("invalid", error=message, status=status, code=code, signed_headers=signed)
        return AuthResult("aksk", signed_headers=signed)

    def _security_token_problem(self, access_key, headers, signed):
        """A temporary pair needs its X-Security-Token, signed; a permanent pair's is not looked at."""
        expected = self._security_tokens.get(access_key)
        if expected is None:
            return None
        got = headers.get("x-security-token")
        if got is None:
            return AUTH_FAILED, PREFIX + ("ak %s is a temporary access key: the request must carry its "
                                          "X-Security-Token" % access_key)
        if "x-security-token" not in signed:
            return AUTH_FAILED, PREFIX + ("X-Security-Token must be among the SignedHeaders (got %s)"
                                          % ";".join(signed))
        if not hmac.compare_digest(got.strip().encode("utf-8"), expected.encode("utf-8")):
            return AUTH_FAILED, PREFIX + "X-Security-Token is not the security token of ak %s" % access_key
        return None

    def _project_header_problem(self, path, headers, signed):
        """X-Project-Id as aksk_project_header says, for the project-scoped services only."""
        if self.project_header == "ignored":
            return None
        project = project_of(path, self._project_id)
        if project is None:  # IAM, or a path of no service (answered 404 APIG.0101 anyway)
            return None
        got = headers.get("x-project-id")
        if got is None:
            if self.project_header == "optional":
                return None
            return AUTH_FAILED, PREFIX + ("an AK/SK request to project %s must carry X-Project-Id: %s, "
                                          "signed" % (project, project))
        if "x-project-id" not in signed:
            return AUTH_FAILED, PREFIX + ("X-Project-Id must be among the SignedHeaders (got %s)"
                                          % ";".join(signed))
        if got.strip() != project:
            return NOT_AUTHORIZED, NOT_AUTHORIZED_PREFIX + ("X-Project-Id %s is not the project of the "
                                                            "request (%s)" % (got.strip(), project))
        return None

    def _check_token(self, value):
        with self._lock:
            token = self._tokens.get(value)
        if token is None:
            return AuthResult("invalid", error=PREFIX + "decrypt token fail")
        if token.expires_at is not None and self._clock() >= token.expires_at:
            return AuthResult("invalid", error=PREFIX + "the token has expired")
        if token.project_id is None:
            return AuthResult("invalid", error=PREFIX + "the token is not scoped to a project")
        return AuthResult("token", project_id=token.project_id)

    def find_user(self, name, domain_name=None, domain_id=None):
        for user in self.users:
            if user["name"] == name and (user["domain"] == domain_name or
                                         (domain_id is not None and user.get("domain_id") == domain_id)):
                return user
        return None

    def issue_token(self, user, project_id):
        """A new random token for user, scoped to project_id (None: not project-scoped)."""
        value = "MII" + secrets.token_urlsafe(48)
        now = self._clock()
        token = Token(user, project_id, now, now + self._ttl)
        with self._lock:
            self._tokens[value] = token
        return value, token

    def issued_count(self):
        with self._lock:
            return sum(1 for t in self._tokens.values() if t.user is not None)

    def issued_tokens(self):
        """The values of the tokens IAM issued, so a test can check no output shows one."""
        with self._lock:
            return [v for v, t in self._tokens.items() if t.user is not None]


def project_of(path, scenario_project_id):
    """The project an AK/SK request to a project-scoped service must name in X-Project-Id: the
    {project_id} of /v1/..., /v2.1/... and EVS /v2/{project_id}/cloudvolumes... (decoded), the
    scenario's for IMS /v2/cloudimages; None for IAM (/v3/...) and anything else."""
    m = _PROJECT_IN_PATH.match(path)
    if m:
        return unquote(m.group("pid") or m.group("evs"))
    if _PROJECT_OF_SCENARIO.match(path):
        return scenario_project_id
    return None


def _redact_canonical(canonical):
    """The canonical request for the log, a signed X-Security-Token's value replaced by ***."""
    if canonical is None:
        return None
    return "\n".join("x-security-token:***" if line.startswith("x-security-token:") else line
                     for line in canonical.split("\n"))
