"""Rate limits for the token endpoints: fixed windows counted in Redis, O(1) per request.

DRF's own throttles keep a list of timestamps per client, which grows with the rate; a counter
per window is one INCR. Limits come from settings.PORTAL_RATES ("300/m"; "" turns one off).
"""

import base64
import binascii
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from accounts.requests import client_ip
from apikeys import keys

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[:1]]


class _FixedWindowThrottle(BaseThrottle):
    scope = ""

    def identify(self, request) -> str | None:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        rate = parse_rate(settings.PORTAL_RATES.get(self.scope, ""))
        ident = self.identify(request) if rate else None
        if ident is None:
            return True
        limit, period = rate
        now = time.time()
        key = f"throttle:{self.scope}:{ident}:{int(now // period)}"
        cache.add(key, 0, timeout=period + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the window's key expired between add and incr
            count = 1
        self._wait = period - now % period
        return count <= limit

    def wait(self) -> float:
        return self._wait


class TokenClientThrottle(_FixedWindowThrottle):
    scope = "tokens-ip"

    def identify(self, request):
        return client_ip(request) or "unknown"


class TokenAccountThrottle(_FixedWindowThrottle):
    """Per key, per email or per user, whichever the request presents."""

    scope = "tokens-account"

    def identify(self, request):
        if request.user and request.user.is_authenticated:
            return f"user:{request.user.pk}"
        key_text = request.headers.get("X-API-Key", "")
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
