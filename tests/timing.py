"""Timing an existing account against a missing one, at any door a password goes through.

A hash is made to take about 22 ms — more than the 20 ms the two may differ by — so a door that
skipped it for a missing account would show; both medians must also include it, so a comparison
cannot pass by hashing for neither. The tries are interleaved, so the machine's noise falls on
both alike, and compared by their medians; a bare hash is timed among them too (what the
machine's noise makes of a hash then, not at calibration).
"""

import statistics
import time
from typing import NamedTuple

from django.contrib.auth.hashers import PBKDF2PasswordHasher, make_password

TRIES = 100  # per account: medians of interleaved tries hold against the noise at this count
WRONG = "not-the-password-at-all"
MISSING = "nobody@acme.test"


class TimedHasher(PBKDF2PasswordHasher):
    algorithm = "pbkdf2_timed"
    iterations = 20_000  # `calibrate` sets it to about 22 ms on this machine


def calibrate(seconds: float = 0.022) -> None:
    """Make TimedHasher take about `seconds` per hash."""
    TimedHasher.iterations = 20_000
    TimedHasher.iterations = int(20_000 * seconds / min(hash_times()))


def hash_times(runs: int = 5) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        make_password(WRONG, hasher=TimedHasher())
        times.append(time.perf_counter() - started)
    return times


class Medians(NamedTuple):
    existing: float
    missing: float
    hash: float  # a bare hash, timed every HASH_EVERY rounds between the tries

    def __str__(self) -> str:
        ms = {name: f"{seconds * 1e3:.1f} ms" for name, seconds in self._asdict().items()}
        return f"hash {ms['hash']}; existing {ms['existing']}, missing {ms['missing']}"


HASH_EVERY = 4


def medians(attempt, existing: str, missing: str) -> Medians:
    """The median seconds of `attempt(existing)` and of `attempt(missing)`, TRIES each."""
    times = {existing: [], missing: []}
    hashes = []
    for index in range(TRIES):
        for who in (existing, missing):
            started = time.perf_counter()
            attempt(who)
            times[who].append(time.perf_counter() - started)
        if index % HASH_EVERY == 0:
            hashes.extend(hash_times(1))
    return Medians(
        statistics.median(times[existing]), statistics.median(times[missing]), statistics.median(hashes)
    )


def paired_medians(attempt, first: str, second: str, tries: int = TRIES) -> tuple[float, float]:
    """The median seconds of `attempt(first)` and `attempt(second)`, interleaved and taking turns
    at going first (a request right after another runs on warmer caches): for paths that should
    cost the same to well under a millisecond, with nothing else timed between them."""
    times = {first: [], second: []}
    for index in range(tries):
        for who in (first, second) if index % 2 == 0 else (second, first):
            started = time.perf_counter()
            attempt(who)
            times[who].append(time.perf_counter() - started)
    return statistics.median(times[first]), statistics.median(times[second])
