"""Post/Redirect/Get on every form of the pages: each successful POST answers with a redirect, and
the page it leads to, loaded again (a reload, Back and Forward), changes nothing. The table below
must name every page route that takes a POST, so a new form cannot skip it."""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts import services as account_services
from accounts.models import Event, Membership, Role, Tenant
from apikeys.models import CliGrant
from licenses import services as license_services
from licenses.models import Credential, License
from sso.services.scim import scim_token_create
from tests.conftest import client_for
from tests.factories import UserFactory, WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import actor, add, make_key, sell

# Page routes that only show something (GET), or that are not forms of ours.
SHOWN_ONLY = {
    "home", "events", "license", "workgroup_detail", "license_file_download", "jwks", "license_keys",
    "apikey_inventory", "workgroup_candidates", "signin_saml_metadata",
    "cli_login",  # its POST answers the CLI's loopback address: tests/apikeys/test_cli_login.py
    "signin_try",  # its POST leads to the identity provider: tests/sso/test_saml.py
    "scim", "scim_resource",  # the SCIM API's, not a page's form: tested in tests/sso/test_scim.py
    "invitation_accept",  # its POST is the invitee's, tested in tests/accounts/test_invitations.py
    # Its POST answers with the request read back, or with the premium.lic download (sent again, it
    # gives the same current file): tests/pages/test_activation_pages.py
    "license_activation",
}  # fmt: skip


def _world(alice, bob, tenant_a) -> dict:
    by = actor(alice, tenant_a)
    license = sell(tenant_a, by)
    workgroup = WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupMembershipFactory(workgroup=workgroup, user=bob, role=Role.MEMBER)
    invitation = account_services.invitation_create(
        tenant=tenant_a, email="new@acme.test", role="member", by=by
    )
    return {
        "license": license.pk,
        "credential": add(license, by, "dragen_serial", serial_number="SN-PRG").credential.pk,
        "workgroup": workgroup.pk,
        "bob": bob.pk,
        "invitation": invitation.pk,
        "apikey": make_key(alice, tenant_a)[0].pk,
        "scim_token": scim_token_create(tenant=tenant_a, name="Okta", by=by)[0].pk,
    }


SETTINGS = {
    "signup_mode": "invite-only",
    "allowed_email_domains": "",
    "jwt_lifetime_minutes": "30",
    "apikey_max_lifetime_days": "90",
    "session_idle_minutes": "15",
    "session_max_hours": "8",
}
END = "2099-12-31"
# (route, its arguments from _world, the form's fields)
FORMS = [
    ("apikeys", {}, {"name": "nightly", "scope": "all"}),
    ("apikey_regenerate", {"apikey_id": "apikey"}, {"overlap": "1h"}),
    ("apikey_rename", {"apikey_id": "apikey"}, {"name": "renamed"}),
    ("apikey_revoke", {"apikey_id": "apikey"}, {}),
    ("apikey_inventory_revoke", {"apikey_id": "apikey"}, {}),
    ("apikey_revoke_departed", {}, {}),
    ("users", {}, {"email": "carol@acme.test", "role": "member"}),
    ("user_update", {"user_id": "bob"}, {"action": "make_admin"}),
    ("invitation_revoke", {"invitation_id": "invitation"}, {}),
    ("workgroups", {}, {"name": "Variant calling"}),
    ("workgroup_update", {"workgroup_id": "workgroup"}, {"name": "Sequencing core"}),
    ("workgroup_member_add", {"workgroup_id": "workgroup"}, {"member": "Alice@acme.test", "role": "member"}),
    ("workgroup_member_update", {"workgroup_id": "workgroup", "user_id": "bob"}, {"action": "make_admin"}),
    ("tenant_settings", {}, SETTINGS),
    ("signin_settings", {}, {"mode": "password", "organisation": "Acme Corp", "scopes": "openid email"}),
    ("scim_token_create", {}, {"name": "Entra ID"}),
    ("cli_device", {}, {"user_code": "BCDF-GHJK"}),
    ("scim_token_revoke", {"token_id": "scim_token"}, {}),
    ("profile", {}, {"full_name": "Alice A. Admin"}),
    ("join", {}, {}),
    ("licenses", {}, {"name": "Core", "sources": ["OMIM"], "starts_on": "2026-01-01", "ends_on": END}),
    ("license_edit", {"license_id": "license"}, {"name": "Core", "sources": ["OMIM"], "ends_on": END}),
    ("license_suspend", {"license_id": "license"}, {}),
    ("license_resume", {"license_id": "license"}, {}),
    ("license_revoke", {"license_id": "license"}, {}),
    ("license_delete", {"license_id": "license"}, {}),
    ("license_credential_add", {"license_id": "license"}, {"method": "byol"}),
    ("license_credential_enable", {"license_id": "license", "credential_id": "credential"}, {}),
    ("license_credential_disable", {"license_id": "license", "credential_id": "credential"}, {}),
    ("license_credential_delete", {"license_id": "license", "credential_id": "credential"}, {}),
]  # fmt: skip


def _page_routes() -> set[str]:
    names = set()
    for entry in get_resolver().url_patterns:
        if isinstance(entry, URLResolver) and getattr(entry.urlconf_name, "__name__", "") in (
            "accounts.urls", "apikeys.urls", "licenses.urls", "sso.urls"
        ):  # fmt: skip
            names |= {pattern.name for pattern in entry.url_patterns if isinstance(pattern, URLPattern)}
    return names


def test_the_table_names_every_page_route_that_takes_a_post():
    assert {name for name, _, _ in FORMS} == _page_routes() - SHOWN_ONLY


@pytest.mark.parametrize(("name", "arguments", "data"), FORMS, ids=[name for name, _, _ in FORMS])
def test_a_form_redirects_and_its_page_loaded_again_changes_nothing(
    as_alice, alice, bob, tenant_a, name, arguments, data
):
    world = {**_world(alice, bob, tenant_a), "alice": alice.pk}
    client = _before(name, world, as_alice, alice, bob, tenant_a)
    data = {key: world.get(value, value) if key == "user_id" else value for key, value in data.items()}
    url = reverse(name, kwargs={key: world[value] for key, value in arguments.items()})
    events = Event.objects.count()
    response = client.post(url, data)
    assert response.status_code in (302, 303), (response.status_code, response.content[:500])
    assert Event.objects.count() > events, "the form did nothing"  # every change is audited
    done = Event.objects.count()
    for _ in range(2):  # a reload, or Back and Forward
        assert client.get(response["Location"]).status_code == 200
    assert Event.objects.count() == done


def _before(name, world, as_alice, alice, bob, tenant_a):
    """What a form needs to have something to do; the client that submits it."""
    by = actor(alice, tenant_a)
    if name == "license_resume":
        license_services.license_suspend(license=License.objects.get(pk=world["license"]), by=by)
    if name == "license_credential_enable":
        credential = Credential.objects.get(pk=world["credential"])
        license_services.credential_set_enabled(credential=credential, by=by, enabled=False)
    if name == "apikey_revoke_departed":  # a key whose holder left without the service's cleanup
        make_key(bob, tenant_a)
        Membership.objects.filter(user=bob, tenant=tenant_a).update(is_active=False)
    if name == "cli_device":  # `portal login --device` waiting for this code
        CliGrant.objects.create(tenant=tenant_a, kind="device", code_digest="d" * 64, user_code="BCDF-GHJK",
                                expires_at=timezone.now() + timedelta(minutes=5))  # fmt: skip
    if name == "join":  # someone signed in who is not yet a member of an open tenant
        Tenant.objects.filter(pk=tenant_a.pk).update(signup_mode=Tenant.SignupMode.OPEN)
        return client_for("acme.localhost", UserFactory(email="dana@acme.test"))
    return as_alice
