"""The one rate limiter: fixed windows counted in the shared cache, O(1) per request.

A limit is a scope ("tokens-ip") with a rate in settings.PORTAL_RATES ("300/m"; "" turns it off)
and whom it counts. A request's counters go to the cache in one pipelined round trip that starts
at once; the caller does its own work while the answers arrive and asks `retry_after()` at the
end. Failure limits are only read per request, counted by `failed()`, and refuse at their limit.
"""

import functools
import time

from django.conf import settings

from core.cache import incr_counters, start_counters
from core.errors import RateLimited, ServiceError

_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@functools.lru_cache(maxsize=64)
def parse_rate(rate: str) -> tuple[int, int] | None:
    """ "300/m" → (300, 60); "" → None (no limit)."""
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), _PERIODS[period[:1]]


class Limits:
    """`counted`: (scope, who) pairs this request adds one to; `failures`: pairs that `failed()`
    adds to. A pair whose `who` is None or whose scope has no rate is skipped."""

    def __init__(self, counted=(), failures=()):
        self._now = now = time.time()
        self._windows = []  # (key, period, limit, step)
        for pairs, step in ((counted, 1), (failures, 0)):
            for scope, who in pairs:
                rate = parse_rate(settings.PORTAL_RATES.get(scope, ""))
                if rate is not None and who is not None:
                    limit, period = rate
                    self._windows.append(
                        (f"throttle:{scope}:{who}:{int(now // period)}", period, limit, step)
                    )
        self._counting = start_counters([(key, period + 1, step) for key, period, _, step in self._windows])

    def retry_after(self) -> int | None:
        """None when every limit allows this request, else whole seconds until all do."""
        counts = self._counting.values()
        waits = [
            period - self._now % period
            for (_, period, limit, step), count in zip(self._windows, counts, strict=True)
            if count > limit or (step == 0 and count >= limit)  # one more failure would be over it
        ]
        return int(max(waits)) + 1 if waits else None

    def check(self, refusal=None) -> None:
        """Raise `refusal(seconds)` (RateLimited by default) when over a limit."""
        wait = self.retry_after()
        if wait is not None:
            raise (refusal or _rate_limited)(wait)

    def failed(self) -> None:
        """Count this request as a failure in every failure limit."""
        failures = [(key, period + 1) for key, period, _, step in self._windows if step == 0]
        if failures:
            incr_counters(failures)


def _rate_limited(seconds: int) -> ServiceError:
    return RateLimited(f"Too many requests; try again in {seconds} seconds.", retry_after=seconds)
