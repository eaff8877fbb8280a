"""Sources with their own ends, and the grace: in the files (`src_exp`, `grace`, `seq`), across a
source's end with a moving clock, in the API and the page, and in the reminders."""

import json
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

import premiumlic
from core.errors import ServiceError
from licenses import keyring, services
from licenses.models import LicenseFile, SourceTerm
from tests.helpers import code, fetch, sell, serial

DAY = timedelta(days=1)


def send(method, url, data):
    return method(url, json.dumps(data), content_type="application/json")


def body_of(file: LicenseFile) -> dict:
    return keyring.current().verify(file.text)


def whole(moment):
    return moment.replace(microsecond=0)


@pytest.fixture
def cosmic_ends(tenant_a, by):
    """COSMIC for 20 more days, SpliceAI for the license's year; a week's grace."""
    now = timezone.now()
    return sell(tenant_a, by, source_ends={"COSMIC": now + 20 * DAY}, grace_days=7)


def test_a_file_ends_with_its_earliest_source_and_says_each_end(own_keyring, cosmic_ends, by):
    file = services.license_file_issue(credential_id=serial(cosmic_ends, by).pk)
    body = body_of(file)
    cosmic, license_end = (
        int(end.timestamp()) for end in (cosmic_ends.terms.get().ends_at, cosmic_ends.ends_at)
    )
    assert body["src_exp"] == {"COSMIC": cosmic, "SpliceAI": license_end}
    assert body["exp"] == cosmic  # a verifier that ignores src_exp stops when COSMIC does
    assert body["grace"] == 7 * 86400 and body["seq"] == 1
    assert file.bounded and file.seq == 1


def test_across_a_sources_end_the_next_file_leaves_it_out_and_old_files_stop(own_keyring, cosmic_ends, by):
    credential = serial(cosmic_ends, by)
    first = services.license_file_issue(credential_id=credential.pk)
    end = cosmic_ends.terms.get().ends_at

    # Before the end, the sweep leaves a file that ends with a source alone: nothing would last longer.
    assert services.license_files_refresh(now=end - timedelta(hours=1))["refreshed"] == 0
    assert services.license_file_issue(credential_id=credential.pk, now=end - timedelta(hours=1)) == first

    after = end + timedelta(seconds=1)
    assert services.license_files_refresh(now=after)["refreshed"] == 1
    second = services.license_file_issue(credential_id=credential.pk, now=after)
    body = body_of(second)
    assert body["sources"] == ["SpliceAI"] and set(body["src_exp"]) == {"SpliceAI"}
    assert body["seq"] == 2 and body["exp"] == int(after.timestamp()) + premiumlic.MAX_FILE_LIFETIME
    assert not second.bounded  # ends with its 90 days: refreshed near its end as before

    # The old file grants COSMIC to nobody after its end, whether or not the verifier knows src_exp.
    old = body_of(first)
    v1_only = {field: old[field] for field in ("typ", "fid", "lid", "tid", "tenant", "method", "cred",
                                                "sources", "iat", "nbf", "exp")}  # fmt: skip
    for payload in (old, v1_only):
        with pytest.raises(premiumlic.OutsideWindow):
            premiumlic.check_window(payload, now=end.timestamp() + premiumlic.CLOCK_SKEW)


def test_a_tool_asking_after_a_source_ended_gets_a_file_without_it_at_once(own_keyring, tenant_a, by):
    """The real clock: COSMIC ends a few seconds after the first download (6: time enough for the
    sale and the first file on a busy machine running the suite in two processes)."""
    now = timezone.now()
    license = sell(tenant_a, by, source_ends={"COSMIC": whole(now) + timedelta(seconds=6)})
    serial(license, by, "SN-CLOCK")
    first = fetch({"DragenSerialNo": "SN-CLOCK"})
    assert first.status_code == 200, first.content
    assert keyring.current().verify(first.content.decode())["sources"] == ["COSMIC", "SpliceAI"]
    time.sleep(max(0.0, (license.terms.get().ends_at - timezone.now()).total_seconds()) + 0.5)
    second = fetch({"DragenSerialNo": "SN-CLOCK"})
    body = keyring.current().verify(second.content.decode())
    assert body["sources"] == ["SpliceAI"] and body["seq"] == 2


def test_files_are_numbered_per_credential(own_keyring, license, by):
    one, two = serial(license, by, "SN-1"), serial(license, by, "SN-2")
    assert body_of(services.license_file_issue(credential_id=one.pk))["seq"] == 1
    services.license_update(license=license, by=by, sources=["COSMIC"])
    assert body_of(services.license_file_issue(credential_id=one.pk))["seq"] == 2
    assert body_of(services.license_file_issue(credential_id=two.pk))["seq"] == 1


def test_changing_a_sources_end_or_the_grace_reissues_and_is_audited(own_keyring, cosmic_ends, by):
    credential = serial(cosmic_ends, by)
    services.license_file_issue(credential_id=credential.pk)
    later = whole(timezone.now() + 40 * DAY)
    services.license_update(license=cosmic_ends, by=by, source_ends={"COSMIC": later}, grace_days=3)
    file = services.license_file_issue(credential_id=credential.pk)
    body = body_of(file)
    assert body["src_exp"]["COSMIC"] == int(later.timestamp()) and body["grace"] == 3 * 86400
    event = cosmic_ends.tenant.events.filter(action="license.update").latest("created_at")
    assert set(event.data["changes"]) == {"source_ends", "grace_days"}
    # Left out, a source runs to the license's end again.
    services.license_update(license=cosmic_ends, by=by, source_ends={})
    assert not SourceTerm.objects.exists()


def test_moving_the_license_end_before_a_sources_end_drops_that_end(cosmic_ends, by):
    services.license_update(license=cosmic_ends, by=by, ends_at=timezone.now() + 10 * DAY)
    assert not SourceTerm.objects.exists()
    assert set(cosmic_ends.source_ends().values()) == {cosmic_ends.ends_at}


@pytest.mark.parametrize(
    ("source_ends", "grace", "message"),
    [
        ({"OMIM": 10}, 0, "not one of this license's sources"),
        ({"COSMIC": 400}, 0, "within the license's term"),
        ({"COSMIC": -3}, 0, "within the license's term"),
        ({"COSMIC": 10, "SpliceAI": 20}, 0, "At least one source runs to the license's end"),
        ({}, 15, "0 to 14"),
        ({}, -1, "0 to 14"),
    ],
)
def test_ends_outside_the_term_and_grace_past_two_weeks_are_refused(
    tenant_a, by, source_ends, grace, message
):
    now = timezone.now()
    ends = {source: now + days * DAY for source, days in source_ends.items()}
    with pytest.raises(ServiceError, match=message):
        sell(tenant_a, by, source_ends=ends, grace_days=grace)


def test_the_api_takes_and_shows_each_sources_end_and_the_grace(as_alice, as_charlie):
    ends_at = whole(timezone.now() + 300 * DAY)
    cosmic = whole(timezone.now() + 30 * DAY)
    created = send(
        as_alice.post,
        "/api/licenses",
        {
            "name": "Core",
            "sources": ["COSMIC", "OMIM"],
            "ends_at": ends_at.isoformat(),
            "source_ends": {"COSMIC": cosmic.isoformat()},
            "grace_days": 5,
        },
    )
    assert created.status_code == 201, created.content
    shown = as_alice.get(f"/api/licenses/{created.json()['id']}").json()
    assert shown["grace_days"] == 5
    assert {s: timezone.datetime.fromisoformat(e) for s, e in shown["source_ends"].items()} == {
        "COSMIC": cosmic,
        "OMIM": ends_at,
    }
    url = f"/api/licenses/{shown['id']}"
    patched = send(as_alice.patch, url, {"source_ends": {"OMIM": cosmic.isoformat()}})
    assert (
        patched.status_code == 200 and patched.json()["source_ends"]["COSMIC"] == shown["source_ends"]["OMIM"]
    )
    refused = send(as_alice.patch, url, {"source_ends": {"PromoterAI": cosmic.isoformat()}})
    assert refused.status_code == 400 and code(refused) == "invalid_source_ends"
    assert send(as_alice.patch, url, {"grace_days": 15}).status_code == 400
    assert as_charlie.get(url).status_code == 404  # another tenant's


def test_the_page_sets_a_sources_end_and_the_grace(as_alice, license):
    end = (timezone.now() + 45 * DAY).date()
    index = premiumlic.SOURCES.index("COSMIC")
    form = {
        "name": license.name,
        "sources": license.sources,
        "ends_on": license.ends_at.date().isoformat(),
        f"source_end_{index}": end.isoformat(),
        "grace_days": "2",
    }
    answer = as_alice.post(f"/licenses/{license.pk}/edit", form, follow=True)
    assert answer.status_code == 200
    page = answer.content.decode()
    assert f"COSMIC until {end.isoformat()} 23:59 UTC" in page
    assert "may keep an expired file 2 days" in page
    license.refresh_from_db()
    assert license.grace_days == 2 and license.terms.get().ends_at.date() == end

    form[f"source_end_{index}"] = (license.ends_at + 3 * DAY).date().isoformat()  # past the license
    refused = as_alice.post(f"/licenses/{license.pk}/edit", form)
    assert refused.status_code == 400 and "within the license" in refused.content.decode()


def test_admins_are_reminded_of_a_sources_end_at_30_and_7_days_once_each(tenant_a, by, alice):
    now = timezone.now()
    license = sell(tenant_a, by, source_ends={"COSMIC": now + 25 * DAY})
    mail.outbox.clear()
    assert services.license_reminders_send(now=now) == 1
    assert services.license_reminders_send(now=now) == 0
    (message,) = mail.outbox
    assert message.to == [alice.email] and "] COSMIC on license" in message.subject
    assert "ends on" in message.body and "in 25 days" in message.body
    assert services.license_reminders_send(now=now + 19 * DAY) == 1  # 6 days left
    assert services.license_reminders_send(now=now + 20 * DAY) == 0
    assert len(mail.outbox) == 2 and "in 6 days" in mail.outbox[1].body
    assert license.reminded_30_at is None  # the license's own end is a year away
