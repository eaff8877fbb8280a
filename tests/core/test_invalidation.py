"""Every write to a row that a process-local copy was built from is seen by the next read in
another process, whatever made the write: save, delete (and its cascades), many-to-many changes,
and the bulk paths that send no signal (`update`, `bulk_create`), as the sweeps use them."""

import re
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, Role, Tenant, User, Workgroup, WorkgroupMembership
from apikeys import authstate
from apikeys.models import ApiKey
from core.invalidation import fed_models
from licenses import licensing
from licenses import services as license_services
from licenses.models import Credential, License, LicenseFile, LicenseFileBody
from tests import copies
from tests.factories import MembershipFactory, TenantFactory, UserFactory, WorkgroupFactory
from tests.helpers import AnotherProcess, actor, add, make_key, sell

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def other(django_db_setup, django_db_blocker):
    process = AnotherProcess("from tests.copies import current")
    yield process
    process.close()


@pytest.fixture
def world():
    tenant = TenantFactory(domain="copies.localhost", slug="copies")
    admin = UserFactory()
    MembershipFactory(tenant=tenant, user=admin, role=Role.ADMIN)
    by = actor(admin, tenant)
    user = UserFactory()
    membership = MembershipFactory(tenant=tenant, user=user)
    workgroup = WorkgroupFactory(tenant=tenant)
    _join(user, workgroup)
    key, _ = make_key(user, tenant, workgroups=[workgroup])
    license = sell(tenant, by)
    credential = add(license, by, "dragen_serial", serial_number="SN-INV").credential
    license_services.license_file_issue(credential_id=credential.pk)
    return SimpleNamespace(
        tenant=tenant, by=by, user=user, membership=membership, workgroup=workgroup, key=key,
        license=license, credential=credential, file=LicenseFile.objects.get(credential=credential),
        new_id=uuid.uuid4(),
    )  # fmt: skip


def _copy(w, view):
    return {
        "auth": (w.user.pk, w.tenant.pk),
        "auth-new": (w.new_id, w.tenant.pk),
        "tenant": ("copies.localhost",),
        "tenant-new": ("new.localhost",),
        "credential": (w.tenant.pk, "SN-INV"),
        "credential-new": (w.tenant.pk, "SN-NEW"),
    }[view]


def _new_user(w):
    return User.objects.create(pk=w.new_id, email="new@example.org")


def _later(days=1):
    return timezone.now() + timedelta(days=days)


KeyScope = ApiKey.workgroups.through


def _only(row):
    return type(row).objects.filter(pk=row.pk)


def _join(user, workgroup):
    return WorkgroupMembership.objects.create(workgroup=workgroup, user=user, role=Role.MEMBER)


def _joined(w):
    return WorkgroupMembership.objects.filter(user=w.user)


def _other_credential(w):
    # Made directly, not by the service: its file job would race the move in the Celery worker
    # (both lock the credential row: a deadlock in one CI run).
    return Credential.objects.create(
        tenant=w.tenant, license=w.license, method=Credential.Method.DRAGEN_SERIAL, identifier="SN-OTHER"
    )


def _issue_in_the_sweep(w):  # the refresh sweep's path: bulk_create of files and bodies
    near_its_end = w.file.expires_at - timedelta(hours=1)
    assert license_services.license_files_issue(credential_ids=[w.credential.pk], now=near_its_end)


# (model, kind, the copy it must change, the write), as services, admin, shells and sweeps make them.
# A "move" gives a row another owner (a key to another user, a corrected serial number): the
# copies of the owner before must change too; "by column" spells the field as `user_id`.
WRITES = [
    (User, "create", "auth-new", _new_user),
    (User, "update", "auth", lambda w: _save(w.user, full_name="Renamed")),
    (User, "bulk update", "auth", lambda w: _only(w.user).update(is_active=False)),
    (User, "delete", "auth", lambda w: w.user.delete()),
    (
        Membership,
        "create",
        "auth-new",
        lambda w: Membership.objects.create(user=_new_user(w), tenant=w.tenant),
    ),
    (Membership, "update", "auth", lambda w: _save(w.membership, role=Role.ADMIN)),
    (Membership, "bulk update", "auth", lambda w: _only(w.membership).update(is_active=False)),
    (Membership, "delete", "auth", lambda w: w.membership.delete()),
    (Membership, "move", "auth", lambda w: _save(w.membership, user=UserFactory())),
    (WorkgroupMembership, "create", "auth", lambda w: _join(w.user, WorkgroupFactory(tenant=w.tenant))),
    (WorkgroupMembership, "update", "auth", lambda w: _save(_joined(w).get(), role=Role.ADMIN)),
    (WorkgroupMembership, "bulk update", "auth", lambda w: _joined(w).update(role=Role.ADMIN)),
    (WorkgroupMembership, "delete", "auth", lambda w: _joined(w).delete()),
    (WorkgroupMembership, "move", "auth", lambda w: _save(_joined(w).get(), user=UserFactory())),
    (Workgroup, "update", "auth", lambda w: _save(w.workgroup, name="Renamed")),
    (Workgroup, "bulk update", "auth", lambda w: _only(w.workgroup).update(name="Renamed")),
    (Workgroup, "delete", "auth", lambda w: w.workgroup.delete()),
    (ApiKey, "create", "auth", lambda w: make_key(w.user, w.tenant, name="second")),
    (ApiKey, "update", "auth", lambda w: _save(w.key, expires_at=_later())),
    (ApiKey, "bulk update", "auth", lambda w: _only(w.key).update(revoked_at=timezone.now())),
    (ApiKey, "delete", "auth", lambda w: w.key.delete()),
    (ApiKey, "move", "auth", lambda w: _save(w.key, user=UserFactory())),
    (ApiKey, "move by column", "auth", lambda w: _save_only(w.key, user_id=UserFactory().pk)),
    (ApiKey, "bulk move by column", "auth", lambda w: _only(w.key).update(user_id=UserFactory().pk)),
    (ApiKey, "bulk move", "auth", lambda w: _only(w.key).update(user=UserFactory())),
    (KeyScope, "add", "auth", lambda w: w.key.workgroups.add(WorkgroupFactory(tenant=w.tenant))),
    (KeyScope, "remove", "auth", lambda w: w.key.workgroups.remove(w.workgroup)),
    (KeyScope, "clear", "auth", lambda w: w.key.workgroups.clear()),
    (Tenant, "create", "tenant-new", lambda w: TenantFactory(domain="new.localhost", slug="new")),
    (Tenant, "update", "tenant", lambda w: _save(w.tenant, name="Renamed")),
    (Tenant, "bulk update", "tenant", lambda w: _only(w.tenant).update(is_active=False)),
    (Tenant, "bulk update", "credential", lambda w: _only(w.tenant).update(is_active=False)),
    (Tenant, "delete", "tenant", lambda w: w.tenant.delete()),
    (
        Credential,
        "create",
        "credential-new",
        lambda w: add(w.license, w.by, "dragen_serial", serial_number="SN-NEW"),
    ),
    (Credential, "update", "credential", lambda w: _save(w.credential, is_enabled=False)),
    (
        Credential,
        "bulk update",
        "credential",
        lambda w: _only(w.credential).update(file_wanted_at=timezone.now()),
    ),
    (Credential, "delete", "credential", lambda w: w.credential.delete()),
    (Credential, "move", "credential", lambda w: _save(w.credential, identifier="SN-FIXED")),
    (Credential, "to another license", "credential", lambda w: _save_only(w.credential, license_id=_sold(w))),
    (
        Credential,
        "bulk to another license",
        "credential",
        lambda w: _only(w.credential).update(license_id=_sold(w)),
    ),
    (Credential, "bulk move", "credential", lambda w: _only(w.credential).update(identifier="SN-FIXED")),
    (License, "update", "credential", lambda w: _save(w.license, state=License.State.SUSPENDED)),
    (
        License,
        "bulk update",
        "credential",
        lambda w: _only(w.license).update(state="expired"),
    ),  # expiry sweep
    (License, "delete", "credential", lambda w: w.license.delete()),
    (LicenseFile, "bulk create", "credential", _issue_in_the_sweep),
    (LicenseFile, "update", "credential", lambda w: _save(w.file, expires_at=_later(2))),
    (LicenseFile, "bulk update", "credential", lambda w: _only(w.file).update(superseded_at=timezone.now())),
    (LicenseFile, "delete", "credential", lambda w: w.file.delete()),
    (LicenseFile, "move", "credential", lambda w: _save(w.file, credential=_other_credential(w))),
    (LicenseFileBody, "update", "credential", lambda w: _save(w.file.body, text="changed")),
    (LicenseFileBody, "bulk update", "credential", lambda w: _only(w.file.body).update(text="changed")),
    (LicenseFileBody, "delete", "credential", lambda w: w.file.body.delete()),
]


def _save(row, **fields):
    for name, value in fields.items():
        setattr(row, name, value)
    row.save()


def _save_only(row, **fields):
    """A save naming what it writes, spelled as the caller likes (`user_id` as well as `user`)."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.save(update_fields=list(fields))


def _sold(w):
    return sell(w.tenant, w.by, name="Another").pk


@pytest.mark.parametrize(
    ("model", "kind", "view", "write"),
    WRITES,
    ids=[f"{model.__name__} {kind} ({view})" for model, kind, view, _ in WRITES],
)
def test_the_next_read_in_another_process_sees_the_write(other, world, model, kind, view, write):
    which = _copy(world, view)
    args = ", ".join(repr(str(arg)) for arg in which)
    name = view.removesuffix("-new")
    for _ in range(2):  # the first read may make the generation, the second keeps a copy
        assert other.ask(f"current({name!r}, {args})") == "True"
    before = copies.VIEWS[name](*which, kept=False)

    write(world)

    assert copies.VIEWS[name](*which, kept=False) != before, "the write changes the copy"
    assert other.ask(f"current({name!r}, {args})") == "True"


def test_every_table_a_copy_is_built_from_has_its_writes_watched(world):
    """The scenarios above cover every model `fed_models()` names; this proves that those are all
    the tables the copies read, so a new read without its `feeds()` fails here."""
    with CaptureQueriesContext(connection) as queries:
        authstate._build(str(world.user.pk), str(world.tenant.pk))
        copies.tenant("copies.localhost", kept=False)
        copies.credential(world.tenant.pk, "SN-INV", kept=False)
    # The download's query is prepared, and Django logs no text for it: it is written out here.
    statements = [query["sql"] or "" for query in queries] + [licensing._BY_IDENTIFIER, licensing._BY_DIGEST]
    tables = {table for sql in statements for table in re.findall(r'(?:FROM|JOIN) "?(\w+)"?', sql)}
    models = [model for model in apps.get_models(include_auto_created=True) if not model._meta.proxy]
    by_table = {model._meta.db_table: model for model in models}
    read = {by_table[table] for table in tables}
    assert read == fed_models()
    assert read == {model for model, *_ in WRITES}
