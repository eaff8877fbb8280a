"""Usage from real requests: premium.lic downloads counted per credential, day and address, online
validations per credential and day, both charted on the license page; tenant admins alerted once
when a credential is fetched from too many addresses in a day, or falls silent after fetching
daily."""

from datetime import timedelta

from django.core import mail
from django.utils import timezone

from accounts.models import Event
from core.models import UsageCount
from licenses import services
from licenses.models import USAGE_FETCHES, USAGE_VALIDATIONS, UsageAlert
from tests.helpers import fetch, serial, validate

SERIAL = {"DragenSerialNo": "SN-100"}


def counts(kind, credential) -> dict:
    rows = UsageCount.objects.filter(kind=kind, subject=credential.pk, day=timezone.now().date())
    return dict(rows.values_list("detail", "count"))


def test_downloads_are_counted_by_address_and_validations_by_credential(own_keyring, as_alice, license, by):
    credential = serial(license, by)
    for address in ("192.0.2.1", "192.0.2.1", "192.0.2.2", "2001:db8::1"):
        answer = fetch(SERIAL, REMOTE_ADDR=address)
        assert answer.status_code == 200
    for _ in range(3):
        assert validate(answer.content.decode()).json()["valid"] is True
    assert fetch({"DragenSerialNo": "SN-NONE"}, REMOTE_ADDR="192.0.2.9").status_code == 401  # not counted
    assert counts(USAGE_FETCHES, credential) == {"192.0.2.1": 2, "192.0.2.2": 1, "2001:db8::1": 1}
    assert counts(USAGE_VALIDATIONS, credential) == {"": 3}
    page = as_alice.get(f"/licenses/{license.pk}/").content.decode()
    assert "Validations" in page and "Downloads" in page


def test_a_credential_fetched_from_too_many_addresses_alerts_the_admins_once(
    own_keyring, settings, license, by, alice
):
    settings.PORTAL_LICENSE_ADDRESSES_ALERT = 2
    credential = serial(license, by)
    for address in ("192.0.2.1", "192.0.2.2"):
        fetch(SERIAL, REMOTE_ADDR=address)
    mail.outbox.clear()
    assert services.usage_alerts_send() == 0  # two addresses: as many as allowed
    fetch(SERIAL, REMOTE_ADDR="198.51.100.3")
    assert services.usage_alerts_send() == 1
    assert services.usage_alerts_send() == 0
    fetch(SERIAL, REMOTE_ADDR="198.51.100.4")  # more still, the same day: still one alert
    assert services.usage_alerts_send() == 0
    (message,) = mail.outbox
    assert message.to == [alice.email] and "3 addresses" in message.subject and "SN-100" in message.body
    assert UsageAlert.objects.get().credential == credential
    assert Event.objects.filter(action="credential.alert_addresses", data__addresses=3).count() == 1


def test_a_credential_that_fetched_daily_and_fell_silent_for_7_days_alerts_once(license, by, alice):
    daily, irregular = serial(license, by, "SN-DAILY"), serial(license, by, "SN-SOMETIMES")
    today = timezone.now().date()
    last = today - timedelta(days=7)

    def fetched(credential, days_before_last):  # the counts past requests wrote on those days
        return [UsageCount(kind=USAGE_FETCHES, subject=credential.pk, day=last - timedelta(days=n), count=4)
                for n in days_before_last]  # fmt: skip

    UsageCount.objects.bulk_create(fetched(daily, range(7)) + fetched(irregular, (0, 2, 4, 6)))
    mail.outbox.clear()
    assert services.usage_alerts_send(now=timezone.now() - timedelta(days=1)) == 0  # silent 6 days only
    assert services.usage_alerts_send() == 1
    assert services.usage_alerts_send(now=timezone.now() + timedelta(days=1)) == 0  # the same silence
    (message,) = mail.outbox
    assert "SN-DAILY" in message.subject and last.isoformat() in message.body
    alert = UsageAlert.objects.get()
    assert (alert.credential_id, alert.kind, alert.day) == (daily.pk, "silent", last + timedelta(days=1))


def test_a_suspended_license_alerts_nobody(license, by):
    credential = serial(license, by, "SN-PAUSED")
    last = timezone.now().date() - timedelta(days=8)
    UsageCount.objects.bulk_create(
        UsageCount(kind=USAGE_FETCHES, subject=credential.pk, day=last - timedelta(days=n), count=1)
        for n in range(7)
    )
    services.license_suspend(license=license, by=by)
    assert services.usage_alerts_send() == 0
