"""Rate limits of the token endpoints (`core.ratelimit`), and the credentials they read."""

import base64
import binascii

from accounts import addresses
from accounts.requests import client_ip, limit_unit
from apikeys import keys
from core.ratelimit import Limits


def token_limits(request) -> Limits:
    """Requests per client address and per account (the key, the email or the token's user,
    whichever the request presents), and failed exchanges per client address: past that, the
    right credentials are refused too, with the same answer. Counting starts now."""
    client = client_unit(request)
    return Limits(
        counted=[("tokens-ip", client), ("tokens-account", _account(request))],
        failures=[("tokens-failures-ip", client)],
    )


def key_failure_limits(request) -> Limits:
    """For a key refused on a call (X-API-Key): the token endpoint's failed exchanges per client
    address. Read only once a key is refused, so a good key costs no round trip for it."""
    return Limits(failures=[("tokens-failures-ip", client_unit(request))])


def client_unit(request) -> str:
    """Whom the per-address limits count: the client's address (an IPv6 one by its /64)."""
    return limit_unit(client_ip(request))


def _account(request) -> str | None:
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    key_text = api_key_header(request)
    if keys.is_well_formed(key_text):
        return f"key:{keys.digest(key_text)[:32]}"
    basic = basic_credentials(request)
    return f"email:{basic[0]}" if basic else None


def api_key_header(request) -> str:
    """The X-API-Key header, stripped; "" without one. Read from META: `request.headers` builds a
    mapping of every header, which on the token path costs more than the checks that use it."""
    return request.META.get("HTTP_X_API_KEY", "").strip()


def basic_credentials(request) -> tuple[str, str] | None:
    """(email, password) from an HTTP Basic header, or None."""
    scheme, _, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if "\x00" in decoded:  # no account has it, and PostgreSQL cannot even compare it
        return None
    email, sep, password = decoded.partition(":")
    return (addresses.canonical(email), password) if sep and email else None
