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
    cached_seq = _kept_seq()
    if source:
        text = _read(source, http)
        given = Listed(_checked(text, source, keys), source)
        if cached_seq is None or given.payload["seq"] >= cached_seq:
            if given.payload["seq"] != cached_seq:  # the same seq is the same list: kept already
                settings.write_private(cache_path(), text)
                settings.write_private(_seq_path(), f"{given.payload['seq']}\n")
            return given
    cached_text = _kept_text()
    cached = _verified(cached_text, keys)
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


def _seq_path() -> Path:
    return cache_path().with_name(cache_path().name + ".seq")


def _kept_text() -> str | None:
    try:
        return cache_path().read_text()
    except OSError:
        return None


def _kept_seq() -> int | None:
    """The kept list's `seq`, as noted beside it when it was kept (or read from the list, its
    signature unchecked, if the note is missing); None when there is none or it is damaged."""
    try:
        return int(_seq_path().read_text())
    except (OSError, ValueError):
        pass
    text = _kept_text()
    try:
        return None if text is None else premiumcrl.unverified_seq(text)
    except ValueError:
        return None


def _verified(text: str | None, keys) -> Listed | None:
    """The kept list, verified with `keys`; None when there is none or they cannot verify it."""
    if text is None:
        return None
    try:
        return Listed(_checked(text, str(cache_path()), keys), str(cache_path()))
    except CliError:
        return None


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
