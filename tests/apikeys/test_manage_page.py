"""The Manage API Keys page without a browser (tests/pages/test_apikeys_pages.py drives Chromium):
expiry presets capped by the tenant, rename, filter and sort, and the form at the limit."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Event
from apikeys import services
from apikeys.models import ApiKey
from tests.helpers import actor, make_key

GENERATE = {"name": "nightly", "scope": "all"}


def _choices(html: str) -> list[str]:
    return re.findall(r'name="expires_in" value="([^"]+)"', html)


def _names(html: str) -> list[str]:
    return re.findall(r'<tr data-key-id="[^"]+">\s*<td><span class="cut"[^>]*>([^<]+)</span></td>', html)


def test_the_presets_stop_at_the_tenants_longest_lifetime(as_alice, tenant_a):
    tenant_a.apikey_max_lifetime_days = 365
    tenant_a.save()
    page = as_alice.get("/apikeys/").content.decode()
    assert _choices(page) == ["30", "90", "365", "custom"] and "1 year (the longest allowed)" in page
    assert re.search(r'value="90"[^>]*checked', page)  # the default
    tenant_a.apikey_max_lifetime_days = 60
    tenant_a.save()
    page = as_alice.get("/apikeys/").content.decode()
    assert _choices(page) == ["30", "60", "custom"] and "60 days (the longest allowed)" in page


@pytest.mark.parametrize(("chosen", "days"), [("30", 30), ("90", 90), ("", 90)])
def test_a_preset_sets_the_expiry_from_now(as_alice, chosen, days):
    assert as_alice.post("/apikeys/", {**GENERATE, "expires_in": chosen}).status_code == 303
    expected = timezone.now() + timedelta(days=days)
    assert abs(ApiKey.objects.get().expires_at - expected) < timedelta(minutes=1)


def test_a_preset_beyond_the_tenants_limit_or_a_custom_choice_without_a_day_is_refused(as_alice, tenant_a):
    tenant_a.apikey_max_lifetime_days = 60
    tenant_a.save()
    beyond = as_alice.post("/apikeys/", {**GENERATE, "expires_in": "365"})
    no_day = as_alice.post("/apikeys/", {**GENERATE, "expires_in": "custom"})
    assert beyond.status_code == no_day.status_code == 400
    assert "Pick the day the key stops working" in no_day.content.decode()
    far = (timezone.now() + timedelta(days=400)).date().isoformat()
    assert (
        as_alice.post("/apikeys/", {**GENERATE, "expires_in": "custom", "expires_on": far}).status_code == 303
    )
    assert ApiKey.objects.get().expires_at <= timezone.now() + timedelta(days=60)  # capped


def test_a_blank_name_is_refused_in_words(as_alice):
    response = as_alice.post("/apikeys/", {**GENERATE, "name": "   "})
    assert response.status_code == 400 and "Give the key a name" in response.content.decode()
    assert not ApiKey.objects.exists()


def test_a_key_is_renamed_and_the_change_audited(as_alice, alice, tenant_a):
    apikey, _ = make_key(alice, tenant_a, name="old name")
    form = as_alice.get(f"/apikeys/{apikey.pk}/rename")
    assert form.status_code == 200 and 'value="old name"' in form.content.decode()
    response = as_alice.post(f"/apikeys/{apikey.pk}/rename", {"name": "  nightly  "}, follow=True)
    assert response.redirect_chain == [("/apikeys/", 302)]
    assert (
        "Key old name (" in response.content.decode() and "is now called nightly" in response.content.decode()
    )
    assert ApiKey.objects.get(pk=apikey.pk).name == "nightly"
    assert Event.objects.get(action="apikey.update").data["name"] == "nightly"


def test_a_rename_that_cannot_be_done_says_why(as_alice, as_bob, alice, tenant_a):
    apikey, _ = make_key(alice, tenant_a, name="kept")
    blank = as_alice.post(f"/apikeys/{apikey.pk}/rename", {"name": " "})
    assert blank.status_code == 400 and "Give the key a name" in blank.content.decode()
    assert as_bob.post(f"/apikeys/{apikey.pk}/rename", {"name": "bob's now"}).status_code == 404  # not his
    ApiKey.objects.filter(pk=apikey.pk).update(revoked_at=timezone.now())
    revoked = as_alice.post(f"/apikeys/{apikey.pk}/rename", {"name": "late"}, follow=True)
    assert "This key is revoked." in revoked.content.decode()
    assert ApiKey.objects.get(pk=apikey.pk).name == "kept"


def test_keys_are_filtered_by_status_and_sorted(as_alice, alice, tenant_a):
    for name in ("beta", "Alpha", "gamma"):
        make_key(alice, tenant_a, name=name)
    services.apikey_revoke(apikey=ApiKey.objects.get(name="gamma"), by=actor(alice, tenant_a))
    ApiKey.objects.filter(name="beta").update(last_used_at=timezone.now())
    assert _names(as_alice.get("/apikeys/?sort=name").content.decode()) == ["Alpha", "beta", "gamma"]
    assert _names(as_alice.get("/apikeys/?sort=used").content.decode())[0] == "beta"
    assert _names(as_alice.get("/apikeys/").content.decode()) == ["gamma", "Alpha", "beta"]  # newest first
    assert _names(as_alice.get("/apikeys/?status=revoked").content.decode()) == ["gamma"]
    assert _names(as_alice.get("/apikeys/?status=active&sort=name").content.decode()) == ["Alpha", "beta"]
    expired = as_alice.get("/apikeys/?status=expired").content.decode()
    assert _names(expired) == [] and "No expired keys." in expired
    odd = as_alice.get("/apikeys/?status=%27;--&sort=password")  # anything else: the defaults
    assert odd.status_code == 200 and len(_names(odd.content.decode())) == 3


def test_at_the_limit_the_form_says_why_and_a_post_from_an_old_page_is_refused(
    as_alice, alice, tenant_a, settings
):
    settings.APIKEYS_MAX_PER_USER = 2
    make_key(alice, tenant_a, name="one")
    make_key(alice, tenant_a, name="two")
    page = as_alice.get("/apikeys/").content.decode()
    assert "You have 2 keys that work, the most allowed (2)" in page and "disabled" in page
    refused = as_alice.post("/apikeys/", GENERATE)
    assert refused.status_code == 409 and "2 API keys that work" in refused.content.decode()
