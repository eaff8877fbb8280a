"""The annotation tools' endpoints: POST /api/licensing/premium.lic with a credentials.json, and
POST /api/licensing/validate with a premium.lic. Every method, the priority order, every code,
the same answer for every bad credential, and brute force refused."""

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

import core.db as core_db
import premiumlic
from licenses import credentials, credstate, services
from licenses.models import Credential, License, LicenseFile
from tests.helpers import add, code, fetch, make_key, published_keys, sell, validate

DAY = timedelta(days=1)


def test_a_lab_tool_gets_a_license_for_its_serial_number_that_verifies_offline_until_it_expires(
    own_keyring, license, by
):
    add(license, by, "dragen_serial", serial_number="SN-LAB-1")
    response = fetch({"DragenSerialNo": "SN-LAB-1"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="premium.lic"'
    assert response["Content-Security-Policy"] == "default-src 'none'; frame-ancestors 'none'"  # a file
    text = response.content.decode()
    payload = premiumlic.verify(text, published_keys())  # offline, with the published key only
    assert payload["sources"] == ["COSMIC", "SpliceAI"] and payload["method"] == "dragen_serial"
    assert payload["lid"] == str(license.pk) and "SN-LAB-1" not in text
    premiumlic.check_window(payload, now=payload["exp"] + premiumlic.CLOCK_SKEW - 1)
    with pytest.raises(premiumlic.OutsideWindow) as outside:
        premiumlic.check_window(payload, now=payload["exp"] + premiumlic.CLOCK_SKEW + 1)
    assert outside.value.expired

    assert validate(text).json()["valid"] is True
    services.license_revoke(license=license, by=by)
    assert validate(text).json() == {
        "valid": False,
        "code": "LICENSE_REVOKED",
        "license_id": str(license.pk),
        "sources": ["COSMIC", "SpliceAI"],
        "expires_at": datetime.fromtimestamp(payload["exp"], tz=UTC).isoformat(),
        "by_source": [
            {
                "source": source,
                "status": "refused" if source in license.sources else "not_in_license",
                "ends_at": license.ends_at.isoformat() if source in license.sources else None,
            }
            for source in premiumlic.SOURCES
        ],
    }
    assert code(fetch({"DragenSerialNo": "SN-LAB-1"})) == "LICENSE_REVOKED"


def test_byol_credentials_and_a_dragen_api_key_each_get_their_own_file(own_keyring, license, by):
    byol = add(license, by, "byol")
    key = add(license, by, "dragen_api_key")
    by_byol = fetch({"ApiKey": byol.secrets["api_key"], "ApiSecret": byol.secrets["api_secret"]})
    by_key = fetch({"DragenApiKey": key.secrets["key"]})
    assert by_byol.status_code == by_key.status_code == 200
    assert premiumlic.verify(by_byol.content.decode(), published_keys())["method"] == "byol"
    payload = premiumlic.verify(by_key.content.decode(), published_keys())
    assert payload["method"] == "dragen_api_key"
    assert payload["cred"] == premiumlic.credential_fingerprint(str(key.credential.pk))
    assert key.secrets["key"] not in by_key.content.decode()


def test_the_downloaded_credentials_json_works_as_is(own_keyring, license, by):
    byol = add(license, by, "byol")
    body = credentials.credentials_json(ApiKey=byol.secrets["api_key"], ApiSecret=byol.secrets["api_secret"])
    assert fetch(body).status_code == 200


def test_a_portal_api_key_authenticates_to_basic_access_only(own_keyring, alice, tenant_a):
    _, key_text = make_key(alice, tenant_a)
    response = fetch({"MyIlluminaApiKey": key_text})
    assert (response.status_code, code(response)) == (403, "NO_PREMIUM_ENTITLEMENT")
    wrong = key_text[:-1] + ("A" if key_text[-1] != "A" else "B")
    assert code(fetch({"MyIlluminaApiKey": wrong})) == "INVALID_CREDENTIALS"


def test_the_highest_priority_method_present_decides(own_keyring, tenant_a, license, by, alice):
    other = sell(tenant_a, by, name="other", sources=["OMIM"])
    add(license, by, "dragen_serial", serial_number="SN-FIRST")
    byol = add(other, by, "byol").secrets
    key = add(license, by, "dragen_api_key").secrets["key"]
    _, portal_key = make_key(alice, tenant_a)
    byol_fields = {"ApiKey": byol["api_key"], "ApiSecret": byol["api_secret"]}

    def lid(body) -> str:
        response = fetch(body)
        assert response.status_code == 200, response.content
        return premiumlic.verify(response.content.decode(), published_keys())["lid"]

    assert lid({"DragenSerialNo": "SN-FIRST", **byol_fields, "DragenApiKey": key}) == str(license.pk)
    assert lid({**byol_fields, "DragenApiKey": key, "MyIlluminaApiKey": portal_key}) == str(other.pk)
    assert lid({"DragenApiKey": key, "MyIlluminaApiKey": portal_key}) == str(license.pk)
    # The first method present decides, even when it is wrong and a later one is right.
    assert code(fetch({"DragenSerialNo": "SN-NOPE", **byol_fields})) == "INVALID_CREDENTIALS"


def test_every_bad_credential_gets_the_same_answer(own_keyring, tenant_a, tenant_b, license, by):
    byol = add(license, by, "byol").secrets
    disabled = add(license, by, "dragen_serial", serial_number="SN-OFF").credential
    services.credential_set_enabled(credential=disabled, by=by, enabled=False)
    add(license, by, "dragen_serial", serial_number="SN-ACME")
    dragen_key = add(license, by, "dragen_api_key").secrets["key"]
    answers = [
        fetch({"DragenSerialNo": "SN-UNKNOWN"}),
        fetch({"DragenSerialNo": "SN-OFF"}),
        fetch({"DragenSerialNo": "SN-ACME"}, host="globex.localhost"),  # another tenant's host
        fetch({"ApiKey": byol["api_key"], "ApiSecret": byol["api_secret"] + "x"}),
        fetch({"ApiKey": "byol-unknownunknownunkno", "ApiSecret": byol["api_secret"]}),
        fetch({"DragenApiKey": dragen_key[:-1] + ("A" if dragen_key[-1] != "A" else "B")}),  # checksum
        fetch({"DragenApiKey": credentials.DRAGEN_KEYS.generate()}),  # well formed, unknown
        fetch({"MyIlluminaApiKey": "pak_nope"}),
    ]
    assert {(a.status_code, a.content) for a in answers} == {(401, answers[0].content)}
    assert code(answers[0]) == "INVALID_CREDENTIALS"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("suspend", "LICENSE_SUSPENDED"),
        ("revoke", "LICENSE_REVOKED"),
        ("ended", "LICENSE_EXPIRED"),
        ("starts_later", "LICENSE_NOT_YET_VALID"),
    ],
)
def test_a_license_that_is_not_active_is_refused_with_its_code(own_keyring, license, by, change, expected):
    add(license, by, "dragen_serial", serial_number="SN-STATE")
    if change in ("suspend", "revoke"):
        getattr(services, f"license_{change}")(license=license, by=by)
    elif change == "ended":
        License.objects.filter(pk=license.pk).update(ends_at=timezone.now() - DAY)
    else:
        License.objects.filter(pk=license.pk).update(starts_at=timezone.now() + DAY)
    response = fetch({"DragenSerialNo": "SN-STATE"})
    assert (response.status_code, code(response)) == (403, expected)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        "{}",
        '{"DragenSerialNo": "  "}',
        '{"DragenSerialNo": 12345}',
        '{"ApiKey": "byol-abc"}',
        '{"ApiSecret": "only a secret"}',
        json.dumps({"DragenSerialNo": "x" * 201}),
        json.dumps({"DragenSerialNo": "SN", "pad": "x" * 70_000}),
        '{"DragenSerialNo": "\\ud800"}',  # a lone surrogate: a 500 before (security review, issue 20)
        '{"ApiKey": "byol-abc", "ApiSecret": "\\udfff"}',
    ],
)
def test_a_malformed_request_is_refused_with_a_400(tenant_a, body):
    response = fetch(body)
    assert (response.status_code, code(response)) == (400, "MALFORMED_REQUEST")
    assert response.json()["detail"]


def test_the_stored_file_is_served_and_one_is_made_at_once_when_none_exists_yet(own_keyring, license, by):
    credential = add(license, by, "dragen_serial", serial_number="SN-SYNC").credential
    assert not LicenseFile.objects.exists()  # no worker here: its job is still queued
    first = fetch({"DragenSerialNo": "SN-SYNC"}).content
    second = fetch({"DragenSerialNo": "SN-SYNC"}).content
    assert first == second and LicenseFile.objects.get().text == first.decode()
    credential.refresh_from_db()
    assert credential.file_wanted_at is None
    assert credential.last_used_at is not None and credential.last_used_ip == "127.0.0.1"


def test_a_credential_fetched_through_several_processes_is_marked_used_once_a_minute(
    own_keyring, license, by
):
    add(license, by, "dragen_serial", serial_number="SN-ONCE")
    assert fetch({"DragenSerialNo": "SN-ONCE"}).status_code == 200  # marked used now; its file made
    assert fetch({"DragenSerialNo": "SN-ONCE"}).status_code == 200  # this process's copy of it all
    marked = Credential.objects.get(identifier="SN-ONCE").last_used_at
    # Another process, whose copy was read before that mark: to it, the last use is long ago.
    ident = credstate.identity(license.tenant_id, "dragen_serial", "SN-ONCE")
    copy = credstate.read(ident, lambda: None)
    assert copy is not None
    long_ago = timezone.now() - timedelta(minutes=2)
    credstate.replace(ident, copy, dataclasses.replace(copy, last_used_at=long_ago))
    assert fetch({"DragenSerialNo": "SN-ONCE"}).status_code == 200
    assert Credential.objects.get(identifier="SN-ONCE").last_used_at == marked  # not written again
    # A minute on, whichever process comes first writes it.
    Credential.objects.filter(identifier="SN-ONCE").update(last_used_at=long_ago)
    credstate._copies.clear()
    core_db._next_ask.clear()
    assert fetch({"DragenSerialNo": "SN-ONCE"}, REMOTE_ADDR="192.0.2.7").status_code == 200
    again = Credential.objects.get(identifier="SN-ONCE")
    assert again.last_used_at > marked and again.last_used_ip == "192.0.2.7"


def test_new_sources_reach_the_next_download_even_before_the_worker_runs(own_keyring, license, by):
    add(license, by, "dragen_serial", serial_number="SN-NEW")
    fetch({"DragenSerialNo": "SN-NEW"})
    services.license_update(license=license, by=by, sources=["OMIM"])
    text = fetch({"DragenSerialNo": "SN-NEW"}).content.decode()
    assert premiumlic.verify(text, published_keys())["sources"] == ["OMIM"]


def test_byol_password_guessing_is_refused_even_with_the_right_password(own_keyring, settings, license, by):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "licensing-failures-account": "5/h"}
    byol = add(license, by, "byol").secrets
    other = add(license, by, "byol").secrets
    for attempt in range(5):
        assert fetch({"ApiKey": byol["api_key"], "ApiSecret": f"guess-{attempt}"}).status_code == 401
    right = fetch({"ApiKey": byol["api_key"], "ApiSecret": byol["api_secret"]})
    assert (right.status_code, code(right)) == (429, "RATE_LIMITED")
    assert 0 < int(right["Retry-After"]) <= 3601
    # Another user id is not locked out by this one's guesses.
    assert fetch({"ApiKey": other["api_key"], "ApiSecret": other["api_secret"]}).status_code == 200


def test_serial_numbers_cannot_be_enumerated_from_one_address(own_keyring, settings, license, by):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "licensing-failures-ip": "5/h"}
    add(license, by, "dragen_serial", serial_number="SN-0042")
    for guess in range(5):
        assert fetch({"DragenSerialNo": f"SN-00{guess:02d}"}).status_code == 401
    response = fetch({"DragenSerialNo": "SN-0042"})  # a registered one, found too late
    assert (response.status_code, code(response)) == (429, "RATE_LIMITED")
    from_elsewhere = fetch({"DragenSerialNo": "SN-0042"}, REMOTE_ADDR="10.0.0.9")
    assert from_elsewhere.status_code == 200


def test_requests_per_address_are_limited(own_keyring, settings, license, by):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "licensing-ip": "3/h"}
    add(license, by, "dragen_serial", serial_number="SN-MANY")
    statuses = [fetch({"DragenSerialNo": "SN-MANY"}).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert code(validate("anything")) == "RATE_LIMITED"


def test_online_validation_follows_the_license_and_the_credential(own_keyring, license, by):
    credential = add(license, by, "dragen_serial", serial_number="SN-VAL").credential
    text = fetch({"DragenSerialNo": "SN-VAL"}).content.decode()
    answer = validate(text).json()
    assert answer["valid"] is True and answer["code"] is None
    assert answer["license_id"] == str(license.pk) and answer["sources"] == ["COSMIC", "SpliceAI"]

    services.license_suspend(license=license, by=by)
    assert validate(text).json()["code"] == "LICENSE_SUSPENDED"
    services.license_resume(license=license, by=by)
    services.credential_set_enabled(credential=credential, by=by, enabled=False)
    assert validate(text).json()["code"] == "INVALID_CREDENTIALS"
    services.credential_delete(credential=credential, by=by)
    assert validate(text).json() | {"expires_at": None} == {
        "valid": False,
        "code": "INVALID_LICENSE",
        "license_id": str(license.pk),
        "sources": ["COSMIC", "SpliceAI"],
        "expires_at": None,
        "by_source": [],  # its credential is gone: nothing is said of its license now
    }


def test_online_validation_refuses_a_tampered_or_expired_file(own_keyring, tenant_a, by):
    license = sell(tenant_a, by, starts_at=timezone.now() - 200 * DAY)
    credential = add(license, by, "dragen_serial", serial_number="SN-OLD").credential
    old = services.license_file_issue(credential_id=credential.pk, now=timezone.now() - 100 * DAY)
    assert validate(old.text).json()["code"] == "LICENSE_EXPIRED"
    tampered = old.text.replace("A", "B", 1) if "A" in old.text[40:] else old.text.replace("B", "A", 1)
    assert validate(tampered).json() == {
        "valid": False,
        "code": "INVALID_LICENSE",
        "license_id": None,
        "sources": [],
        "expires_at": None,
        "by_source": [],  # nothing is known of a file that is not ours
    }
    empty = validate("  ")
    assert (empty.status_code, code(empty)) == (400, "MALFORMED_REQUEST")


def test_a_disabled_credential_gets_no_file_even_if_one_was_stored(own_keyring, license, by):
    credential = add(license, by, "dragen_serial", serial_number="SN-DIS").credential
    assert fetch({"DragenSerialNo": "SN-DIS"}).status_code == 200
    services.credential_set_enabled(credential=credential, by=by, enabled=False)
    assert code(fetch({"DragenSerialNo": "SN-DIS"})) == "INVALID_CREDENTIALS"
    assert Credential.objects.get(pk=credential.pk).is_enabled is False


def test_the_lookup_reads_raw_values_as_sqlite_gives_them_too():
    # `make run` uses SQLite, whose raw rows hold hex ids and naive UTC times (the tests run on
    # PostgreSQL, which gives UUIDs and aware datetimes).
    from licenses.licensing import _utc, _uuid

    some = uuid.uuid4()
    assert _uuid(some.hex) == _uuid(some) == some
    assert _utc("2027-01-31 10:00:00") == datetime(2027, 1, 31, 10, tzinfo=UTC)
    assert _utc(datetime(2027, 1, 31, 10)) == datetime(2027, 1, 31, 10, tzinfo=UTC)
    assert _utc(None) is None
