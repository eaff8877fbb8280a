"""Rate limits for the token endpoints: fixed windows counted in Redis, O(1) per request.

DRF's own throttles keep a list of timestamps per client, which grows with the rate; a counter
per window is one INCR, and both limits of a request go to Redis in one pipeline. Limits come from
settings.PORTAL_RATES ("300/m"; "" turns one off).
"""

import base64
import binascii
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts.requests import client_ip
from apikeys import keys
from portal.cache import incr_counters

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[:1]]


class TokenThrottle(BaseThrottle):
    """Per client address ("tokens-ip") and per account ("tokens-account": the key, the email or
    the token's user, whichever the request presents), both counted in one Redis round trip."""

    def allow_request(self, request, view) -> bool:
        now = time.time()
        windows = []
        for scope, identify in (("tokens-ip", _client), ("tokens-account", _account)):
            rate = parse_rate(settings.PORTAL_RATES.get(scope, ""))
            ident = identify(request) if rate else None
            if ident is not None:
                limit, period = rate
                windows.append((f"throttle:{scope}:{ident}:{int(now // period)}", period, limit))
        counts = incr_counters([(key, period + 1) for key, period, _ in windows])
        over = [(period, limit) for (_, period, limit), n in zip(windows, counts, strict=True) if n > limit]
        waits = [period - now % period for period, _ in over]
        self._wait = max(waits, default=None)
        return not waits

    def wait(self) -> float | None:
        return self._wait


def _client(request) -> str:
    return client_ip(request) or "unknown"


def _account(request) -> str | None:
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    key_text = request.headers.get("X-API-Key", "").strip()
    if keys.is_well_formed(key_text):
        return f"key:{keys.digest(key_text)[:32]}"
    basic = basic_credentials(request)
    return f"email:{basic[0]}" if basic else None


def basic_credentials(request) -> tuple[str, str] | None:
    """(email, password) from an HTTP Basic header, or None."""
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    email, sep, password = decoded.partition(":")
    return (email.strip().lower(), password) if sep and email else None
