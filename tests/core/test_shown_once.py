"""A secret shown once across Post/Redirect/Get (core.shown_once), tried as an attacker would:
a reload, another session, the session row read from the database, a stale link."""

import time

from django.contrib.sessions.models import Session

from apikeys import keys
from apikeys.models import ApiKey
from core import shown_once
from tests.conftest import client_for
from tests.helpers import actor, sell


def _generate(client) -> str:
    """POST the Generate form; the URL it redirects to (303, itself never stored)."""
    response = client.post("/apikeys/", {"name": "nightly", "scope": "all"})
    assert response.status_code == 303 and response["Location"].startswith("/apikeys/?shown=")
    assert response["Cache-Control"] == "no-store"
    return response["Location"]


def _shown_key(html: str) -> str | None:
    marker = 'id="new-key-text" value="'
    return html.split(marker, 1)[1].split('"', 1)[0] if marker in html else None


def test_the_key_is_shown_once_after_the_redirect_and_a_reload_makes_nothing(as_alice):
    url = _generate(as_alice)
    page = as_alice.get(url)
    text = _shown_key(page.content.decode())
    assert page.status_code == 200 and page["Cache-Control"] == "no-store" and keys.is_well_formed(text)
    assert page["Referrer-Policy"] == "no-referrer"  # its URL holds the key
    assert ApiKey.objects.get().prefix == text[: len(ApiKey.objects.get().prefix)]
    again = as_alice.get(url)  # a reload, or Back to it
    assert _shown_key(again.content.decode()) is None and text not in again.content.decode()
    assert ApiKey.objects.count() == 1


def test_the_session_row_never_holds_the_key_in_the_clear(as_alice):
    url = _generate(as_alice)
    stored = [Session.objects.get().get_decoded(), Session.objects.get().session_data]
    text = _shown_key(as_alice.get(url).content.decode())
    assert text is not None and all(text not in str(part) for part in stored)


def test_the_link_is_worth_nothing_to_another_session_of_the_same_user(alice, as_alice):
    url = _generate(as_alice)
    thief = client_for("acme.localhost", alice)  # the same account, another session (a logged URL)
    assert _shown_key(thief.get(url).content.decode()) is None
    assert _shown_key(as_alice.get(url).content.decode()) is not None  # still there for its own


def test_a_second_secret_drops_the_first_one_not_yet_shown(as_alice):
    first = _generate(as_alice)
    second = _generate(as_alice)
    assert _shown_key(as_alice.get(first).content.decode()) is None
    assert _shown_key(as_alice.get(second).content.decode()) is not None


def test_a_stale_link_shows_nothing_and_the_next_look_drops_it(as_alice, monkeypatch):
    monkeypatch.setattr(shown_once, "TTL", 1)
    url = _generate(as_alice)
    time.sleep(2.1)  # Fernet's timestamps are whole seconds
    as_alice.get("/apikeys/")  # any look, without the key
    assert not [name for name in Session.objects.get().get_decoded() if name.startswith("shown-once:")]
    assert _shown_key(as_alice.get(url).content.decode()) is None


def test_a_link_opened_on_the_other_kind_of_page_shows_nothing_and_keeps_it(as_alice, tenant_a, alice):
    license = sell(tenant_a, actor(alice, tenant_a))
    url = _generate(as_alice)
    elsewhere = as_alice.get(f"/licenses/{license.pk}/{url[url.index('?') :]}")
    assert elsewhere.status_code == 200 and _shown_key(elsewhere.content.decode()) is None
    assert as_alice.head(url).status_code == 200  # a HEAD shows nothing, so takes nothing
    assert _shown_key(as_alice.get(url).content.decode()) is not None


def test_a_forged_or_garbled_link_shows_nothing(as_alice):
    url = _generate(as_alice)
    for bad in (
        url[:-4] + "AAAA",
        "/apikeys/?shown=",
        "/apikeys/?shown=not-a-key",
        "/apikeys/?shown=%FF",
        "/apikeys/?shown=" + "A" * 44,
    ):
        response = as_alice.get(bad)
        assert response.status_code == 200 and _shown_key(response.content.decode()) is None
    assert _shown_key(as_alice.get(url).content.decode()) is not None
