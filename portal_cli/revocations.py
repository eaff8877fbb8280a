"""The portal's signed revocation list, for `portal license verify --revocations FILE|URL`.

The newest list seen is kept in ~/.portal/premium-license-revocations and checked on every
verification after it, offline: a list with a lower `seq` never replaces it, so an old list
cannot bring a revoked file back."""

import time
from dataclasses import dataclass
from pathlib import Path

import httpx

import premiumcrl
from portal_cli import client, licensefile, settings
from portal_cli.errors import CliError


@dataclass(frozen=True)
class Listed:
    payload: dict
    origin: str

    def summary(self, now: float) -> str:
        body = self.payload
        stale = " (past its next update: get a newer one)" if now >= body["next"] else ""
        return f"seq {body['seq']} of {_iso(body['iat'])}{stale}"


def cache_path() -> Path:
    return settings.home() / "premium-license-revocations"


def newest(source: str | None, keys: "licensefile.Keys", http: httpx.Client | None = None) -> Listed | None:
    """The newest list: `source` (a file or an http(s) URL) or the cached one, whichever has the
    higher `seq`; `source` is cached when it is newer. None when there is neither. A kept list
    these keys cannot verify (signed by a key they lack) still holds its place: a list with a
    lower `seq` never replaces it, and checking without it fails (UNKNOWN_KEY), never passes."""
    cached, cached_seq = _cached(keys)
    if source:
        text = _read(source, http)
        given = Listed(_checked(text, source, keys), source)
        if cached_seq is None or given.payload["seq"] >= cached_seq:
            settings.write_private(cache_path(), text)
            return given
    if cached is None and cached_seq is not None:
        raise licensefile.LicenseProblem(
            f"The newest revocation list seen here (seq {cached_seq}, {cache_path()}) is signed by a key "
            f"not among {keys.described}: give the portal's current keys (--public-key), or a newer list.",
            licensefile.UNKNOWN_KEY,
        )
    return cached  # an older list than the one seen is ignored


def check(listed: Listed | None, payload: dict, name: str) -> None:
    """LicenseProblem (REVOKED) when the list names the file or its license."""
    if listed is not None and premiumcrl.revoked(listed.payload, payload):
        what = "its license was revoked" if payload["lid"] in listed.payload["lids"] else "it was revoked"
        raise licensefile.LicenseProblem(
            f"{name} is on the portal's revocation list (seq {listed.payload['seq']}): {what}.",
            licensefile.REVOKED,
        )


def _cached(keys) -> tuple[Listed | None, int | None]:
    """The kept list verified with `keys` (None if they cannot), and its `seq` as written when it
    was kept (None when there is none, or it is damaged)."""
    try:
        text = cache_path().read_text()
        seq = premiumcrl.unverified_seq(text)
    except (OSError, ValueError):
        return None, None
    try:
        return Listed(_checked(text, str(cache_path()), keys), str(cache_path())), seq
    except CliError:
        return None, seq


def _checked(text: str, name: str, keys) -> dict:
    try:
        return licensefile.genuine(
            text, f"The revocation list {name}", keys, premiumcrl.verify, "revocation list"
        )
    except licensefile.LicenseProblem as problem:
        raise CliError(problem.message) from None


def _read(source: str, http: httpx.Client | None) -> str:
    if source.startswith(("http://", "https://")):
        try:
            response = (http or client.http_client()).get(source)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise CliError(f"The revocation list could not be fetched from {source}: {exc}.") from None
        return response.text
    try:
        return Path(source).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise CliError(f"Cannot read the revocation list {source}: {exc}.") from None


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
