"""The licensing endpoint's BYOL credentials: an existing user id with a wrong password and a
missing one get the same answer in the same time (the door's lockouts are in test_licensing_api)."""

import json

import pytest
from django.test import Client

from licenses import credentials, services
from tests.timing import WRONG, medians


def fetch(user_id: str):
    body = json.dumps({"ApiKey": user_id, "ApiSecret": WRONG})
    return Client(HTTP_HOST="acme.localhost").post(
        "/api/licensing/premium.lic", body, content_type="application/json"
    )


@pytest.mark.soak  # timed: `make soak`
def test_a_missing_byol_user_id_gets_the_same_answer_in_the_same_time(license, by, slow_hashing):
    existing_id = services.credential_add(license=license, by=by, method="byol").secrets["api_key"]
    missing_id = credentials.byol_user_id()
    existing, missing = fetch(existing_id), fetch(missing_id)
    assert existing.status_code == missing.status_code == 401
    assert existing.content == missing.content
    timed = medians(fetch, existing_id, missing_id)
    print(timed)
    assert min(timed.existing, timed.missing) > timed.hash * 0.8  # both paths hash
    assert abs(timed.existing - timed.missing) < 0.020
