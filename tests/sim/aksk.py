"""SDK-HMAC-SHA256, the AK/SK request signature of the Huawei Cloud / Open Telekom Cloud API gateway.

An implementation written for the simulator from the algorithm in sdrs-api.md section 8.2, independent
of the C client's sign.c, so that each checks the other. Pure functions: no I/O and no clock (the
current time is a parameter), so known-answer vectors test it.

    CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n
                       SignedHeaders \n hex(sha256(body))
    StringToSign     = "SDK-HMAC-SHA256" \n X-Sdk-Date \n hex(sha256(CanonicalRequest))
    Signature        = hex(HMAC-SHA256(key = SK, StringToSign))
    Authorization    = "SDK-HMAC-SHA256 Access=AK, SignedHeaders=a;b, Signature=hex"
"""

import datetime
import hashlib
import hmac
from urllib.parse import parse_qsl, unquote

ALGORITHM = "SDK-HMAC-SHA256"
DATE_FORMAT = "%Y%m%dT%H%M%SZ"
MAX_SKEW_SECONDS = 15 * 60
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
REQUIRED_SIGNED_HEADERS = ("host", "x-sdk-date")

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


class SignatureError(Exception):
    """The request's AK/SK signature is missing, malformed, stale or wrong; str() says which.

    detail, when set, is the canonical request the verifier computed: for a developer's eyes (the
    simulator's request log), never for an error body."""

    def __init__(self, message, detail=None):
        super().__init__(message)
        self.detail = detail


def sha256_hex(data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.sha256(data).hexdigest()


def escape(text):
    """Percent-encode the UTF-8 bytes of text, keeping A-Z a-z 0-9 - _ . ~ (upper-case hex, space = %20)."""
    return "".join(chr(b) if b in _UNRESERVED else "%%%02X" % b for b in str(text).encode("utf-8"))


def canonical_uri(raw_path):
    """The path as signed: each '/'-separated segment decoded then re-encoded, always ending in '/'."""
    uri = "/".join(escape(unquote(segment)) for segment in raw_path.split("/"))
    return uri if uri.endswith("/") else uri + "/"


def query_pairs(raw_query):
    """Decoded (name, value) pairs of a raw query string, in order; '+' decodes to a space."""
    return parse_qsl(raw_query, keep_blank_values=True)


def canonical_query(pairs):
    """name=value pairs (decoded) encoded and sorted by name, then value, joined with '&'."""
    return "&".join("%s=%s" % (escape(name), escape(value)) for name, value in sorted(pairs))


def canonical_request(method, raw_path, pairs, headers, signed_headers, body_hash):
    """The canonical request text; headers maps lower-case names to values, signed_headers is the
    list of lower-case names in the order they are signed."""
    header_block = "".join("%s:%s\n" % (name, headers[name].strip()) for name in signed_headers)
    return "\n".join([method.upper(), canonical_uri(raw_path), canonical_query(pairs), header_block,
                      ";".join(signed_headers), body_hash])


def string_to_sign(canonical, sdk_date):
    return "%s\n%s\n%s" % (ALGORITHM, sdk_date, sha256_hex(canonical))


def signature(secret_key, text):
    return hmac.new(secret_key.encode("utf-8"), text.encode("utf-8"), hashlib.sha256).hexdigest()


def authorization(access_key, signed_headers, sig):
    return "%s Access=%s, SignedHeaders=%s, Signature=%s" % (ALGORITHM, access_key, ";".join(signed_headers), sig)


def sign(access_key, secret_key, method, raw_path, pairs, headers, body=b"", signed_headers=None):
    """Client side, for tests and tools: the Authorization value for a request.

    headers maps header names (any case) to the values that will be sent; they must include
    X-Sdk-Date (and Host if it is signed). signed_headers defaults to all of them."""
    lower = {name.lower(): value for name, value in headers.items()}
    signed = sorted(signed_headers if signed_headers is not None else lower)
    canonical = canonical_request(method, raw_path, pairs, lower, signed, sha256_hex(body))
    return authorization(access_key, signed, signature(secret_key, string_to_sign(canonical, lower["x-sdk-date"])))


def parse_authorization(value):
    """(access_key, [signed header names], signature) from an Authorization header value."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != ALGORITHM:
        raise SignatureError("Authorization is not %s" % ALGORITHM)
    fields = {}
    for part in rest.split(","):
        name, eq, field = part.strip().partition("=")
        if not eq:
            raise SignatureError("malformed Authorization part %r" % part.strip())
        fields[name] = field
    missing = [name for name in ("Access", "SignedHeaders", "Signature") if not fields.get(name)]
    if missing:
        raise SignatureError("Authorization lacks %s" % ", ".join(missing))
    return fields["Access"], fields["SignedHeaders"].split(";"), fields["Signature"]


def verify(method, raw_path, raw_query, headers, body, secret_for, now):
    """Check a received request's signature; return the access key, or raise SignatureError.

    headers maps lower-case names to received values; body is the received bytes; secret_for(ak)
    returns the SK or None; now is an aware UTC datetime."""
    value = headers.get("authorization")
    if value is None:
        raise SignatureError("no Authorization header")
    access_key, signed, sig = parse_authorization(value)
    secret = secret_for(access_key)
    if secret is None:
        raise SignatureError("Get secretKey failed, ak:%s, err:ak not exist" % access_key)
    if signed != sorted(set(signed)) or any(name != name.lower() for name in signed):
        raise SignatureError("SignedHeaders must be lower-case, sorted and unique: %s" % ";".join(signed))
    for name in REQUIRED_SIGNED_HEADERS:
        if name not in signed:
            raise SignatureError("SignedHeaders must include %s (got %s)" % (name, ";".join(signed)))
    for name in signed:
        if name not in headers:
            raise SignatureError("signed header %s is not in the request" % name)
    sdk_date = headers["x-sdk-date"]
    try:
        signed_at = datetime.datetime.strptime(sdk_date, DATE_FORMAT).replace(tzinfo=datetime.timezone.utc)
    except ValueError:
        raise SignatureError("x-sdk-date %r is not YYYYMMDDTHHMMSSZ" % sdk_date) from None
    skew = (now - signed_at).total_seconds()
    if skew > MAX_SKEW_SECONDS:
        raise SignatureError("x-sdk-date expired (%s is %d s before the server clock)" % (sdk_date, skew))
    if -skew > MAX_SKEW_SECONDS:
        raise SignatureError("x-sdk-date is in the future (%s is %d s after the server clock)" % (sdk_date, -skew))
    body_hash = UNSIGNED_PAYLOAD if headers.get("x-sdk-content-sha256") == UNSIGNED_PAYLOAD else sha256_hex(body)
    canonical = canonical_request(method, raw_path, query_pairs(raw_query), headers, signed, body_hash)
    expected = signature(secret, string_to_sign(canonical, sdk_date))
    if not hmac.compare_digest(expected, sig):
        raise SignatureError("verify aksk signature fail", detail=canonical)
    return access_key
