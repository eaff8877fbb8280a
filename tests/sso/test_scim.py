"""SCIM 2.0 provisioning at /scim/v2/ on a tenant's host: scim2-tester's conformance checks, the
request sequences Okta and Entra ID send, deprovisioning that ends sessions, keys and tokens, and
a token of one tenant that does nothing at another."""

import io
import json
import uuid
from typing import Annotated

import pytest
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.test import Client
from pydantic import Field
from scim2_client.engines.wsgi import WSGISCIMClient
from scim2_models import Mutability, Required, ScimProvider, Uniqueness
from scim2_tester import Status, check_server

from accounts.models import Event, Membership, User
from sso.models import ScimToken
from sso.scim import resources
from sso.services.scim import scim_token_create, scim_token_revoke
from tests.conftest import client_for
from tests.factories import MembershipFactory, UserFactory
from tests.helpers import actor, bearer, exchange, make_key, token

SCIM = "application/scim+json"


@pytest.fixture
def scim_token(tenant_a, alice) -> str:
    call_command("sso_domains", tenant_a.domain, "--add", "acme.test", stdout=io.StringIO())  # the operators
    _, text = scim_token_create(tenant=tenant_a, name="Okta", by=actor(alice, tenant_a))
    return text


def _scim(text: str, host: str = "acme.localhost") -> Client:
    return Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {text}")


def _send(client: Client, method: str, path: str, body=None, **headers):
    data = json.dumps(body) if body is not None else ""
    return getattr(client, method)(f"/scim/v2{path}", data=data, content_type=SCIM, **headers)


class _TesterUser(resources.User):
    """Our User as the tester's client knows it: userName examples in Acme's verified domain (an
    IdP sends only its organisation's addresses), many, as each check makes a new User."""

    user_name: Annotated[str | None, Uniqueness.server, Required.true, Mutability.immutable] = Field(
        None, examples=[f"{uuid.uuid4().hex[:12]}@acme.test" for _ in range(5000)]
    )


@pytest.mark.django_db(transaction=True)  # a WSGI application closes the connection after each request
def test_scim2_tester_finds_no_error(scim_token):
    described = resources.provider()
    provider = ScimProvider([_TesterUser, resources.Group], described.resource_types, described.config)
    client = WSGISCIMClient(
        get_wsgi_application(), base_url="http://acme.localhost/scim/v2",
        headers={"Authorization": f"Bearer {scim_token}"}, provider=provider,
    )  # fmt: skip
    results = check_server(client, raise_exceptions=False)
    bad = [r for r in results if r.status in (Status.ERROR, Status.CRITICAL)]
    assert not bad, "\n".join(f"{r.status.name} {r.resource_type} {r.title}: {r.reason}" for r in bad)
    assert sum(r.status == Status.SUCCESS for r in results) > 20


def _okta_create(client: Client, email: str, **extra):
    """Okta's provisioning, as it sends it: look the user up by userName, then create them."""
    found = client.get("/scim/v2/Users", {"filter": f'userName eq "{email}"', "startIndex": 1, "count": 100})
    assert found.status_code == 200 and found.json()["totalResults"] == 0
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": email,
        "name": {"givenName": "Rosalind", "familyName": "Franklin"},
        "emails": [{"primary": True, "value": email, "type": "work"}],
        "displayName": "Rosalind Franklin", "locale": "en-US", "externalId": "00u1okta",
        "groups": [], "password": "okta-sends-one-unless-told", "active": True, **extra,
    }  # fmt: skip
    return _send(client, "post", "/Users", body)


def test_okta_provisions_then_deactivates_and_the_member_loses_sessions_keys_and_tokens(scim_token, tenant_a):
    okta = _scim(scim_token)
    created = _okta_create(okta, "rosalind@acme.test")
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith(SCIM) and created["ETag"].startswith('W/"')
    user_id = created.json()["id"]
    rosalind = User.objects.get(email="rosalind@acme.test")
    assert str(rosalind.pk) == user_id and rosalind.full_name == "Rosalind Franklin"
    assert not rosalind.has_usable_password() and rosalind.emailaddress_set.get().verified
    found = okta.get("/scim/v2/Users", {"filter": 'userName eq "Rosalind@Acme.test"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == user_id

    # She works: a session, a key, a token.
    session = client_for("acme.localhost", rosalind)
    assert session.get("/apikeys/").status_code == 200
    _, key = make_key(rosalind, tenant_a)
    jwt = token(key)
    assert bearer(jwt).get("/api/me").status_code == 200

    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "replace", "value": {"active": False}}]}  # fmt: skip
    answer = _send(okta, "patch", f"/Users/{user_id}", patch, HTTP_IF_MATCH=created["ETag"])
    assert answer.status_code in (200, 204)  # 204: nothing asked back (RFC 7644 §3.5.2)
    assert okta.get(f"/scim/v2/Users/{user_id}").json()["active"] is False
    assert session.get("/apikeys/").status_code in (302, 403)  # her next request
    assert bearer(jwt).get("/api/me").status_code == 401
    assert exchange(key).status_code in (401, 403)
    stale = _send(okta, "patch", f"/Users/{user_id}", patch, HTTP_IF_MATCH=created["ETag"])
    assert stale.status_code == 412  # an ETag of before
    event = Event.objects.get(tenant=tenant_a, action="scim.user_update")
    assert (
        event.data == {"scim_token": "Okta", "changed": ["attributes", "active"]}
        and event.actor_email == "system"
    )


def test_entra_provisions_with_its_own_dialect_and_deletes(scim_token, tenant_a):
    """Entra ID capitalises PATCH ops, sends booleans as strings, and the enterprise extension."""
    entra = _scim(scim_token)
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "ent-1", "userName": "grace@acme.test", "active": True, "displayName": "Grace Hopper",
        "emails": [{"primary": True, "type": "work", "value": "grace@acme.test"}],
        "name": {"formatted": "Grace Hopper", "familyName": "Hopper", "givenName": "Grace"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "42"},
    }  # fmt: skip
    created = _send(entra, "post", "/Users", body)
    assert created.status_code == 201, created.content
    user_id = created.json()["id"]
    patch = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
             "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}  # fmt: skip
    answer = _send(entra, "patch", f"/Users/{user_id}", patch)
    assert answer.status_code in (200, 204), answer.content
    assert Membership.objects.get(tenant=tenant_a, user_id=user_id).is_active is False
    assert _send(entra, "delete", f"/Users/{user_id}").status_code == 204
    assert not Membership.objects.filter(tenant=tenant_a, user_id=user_id).exists()
    assert User.objects.filter(pk=user_id).exists()  # the account stays; the membership goes
    assert _send(entra, "get", f"/Users/{user_id}").status_code == 404


def test_groups_are_workgroups_and_their_members_are_patched(scim_token, tenant_a):
    client = _scim(scim_token)
    ada = _okta_create(client, "ada@acme.test").json()["id"]
    bea = _okta_create(client, "bea@acme.test", externalId="00u2").json()["id"]
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Sequencing",
            "members": [{"value": ada}]}  # fmt: skip
    group = _send(client, "post", "/Groups", body)
    assert group.status_code == 201, group.content
    group_id = group.json()["id"]
    add = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
           "Operations": [{"op": "add", "path": "members", "value": [{"value": bea}]}]}  # fmt: skip
    assert _send(client, "patch", f"/Groups/{group_id}", add).status_code in (200, 204)
    workgroup = tenant_a.workgroups.get(pk=group_id)
    assert {str(m.user_id) for m in workgroup.memberships.all()} == {ada, bea}
    remove = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
              "Operations": [{"op": "remove", "path": f'members[value eq "{ada}"]'}]}  # fmt: skip
    assert _send(client, "patch", f"/Groups/{group_id}", remove).status_code in (200, 204)
    assert {str(m.user_id) for m in workgroup.memberships.all()} == {bea}
    user = client.get(f"/scim/v2/Users/{bea}").json()
    assert user["groups"][0]["value"] == group_id
    nobody = [{"value": str(uuid.uuid4())}]
    stranger = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": nobody}]}  # fmt: skip
    assert _send(client, "patch", f"/Groups/{group_id}", stranger).status_code == 400


def test_only_addresses_in_the_tenants_verified_domains_are_provisioned(scim_token):
    answer = _okta_create(_scim(scim_token), "someone@elsewhere.test")
    assert answer.status_code == 400 and "verified" in answer.json()["detail"]
    assert not User.objects.filter(email="someone@elsewhere.test").exists()


def test_a_token_does_nothing_at_another_tenant_or_once_revoked(
    scim_token, tenant_a, tenant_b, alice, charlie
):
    acme_user = _okta_create(_scim(scim_token), "ada@acme.test").json()["id"]
    at_globex = _scim(scim_token, host="globex.localhost")
    assert at_globex.get("/scim/v2/Users").status_code == 401
    assert _send(at_globex, "delete", f"/Users/{acme_user}").status_code == 401
    call_command("sso_domains", tenant_b.domain, "--add", "globex.test", stdout=io.StringIO())
    _, globex_token = scim_token_create(tenant=tenant_b, name="Entra", by=actor(charlie, tenant_b))
    globex = _scim(globex_token, host="globex.localhost")
    assert globex.get(f"/scim/v2/Users/{acme_user}").status_code == 404  # Acme's member, not Globex's
    assert _send(globex, "delete", f"/Users/{acme_user}").status_code == 404
    assert globex.get(f"/scim/v2/Users/{charlie.pk}").status_code == 200
    assert Client(HTTP_HOST="acme.localhost").get("/scim/v2/Users").status_code == 401  # no token
    assert _scim(globex_token.replace("_", "-")).get("/scim/v2/Users").status_code == 401

    scim_token_revoke(token=ScimToken.objects.get(tenant=tenant_a), by=actor(alice, tenant_a))
    assert _scim(scim_token).get("/scim/v2/Users").status_code == 401
    assert Membership.objects.filter(tenant=tenant_a, user_id=acme_user).exists()


def test_the_service_describes_itself(scim_token):
    client = _scim(scim_token)
    config = (
        Client(HTTP_HOST="acme.localhost").get("/scim/v2/ServiceProviderConfig").json()
    )  # no token needed
    assert config["patch"]["supported"] and config["etag"]["supported"] and not config["bulk"]["supported"]
    schemas = {s["id"]: s for s in client.get("/scim/v2/Schemas").json()["Resources"]}
    user = {a["name"]: a for a in schemas["urn:ietf:params:scim:schemas:core:2.0:User"]["attributes"]}
    assert user["userName"]["mutability"] == "immutable" and "phoneNumbers" not in user
    types = client.get("/scim/v2/ResourceTypes").json()["Resources"]
    assert {t["name"]: t["endpoint"] for t in types} == {"User": "/Users", "Group": "/Groups"}


def test_an_admin_makes_a_token_seen_once_and_revokes_it(as_alice, as_bob, tenant_a):
    response = as_alice.post("/settings/sign-in/scim-tokens/", {"name": "Okta"})
    assert response.status_code == 303
    page = as_alice.get(response["Location"]).content.decode()
    text = page.split('id="scim-token-text" value="')[1].split('"')[0]
    assert text.startswith("scim_") and ScimToken.objects.get(tenant=tenant_a).digest not in text
    assert text not in as_alice.get("/settings/sign-in/").content.decode()  # once
    assert as_bob.post("/settings/sign-in/scim-tokens/", {"name": "Mine"}).status_code == 403
    token = ScimToken.objects.get(tenant=tenant_a)
    assert as_bob.post(f"/settings/sign-in/scim-tokens/{token.pk}/revoke/").status_code == 403
    assert as_alice.post(f"/settings/sign-in/scim-tokens/{token.pk}/revoke/").status_code == 302
    assert ScimToken.objects.get(pk=token.pk).revoked_at is not None
    assert [e.action for e in Event.objects.filter(tenant=tenant_a).order_by("created_at")][-2:] == [
        "scim.token_create", "scim.token_revoke",
    ]  # fmt: skip


def test_a_client_names_only_the_tenants_own_accounts_and_never_with_hidden_characters(
    scim_token, tenant_a, tenant_b
):
    """Accounts are global: Acme's client must not rename someone of another organisation who is
    also Acme's member (it reads back its own words); its own people's names are cleaned."""
    carol = UserFactory(email="carol@other.test", full_name="Carol Other")
    MembershipFactory(tenant=tenant_a, user=carol)
    MembershipFactory(tenant=tenant_b, user=carol)
    client = _scim(scim_token)
    replace = {"op": "replace", "path": "name.formatted", "value": "\u202eCarol RENAMED"}
    rename = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [replace]}
    assert _send(client, "patch", f"/Users/{carol.pk}", rename).status_code in (200, 204)
    carol.refresh_from_db()
    assert carol.full_name == "Carol Other"
    assert client.get(f"/scim/v2/Users/{carol.pk}").json()["name"]["formatted"] == "\u202eCarol RENAMED"

    ada = _okta_create(client, "ada@acme.test").json()["id"]
    assert _send(client, "patch", f"/Users/{ada}", rename).status_code in (200, 204)
    assert User.objects.get(pk=ada).full_name == "Carol RENAMED"  # the override is gone
    assert Event.objects.filter(
        tenant=tenant_a, action="user.rename", target_label__startswith="ada@"
    ).exists()


def test_another_tenants_admin_cannot_revoke_a_token(scim_token, tenant_a, as_charlie):
    token = ScimToken.objects.get(tenant=tenant_a)
    assert as_charlie.post(f"/settings/sign-in/scim-tokens/{token.pk}/revoke/").status_code == 404
    assert ScimToken.objects.get(pk=token.pk).revoked_at is None
    assert _scim(scim_token).get("/scim/v2/Users").status_code == 200
