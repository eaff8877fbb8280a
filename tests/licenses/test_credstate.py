"""The download's copies of credentials (licenses/credstate.py): a fetch repeated by a pipeline
reads nothing from the database, and every change that matters is seen on the very next fetch,
made in this process or in another."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Tenant
from licenses import credstate, keyring, services
from licenses.models import Credential
from tests.conftest import change_tenant
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import actor, add, code, fetch, in_another_process, sell

SERIAL = {"DragenSerialNo": "SN-COPY"}


def payload(response) -> dict:
    assert response.status_code == 200, response.content
    return keyring.current().verify(response.content.decode())


def kept(serial: str = "SN-COPY", domain: str = "acme.localhost") -> bool:
    tenant = Tenant.objects.get(domain=domain)
    return credstate.holds(credstate.identity(tenant.pk, Credential.Method.DRAGEN_SERIAL, serial))


pytestmark = pytest.mark.usefixtures("usage_in_memory")  # the served-from-memory path writes nothing


def served_from_memory(host: str = "acme.localhost") -> bytes:
    with CaptureQueriesContext(connection) as queries:
        response = fetch(SERIAL, host=host)
    assert response.status_code == 200 and not queries.captured_queries
    return response.content


@pytest.fixture
def serial(own_keyring, license, by):
    """A serial number on tenant A's license whose fetch this process now answers from its copy."""
    credential = add(license, by, "dragen_serial", serial_number="SN-COPY").credential
    first = fetch(SERIAL)  # issues the first file (no worker here): the credential changed
    assert fetch(SERIAL).content == first.content  # read again, and kept
    assert served_from_memory() == first.content
    return credential


def test_a_repeated_fetch_reads_nothing_from_the_database(serial):
    assert kept()
    assert served_from_memory() == served_from_memory()


def _disable(license, by, credential):
    services.credential_set_enabled(credential=credential, by=by, enabled=False)


def _delete_credential(license, by, credential):
    services.credential_delete(credential=credential, by=by)


def _suspend(license, by, credential):
    services.license_suspend(license=license, by=by)


def _revoke(license, by, credential):
    services.license_revoke(license=license, by=by)


def _delete_license(license, by, credential):
    services.license_delete(license=license, by=by)


def _deactivate_tenant(license, by, credential):
    change_tenant(license.tenant, is_active=False)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_disable, "INVALID_CREDENTIALS"),
        (_delete_credential, "INVALID_CREDENTIALS"),
        (_suspend, "LICENSE_SUSPENDED"),
        (_revoke, "LICENSE_REVOKED"),
        (_delete_license, "INVALID_CREDENTIALS"),
    ],
)
def test_a_change_that_refuses_the_credential_is_seen_on_the_next_fetch(
    serial, license, by, change, expected
):
    change(license, by, serial)
    assert code(fetch(SERIAL)) == expected


def test_a_deactivated_tenants_credentials_are_refused_on_the_next_fetch(serial, license, by):
    _deactivate_tenant(license, by, serial)
    assert fetch(SERIAL).status_code == 404  # its domain is no host of ours any more
    assert code(fetch(SERIAL, host="localhost")) == "INVALID_CREDENTIALS"  # no credential on an operator host


def test_new_sources_and_a_new_end_are_in_the_next_fetch(serial, license, by):
    services.license_update(license=license, by=by, sources=["OMIM"])
    assert payload(fetch(SERIAL))["sources"] == ["OMIM"]
    fetch(SERIAL)
    served_from_memory()
    ends_at = (timezone.now() + timedelta(days=20)).replace(microsecond=0)
    services.license_update(license=license, by=by, ends_at=ends_at)
    assert payload(fetch(SERIAL))["exp"] == int(ends_at.timestamp())


def test_a_file_issued_elsewhere_is_what_the_next_fetch_serves(serial):
    before = keyring.current().verify(served_from_memory().decode())
    services.files_want(Credential.objects.filter(pk=serial.pk))
    issued = services.license_file_issue(credential_id=serial.pk)  # as the worker does
    assert issued.pk != before["fid"]
    assert payload(fetch(SERIAL))["fid"] == str(issued.pk)


def test_a_resumed_license_and_a_re_enabled_credential_fetch_again(serial, license, by):
    services.license_suspend(license=license, by=by)
    assert code(fetch(SERIAL)) == "LICENSE_SUSPENDED"
    services.license_resume(license=license, by=by)
    assert fetch(SERIAL).status_code == 200
    fetch(SERIAL)
    served_from_memory()
    services.credential_set_enabled(credential=serial, by=by, enabled=False)
    assert code(fetch(SERIAL)) == "INVALID_CREDENTIALS"
    services.credential_set_enabled(credential=serial, by=by, enabled=True)
    assert fetch(SERIAL).status_code == 200


def test_a_serial_number_registered_after_a_failed_try_is_found_at_once(own_keyring, license, by):
    assert code(fetch({"DragenSerialNo": "SN-LATER"})) == "INVALID_CREDENTIALS"
    add(license, by, "dragen_serial", serial_number="SN-LATER")
    assert fetch({"DragenSerialNo": "SN-LATER"}).status_code == 200


def test_a_serial_number_moved_to_another_license_serves_that_license(serial, license, by, tenant_a):
    """Deleted, then registered again on another license (with other sources)."""
    other = sell(tenant_a, by, name="Second instrument", sources=["PromoterAI"])
    services.credential_delete(credential=serial, by=by)
    add(other, by, "dragen_serial", serial_number="SN-COPY")
    assert payload(fetch(SERIAL))["lid"] == str(other.pk)


def test_unknown_serial_numbers_leave_nothing_in_redis_or_in_memory(own_keyring, license):
    for n in range(5):
        assert code(fetch({"DragenSerialNo": f"SN-NOBODY-{n}"})) == "INVALID_CREDENTIALS"
        ident = credstate.identity(license.tenant_id, Credential.Method.DRAGEN_SERIAL, f"SN-NOBODY-{n}")
        assert cache.get(credstate._copies.generation(ident)) is None
        assert not credstate.holds(ident)


def test_without_tracking_copies_are_checked_against_the_cache(serial, settings, django_assert_num_queries):
    settings.PORTAL_TRACKING_URL = ""
    fetch(SERIAL)
    fetch(SERIAL)
    with django_assert_num_queries(0):  # the generations come from one cache round trip instead
        assert fetch(SERIAL).status_code == 200
    assert kept()
    credential = Credential.objects.get(identifier="SN-COPY")
    credential.license.credentials.update(is_enabled=False)  # a bulk write: its generation moves too
    assert code(fetch(SERIAL)) == "INVALID_CREDENTIALS"


@pytest.mark.django_db(transaction=True)
def test_changes_made_by_another_process_are_seen_on_the_very_next_fetch():
    """As a second web worker, or the Celery worker issuing files, would make them."""
    tenant = TenantFactory(domain="copies.localhost", slug="copies")
    admin = UserFactory()
    MembershipFactory(tenant=tenant, user=admin, role="admin")
    license = sell(tenant, actor(admin, tenant))
    add(license, actor(admin, tenant), "dragen_serial", serial_number="SN-COPY")
    fetch(SERIAL, host="copies.localhost")  # issues the first file
    fetch(SERIAL, host="copies.localhost")
    first = keyring.current().verify(served_from_memory("copies.localhost").decode())

    in_another_process(  # as the worker does: a new file is wanted, then issued
        "from licenses import services; from licenses.models import Credential; "
        "services.files_want(Credential.objects.filter(identifier='SN-COPY')); "
        "services.license_file_issue(credential_id=Credential.objects.get(identifier='SN-COPY').pk)"
    )
    second = payload(fetch(SERIAL, host="copies.localhost"))
    assert second["fid"] != first["fid"]
    served_from_memory("copies.localhost")

    in_another_process(
        "from accounts.services import Actor; from licenses import services; "
        "from licenses.models import License; "
        f"license = License.objects.select_related('tenant').get(pk='{license.pk}'); "
        "services.license_revoke(license=license, by=Actor.system_actor())"
    )
    assert code(fetch(SERIAL, host="copies.localhost")) == "LICENSE_REVOKED"
