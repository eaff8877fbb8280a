"""An offline activation request (`portal license request` → the license page → premium.lic on a
USB stick): which credential a disconnected server holds, never its secret. Pure, shared by the
`portal` command (which writes it) and the server (which reads it).

A serial number is no secret, so naming it is all a request does. A BYOL password or a DRAGEN API
key is proven by `proof`: an HMAC-SHA256 of the server's challenge (shown on the license page,
typed in on the offline server) keyed by the SHA-256 of the secret, which the server keeps and
the request never carries. Without a challenge, the tenant admin confirms the request instead."""

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping

import premiumlic

TYPE = "premium.lic-request"
VERSION = 1
MAX_BYTES = 4096
_PROOF_PREFIX = b"premium.lic-request/v1."
_FIELDS = {"typ", "v", "method", "identifier", "tool", "clock", "host"}
_OPTIONAL = {"challenge", "proof"}
CHALLENGE = re.compile(r"[A-Z2-7]{16}")  # base32, as the page shows it without its dashes
_PROOF = re.compile(r"[A-Za-z0-9_-]{43}")  # an HMAC-SHA256, base64url without padding
MAX_CLOCK = 2**40  # seconds: far past any real clock, small enough to keep requests short


class InvalidRequest(ValueError):
    """Not an activation request this version reads."""


def secret_digest(secret: str) -> str:
    """What the server keeps of a generated secret (a DRAGEN API key's digest): SHA-256, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def proof(digest: str, challenge: str) -> str:
    """The HMAC proving a secret whose SHA-256 is `digest`, for the server's `challenge`."""
    mac = hmac.new(bytes.fromhex(digest), _PROOF_PREFIX + normal_challenge(challenge).encode(), "sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def proves(body: Mapping, digest: str) -> bool:
    return bool(body.get("proof")) and hmac.compare_digest(body["proof"], proof(digest, body["challenge"]))


def normal_challenge(challenge: str) -> str:
    """A challenge as typed: case, spaces and dashes do not matter."""
    return "".join(challenge.split()).replace("-", "").upper()


def build(*, method: str, identifier: str, tool: str, clock: int, host: str, challenge: str = "",
          digest: str = "") -> dict:  # fmt: skip
    """A request; with `challenge` and the secret's `digest`, its proof too."""
    body = {"typ": TYPE, "v": VERSION, "method": method, "identifier": identifier, "tool": tool,
            "clock": int(clock), "host": host}  # fmt: skip
    if challenge and digest:
        body.update(challenge=normal_challenge(challenge), proof=proof(digest, challenge))
    _check(body)
    return body


def dumps(body: Mapping) -> str:
    return json.dumps(body, indent=2, sort_keys=True) + "\n"


def loads(text: str | bytes) -> dict:
    """A request read back, checked field by field, or InvalidRequest saying what is wrong. Bytes
    are UTF-8 (a byte-order mark is dropped), nothing else."""
    if len(text) > MAX_BYTES:
        raise InvalidRequest(f"a request is at most {MAX_BYTES} bytes")
    try:
        body = json.loads(text_of(text))
    except (ValueError, RecursionError):
        raise InvalidRequest("not JSON") from None
    _check(body)
    return body


def text_of(data: str | bytes) -> str:
    """A request's text: UTF-8 (a byte-order mark dropped, as some editors write one), nothing else."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest("not UTF-8 text") from None
    return data.removeprefix("\ufeff")


def _check(body) -> None:
    if not isinstance(body, dict) or body.get("typ") != TYPE:
        raise InvalidRequest(f"typ must be {TYPE!r}")
    if type(body.get("v")) is not int or body["v"] != VERSION:
        raise InvalidRequest(f"version {body.get('v')!r} is not {VERSION}")
    missing, unknown = _FIELDS - set(body), set(body) - _FIELDS - _OPTIONAL
    if missing or unknown:
        raise InvalidRequest(f"missing {sorted(missing)}, unknown {sorted(unknown)}")
    if body["method"] not in premiumlic.METHODS:
        raise InvalidRequest(f"method must be one of {', '.join(premiumlic.METHODS)}")
    for name in ("identifier", "tool", "host"):
        if not isinstance(body[name], str) or not 0 < len(body[name]) <= 200 or not body[name].isprintable():
            raise InvalidRequest(f"{name} must be 1 to 200 printable characters")
    if type(body["clock"]) is not int or not 0 <= body["clock"] <= MAX_CLOCK:
        raise InvalidRequest("clock is the offline server's time, in seconds since 1970")
    if set(body) & _OPTIONAL and not (
        isinstance(body.get("challenge"), str)
        and CHALLENGE.fullmatch(body["challenge"])
        and isinstance(body.get("proof"), str)
        and _PROOF.fullmatch(body["proof"])
    ):
        raise InvalidRequest("challenge (16 letters and digits) and proof (an HMAC) come together")
