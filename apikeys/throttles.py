"""Rate limits for the token endpoints: fixed windows counted in Redis, O(1) per request.

DRF's own throttles keep a list of timestamps per client, which grows with the rate; a counter
per window is one INCR, and both limits of a request go to Redis in one pipeline. Limits come from
settings.PORTAL_RATES ("300/m"; "" turns one off).
"""

import base64
import binascii
import functools
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from accounts import addresses
from accounts.requests import client_ip, limit_unit
from apikeys import keys
from core.cache import incr_counters, start_counters

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int] | None:
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[:1]]


class TokenThrottle(BaseThrottle):
    """Per client address ("tokens-ip") and per account ("tokens-account": the key, the email or
    the token's user, whichever the request presents), and failed exchanges per client address
    ("tokens-failures-ip"), all counted in one Redis round trip. Past a failure limit the right
    credentials are refused too, with the same answer.

    As a DRF throttle it counts and decides at once. A view can instead `start()` the count, do its
    own work while Redis answers, and ask `wait()` at the end: the answer is then usually already
    in the socket, and the request never sleeps waiting for it."""

    _counting = None
    _failures = ()

    def start(self, request) -> None:
        self._now = time.time()
        self._windows = []
        plan = (
            ("tokens-ip", _client, 1),
            ("tokens-account", _account, 1),
            ("tokens-failures-ip", _client, 0),
        )
        for scope, identify, step in plan:
            rate = parse_rate(settings.PORTAL_RATES.get(scope, ""))
            ident = identify(request) if rate else None
            if ident is not None:
                limit, period = rate
                key = f"throttle:{scope}:{ident}:{int(self._now // period)}"
                self._windows.append((key, period, limit, step))
        self._failures = [(key, period + 1) for key, period, _, step in self._windows if step == 0]
        self._counting = start_counters([(key, period + 1, step) for key, period, _, step in self._windows])

    def wait(self) -> float | None:
        """None when every limit allows this request, else the seconds until one allows again. A
        failure counter at its limit refuses too: one more failure would be over it."""
        counts = self._counting.values()
        pairs = zip(self._windows, counts, strict=True)
        waits = [
            period - self._now % period
            for (_, period, limit, step), n in pairs
            if n > limit or (step == 0 and n >= limit)
        ]
        return max(waits, default=None)

    def failed(self) -> None:
        """Count this request's credentials as refused."""
        if self._failures:
            incr_counters(self._failures)

    def allow_request(self, request, view) -> bool:
        self.start(request)
        return self.wait() is None


def _client(request) -> str:
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
