"""Seats: a license's cap on its credentials holds when twenty are added at the same moment, through
the API, on real PostgreSQL; it shows on the page and cannot be lowered below what is in use."""

import json
from collections import Counter

import pytest

from accounts.models import Event
from core.errors import Conflict
from licenses import services
from licenses.models import Credential
from tests.conftest import client_for
from tests.helpers import at_once, sell, serial

JSON = "application/json"


def credentials_url(license) -> str:
    return f"/api/licenses/{license.pk}/credentials"


@pytest.mark.django_db(transaction=True)
def test_twenty_additions_at_once_to_five_seats_make_exactly_five(alice, tenant_a, by):
    license = sell(tenant_a, by, seats=5)
    clients = [client_for("acme.localhost", alice) for _ in range(20)]

    def add(client, n):
        body = json.dumps({"method": "dragen_serial", "serial_number": f"SN-RACE-{n:02}"})
        answer = client.post(credentials_url(license), body, content_type=JSON)
        return answer.status_code, answer.json().get("code")

    outcomes = at_once(clients, add)
    assert outcomes == Counter({(201, None): 5, (409, "no_free_seat"): 15})
    assert Credential.objects.filter(license=license).count() == 5
    assert Event.objects.filter(action="credential.add").count() == 5


def test_seats_are_set_shown_and_changed_through_the_api(as_alice, tenant_a, by):
    body = {"name": "Two NovaSeqs", "sources": ["COSMIC"], "ends_at": "2099-01-01T00:00:00Z", "seats": 2}
    created = as_alice.post("/api/licenses", json.dumps(body), content_type=JSON)
    assert created.status_code == 201 and created.json()["seats"] == 2
    url = f"/api/licenses/{created.json()['id']}"
    for _ in range(2):
        added = as_alice.post(f"{url}/credentials", json.dumps({"method": "byol"}), content_type=JSON)
        assert added.status_code == 201, added.content
    full = as_alice.post(f"{url}/credentials", json.dumps({"method": "byol"}), content_type=JSON)
    assert full.status_code == 409 and full.json()["code"] == "no_free_seat"

    lowered = as_alice.patch(url, json.dumps({"seats": 1}), content_type=JSON)
    assert lowered.status_code == 409 and lowered.json()["code"] == "seats_in_use"
    for wrong in (0, -1, 10_001, "two", 1.5):
        answer = as_alice.patch(url, json.dumps({"seats": wrong}), content_type=JSON)
        assert answer.status_code == 400, (wrong, answer.content)
    uncapped = as_alice.patch(url, json.dumps({"seats": None}), content_type=JSON)
    assert uncapped.status_code == 200 and uncapped.json()["seats"] is None
    assert (
        as_alice.post(f"{url}/credentials", json.dumps({"method": "byol"}), content_type=JSON).status_code
        == 201
    )
    change = Event.objects.filter(action="license.update").latest("created_at").data["changes"]
    assert change == {"seats": {"from": 2, "to": None}}


def test_a_deleted_credential_frees_its_seat_a_disabled_one_does_not(tenant_a, by):
    license = sell(tenant_a, by, seats=1)
    first = serial(license, by, "SN-ONE")
    services.credential_set_enabled(credential=first, by=by, enabled=False)
    with pytest.raises(Conflict, match="seats"):
        serial(license, by, "SN-TWO")
    services.credential_delete(credential=first, by=by)
    assert serial(license, by, "SN-TWO").license_id == license.pk


def test_the_page_shows_the_seats_and_says_when_none_is_free(as_alice, tenant_a, by):
    license = sell(tenant_a, by, seats=2)
    serial(license, by, "SN-A")
    page = as_alice.get(f"/licenses/{license.pk}/").content.decode()
    assert "Seats: 1 of 2 used." in page and 'id="no-free-seat"' not in page
    serial(license, by, "SN-B")
    page = as_alice.get(f"/licenses/{license.pk}/").content.decode()
    assert "Seats: 2 of 2 used, none free." in page and 'id="no-free-seat"' in page
    edited = as_alice.post(f"/licenses/{license.pk}/edit", {
        "name": license.name, "sources": license.sources, "ends_on": license.ends_at.date().isoformat(),
        "grace_days": 0, "seats": 3,
    })  # fmt: skip
    assert edited.status_code == 302
    license.refresh_from_db()
    assert license.seats == 3
