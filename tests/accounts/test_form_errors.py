"""Errors next to the field they are about, in words a person uses; blank names refused; what
a destructive action will do said before it is done; and success said of whom."""

import re
import time

from accounts.models import Membership, Workgroup
from tests.conftest import client_for
from tests.factories import WorkgroupFactory
from tests.helpers import SIGNUP_PASSWORD, sign_up_and_verify


def _messages(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


def test_a_blank_workgroup_name_is_refused_next_to_the_field(as_alice, tenant_a):
    response = as_alice.post("/workgroups/", {"name": "   "})
    page = response.content.decode()
    assert response.status_code == 400 and not Workgroup.objects.exists()
    assert re.search(r'aria-invalid="true" aria-describedby="name-error"', page)
    assert '<small class="error" id="name-error">Give the workgroup a name (not just spaces).</small>' in page


def test_a_blank_rename_says_why_and_changes_nothing(as_alice, tenant_a):
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    response = as_alice.post(f"/workgroups/{workgroup.pk}/edit", {"name": " "}, follow=True)
    assert "Give the workgroup a name (not just spaces)." in _messages(response)
    assert Workgroup.objects.get(pk=workgroup.pk).name == "Sequencing"
    renamed = as_alice.post(f"/workgroups/{workgroup.pk}/edit", {"name": "Sequencing core"}, follow=True)
    assert "Workgroup Sequencing is now called Sequencing core." in _messages(renamed)


def test_member_changes_say_what_was_done_to_whom_and_ask_first(as_alice, bob, tenant_a):
    page = as_alice.get("/users/").content.decode()
    assert 'data-confirm="Deactivate bob@acme.test? They are signed out at once' in page
    assert 'data-confirm="Remove bob@acme.test from Acme' in page
    made = as_alice.post(f"/users/{bob.pk}/", {"action": "make_admin"}, follow=True)
    assert "bob@acme.test is now a tenant admin of Acme" in _messages(made)
    stopped = as_alice.post(f"/users/{bob.pk}/", {"action": "deactivate"}, follow=True)
    assert "bob@acme.test is deactivated: signed out, their API keys and tokens stopped." in _messages(
        stopped
    )
    assert "done." not in _messages(stopped)


def test_a_deactivated_member_signing_in_is_told_why_and_only_that(tenant_a):
    user = sign_up_and_verify("acme.localhost", "dana@acme.test")
    Membership.objects.filter(user=user, tenant=tenant_a).update(is_active=False)
    client = client_for("acme.localhost")
    response = client.post(
        "/accounts/login/", {"login": "dana@acme.test", "password": SIGNUP_PASSWORD}, follow=True
    )
    said = _messages(response)
    assert "Your membership of Acme" in said and "is deactivated" in said
    assert "Successfully signed in" not in said and "_auth_user_id" not in client.session


def test_sign_up_errors_sit_under_their_field(tenant_a):
    tenant_a.signup_mode = "open"
    tenant_a.save()
    page = (
        client_for("acme.localhost")
        .post("/accounts/signup/", {"email": "erin@acme.test", "password1": "short", "password2": "short"})
        .content.decode()
    )
    password = page.index('name="password1"')
    error = page.index('id="id_password1_error"')
    label = page.index('for="id_password1"')
    assert label < password < error  # label, input, then what is wrong with it
    assert re.search(r'name="password1"[^>]*aria-invalid="true"', page)


def test_a_member_deactivated_at_the_second_factor_is_not_signed_in(tenant_a):
    """The membership is asked again when the sign-in completes, after the TOTP code."""
    from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value

    user = sign_up_and_verify("acme.localhost", "fay@acme.test")
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    client = client_for("acme.localhost")
    step = client.post("/accounts/login/", {"login": "fay@acme.test", "password": SIGNUP_PASSWORD})
    assert step.status_code == 302 and "2fa" in step["Location"]  # the password was right
    Membership.objects.filter(user=user, tenant=tenant_a).update(is_active=False)
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(step["Location"], {"code": code}, follow=True)
    said = _messages(response)
    assert "_auth_user_id" not in client.session and "is deactivated" in said
    assert "Successfully signed in" not in said
