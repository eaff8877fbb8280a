"""What the tools' download reads of a presented credential, kept in each process and replaced
whenever it changes: a pipeline fetching its premium.lic again and again costs no query.

The download (`licensing.premium_license`) needs the credential's row, its license's state and
term, its tenant's active flag and its current file: one prepared query. Each process keeps that
answer per presented credential (`core.generations`), stamped with the credential's generation
and the tenants' (`accounts.hosts`); every write to what it reads replaces them (`watch`).
"""

import hashlib

from accounts import hosts
from core.generations import Copies
from core.invalidation import feeds
from licenses import methods
from licenses.models import Credential, License, LicenseFile, LicenseFileBody

GENERATION_TTL = 7 * 24 * 3600  # an idle credential's generation may go; it is made again on use

# Unknown identifiers get no generation: guesses must not fill Redis.
_copies = Copies("lic:v1", ttl=GENERATION_TTL, keep=lambda found: found is not None)


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
    return identity(tenant_id, method, key_digest if methods.METHODS[method].by_digest else identifier)


def read(ident: str, load):
    """`load()`'s answer for this credential: this process's copy while nothing changed, else fresh."""
    return _copies.read(ident, [_copies.generation(ident), hosts.TENANTS_GENERATION], load)


def replace(ident: str, old, new) -> None:
    """This process changed what it read (the last use): keep the copy current, stamp unchanged."""
    _copies.replace(ident, old, new)


def watch() -> None:
    """The rows the download's query reads (the tenant's through `accounts.hosts`), the fields it
    reads of them, and the credentials they belong to (`core.invalidation`)."""
    identity = ["tenant", "method", "identifier", "key_digest"]
    read = [*identity, "license", "is_enabled", "secret_hash", "file_wanted_at"]
    feeds(Credential, _copies, _identities, fields=read, owners=identity)
    feeds(
        License,
        _copies,
        lambda rows: _identities(Credential.objects.filter(license__in=rows)),
        fields=["state", "starts_at", "ends_at"],
    )
    feeds(
        LicenseFile,
        _copies,
        lambda rows: _identities(Credential.objects.filter(files__in=rows)),
        fields=["credential", "superseded_at", "expires_at"],
        owners=["credential"],
    )
    feeds(LicenseFileBody, _copies, lambda rows: _identities(Credential.objects.filter(files__body__in=rows)))


def _identities(credentials) -> list[str]:
    rows = credentials.values_list("tenant_id", "method", "identifier", "key_digest")
    return [_row_identity(*row) for row in rows]


def holds(ident: str) -> bool:
    """Whether this process keeps a copy for this credential (for tests and benchmarks)."""
    return _copies.holds(ident)
