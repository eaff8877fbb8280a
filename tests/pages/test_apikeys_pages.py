import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from apikeys import keys
from apikeys.models import ApiKey
from tests.factories import MembershipFactory, TenantFactory, UserFactory
from tests.pages.conftest import sign_in, snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def exchange(key_text: str) -> int:
    return Client(HTTP_HOST="acme.localhost").post("/api/tokens", HTTP_X_API_KEY=key_text).status_code


@pytest.fixture
def acme():
    return TenantFactory(name="Acme Genomics", slug="acme", domain="acme.localhost")


def test_a_member_generates_a_key_sees_it_once_downloads_it_and_revokes_it(page, tenant_url, acme):
    MembershipFactory(tenant=acme, user=UserFactory(email="bob@acme.test"))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.locator("#profile-menu summary").click()
    page.get_by_role("link", name="Manage API Keys").click()
    expect(page.get_by_role("heading", name="Manage API Keys")).to_be_visible()
    expect(page.locator("#admin-advice")).to_have_count(0)

    page.get_by_label("Name", exact=True).fill("nightly annotation")
    page.get_by_role("button", name="Generate", exact=True).click()
    dialog = page.locator("dialog#new-key")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("cannot be shown again")
    snap(page, "new-key")
    secret = dialog.locator("#new-key-text")
    expect(secret).to_have_attribute("type", "password")
    dialog.get_by_role("button", name="Show").click()
    expect(secret).to_have_attribute("type", "text")
    key_text = secret.input_value()
    assert keys.is_well_formed(key_text)

    with page.expect_download() as download_info:
        dialog.get_by_role("button", name="Download as .txt").click()
    download = download_info.value
    assert download.suggested_filename == "portal-api-key-nightly-annotation.txt"
    with open(download.path()) as downloaded:
        assert downloaded.read().strip() == key_text
    assert exchange(key_text) == 200

    dialog.get_by_role("button", name="I have stored it safely").click()
    row = page.locator("#apikeys tbody tr", has_text="nightly annotation")
    expect(row).to_contain_text(key_text[:8] + "…")
    assert key_text not in page.content()

    row.get_by_role("button", name="Revoke nightly annotation").click()
    confirm = page.locator("#action-dialog")
    expect(confirm).to_contain_text("stop working at once")
    confirm.get_by_role("button", name="Revoke key").click()
    expect(page.locator(".messages")).to_contain_text("is revoked")
    expect(page.locator("#apikeys tbody tr", has_text="nightly annotation")).to_contain_text("Revoked")
    assert exchange(key_text) == 401


def test_at_the_limit_the_form_is_disabled_with_the_reason(page, tenant_url, acme, settings):
    user = UserFactory(email="bob@acme.test")
    membership = MembershipFactory(tenant=acme, user=user)
    for n in range(10):
        ApiKey.objects.create(
            tenant=acme,
            user=user,
            membership=membership,
            name=f"k{n}",
            prefix="pak_xxxx",
            digest=f"{n:064d}",
            expires_at="2099-01-01T00:00:00Z",
        )
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    expect(page.locator("#at-limit")).to_contain_text("You have 10 keys that work, the most allowed (10)")
    expect(page.get_by_label("Name", exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Generate", exact=True)).to_be_disabled()
    ApiKey.objects.filter(name="k0").update(revoked_at="2026-01-01T00:00:00Z")  # one slot free again
    page.reload()
    expect(page.locator("#at-limit")).to_have_count(0)
    page.get_by_label("Name", exact=True).fill("one more")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.locator("dialog#new-key")).to_be_visible()


def test_a_tenant_admin_is_advised_and_sees_the_inventory(page, tenant_url, acme):
    MembershipFactory(tenant=acme, user=UserFactory(email="alice@acme.test"), role="admin")
    bob = UserFactory(email="bob@acme.test")
    gone = MembershipFactory(tenant=acme, user=bob)
    ApiKey.objects.create(
        tenant=acme,
        user=bob,
        membership=gone,
        name="bobs",
        prefix="pak_bbbb",
        digest="b" * 64,
        expires_at="2099-01-01T00:00:00Z",
    )
    gone.is_active = False
    gone.save()
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "alice@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    expect(page.locator("#admin-advice")).to_contain_text("low-privilege")

    page.get_by_role("link", name="API keys").click()
    expect(page.locator("#inventory")).to_contain_text("bob@acme.test")
    expect(page.locator("#departed")).to_contain_text("1 live key")
    page.get_by_role("button", name="Revoke all keys of departed members").click()
    expect(page.locator(".messages")).to_contain_text("Revoked 1 key of departed members")
    assert ApiKey.objects.get(name="bobs").revoked_at is not None


def test_regenerating_offers_an_overlap_and_shows_the_new_key_once(page, tenant_url, acme):
    MembershipFactory(tenant=acme, user=UserFactory(email="bob@acme.test"))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_role("button", name="Generate", exact=True).click()
    old_text = page.locator("#new-key-text").input_value()
    page.get_by_role("button", name="I have stored it safely").click()

    page.locator("#apikeys tbody tr", has_text="ci").get_by_role("button", name="Regenerate").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("24 hours").check()
    dialog.get_by_role("button", name="Regenerate", exact=True).click()
    new_text = page.locator("#new-key-text").input_value()
    assert new_text != old_text and keys.is_well_formed(new_text)
    assert exchange(new_text) == 200 and exchange(old_text) == 200
    page.get_by_role("button", name="I have stored it safely").click()
    expect(page.locator("#apikeys tbody")).to_contain_text(re.compile(r"Old key\s*works until"))


def test_reload_and_back_after_generate_and_regenerate_repeat_nothing(page, tenant_url, acme):
    """Post/Redirect/Get: the shown-once dialog belongs to one GET; reloading it or going Back and
    Forward makes no key, regenerates nothing and shows no secret again."""
    MembershipFactory(tenant=acme, user=UserFactory(email="bob@acme.test"))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_role("button", name="Generate", exact=True).click()
    text = page.locator("#new-key-text").input_value()
    for move in (page.reload, page.go_back, page.go_forward):
        move()
        expect(page.get_by_role("heading", name="Manage API Keys")).to_be_visible()
        expect(page.locator("dialog#new-key")).to_have_count(0)
        assert text not in page.content()
    assert ApiKey.objects.count() == 1

    page.locator("#apikeys tbody tr", has_text="ci").get_by_role("button", name="Regenerate").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("None").check()
    dialog.get_by_role("button", name="Regenerate", exact=True).click()
    new_text = page.locator("#new-key-text").input_value()
    page.reload()
    expect(page.locator("dialog#new-key")).to_have_count(0)
    assert new_text not in page.content()
    assert ApiKey.objects.count() == 2 and exchange(new_text) == 200  # one regeneration, still working


def test_a_key_is_renamed_in_place_and_the_list_filtered_and_sorted(page, tenant_url, acme):
    MembershipFactory(tenant=acme, user=UserFactory(email="bob@acme.test"))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    for name in ("zeta", "ci"):
        page.get_by_label("Name", exact=True).fill(name)
        page.get_by_label("30 days", exact=True).check()
        page.get_by_role("button", name="Generate", exact=True).click()
        page.get_by_role("button", name="I have stored it safely").click()

    page.get_by_role("button", name="Edit ci").click()
    dialog = page.locator("#action-dialog")
    dialog.get_by_label("Name", exact=True).fill("alpha")
    dialog.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("is now called alpha")
    names = page.locator("#apikeys tbody tr td:first-child")
    expect(names).to_have_text(["alpha", "zeta"])  # newest first

    page.get_by_label("Sort by").select_option("name")
    page.get_by_role("button", name="Apply").click()
    expect(names).to_have_text(["alpha", "zeta"])
    page.get_by_label("Show").select_option("revoked")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#apikeys tbody")).to_contain_text("No revoked keys.")


def test_dialogs_take_focus_and_give_it_back_and_esc_asks_before_losing_the_key(page, tenant_url, acme):
    MembershipFactory(tenant=acme, user=UserFactory(email="bob@acme.test"))
    sign_in(page, tenant_url("acme.localhost", "/accounts/login/"), "bob@acme.test")
    page.goto(tenant_url("acme.localhost", "/apikeys/"))
    page.get_by_label("Name", exact=True).fill("ci")
    page.get_by_role("button", name="Generate", exact=True).click()
    dialog = page.locator("dialog#new-key")
    expect(dialog).to_be_visible()
    assert page.evaluate("document.getElementById('new-key').contains(document.activeElement)")
    page.once("dialog", lambda question: question.dismiss())  # "Close without it?" No
    page.keyboard.press("Escape")
    expect(dialog).to_be_visible()  # still there, the key with it
    page.once("dialog", lambda question: question.accept())
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()

    rename = page.get_by_role("button", name="Edit ci")
    rename.click()
    expect(page.locator("#action-dialog")).to_be_visible()
    assert page.evaluate("document.getElementById('action-dialog').contains(document.activeElement)")
    page.locator("#action-dialog").get_by_role("button", name="Cancel").click()
    expect(page.locator("#action-dialog")).to_be_hidden()
    expect(rename).to_be_focused()
