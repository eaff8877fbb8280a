"""What the CLI has seen beside a premium.lic: the newest time (a high-water mark) and the highest
`seq` per credential. A system clock set back past the mark, or an older file put back in place
of a newer one, fails instead of reviving an expired or replaced file.

Advisory and local: the mark lives in `.premium.lic.seen.json` beside the file, which whoever can
replace the file can also delete or edit (that resets it). It catches a clock set back by mistake
or to stretch a file, and a stale copy restored from a backup or a USB stick; it cannot stop
someone who controls the machine. A mark in the future (a clock that was wrong and was fixed):
delete the file to start again."""

import contextlib
import json
import time
from pathlib import Path

import premiumlic
from portal_cli import settings


class Seen:
    def __init__(self, license_path: Path):
        self.path = license_path.with_name(f".{license_path.name}.seen.json")
        self.mark, self.seqs = 0, {}
        try:
            state = json.loads(self.path.read_text())
            self.mark = int(state.get("mark", 0))
            self.seqs = {str(k): int(v) for k, v in dict(state.get("seq", {})).items()}
        except (OSError, ValueError, TypeError, AttributeError):
            pass  # nothing seen yet, or damaged: as if nothing was seen

    def clock_behind(self, now: float) -> bool:
        """Whether `now` is more than the allowed skew before the newest time seen here."""
        return now < self.mark - premiumlic.CLOCK_SKEW

    def replayed(self, payload: dict) -> int | None:
        """The higher `seq` seen for this file's credential, if the file's is lower."""
        seq, highest = payload.get("seq"), self.seqs.get(_credential(payload), 0)
        return highest if seq is not None and seq < highest else None

    def record(self, payload: dict, *, now: float, server_time: float | None = None) -> None:
        """Raise the mark to the newest of the file's `iat`, the server's `Date` and our clock, and
        keep the file's `seq`; a directory we cannot write leaves the guard as it was."""
        self.mark = int(max(self.mark, payload["iat"], now, server_time or 0))
        if "seq" in payload:
            key = _credential(payload)
            self.seqs[key] = max(self.seqs.get(key, 0), payload["seq"])
        state = {"mark": self.mark, "mark_utc": _iso(self.mark), "seq": self.seqs}
        with contextlib.suppress(OSError):
            settings.write_private(self.path, json.dumps(state, indent=2) + "\n")


def _credential(payload: dict) -> str:
    return f"{payload['method']}:{payload['cred']}"


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
