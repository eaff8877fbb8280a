"""SAML 2.0 sign-in at a tenant, against pysaml2 acting as the identity provider (tests/saml_idp):
the tenant admin gives its metadata, the IdP learns the tenant's; the responses it signs sign
people in, and each way of forging, altering or replaying one is refused."""

import io

import pytest
from django.core.management import call_command
from django.test import Client

from accounts.models import Event, Membership, Role, User
from sso import saml
from sso.models import SignIn
from sso.services import signin_update
from sso.services.settings import Provider
from tests.helpers import actor
from tests.saml_idp.idp import IdentityProvider, encoded

ROSALIND = {
    "email": "rosalind@acme.test",
    "first_name": "Rosalind",
    "last_name": "Franklin",
    "subject": "rf-1",
}


def _configure(tenant, admin, idp: IdentityProvider, as_admin: Client, **options) -> SignIn:
    call_command("sso_domains", tenant.domain, "--add", "acme.test", stdout=io.StringIO())
    provider = Provider(
        protocol="saml", metadata_xml=idp.metadata(), claims=dict(saml.PRESETS["okta"]), **options
    )
    signin = signin_update(
        tenant=tenant, by=actor(admin, tenant), mode="both", organisation="Acme Corp", provider=provider
    )
    idp.register(as_admin.get("/settings/sign-in/saml-metadata.xml").content.decode())
    return signin


@pytest.fixture
def idp(tmp_path):
    return IdentityProvider(tmp_path)


@pytest.fixture
def acme_saml(tenant_a, alice, idp, as_alice) -> SignIn:
    return _configure(tenant_a, alice, idp, as_alice)


def _start(visitor: Client, signin: SignIn, idp: IdentityProvider):
    """The visitor asks to sign in through the provider; the AuthnRequest our redirect carries."""
    response = visitor.post(f"/accounts/saml/{signin.provider_id}/login/", {"process": "login"})
    assert response.status_code == 302, response.content.decode()[:2000]
    return idp.request_of(response["Location"])


def _post(visitor: Client, signin: SignIn, xml: str, relay_state: str = ""):
    """The browser posts the IdP's response to our ACS, and follows us to where it ends."""
    acs = f"/accounts/saml/{signin.provider_id}/acs/"
    response = visitor.post(acs, {"SAMLResponse": encoded(xml), "RelayState": relay_state})
    assert response.status_code == 302
    return visitor.get(response["Location"])


def _sign_in(visitor: Client, signin: SignIn, idp: IdentityProvider, person: dict = ROSALIND, **options):
    request = _start(visitor, signin, idp)
    xml = idp.response(person, sp_entity_id=request.issuer.text, acs=request.assertion_consumer_service_url,
                       in_response_to=request.id, **options)  # fmt: skip
    return _post(visitor, signin, xml)


def _signed_in_as(visitor: Client) -> str | None:
    user_id = visitor.session.get("_auth_user_id")
    return User.objects.get(pk=user_id).email if user_id else None


def test_a_signed_response_signs_in_and_makes_the_account_just_in_time(acme_saml, idp, tenant_a):
    visitor = Client(HTTP_HOST="acme.localhost")
    response = _sign_in(visitor, acme_saml, idp)
    assert response.status_code == 302 and _signed_in_as(visitor) == "rosalind@acme.test"
    rosalind = User.objects.get(email="rosalind@acme.test")
    assert rosalind.full_name == "Rosalind Franklin"
    assert Membership.objects.get(tenant=tenant_a, user=rosalind).role == Role.MEMBER
    assert rosalind.socialaccount_set.get().uid == "rf-1"
    assert Event.objects.get(tenant=tenant_a, action="sso.sign_in").data["issuer"] == idp.entity_id
