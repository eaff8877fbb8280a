"""A tenant admin sells a lab a license: sources, term, suspend, resume, revoke, change; each
change is an audit event; nobody else can do any of it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event, Membership
from core.errors import Conflict, Forbidden, ServiceError
from licenses import services
from licenses.models import License
from tests.helpers import actor, sell


def test_a_tenant_admin_creates_a_license_for_some_sources_and_a_term(alice, tenant_a):
    license = sell(tenant_a, actor(alice, tenant_a))
    license.refresh_from_db()
    assert license.sources == ["COSMIC", "SpliceAI"] and license.status == "active"
    event = Event.objects.get(action="license.create", target_id=str(license.pk))
    assert event.actor_email == alice.email and event.data["sources"] == ["COSMIC", "SpliceAI"]


def test_only_a_tenant_admin_of_that_tenant_manages_licenses(alice, bob, charlie, tenant_a, tenant_b):
    with pytest.raises(Forbidden):
        sell(tenant_a, actor(bob, tenant_a))
    with pytest.raises(Forbidden):
        sell(tenant_a, actor(charlie, tenant_b))
    license = sell(tenant_a, actor(alice, tenant_a))
    for change in (services.license_suspend, services.license_revoke):
        with pytest.raises(Forbidden):
            change(license=license, by=actor(charlie, tenant_b))
    assert License.objects.get(pk=license.pk).state == "active"


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"sources": []}, "invalid_sources"),
        ({"sources": ["COSMIC", "dbSNP"]}, "invalid_sources"),
        ({"sources": "COSMIC"}, "invalid_sources"),
        ({"name": "  "}, "invalid_name"),
        ({"ends_at": timezone.now() - timedelta(days=400)}, "invalid_term"),
        (
            {
                "ends_at": timezone.now() - timedelta(minutes=1),
                "starts_at": timezone.now() - timedelta(days=2),
            },
            "invalid_term",
        ),
    ],
)
def test_a_bad_license_is_refused_with_a_clear_code(alice, tenant_a, overrides, code):
    with pytest.raises(ServiceError) as refused:
        sell(tenant_a, actor(alice, tenant_a), **overrides)
    assert refused.value.code == code and refused.value.message
    assert not License.objects.exists()


def test_a_license_name_is_unique_within_its_tenant_only(alice, charlie, tenant_a, tenant_b):
    sell(tenant_a, actor(alice, tenant_a))
    with pytest.raises(Conflict):
        sell(tenant_a, actor(alice, tenant_a))
    tenant_b_admin = Membership.objects.get(user=charlie, tenant=tenant_b)
    tenant_b_admin.role = "admin"
    tenant_b_admin.save()
    assert sell(tenant_b, actor(charlie, tenant_b)).tenant == tenant_b


def test_suspend_resume_and_revoke_are_audited_and_revocation_is_final(alice, tenant_a):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    assert services.license_suspend(license=license, by=by).status == "suspended"
    assert services.license_suspend(license=license, by=by).status == "suspended"  # idempotent
    assert services.license_resume(license=license, by=by).status == "active"
    assert services.license_revoke(license=license, by=by).status == "revoked"
    with pytest.raises(Conflict):
        services.license_resume(license=license, by=by)
    with pytest.raises(Conflict):
        services.license_update(license=license, by=by, ends_at=timezone.now() + timedelta(days=900))
    actions = list(
        Event.objects.filter(target_id=str(license.pk))
        .order_by("created_at")
        .values_list("action", flat=True)
    )
    assert actions == ["license.create", "license.suspend", "license.resume", "license.revoke"]


def test_extending_the_term_and_changing_sources_records_what_changed(alice, tenant_a):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    later = license.ends_at + timedelta(days=180)
    services.license_update(license=license, by=by, ends_at=later, sources=["OMIM", "COSMIC"])
    license.refresh_from_db()
    assert license.ends_at == later and license.sources == ["COSMIC", "OMIM"]
    event = Event.objects.get(action="license.update", target_id=str(license.pk))
    assert set(event.data["changes"]) == {"ends_at", "sources"}
    assert event.data["changes"]["sources"] == {"from": ["COSMIC", "SpliceAI"], "to": ["COSMIC", "OMIM"]}
    services.license_update(license=license, by=by, sources=["OMIM", "COSMIC"])  # no change: no event
    assert Event.objects.filter(action="license.update").count() == 1


def test_a_license_past_its_end_is_expired_before_any_sweep_and_cannot_be_suspended(alice, tenant_a):
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    license.refresh_from_db()
    assert license.state == "active" and license.status == "expired"
    with pytest.raises(Conflict) as refused:
        services.license_suspend(license=license, by=by)
    assert refused.value.code == "license_expired"


def test_the_database_refuses_a_term_that_ends_before_it_starts(alice, tenant_a):
    from django.db import IntegrityError

    license = sell(tenant_a, actor(alice, tenant_a))
    with pytest.raises(IntegrityError):
        License.objects.filter(pk=license.pk).update(ends_at=license.starts_at)
