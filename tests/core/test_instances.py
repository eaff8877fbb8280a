"""Model instances built from what a process holds (core/instances.py) behave as loaded rows."""

import datetime

from django.utils import timezone

from accounts.hosts import tenant_for_domain
from accounts.models import Membership
from core.instances import copy_of, loaded
from tests.factories import MembershipFactory, TenantFactory


def test_a_built_instance_reads_a_field_it_was_not_given_from_its_row(db, django_assert_num_queries):
    long_ago = timezone.now() - datetime.timedelta(days=400)
    row = MembershipFactory(role="admin")
    Membership.objects.filter(pk=row.pk).update(tokens_valid_from=long_ago)
    built = loaded(Membership, tenant=row.tenant, user=row.user, id=row.pk, role="admin", is_active=True)
    with django_assert_num_queries(0):
        assert built.is_admin
        assert built.tenant is row.tenant and built.tenant_id == row.tenant_id
    with django_assert_num_queries(1):
        assert built.tokens_valid_from == long_ago  # the row's, not a default of "now"
    assert not built._state.adding and built == row


def test_a_tenant_changed_by_one_request_is_unchanged_for_the_next(db):
    TenantFactory(domain="copies.localhost", name="Before")
    mine = tenant_for_domain("copies.localhost")
    mine.name = "Changed in a view"
    mine._state.fields_cache["anything"] = object()
    again = tenant_for_domain("copies.localhost")
    assert again.name == "Before" and "anything" not in again._state.fields_cache
    assert again == mine and again is not mine


def test_a_copy_is_a_saved_instance_of_the_same_row(db):
    tenant = TenantFactory()
    copy = copy_of(tenant)
    copy.name = "Renamed"
    copy.save(update_fields=["name"])
    tenant.refresh_from_db()
    assert tenant.name == "Renamed" and not copy._state.adding
