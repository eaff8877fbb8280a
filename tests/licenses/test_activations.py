"""Air-gapped activation through the API, with requests written by the format the CLI uses: each
method's request traded for its file; proofs that do not hold, stale challenges, other licenses'
and other tenants' credentials refused; unproven requests issued only when confirmed; audited."""

import json
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import premiumlic
import premiumreq
from accounts.models import Event
from licenses import services
from licenses.models import LicenseFile
from tests.helpers import add, published_keys, sell

JSON = "application/json"


@pytest.fixture
def license(tenant_a, by):
    return sell(tenant_a, by)


def url(license) -> str:
    return f"/api/licenses/{license.pk}/activations"


def challenge(client, license) -> str:
    answer = client.get(url(license))
    assert answer.status_code == 200, answer.content
    return answer.json()["challenge"]


def request_for(method, identifier, *, secret="", code="", clock=None) -> dict:
    return premiumreq.build(
        method=method, identifier=identifier, tool="portal 0.1.0", host="seq-offline-01",
        clock=clock if clock is not None else int(timezone.now().timestamp()), challenge=code,
        digest=premiumreq.secret_digest(secret) if secret else "",
    )  # fmt: skip


def activate(client, license, request, confirmed=False):
    body = {"request": request, "confirmed": confirmed}
    return client.post(url(license), json.dumps(body), content_type=JSON)


def granted(answer, credential) -> dict:
    assert answer.status_code == 201, answer.content
    body = premiumlic.verify(answer.json()["file"]["premium_lic"], published_keys())
    assert body["lid"] == str(credential.license_id) and body["sources"] == ["COSMIC", "SpliceAI"]
    assert answer.json()["credential_id"] == str(credential.pk)
    return body


def test_a_byol_request_proven_by_the_challenge_is_issued_and_audited(own_keyring, as_alice, license, by):
    new = add(license, by, "byol")
    user_id, password = new.secrets["api_key"], new.secrets["api_secret"]
    code = challenge(as_alice, license)
    answer = activate(as_alice, license, request_for("byol", user_id, secret=password, code=code))
    body = granted(answer, new.credential)
    assert body["cred"] == premiumlic.credential_fingerprint(user_id)
    assert answer.json()["proof"] == "challenge" and answer.json()["host"] == "seq-offline-01"
    event = Event.objects.get(action="license.activation")
    assert event.data["proof"] == "challenge" and event.data["file_id"] == answer.json()["file"]["id"]
    assert password not in json.dumps(event.data)


def test_a_dragen_key_request_names_its_prefix_and_the_proof_picks_the_key(
    own_keyring, as_alice, license, by
):
    keys = [add(license, by, "dragen_api_key") for _ in range(3)]
    chosen = keys[1]
    key = chosen.secrets["key"]
    code = challenge(as_alice, license)
    request = request_for("dragen_api_key", key[:8], secret=key, code=code)
    assert key not in json.dumps(request) and chosen.credential.key_digest not in json.dumps(request)
    granted(activate(as_alice, license, request), chosen.credential)


def test_a_serial_number_proves_nothing_and_is_issued_once_confirmed(own_keyring, as_alice, license, by):
    credential = add(license, by, "dragen_serial", serial_number="SN-AIRGAP").credential
    request = request_for("dragen_serial", "SN-AIRGAP")
    refused = activate(as_alice, license, request)
    assert refused.status_code == 400 and refused.json()["code"] == "confirmation_required"
    answer = activate(as_alice, license, request, confirmed=True)
    granted(answer, credential)
    assert answer.json()["proof"] == "confirmation"


@pytest.mark.parametrize("wrong", ["secret", "challenge", "code"])
def test_a_proof_that_does_not_hold_is_refused_even_when_confirmed(own_keyring, as_alice, license, by, wrong):
    new = add(license, by, "byol")
    user_id, password = new.secrets["api_key"], new.secrets["api_secret"]
    code = challenge(as_alice, license)
    if wrong == "secret":
        request = request_for("byol", user_id, secret=password + "x", code=code)
    elif wrong == "challenge":  # the proof of another code, under this one
        request = {
            **request_for("byol", user_id, secret=password, code="AAAA-BBBB-CCCC-DDDD"),
            "challenge": code.replace("-", ""),
        }
    else:  # a code the portal never showed
        request = request_for("byol", user_id, secret=password, code="AAAA-BBBB-CCCC-DDDD")
    answer = activate(as_alice, license, request, confirmed=True)
    assert answer.status_code == 400
    assert answer.json()["code"] == ("stale_challenge" if wrong == "code" else "wrong_proof")
    refused = Event.objects.get(action="license.activation_refused")
    assert refused.data["code"] == answer.json()["code"]
    assert not Event.objects.filter(action="license.activation").exists()


def test_yesterdays_challenge_holds_and_the_day_befores_does_not(own_keyring, as_alice, license, by):
    new = add(license, by, "dragen_api_key")
    key = new.secrets["key"]
    now = timezone.now()
    yesterday, _ = services.activation_challenge(license, now=now - timedelta(days=1))
    older, _ = services.activation_challenge(license, now=now - timedelta(days=2))
    assert len({yesterday, older, challenge(as_alice, license)}) == 3
    granted(
        activate(as_alice, license, request_for("dragen_api_key", key[:8], secret=key, code=yesterday)),
        new.credential,
    )
    stale = activate(as_alice, license, request_for("dragen_api_key", key[:8], secret=key, code=older))
    assert stale.json()["code"] == "stale_challenge"


def test_another_licenses_challenge_or_credential_is_refused(own_keyring, as_alice, tenant_a, license, by):
    other = sell(tenant_a, by, name="another")
    new = add(other, by, "byol")
    user_id, password = new.secrets["api_key"], new.secrets["api_secret"]
    mine = activate(
        as_alice, license, request_for("byol", user_id, secret=password, code=challenge(as_alice, license))
    )
    assert mine.json()["code"] == "unknown_credential"  # the credential is the other license's
    theirs = activate(
        as_alice, other, request_for("byol", user_id, secret=password, code=challenge(as_alice, license))
    )
    assert theirs.json()["code"] == "stale_challenge"  # a challenge is one license's


def test_other_tenants_get_404_and_members_403(own_keyring, as_charlie, as_bob, license, by):
    add(license, by, "dragen_serial", serial_number="SN-X")
    request = request_for("dragen_serial", "SN-X")
    assert as_charlie.get(url(license)).status_code == 404
    assert activate(as_charlie, license, request, confirmed=True).status_code == 404
    assert as_bob.get(url(license)).status_code == 403
    assert activate(as_bob, license, request, confirmed=True).status_code == 403
    page = f"/licenses/{license.pk}/activation"  # the license page's form: the same rules
    form = {"text": premiumreq.dumps(request), "issue": "1", "confirm": "1"}
    assert as_charlie.post(page, form).status_code == 404
    assert as_bob.post(page, form).status_code == 403  # a member, not a tenant admin
    assert not LicenseFile.objects.filter(credential__license=license).exists()
    assert not Event.objects.filter(action__startswith="license.activation").exists()


@pytest.mark.parametrize(
    "request_body",
    [
        "not json",
        {"typ": "premium.lic", "v": 1},
        {**{"typ": "premium.lic-request", "v": 2}},
        "x" * 5000,
    ],
)
def test_what_is_not_a_request_is_refused_saying_so(own_keyring, as_alice, license, request_body):
    answer = activate(as_alice, license, request_body, confirmed=True)
    assert answer.status_code == 400 and answer.json()["code"] == "invalid_request", answer.content


def test_a_disabled_credential_or_suspended_license_gets_no_file(own_keyring, as_alice, license, by):
    credential = add(license, by, "dragen_serial", serial_number="SN-OFF").credential
    request = request_for("dragen_serial", "SN-OFF")
    services.credential_set_enabled(credential=credential, by=by, enabled=False)
    assert activate(as_alice, license, request, confirmed=True).json()["code"] == "disabled"
    services.credential_set_enabled(credential=credential, by=by, enabled=True)
    services.license_suspend(license=license, by=by)
    assert activate(as_alice, license, request, confirmed=True).json()["code"] == "inactive"


def test_the_offline_servers_clock_is_reported(own_keyring, as_alice, license, by):
    add(license, by, "dragen_serial", serial_number="SN-CLOCK")
    behind = int(timezone.now().timestamp()) - 3 * 3600
    answer = activate(
        as_alice, license, request_for("dragen_serial", "SN-CLOCK", clock=behind), confirmed=True
    )
    assert answer.status_code == 201
    assert -3 * 3600 - 60 < answer.json()["clock_offset_seconds"] < -3 * 3600 + 60


def test_odd_proofs_versions_and_clocks_are_refused_not_a_500(own_keyring, as_alice, license, by):
    """Found by an attacker's review: a non-ASCII proof made hmac.compare_digest raise."""
    new = add(license, by, "byol")
    user_id, password = new.secrets["api_key"], new.secrets["api_secret"]
    good = request_for("byol", user_id, secret=password, code=challenge(as_alice, license))
    for odd in ({"proof": "é" * 43}, {"proof": "x"}, {"challenge": "ABCD"}, {"v": True}, {"v": 1.0},
                {"clock": 10**40}, {"clock": True}):  # fmt: skip
        answer = activate(as_alice, license, {**good, **odd}, confirmed=True)
        assert (answer.status_code, answer.json()["code"]) == (400, "invalid_request"), (odd, answer.content)
    assert Event.objects.filter(action="license.activation_refused").count() == 7


def test_a_request_file_in_utf_16_is_refused_and_one_with_a_byte_order_mark_is_issued(
    own_keyring, as_alice, license, by
):
    add(license, by, "dragen_serial", serial_number="SN-BOM")
    text = premiumreq.dumps(request_for("dragen_serial", "SN-BOM"))
    page = f"/licenses/{license.pk}/activation"
    utf16 = as_alice.post(page, {"request": SimpleUploadedFile("r.json", text.encode("utf-16"))})
    assert utf16.status_code == 302  # back to the license page, saying why
    (said,) = get_messages(utf16.wsgi_request)
    assert "not UTF-8" in said.message
    read = as_alice.post(page, {"request": SimpleUploadedFile("r.json", text.encode("utf-8-sig"))})
    assert read.status_code == 200 and "SN-BOM" in read.content.decode()
    issued = as_alice.post(page, {"text": read.context["text"], "issue": "1", "confirm": "1"})
    assert issued.status_code == 200 and issued["Content-Disposition"] == 'attachment; filename="premium.lic"'


def test_a_suspended_licenses_refusal_is_audited_a_question_is_not(own_keyring, as_alice, license, by):
    add(license, by, "dragen_serial", serial_number="SN-AUDIT")
    request = request_for("dragen_serial", "SN-AUDIT")
    assert activate(as_alice, license, request).json()["code"] == "confirmation_required"
    assert not Event.objects.filter(action="license.activation_refused").exists()
    services.license_suspend(license=license, by=by)
    assert activate(as_alice, license, request, confirmed=True).json()["code"] == "inactive"
    assert Event.objects.get(action="license.activation_refused").data["code"] == "inactive"
