"""Issuing premium.lic files: what a file says, one current file per credential, no file for a
license that is not active."""

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

import premiumlic
from licenses import keyring, services
from licenses.models import Credential, LicenseFile
from tests.helpers import sell, serial

DAY = timedelta(days=1)


def test_a_file_names_the_license_its_sources_and_a_fingerprint_of_its_credential(
    own_keyring, license, by, tenant_a
):
    credential = serial(license, by)
    issued = services.license_file_issue(credential_id=credential.pk)
    payload = keyring.current().verify(issued.text)
    assert payload["lid"] == str(license.pk) and payload["fid"] == str(issued.pk)
    assert (payload["tid"], payload["tenant"]) == (str(tenant_a.pk), "acme.localhost")
    assert payload["method"] == "dragen_serial" and payload["sources"] == ["COSMIC", "SpliceAI"]
    assert payload["cred"] == premiumlic.credential_fingerprint("SN-100") and "SN-100" not in issued.text
    assert payload["exp"] - payload["iat"] == 90 * 86400
    assert issued.expires_at.timestamp() == payload["exp"] and issued.status == "current"
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is None


def test_a_file_never_outlives_its_license_nor_starts_before_it(own_keyring, tenant_a, by):
    now = timezone.now()
    short = sell(tenant_a, by, name="short", starts_at=now + 2 * DAY, ends_at=now + 10 * DAY)
    payload = keyring.current().verify(services.license_file_issue(credential_id=serial(short, by).pk).text)
    assert payload["nbf"] == int(short.starts_at.timestamp()) and payload["exp"] == int(
        short.ends_at.timestamp()
    )


def test_issuing_again_returns_the_current_file_until_a_new_one_is_wanted(own_keyring, license, by):
    credential = serial(license, by)
    first = services.license_file_issue(credential_id=credential.pk)
    assert services.license_file_issue(credential_id=credential.pk).pk == first.pk  # a repeated job
    services.license_update(license=license, by=by, sources=["OMIM"])  # files name the sources
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is not None
    second = services.license_file_issue(credential_id=credential.pk)
    assert second.pk != first.pk and keyring.current().verify(second.text)["sources"] == ["OMIM"]
    statuses = dict(LicenseFile.objects.values_list("id", "status"))
    assert statuses == {first.pk: "superseded", second.pk: "current"}


def test_a_file_near_its_end_is_replaced_unless_the_license_ends_first(own_keyring, tenant_a, license, by):
    credential = serial(license, by)
    first = services.license_file_issue(credential_id=credential.pk)
    soon = timezone.now() + timedelta(days=80)  # 10 days before the file's end
    assert services.license_file_issue(credential_id=credential.pk, now=soon).pk != first.pk

    now = timezone.now()
    ending = sell(tenant_a, by, name="ending", ends_at=now + 10 * DAY)
    last = services.license_file_issue(credential_id=serial(ending, by, "SN-END").pk)
    assert last.expires_at == ending.ends_at
    assert services.license_file_issue(credential_id=last.credential_id, now=now + DAY).pk == last.pk


@pytest.mark.parametrize("change", ["suspend", "revoke", "disable", "expire"])
def test_no_file_for_a_license_that_is_not_active_or_a_disabled_credential(own_keyring, license, by, change):
    credential = serial(license, by)
    if change == "disable":
        services.credential_set_enabled(credential=credential, by=by, enabled=False)
    elif change == "expire":
        type(license).objects.filter(pk=license.pk).update(ends_at=timezone.now() - timedelta(seconds=1))
    else:
        getattr(services, f"license_{change}")(license=license, by=by)
    assert services.license_file_issue(credential_id=credential.pk) is None
    assert not LicenseFile.objects.exists()
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is None


def test_a_deleted_credential_issues_nothing(own_keyring, license, by):
    credential = serial(license, by)
    services.credential_delete(credential=credential, by=by)
    assert services.license_file_issue(credential_id=credential.pk) is None


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_for_one_credential_leave_exactly_one_current_file(own_keyring, license, by):
    credential = serial(license, by, "SN-RACE")
    barrier, outcomes = threading.Barrier(8), Counter()

    def issue():
        try:
            barrier.wait()
            outcomes[services.license_file_issue(credential_id=credential.pk).pk] += 1
        except Exception as exc:
            outcomes[type(exc).__name__] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=issue) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    current = LicenseFile.objects.get(credential=credential)
    assert outcomes == {current.pk: 8}
    # Each waited for the one before it and found its file: one file, however many asked.
    assert Counter(LicenseFile.objects.values_list("status", flat=True)) == {"current": 1}


def test_a_batch_issues_what_is_due_and_returns_the_rest_as_it_is(own_keyring, license, by):
    wanted, fresh, disabled = (serial(license, by, f"SN-B{n}") for n in range(3))
    fresh_file = services.license_file_issue(credential_id=fresh.pk)
    services.credential_set_enabled(credential=disabled, by=by, enabled=False)
    gone = uuid.uuid4()
    with CaptureQueriesContext(connection) as queries:
        issued = services.license_files_issue(credential_ids=[wanted.pk, fresh.pk, disabled.pk, gone])
    assert set(issued) == {wanted.pk, fresh.pk, disabled.pk}
    assert issued[fresh.pk].pk == fresh_file.pk and issued[disabled.pk] is None
    assert keyring.current().verify(issued[wanted.pk].text)["cred"] == premiumlic.credential_fingerprint(
        "SN-B0"
    )
    assert len(queries) <= 13  # the same few for a batch of any size (4 name the copies to change)
    assert Credential.objects.filter(file_wanted_at__isnull=False).count() == 0


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_at_once_never_deadlock_and_issue_once(own_keyring, license, by):
    credentials = [serial(license, by, f"SN-O{n:02d}").pk for n in range(40)]
    batches = [credentials[:30], list(reversed(credentials[10:])), credentials[::2], credentials[1::2]]
    barrier, errors = threading.Barrier(len(batches)), []

    def issue(batch):
        try:
            barrier.wait()
            services.license_files_issue(credential_ids=batch)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=issue, args=(batch,)) for batch in batches]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert LicenseFile.objects.filter(status="current").count() == 40 == LicenseFile.objects.count()
