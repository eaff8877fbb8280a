"""What the process-local copies (`core.generations`) hold, as plain values, next to what the
database says now: imported by tests and by the other process they start (`AnotherProcess`)."""

import dataclasses

from accounts import hosts
from apikeys import authstate
from licenses import credstate, licensing
from licenses.models import Credential


def auth(user, tenant, *, kept: bool = True):
    return authstate.snapshot(user, tenant) if kept else authstate._build(str(user), str(tenant))


def tenant(domain, *, kept: bool = True):
    found = hosts.tenant_for_domain(domain) if kept else hosts._load("domain", domain)
    return _fields(found)


def credential(tenant_id, serial, *, kept: bool = True):
    def load():
        params = [str(tenant_id), Credential.Method.DRAGEN_SERIAL, serial]
        return licensing._load(licensing._BY_IDENTIFIER, params)

    ident = credstate.identity(tenant_id, Credential.Method.DRAGEN_SERIAL, serial)
    found = credstate.read(ident, load) if kept else load()
    if found is None:
        return None
    license = {
        name: getattr(found.license, name) for name in ("id", "tenant_id", "state", "starts_at", "ends_at")
    }
    return {**dataclasses.asdict(dataclasses.replace(found, license=None)), "license": license}


VIEWS = {"auth": auth, "tenant": tenant, "credential": credential}


def current(view: str, *args) -> bool:
    """Whether this process's copy is what the database says now."""
    return VIEWS[view](*args) == VIEWS[view](*args, kept=False)


def _fields(row) -> dict | None:
    return None if row is None else {k: v for k, v in vars(row).items() if not k.startswith("_")}
