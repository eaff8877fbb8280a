""" "At most 10 keys that work" holds through regeneration: an old key in its overlap still
works, so it counts.

The attack: regenerate a key with a 7-day overlap, then regenerate its replacement, 15 times in a
chain; every old key kept working and none counted, which left 25 usable keys.
"""

import threading
from collections import Counter

import pytest
from django.db import connection

from apikeys.models import ApiKey
from tests.conftest import client_for
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.helpers import exchange

JSON = "application/json"


def _regenerate(client, key_id, overlap="7d"):
    return client.post(f"/api/apikeys/{key_id}:regenerate", {"overlap": overlap}, content_type=JSON)


def _working(texts) -> int:
    return sum(exchange(text).status_code == 200 for text in texts)


def test_chained_regenerations_with_an_overlap_never_make_an_eleventh_working_key(as_bob):
    texts, current = [], None
    for n in range(9):
        created = as_bob.post("/api/apikeys", {"name": f"k{n}"}, content_type=JSON).json()
        texts.append(created["key"])
        current = created["id"]
    answers = []
    for _ in range(15):
        answer = _regenerate(as_bob, current)
        answers.append(answer.status_code)
        if answer.status_code == 201:
            texts.append(answer.json()["key"])
            current = answer.json()["id"]
    assert answers == [201] + [409] * 14  # the 10th working key; then the limit
    assert _working(texts) == 10
    refused = _regenerate(as_bob, current)
    assert refused.json()["code"] == "apikey_limit"
    assert "still in a regeneration overlap" in refused.json()["detail"]
    # Without an overlap the old key stops at once, so its slot is the new one's.
    assert _regenerate(as_bob, current, overlap="none").status_code == 201


def test_a_new_key_counts_the_old_keys_still_in_their_overlap(as_bob):
    first = as_bob.post("/api/apikeys", {"name": "k"}, content_type=JSON).json()
    assert _regenerate(as_bob, first["id"]).status_code == 201  # 2 keys work now
    made = [
        as_bob.post("/api/apikeys", {"name": f"more{n}"}, content_type=JSON).status_code for n in range(9)
    ]
    assert made == [201] * 8 + [409]


def test_an_old_key_in_its_overlap_reads_as_such_on_the_page_and_in_the_api(as_bob):
    first = as_bob.post("/api/apikeys", {"name": "nightly"}, content_type=JSON).json()
    new = _regenerate(as_bob, first["id"]).json()
    listed = {key["id"]: key for key in as_bob.get("/api/apikeys").json()["results"]}
    assert listed[first["id"]]["replaced_by"] == new["id"] and listed[new["id"]]["replaced_by"] is None
    page = as_bob.get("/apikeys/").content.decode()
    assert page.count('class="status status-active"') == 1
    assert "Old key" in page and "works until" in page


@pytest.mark.django_db(transaction=True)
def test_concurrent_regenerations_with_an_overlap_hold_the_limit():
    tenant = TenantFactory(domain="regen.localhost", slug="regen")
    user = UserFactory()
    MembershipFactory(tenant=tenant, user=user)
    owner = client_for("regen.localhost", user)
    ids = [owner.post("/api/apikeys", {"name": f"k{n}"}, content_type=JSON).json()["id"] for n in range(8)]
    clients = [client_for("regen.localhost", user) for _ in ids]
    barrier = threading.Barrier(len(ids))
    outcomes = Counter()

    def regenerate(client, key_id):
        try:
            barrier.wait()
            outcomes[_regenerate(client, key_id).status_code] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=regenerate, args=pair) for pair in zip(clients, ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert outcomes == Counter({201: 2, 409: 6})
    live = ApiKey.objects.filter(user=user, revoked_at__isnull=True).count()
    assert live == 10
