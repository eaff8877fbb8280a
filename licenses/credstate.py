"""What the tools' download reads of a presented credential, kept in each process and replaced
whenever it changes: a pipeline fetching its premium.lic again and again costs no query.

The download (`licensing.premium_license`) needs the credential's row, its license's state and
term, its tenant's active flag and its current file: one prepared query. Each process keeps that
answer per presented credential, stamped with two generations read *before* the query: the
credential's own and the tenants' (`accounts.hosts`, which moves with any tenant change, such as
deactivation). A copy whose stamp no longer matches is never used, so a copy built from rows that
a transaction was changing meanwhile is discarded (the scheme of `apikeys.authstate`).

A credential's generation is keyed by what a request presents (method and identifier, or the
DRAGEN key's digest), so it can be read before the database is. Every service that changes what
the download reads replaces it, now and again after commit (`invalidate`): adding, enabling,
disabling or deleting a credential; changing, suspending, resuming, revoking or deleting its
license; asking for a file and issuing one. Not covered, on purpose: the last use (written at
most once a minute by the download itself, which updates its own copy), the expiry sweep (a
license past its end is expired by its term, which the copy holds) and the refresh sweep (what it
queues, a file near its end or a wish left over, the download already finds due).

Redis tells each process when a generation it read changes (`core.tracking`), so a change is
seen on the next request anywhere and an unchanged one costs no round trip. Without tracking
(`make run`, or tracking turned off) nothing is kept: every request reads the database.
"""

import hashlib
import logging
import secrets

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet

from accounts import hosts
from core import cache as shared_cache
from core import tracking
from licenses.models import Credential

log = logging.getLogger(__name__)
GENERATION_TTL = 7 * 24 * 3600  # an idle credential's generation may go; it is made again on use
LOCAL_MAX = 10_000  # copies per process; past that they are all dropped and read again
_GEN = "lic:gen:v1:{identity}"

_local: dict[str, tuple[tuple, object]] = {}  # identity → (stamp, what the loader returned)


def identity(tenant_id, method: str, value: str) -> str:
    """What a request presents (at its host's tenant) and a credential row holds alike: the
    tenant, the method and the identifier (serial number, BYOL user id) or, for a DRAGEN API key,
    the key's digest. Hashed, so Redis keys name no serial number."""
    return hashlib.sha256(f"{tenant_id}\0{method}\0{value}".encode()).hexdigest()[:32]


def identity_of(credential: Credential) -> str:
    return _row_identity(
        credential.tenant_id, credential.method, credential.identifier, credential.key_digest
    )


def _row_identity(tenant_id, method: str, identifier: str, key_digest: str) -> str:
    return identity(
        tenant_id, method, key_digest if method == Credential.Method.DRAGEN_API_KEY else identifier
    )


def read(ident: str, load):
    """`load()`'s answer for this credential: this process's copy while nothing changed, else
    fresh (and kept when the credential exists)."""
    tracker = tracking.tracked_values(settings.PORTAL_TRACKING_URL)
    if tracker is None:
        return load()
    gen_key = _GEN.format(identity=ident)
    try:
        generation = tracker.get(cache.make_key(gen_key))
    except tracking.Unavailable as exc:
        log.warning("%s; reading credentials from the database", exc)
        return load()
    if generation is None:  # never used, idle for a week, or evicted: nothing can be kept yet
        found = load()
        if found is not None:  # unknown identifiers get no key: they must not fill Redis
            cache.add(gen_key, _new_generation(), timeout=GENERATION_TTL)
        return found
    stamp = (generation, hosts.tenants_generation())
    known = _local.get(ident)
    if known is not None and known[0] == stamp:
        return known[1]
    found = load()
    if len(_local) >= LOCAL_MAX:
        _local.clear()
    _local[ident] = (stamp, found)
    return found


def replace(ident: str, old, new) -> None:
    """This process changed what it read (the last use): keep the copy current, stamp unchanged."""
    known = _local.get(ident)
    if known is not None and known[1] is old:
        _local[ident] = (known[0], new)


def invalidate(credentials) -> None:
    """Make every copy of these credentials stale: now, and again once the transaction commits
    (the second discards a copy another request made meanwhile from rows not yet committed).
    `credentials`: Credential rows or a queryset of them (read here, so before any delete)."""
    if isinstance(credentials, QuerySet):
        rows = credentials.values_list("tenant_id", "method", "identifier", "key_digest")
    else:
        rows = [(c.tenant_id, c.method, c.identifier, c.key_digest) for c in credentials]
    keys = [_GEN.format(identity=_row_identity(*row)) for row in rows]
    if keys:
        _bump(keys)
        transaction.on_commit(lambda: _bump(keys))


def _bump(keys: list[str]) -> None:
    shared_cache.change(keys, timeout=GENERATION_TTL)  # owed while Redis does not answer (core.cache)


def _new_generation() -> int:
    return secrets.randbits(62)  # random, not a counter: a restarted counter could repeat a value
