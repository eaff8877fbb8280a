"""`POST /api/licensing/validate` answers source by source: granted, ended (its own end has passed,
on the real clock), not in the license, superseded (the license grants it, this file does not), or
refused with the whole license."""

import time
from datetime import timedelta

from django.utils import timezone

from licenses import services
from tests.helpers import sell, serial, validate


def rows(text) -> dict:
    return {row["source"]: row["status"] for row in validate(text).json()["by_source"]}


def whole(moment):
    return moment.replace(microsecond=0)


def test_a_current_file_is_granted_its_sources_and_told_the_others_are_not_in_the_license(
    own_keyring, license, by
):
    file = services.license_file_issue(credential_id=serial(license, by).pk)
    answer = validate(file.text).json()
    assert answer["valid"] is True
    assert rows(file.text) == {"COSMIC": "granted", "SpliceAI": "granted", "OMIM": "not_in_license",
                               "PrimateAI-3D": "not_in_license", "PromoterAI": "not_in_license"}  # fmt: skip
    ends = {row["source"]: row["ends_at"] for row in answer["by_source"]}
    assert ends["COSMIC"] == license.ends_at.isoformat() and ends["OMIM"] is None


def test_after_a_cut_and_an_addition_the_old_file_is_superseded_source_by_source(own_keyring, license, by):
    old = services.license_file_issue(credential_id=serial(license, by).pk)
    services.license_update(license=license, by=by, sources=["SpliceAI", "OMIM"])
    answer = validate(old.text).json()
    assert answer["code"] == "LICENSE_SUPERSEDED"
    assert rows(old.text) == {"COSMIC": "not_in_license", "SpliceAI": "superseded", "OMIM": "superseded",
                              "PrimateAI-3D": "not_in_license", "PromoterAI": "not_in_license"}  # fmt: skip


def test_a_suspended_license_refuses_every_source_it_has(own_keyring, license, by):
    file = services.license_file_issue(credential_id=serial(license, by).pk)
    services.license_suspend(license=license, by=by)
    assert validate(file.text).json()["code"] == "LICENSE_SUSPENDED"
    assert rows(file.text) == {"COSMIC": "refused", "SpliceAI": "refused", "OMIM": "not_in_license",
                               "PrimateAI-3D": "not_in_license", "PromoterAI": "not_in_license"}  # fmt: skip


def test_a_source_past_its_own_end_is_ended_while_the_file_still_holds_the_rest(own_keyring, tenant_a, by):
    end = whole(timezone.now()) + timedelta(seconds=3)
    license = sell(tenant_a, by, source_ends={"COSMIC": end})
    file = services.license_file_issue(credential_id=serial(license, by).pk)
    assert rows(file.text)["COSMIC"] == "granted"
    time.sleep(max(0.0, (end - timezone.now()).total_seconds()) + 0.3)
    answer = validate(file.text).json()
    assert answer["valid"] is True  # within the verifiers' 5 minutes' skew of its `exp`
    assert rows(file.text)["COSMIC"] == "ended" and rows(file.text)["SpliceAI"] == "granted"
