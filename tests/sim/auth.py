"""Who sent a request: scenario tokens, IAM-issued tokens and AK/SK signatures.

Every request is classified once, for the request log and for the API's 401 decision:
"token" or "aksk" (valid), "none" (no credentials), "invalid" (credentials present but wrong).
"""

import datetime
import secrets
import threading
import time
from dataclasses import dataclass

import aksk

PREFIX = "Incorrect IAM authentication information: "


@dataclass
class AuthResult:
    kind: str  # token | aksk | none | invalid
    project_id: str = None  # the token's project (None for AK/SK: any project of the account)
    error: str = None  # error_msg for the 401 body when kind is none/invalid
    detail: str = None  # extra debugging text for the request log (AK/SK canonical request)


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
        self.users = list(scenario.users)
        self._lock = threading.Lock()
        self._tokens = {t: Token(None, scenario.project_id, 0, None) for t in scenario.tokens}

    def authenticate(self, method, path, query, headers, body):
        """Classify a request. headers maps lower-case names to values."""
        token = headers.get("x-auth-token")
        if token is not None:
            return self._check_token(token)
        if headers.get("authorization") is not None:
            now = datetime.datetime.fromtimestamp(self._clock(), datetime.timezone.utc)
            try:
                aksk.verify(method, path, query, headers, body, self._aksk.get, now)
            except aksk.SignatureError as e:
                return AuthResult("invalid", error=PREFIX + str(e), detail=e.detail)
            return AuthResult("aksk")
        return AuthResult("none", error=PREFIX + "the request carries neither X-Auth-Token nor an "
                                                  "SDK-HMAC-SHA256 Authorization header")

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
