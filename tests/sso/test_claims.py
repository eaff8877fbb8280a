"""Claim names at an OpenID Connect tenant: the address, names and groups come from the claims
the tenant names (its provider may call them otherwise), from userinfo or else the ID token."""

from allauth.socialaccount.models import SocialApp
from django.test import RequestFactory

from sso.models import SignIn
from sso.providers import PortalOIDCProvider
from sso.services.people import groups_of

USERINFO = {"sub": "u-1", "mail": "ada@acme.test", "email_verified": True, "givenName": "Ada",
            "sn": "Lovelace", "roles": ["lab-seq", "lab-all"], "email": "not-this@acme.test"}  # fmt: skip


def _provider(claims: dict) -> PortalOIDCProvider:
    app = SocialApp(provider="openid_connect", provider_id="sso-x", client_id="c",
                    settings={"server_url": "https://idp.test", "claims": claims})  # fmt: skip
    return PortalOIDCProvider(request=RequestFactory().get("/"), app=app)


def test_the_address_and_names_come_from_the_claims_the_tenant_names():
    provider = _provider({"email": "mail", "first_name": "givenName", "last_name": "sn"})
    data = {"userinfo": USERINFO}
    assert provider.extract_common_fields(data) == {"email": "ada@acme.test", "first_name": "Ada",
                                                    "last_name": "Lovelace"}  # fmt: skip
    (address,) = provider.extract_email_addresses(data)
    assert (address.email, address.verified) == ("ada@acme.test", True)
    assert (
        provider.extract_common_fields({"id_token": {**USERINFO, "mail": "x@acme.test"}})["email"]
        == "x@acme.test"
    )


def test_without_names_given_the_usual_claims_are_read():
    assert _provider({}).extract_common_fields({"userinfo": USERINFO})["email"] == "not-this@acme.test"


def test_groups_come_from_the_claim_the_tenant_names():
    signin = SignIn(protocol=SignIn.Protocol.OIDC, claims={"groups": "roles"})
    assert groups_of(signin, {"userinfo": USERINFO}) == ["lab-seq", "lab-all"]
    assert groups_of(signin, {"id_token": {"roles": "lab-one"}}) == ["lab-one"]  # one string
    assert groups_of(SignIn(protocol=SignIn.Protocol.OIDC), {"userinfo": USERINFO}) == []  # "groups": none
    saml = SignIn(protocol=SignIn.Protocol.SAML, claims={"groups": "memberOf"})
    assert groups_of(saml, {"memberOf": ["a", "b"]}) == ["a", "b"]
