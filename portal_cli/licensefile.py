"""Checking a premium.lic offline, with the portal's published keys kept in ~/.portal.

The keys come from `--public-key` (a PEM public key, or a JWKS/JWK file), else from the cache of
`/.well-known/premium-license-keys.json` per server, fetched once. A file signed with a key the
cache does not have makes one fetch from the configured server (keys rotate); without a server or
a network it is "unknown key". Each way a file can fail has its own exit code (README).
"""

import json
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

import premiumlic
from portal_cli import client, settings
from portal_cli.errors import CliError
from portal_cli.seen import Seen

# Exit codes of `portal license verify` (and fetch/status when they check a file).
(NO_FILE, MALFORMED, BAD_SIGNATURE, NOT_YET_VALID, EXPIRED, UNKNOWN_KEY, REFUSED_ONLINE) = range(10, 17)
IN_GRACE, CLOCK_BEHIND, REPLAYED, REVOKED = 17, 18, 19, 20
PROBLEMS = {  # exit code → the word scripts and --ignore-license-error reports use
    NO_FILE: "no file",
    MALFORMED: "malformed",
    BAD_SIGNATURE: "bad signature",
    NOT_YET_VALID: "not yet valid",
    EXPIRED: "expired",
    UNKNOWN_KEY: "unknown key",
    REFUSED_ONLINE: "refused online",
    IN_GRACE: "in grace",  # passes, with a warning: expired, inside the license's grace
    CLOCK_BEHIND: "clock set back",
    REPLAYED: "older file",
    REVOKED: "revoked",
}
KEYS_PATH = "/.well-known/premium-license-keys.json"
DAY = 86400


class LicenseProblem(CliError):
    """A premium.lic that does not pass, with its documented exit code."""

    @property
    def problem(self) -> str:
        return PROBLEMS[self.exit_code]


@dataclass(frozen=True)
class Verified:
    path: Path
    payload: dict
    in_grace: bool = False  # expired, but inside its grace: usable, with a warning

    def summary(self, now: float | None = None) -> dict:
        now = time.time() if now is None else now
        body = self.payload
        return {
            "valid": True,
            "path": str(self.path),
            "license_id": body["lid"],
            "file_id": body["fid"],
            "tenant": body["tenant"],
            "method": body["method"],
            "credential_sha256": body["cred"],
            "sources": body["sources"],
            "issued_at": _iso(body["iat"]),
            "not_before": _iso(body["nbf"]),
            "expires_at": _iso(body["exp"]),
            "days_left": max(0, int((body["exp"] - now) // DAY)),
            **_additions(body, self.in_grace),
        }


def _additions(body: dict, in_grace: bool) -> dict:
    """What a file's compatible additions say, for the summary (nothing for a file without them)."""
    shown = {}
    if "src_exp" in body:
        shown["source_ends"] = {source: _iso(end) for source, end in sorted(body["src_exp"].items())}
    if body.get("grace"):
        shown["grace_until"] = _iso(body["exp"] + body["grace"])
    if "seq" in body:
        shown["seq"] = body["seq"]
    if in_grace:
        shown["in_grace"] = True
    return shown


def keys_cache_path() -> Path:
    return settings.home() / "premium-license-keys.json"


def read_license(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LicenseProblem(f"No premium.lic at {path}: run `portal license fetch`.", NO_FILE) from None
    except IsADirectoryError:
        raise LicenseProblem(f"{path} is a directory, not a premium.lic.", NO_FILE) from None
    except OSError as exc:
        raise LicenseProblem(f"Cannot read {path}: {exc.strerror}.", NO_FILE) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise LicenseProblem(f"{path} is not a premium.lic (not UTF-8 text).", MALFORMED) from None


def verify(
    text: str, path: Path, keys: "Keys", *, name: str = "", now: float | None = None, server_time=None
) -> Verified:
    """The file's payload if it is genuine, intact and valid now (give or take 5 minutes), and
    neither the clock nor the file is older than what was seen beside `path` (portal_cli.seen).
    `name` is what messages call the file (its path unless given); `server_time`, the server's
    `Date` when the file was just fetched."""
    now = time.time() if now is None else now
    name = name or str(path)
    payload = genuine(text, name, keys)
    guard = Seen(path)
    if guard.clock_behind(now):
        raise LicenseProblem(
            f"This machine's clock ({_iso(int(now))}) is behind the newest time seen beside {path} "
            f"({_iso(guard.mark)}): was it set back? Fix the clock (or, if the mark is wrong, delete "
            f"{guard.path}).",
            CLOCK_BEHIND,
        )
    if (highest := guard.replayed(payload)) is not None:
        raise LicenseProblem(
            f"{name} is an older file (seq {payload['seq']}) than one already seen for its credential "
            f"(seq {highest}). Run `portal license fetch`.",
            REPLAYED,
        )
    verified = _in_window(payload, path, name, now)
    guard.record(payload, now=now, server_time=server_time)
    return verified


def _in_window(payload: dict, path: Path, name: str, now: float) -> Verified:
    try:
        premiumlic.check_window(payload, now=now)
    except premiumlic.OutsideWindow as outside:
        if outside.expired and premiumlic.in_grace(payload, now=now):
            return Verified(path, payload, in_grace=True)
        if outside.expired:
            raise LicenseProblem(f"{name} expired on {_iso(payload['exp'])}.", EXPIRED) from None
        raise LicenseProblem(f"{name} is not valid before {_iso(payload['nbf'])}.", NOT_YET_VALID) from None
    return Verified(path, payload)


def genuine(text: str, name: str, keys: "Keys", check=premiumlic.verify, kind: str = "premium.lic") -> dict:
    """`check`'s payload of a text signed with one of `keys` (fetched again once for a key not
    cached), or LicenseProblem; `kind` is what messages call it."""
    try:
        try:
            return check(text, keys.known())
        except premiumlic.UnknownKey:
            if not keys.can_fetch:
                raise
            try:
                fresh = keys.fetch()  # a key newer than the cache, or nothing cached yet
            except CliError as unreachable:
                raise LicenseProblem(
                    f"{name} is signed with a key not cached here, and {unreachable.message}", UNKNOWN_KEY
                ) from None
            return check(text, fresh)
    except premiumlic.UnknownKey as unknown:
        raise LicenseProblem(
            f"{name} is signed with a key not among {keys.described} ({unknown}).", UNKNOWN_KEY
        ) from None
    except premiumlic.BadSignature:
        raise LicenseProblem(
            f"{name} does not match its signature: it was changed, or not signed by the portal.",
            BAD_SIGNATURE,
        ) from None
    except premiumlic.InvalidLicense as invalid:
        raise LicenseProblem(f"{name} is not a valid {kind} ({invalid}).", MALFORMED) from None


class Keys:
    """Public keys to verify with: given, or the server's, cached in ~/.portal."""

    def __init__(
        self, *, server_url: str = "", public_key: Path | None = None, http: httpx.Client | None = None
    ):
        self.server_url, self.public_key, self._http = server_url, public_key, http

    @property
    def described(self) -> str:
        if self.public_key:
            return f"the key in {self.public_key}"
        if self.server_url:
            return f"the keys of {self.server_url} (cached in {keys_cache_path()})"
        return f"the keys cached in {keys_cache_path()} (pass --server-url to fetch the server's)"

    @property
    def can_fetch(self) -> bool:
        return bool(self.server_url) and not self.public_key

    def known(self) -> dict[str, Ed25519PublicKey]:
        """The given key, or the keys cached (of this server and the kept key files, or of every
        server when none is set)."""
        if self.public_key:
            return load_public_key_file(self.public_key)
        cache = _read_cache()
        # This server's, and the key files `install --public-key` kept (an offline server's keys).
        servers = (
            [self.server_url, *(n for n in cache if n.startswith("file:"))]
            if self.server_url
            else list(cache)
        )
        keys = {}
        for server in servers:
            entry = cache.get(server)
            try:
                keys.update(premiumlic.public_keys(entry["jwks"]))
            except (ValueError, TypeError, KeyError):
                continue  # not cached, or damaged: as if not cached (a fetch replaces it)
        return keys

    def fetch(self) -> dict[str, Ed25519PublicKey]:
        """The server's published keys, now; cached for the next, offline, checks."""
        url = self.server_url + KEYS_PATH
        http = self._http or client.http_client()
        try:
            response = http.get(url)
            response.raise_for_status()
            document = response.json()
            keys = premiumlic.public_keys(document)
        except httpx.HTTPError as exc:
            raise CliError(f"the license keys could not be fetched from {url}: {exc}.") from None
        except ValueError as exc:
            raise CliError(f"{url} is not a key set ({exc}).") from None
        cache = _read_cache()
        cache[self.server_url] = {"fetched_at": int(time.time()), "jwks": document}
        settings.write_private(keys_cache_path(), json.dumps(cache, indent=2) + "\n")
        return keys


def load_public_key_file(path: Path) -> dict[str, Ed25519PublicKey]:
    """Keys by kid from a PEM public key, a JWK or a JWKS file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"Cannot read the public key {path}: {exc.strerror}.") from None
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = premiumlic.public_key_from_pem(data)
            return {premiumlic.thumbprint(key): key}
        document = json.loads(data)
        if isinstance(document, dict) and "keys" not in document:
            document = {"keys": [document]}  # a single JWK
        keys = premiumlic.public_keys(document)
    except ValueError as exc:
        raise CliError(f"{path} is not an Ed25519 public key (PEM, JWK or JWKS): {exc}.") from None
    if not keys:
        raise CliError(f"{path} holds no Ed25519 key.")
    return keys


def remember_keys(path: Path) -> None:
    """Keep the keys of a file given with --public-key beside the servers' (as a key set), so later
    checks on an offline machine find them without it."""
    keys = load_public_key_file(path)
    cache = _read_cache()
    cache[f"file:{path.resolve()}"] = {"fetched_at": int(time.time()), "jwks": premiumlic.jwks(keys.values())}
    settings.write_private(keys_cache_path(), json.dumps(cache, indent=2) + "\n")


def _read_cache() -> dict:
    try:
        cache = json.loads(keys_cache_path().read_text())
    except (OSError, ValueError):
        return {}
    return cache if isinstance(cache, dict) else {}


def _iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))
