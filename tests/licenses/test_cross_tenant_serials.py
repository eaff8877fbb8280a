"""A tenant learns nothing about another tenant's serial numbers, and cannot use them.

The attack: a tenant admin adds serial after serial (61 a second, no limit) until one answers
409 `serial_taken`, which meant another tenant held it; then asks the tools' endpoint on an
operator host (no tenant there) with that serial and gets the other tenant's signed premium.lic.
"""

import json

import pytest
from django.test import Client

import premiumlic
from tests.helpers import actor, add, code, fetch, published_keys, sell
from tests.timing import paired_medians

JSON = "application/json"
SERIAL = "SN-ACME-0001"


@pytest.fixture
def acme_serial(own_keyring, license, by):
    """Tenant A's license has a DRAGEN serial number."""
    add(license, by, "dragen_serial", serial_number=SERIAL)
    return SERIAL


@pytest.fixture
def globex_license(tenant_b, charlie):
    return sell(tenant_b, actor(charlie, tenant_b), name="Globex sequencing")


def _add_serial(client, license, serial):
    return client.post(
        f"/api/licenses/{license.pk}/credentials",
        {"method": "dragen_serial", "serial_number": serial},
        content_type=JSON,
    )


def test_adding_another_tenants_serial_answers_as_for_any_new_one(acme_serial, as_charlie, globex_license):
    taken = _add_serial(as_charlie, globex_license, acme_serial)
    fresh = _add_serial(as_charlie, globex_license, "SN-NOBODY-0002")
    assert taken.status_code == fresh.status_code == 201
    assert taken.json().keys() == fresh.json().keys()
    # Within one tenant a serial is still one credential.
    again = _add_serial(as_charlie, globex_license, acme_serial)
    assert (again.status_code, again.json()["code"]) == (409, "serial_taken")
    assert "Globex Labs" in again.json()["detail"]


def test_the_tools_endpoint_serves_a_serial_only_at_its_own_tenants_host(acme_serial, tenant_b):
    assert fetch({"DragenSerialNo": acme_serial}).status_code == 200  # acme.localhost
    for host in ("localhost", "127.0.0.1", "globex.localhost"):
        refused = fetch({"DragenSerialNo": acme_serial}, host=host)
        assert (refused.status_code, code(refused)) == (401, "INVALID_CREDENTIALS"), host
        assert b"BEGIN PREMIUM LICENSE" not in refused.content


def test_byol_and_dragen_keys_are_not_served_on_an_operator_host_either(own_keyring, license, by):
    byol = add(license, by, "byol").secrets
    key = add(license, by, "dragen_api_key").secrets
    for body in ({"ApiKey": byol["api_key"], "ApiSecret": byol["api_secret"]}, {"DragenApiKey": key["key"]}):
        assert fetch(body).status_code == 200
        assert code(fetch(body, host="localhost")) == "INVALID_CREDENTIALS"


def test_two_tenants_holding_one_serial_each_get_their_own_file(
    acme_serial, as_charlie, globex_license, tenant_a
):
    assert _add_serial(as_charlie, globex_license, acme_serial).status_code == 201
    keys = published_keys()
    at_acme = premiumlic.verify(fetch({"DragenSerialNo": acme_serial}).content.decode(), keys)
    at_globex = premiumlic.verify(
        fetch({"DragenSerialNo": acme_serial}, host="globex.localhost").content.decode(), keys
    )
    assert (at_acme["tenant"], at_globex["tenant"]) == ("acme.localhost", "globex.localhost")
    assert at_acme["lid"] != at_globex["lid"]


def test_validating_another_tenants_file_at_your_host_says_nothing_of_it(acme_serial, tenant_b):
    text = fetch({"DragenSerialNo": acme_serial}).content.decode()
    answer = Client(HTTP_HOST="globex.localhost").post(
        "/api/licensing/validate", text, content_type="text/plain"
    )
    # What the file itself says, and nothing about its license now: as for a file never issued.
    assert (answer.json()["valid"], answer.json()["code"]) == (False, "INVALID_LICENSE")


def test_adding_credentials_is_rate_limited_per_tenant(
    settings, license, as_alice, as_charlie, globex_license
):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "credentials-tenant": "3/h"}
    answers = [_add_serial(as_charlie, globex_license, f"SN-PROBE-{n}") for n in range(4)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429]
    assert answers[-1].json()["code"] == "rate_limited" and int(answers[-1]["Retry-After"]) > 0
    assert _add_serial(as_alice, license, "SN-ACME-0009").status_code == 201  # another tenant's own count


def _limited(client, serial):
    return client.post(
        "/api/licensing/premium.lic", json.dumps({"DragenSerialNo": serial}), content_type=JSON
    )


def test_a_rate_limited_probe_costs_the_same_for_a_known_and_an_unknown_serial(
    acme_serial, settings, django_assert_num_queries
):
    settings.PORTAL_RATES = {**settings.PORTAL_RATES, "licensing-failures-ip": "1/h"}
    client = Client(HTTP_HOST="acme.localhost")
    assert code(_limited(client, "SN-WRONG-GUESS")) == "INVALID_CREDENTIALS"  # the one failure allowed
    known, unknown = _limited(client, acme_serial), _limited(client, "SN-UNKNOWN-1")
    assert known.status_code == unknown.status_code == 429
    assert known.content == unknown.content
    with django_assert_num_queries(0):  # refused before the credential is looked up at all
        _limited(client, acme_serial)
        _limited(client, "SN-UNKNOWN-1")
    known_s, unknown_s = paired_medians(
        lambda serial: _limited(client, serial), acme_serial, "SN-UNKNOWN-1", 300
    )
    print(f"rate limited: known serial {known_s * 1e3:.3f} ms, unknown {unknown_s * 1e3:.3f} ms")
    # Looking the serial up before the refusal cost ~0.3 ms more for an unknown serial (a query)
    # than for a known one (this process's copy); the refusal now comes first, for both alike.
    assert abs(known_s - unknown_s) < 0.00012
