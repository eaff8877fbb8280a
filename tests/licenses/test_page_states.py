"""A license's page in each state offers only what that state allows and labels its credentials
and files truthfully (a revoked license's file is not "Current" with a download button)."""

import re

import pytest
from django.utils import timezone

from licenses import services
from licenses.models import License


def _page(client, license) -> str:
    return client.get(f"/licenses/{license.pk}/").content.decode()


def _put_in(state: str, license, by) -> None:
    if state == "suspended":
        services.license_suspend(license=license, by=by)
    elif state == "revoked":
        services.license_revoke(license=license, by=by)
    elif state == "expired":
        License.objects.filter(pk=license.pk).update(starts_at=timezone.now().replace(year=2020),
                                                     ends_at=timezone.now().replace(year=2021))  # fmt: skip


# state: (actions offered, actions not offered)
OFFERED = {
    "active": ({"suspend", "revoke", "delete", "add-credential", "save-license", "Disable"}, {"resume"}),
    "suspended": ({"resume", "revoke", "delete", "add-credential", "save-license", "Disable"}, {"suspend"}),
    "revoked": ({"delete"}, {"suspend", "resume", "revoke", "add-credential", "save-license", "Disable"}),
    "expired": ({"delete", "save-license", "Disable"}, {"suspend", "resume", "revoke", "add-credential"}),
}


def _offered(html: str) -> set[str]:
    ids = set(re.findall(r'id="(suspend|resume|revoke|delete|add-credential|save-license)"', html))
    return ids | ({"Disable"} if ">Disable</button>" in html else set())


@pytest.mark.parametrize("state", OFFERED)
def test_each_state_offers_only_what_it_allows(own_keyring, as_alice, license, by, state):
    credential = services.credential_add(license=license, by=by, method="dragen_serial", serial_number="SN-1")
    services.license_file_issue(credential_id=credential.credential.pk)
    _put_in(state, license, by)
    html = _page(as_alice, license)
    offered, withheld = OFFERED[state]
    assert offered <= _offered(html) and not withheld & _offered(html)
    download = "Download premium.lic" in html
    if state == "active":
        assert download and 'id="state-notice"' not in html and ">Enabled<" in html
    else:
        assert not download and "Not served" in html and f"license {state}" in html
        assert 'id="state-notice"' in html and ">Enabled<" not in html and ">Refused<" in html


def test_the_page_says_what_a_portal_key_gets_as_the_endpoint_does(as_alice, license):
    html = _page(as_alice, license)
    assert "NO_PREMIUM_ENTITLEMENT" in html and "always gets basic sources" not in html


def test_an_expired_license_is_renewed_from_its_page(as_alice, license, by):
    _put_in("expired", license, by)
    html = _page(as_alice, license)
    assert "Save and renew" in html and "renew it" in html
    ends_on = timezone.now().replace(year=timezone.now().year + 1).date().isoformat()
    form = {"name": license.name, "sources": license.sources, "ends_on": ends_on}
    assert as_alice.post(f"/licenses/{license.pk}/edit", form).status_code == 302
    assert License.objects.get(pk=license.pk).status == "active"
