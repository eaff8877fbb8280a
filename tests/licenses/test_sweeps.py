"""The periodic work on licenses, run as services here (tests/licenses/test_tasks.py runs it through
a worker): expiring files and licenses, refreshing files near their end, re-queueing lost jobs,
reminding tenant admins before a license ends."""

from datetime import timedelta

from django.core import mail
from django.db import connection
from django.utils import timezone

from accounts.models import Event
from licenses import services
from licenses.models import Credential, License, LicenseFile, SweepMark
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import sell, serial

DAY = timedelta(days=1)


def issued(credential, **changes) -> LicenseFile:
    """Issue the credential's file now, then change the row as if time had passed."""
    file = services.license_file_issue(credential_id=credential.pk)
    if changes:
        LicenseFile.objects.filter(pk=file.pk).update(**changes)
    return file


def test_the_expiry_sweep_marks_lapsed_files_and_ended_licenses_once(own_keyring, tenant_a, license, by):
    now = timezone.now()
    lapsed = issued(serial(license, by, "SN-1"), expires_at=now - DAY)
    live = issued(serial(license, by, "SN-2"))
    old = sell(tenant_a, by, name="old")
    old_file = issued(serial(old, by, "SN-3"))
    License.objects.filter(pk=old.pk).update(ends_at=now - DAY)
    LicenseFile.objects.filter(pk=old_file.pk).update(expires_at=now - DAY)

    assert services.licenses_expire() == {"files": 2, "licenses": 1}
    assert services.licenses_expire() == {"files": 0, "licenses": 0}  # idempotent
    statuses = dict(LicenseFile.objects.values_list("pk", "status"))
    assert statuses == {lapsed.pk: "expired", live.pk: "current", old_file.pk: "expired"}
    assert dict(License.objects.values_list("name", "state")) == {license.name: "active", "old": "expired"}
    event = Event.objects.get(action="license.expire")
    assert (event.target_id, event.actor_email) == (str(old.pk), "system")


def test_each_expiry_sweep_takes_up_what_lapsed_since_the_one_before(own_keyring, license, by):
    now = timezone.now()
    issued(serial(license, by, "SN-EARLY"), expires_at=now - DAY)
    later = issued(serial(license, by, "SN-LATER"), expires_at=now + 20 * DAY)
    assert services.licenses_expire(now=now)["files"] == 1
    assert SweepMark.objects.get(name="license-files").swept_until == now
    assert services.licenses_expire(now=now + 30 * DAY)["files"] == 1
    assert LicenseFile.objects.get(pk=later.pk).status == "expired"
    assert services.licenses_expire(now=now + 31 * DAY)["files"] == 0


def test_a_suspended_license_past_its_end_is_expired_too(license, by):
    services.license_suspend(license=license, by=by)
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - DAY)
    assert License.objects.get(pk=license.pk).status == "expired"
    assert services.licenses_expire()["licenses"] == 1


def test_the_refresh_sweep_wants_new_files_only_where_they_would_last_longer(
    own_keyring, tenant_a, license, by
):
    now = timezone.now()
    near_end = serial(license, by, "SN-NEAR")
    issued(near_end, expires_at=now + 10 * DAY)
    issued(serial(license, by, "SN-FRESH"))
    without = serial(license, by, "SN-NONE")
    Credential.objects.filter(pk=without.pk).update(file_wanted_at=None)  # e.g. its file expired
    disabled = serial(license, by, "SN-OFF")
    services.credential_set_enabled(credential=disabled, by=by, enabled=False)
    ending = sell(tenant_a, by, name="ending", ends_at=now + 10 * DAY)
    issued(serial(ending, by, "SN-ENDING"))  # its file already ends with the license
    suspended = sell(tenant_a, by, name="suspended")
    issued(serial(suspended, by, "SN-SUSP"), expires_at=now + DAY)
    services.license_suspend(license=suspended, by=by)

    assert services.license_files_refresh() == {"refreshed": 2, "requeued": 0}
    wanted = set(Credential.objects.filter(file_wanted_at__isnull=False).values_list("identifier", flat=True))
    assert wanted == {"SN-NEAR", "SN-NONE"}
    assert services.license_files_refresh() == {"refreshed": 0, "requeued": 0}  # already wanted


def test_the_refresh_sweep_requeues_wishes_whose_job_was_lost_once_per_interval(own_keyring, license, by):
    lost = serial(license, by, "SN-LOST")  # as if the broker was down when it was added
    Credential.objects.filter(pk=lost.pk).update(file_wanted_at=timezone.now() - timedelta(minutes=5))
    serial(license, by, "SN-QUEUED")  # just added: its job is on its way
    assert services.license_files_refresh() == {"refreshed": 0, "requeued": 1}
    assert services.license_files_refresh() == {"refreshed": 0, "requeued": 0}  # re-armed for later


def test_renewing_an_expired_license_makes_it_active_and_wants_new_files(own_keyring, license, by):
    credential = serial(license, by)
    issued(credential)
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - DAY)
    services.licenses_expire()
    Credential.objects.filter(pk=credential.pk).update(file_wanted_at=None)
    services.license_update(license=license, by=by, ends_at=timezone.now() + 100 * DAY)
    license.refresh_from_db()
    assert license.state == "active" and license.ends_at.microsecond == 0
    assert Credential.objects.get(pk=credential.pk).file_wanted_at is not None
    assert Event.objects.get(action="license.update").data["changes"]["state"] == {
        "from": "expired",
        "to": "active",
    }


def test_reminders_go_to_each_admin_30_and_7_days_before_the_end_once_each(
    tenant_a, license, by, bob, settings
):
    settings.PORTAL_TENANT_URL = "http://{domain}:8000"
    other_admin = UserFactory(email="ada@acme.test")
    MembershipFactory(tenant=tenant_a, user=other_admin, role="admin")
    now = timezone.now()
    License.objects.filter(pk=license.pk).update(ends_at=now + 20 * DAY)

    assert services.license_reminders_send() == 1
    assert sorted(message.to[0] for message in mail.outbox) == ["ada@acme.test", "alice@acme.test"]
    message = mail.outbox[0]
    assert message.subject == f'[Acme Genomics] License "{license.name}" ends in 20 days'
    assert f"http://acme.localhost:8000/licenses/{license.pk}/" in message.body
    assert services.license_reminders_send() == 0  # once

    assert services.license_reminders_send(now=now + 14 * DAY) == 1  # 6 days left
    assert len(mail.outbox) == 4 and "ends in 6 days" in mail.outbox[-1].subject
    assert services.license_reminders_send(now=now + 15 * DAY) == 0


def test_a_license_sold_with_less_than_7_days_left_gets_one_reminder(tenant_a, by):
    sell(tenant_a, by, name="short", ends_at=timezone.now() + 3 * DAY)
    assert services.license_reminders_send() == 1
    assert services.license_reminders_send() == 0
    assert len(mail.outbox) == 1


def test_extending_the_term_owes_the_reminders_again(license, by):
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() + 5 * DAY)
    assert services.license_reminders_send() == 1
    now = timezone.now()
    services.license_update(license=license, by=by, ends_at=now + 60 * DAY)
    assert services.license_reminders_send() == 0
    assert services.license_reminders_send(now=now + 35 * DAY) == 1  # 30 days before the new end
    assert services.license_reminders_send(now=now + 55 * DAY) == 1  # and 7
    assert len(mail.outbox) == 3


def test_no_reminder_for_a_revoked_or_ended_license(tenant_a, license, by):
    services.license_revoke(license=license, by=by)
    License.objects.filter(pk=license.pk).update(ends_at=timezone.now() + 5 * DAY)
    ended = sell(tenant_a, by, name="ended")
    License.objects.filter(pk=ended.pk).update(ends_at=timezone.now() - DAY)
    assert services.license_reminders_send() == 0 and mail.outbox == []


def test_no_index_names_a_files_status_so_the_sweep_updates_rows_in_place(db):
    # PostgreSQL updates a row in place (HOT: no index entry written) only when no indexed
    # column changes: what keeps the expiry sweep over a million files within seconds.
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [LicenseFile._meta.db_table])
        definitions = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [LicenseFile._meta.db_table])
        options = cursor.fetchone()[0]
    assert definitions and not [d for d in definitions if "status" in d]
    assert "fillfactor=50" in options
