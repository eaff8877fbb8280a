"""Online validation answers from the license as it is now: a file that a newer one replaces
never grants a source the license no longer has.

The attack: fetch a file for COSMIC and OMIM, let the license lose COSMIC, and keep presenting
the old file to `POST /api/licensing/validate`, which answered `valid: true` with both sources
for as long as the file's 90 days ran.
"""

import pytest

import premiumlic
from licenses.models import LicenseFile
from tests.helpers import add, fetch, published_keys, validate

JSON = "application/json"


@pytest.fixture
def old_file(own_keyring, license, by, as_alice):
    """A tool's file for COSMIC and OMIM, fetched before the license changed."""
    as_alice.patch(f"/api/licenses/{license.pk}", {"sources": ["COSMIC", "OMIM"]}, content_type=JSON)
    add(license, by, "dragen_serial", serial_number="SN-LAB-1")
    text = fetch({"DragenSerialNo": "SN-LAB-1"}).content.decode()
    assert premiumlic.verify(text, published_keys())["sources"] == ["COSMIC", "OMIM"]
    return text


def test_a_file_whose_sources_were_cut_is_superseded_even_before_its_new_file_exists(
    old_file, license, as_alice
):
    assert validate(old_file).json()["valid"] is True
    cut = as_alice.patch(f"/api/licenses/{license.pk}", {"sources": ["OMIM"]}, content_type=JSON)
    assert cut.status_code == 200
    answer = validate(old_file).json()  # the job that issues the new file has not run here
    assert (answer["valid"], answer["code"], answer["sources"]) == (False, "LICENSE_SUPERSEDED", ["OMIM"])


def test_a_file_replaced_by_a_newer_one_is_superseded_and_the_newer_one_is_valid(old_file, license, as_alice):
    as_alice.patch(f"/api/licenses/{license.pk}", {"sources": ["OMIM"]}, content_type=JSON)
    new = fetch({"DragenSerialNo": "SN-LAB-1"}).content.decode()  # issued at once when due
    assert premiumlic.verify(new, published_keys())["sources"] == ["OMIM"]
    assert LicenseFile.objects.filter(superseded_at__isnull=False).count() == 1
    assert validate(old_file).json()["code"] == "LICENSE_SUPERSEDED"
    assert validate(new).json() == {**validate(new).json(), "valid": True, "code": None, "sources": ["OMIM"]}
