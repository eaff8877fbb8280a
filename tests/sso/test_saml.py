"""SAML 2.0 sign-in at a tenant, against pysaml2 acting as the identity provider (tests/saml_idp):
the tenant admin gives its metadata, the IdP learns the tenant's; the responses it signs sign
people in, and each way of forging, altering or replaying one is refused."""

import copy
import io
import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import saml2.assertion
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID

from accounts.models import Event, Membership, Role, User
from sso import saml
from sso.fetch import origin as fetch_origin
from sso.models import SignIn
from sso.services import signin_update
from sso.services.settings import Provider
from tests.conftest import change_tenant
from tests.factories import WorkgroupFactory, WorkgroupMembershipFactory
from tests.helpers import actor
from tests.saml_idp.idp import RSA_SHA256, IdentityProvider, encoded, key_and_certificate

ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
ROSALIND = {
    "email": "rosalind@acme.test",
    "first_name": "Rosalind",
    "last_name": "Franklin",
    "subject": "rf-1",
}


def _configure(
    tenant, admin, idp: IdentityProvider, as_admin: Client, domain="acme.test", **options
) -> SignIn:
    call_command("sso_domains", tenant.domain, "--add", domain, stdout=io.StringIO())
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


def _refused(visitor: Client, response, caplog, reason: str) -> None:
    """Nobody signed in, no account made, for this reason (python3-saml's, as allauth logs it)."""
    assert response.status_code in (400, 401, 403), response.status_code
    assert _signed_in_as(visitor) is None
    assert not User.objects.filter(email="rosalind@acme.test").exists()
    assert reason in caplog.text
    caplog.clear()


def _forged(acme_saml, idp, alter, **options):
    """A visitor starts a sign-in, and posts back the IdP's response once `alter` has had it."""
    visitor = Client(HTTP_HOST="acme.localhost")
    request = _start(visitor, acme_saml, idp)
    xml = idp.response(ROSALIND, sp_entity_id=request.issuer.text, acs=request.assertion_consumer_service_url,
                       in_response_to=request.id, **options)  # fmt: skip
    return visitor, _post(visitor, acme_saml, alter(xml, request))


def test_an_unsigned_response_is_refused(acme_saml, idp, tenant_a, alice, as_alice, caplog):
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml, sign_response=False, sign_assertion=False)
    _refused(visitor, response, caplog, "The Assertion of the Response is not signed and the SP require it")

    # Where the tenant does not require signed assertions, the response must still be signed.
    _configure(tenant_a, alice, idp, as_alice, saml_signed=False)
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml, sign_response=False, sign_assertion=False)
    _refused(visitor, response, caplog, "No Signature found. SAML Response rejected")
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml, sign_assertion=False)
    assert _signed_in_as(visitor) == "rosalind@acme.test"  # a signed response, its assertion not


def test_a_response_signed_with_sha1_is_refused(acme_saml, idp, caplog):
    sha1 = {
        "sign_alg": "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
        "digest_alg": "http://www.w3.org/2000/09/xmldsig#sha1",
    }
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml, **sha1)
    _refused(visitor, response, caplog, "Deprecated signature algorithm found")


def test_an_altered_assertion_is_refused(acme_saml, idp, alice, caplog):
    """Whoever holds Rosalind's signed response changes the address in it to Alice's."""
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml.replace(ROSALIND["email"], alice.email))
    _refused(visitor, response, caplog, "Signature validation failed")
    assert not alice.socialaccount_set.exists()


@pytest.mark.parametrize("where", ["before", "inside"])
def test_signature_wrapping_is_refused(acme_saml, idp, alice, where, caplog):
    """XML signature wrapping: the signed assertion stays (so a signature checks out) beside, or
    inside, a forged one naming Alice, which a careless reader would take instead."""

    def wrap(xml: str, _) -> str:
        root = etree.fromstring(xml.encode())
        signed = root.find(f"{{{ASSERTION}}}Assertion")
        forged = copy.deepcopy(signed)
        forged.set("ID", "_forged" + signed.get("ID"))
        forged.remove(forged.find(f"{{{DSIG}}}Signature"))
        for value in forged.iter(f"{{{ASSERTION}}}AttributeValue"):
            if value.text == ROSALIND["email"]:
                value.text = alice.email
        if where == "before":
            signed.addprevious(forged)
        else:  # the genuine one hidden in the forgery's subject, the forgery where the genuine was
            signed.addprevious(forged)
            forged.find(f"{{{ASSERTION}}}Subject").append(signed)
        return etree.tostring(root).decode()

    visitor, response = _forged(acme_saml, idp, wrap, sign_response=False)
    _refused(visitor, response, caplog, "SAML Response must contain 1 assertion")
    assert not alice.socialaccount_set.exists()


def test_an_assertion_for_another_audience_is_refused(acme_saml, idp, tenant_b, charlie, as_charlie, caplog):
    """Globex trusts the same IdP; a response made for Globex (its audience) is posted to Acme."""
    _configure(tenant_b, charlie, idp, as_charlie, domain="globex.test")
    globex = SignIn.objects.get(tenant=tenant_b)
    globex_audience = as_charlie.get("/settings/sign-in/").context["sp"]["entity_id"]
    assert globex_audience != acme_saml.provider_id

    def for_globex(xml, request):
        acs = request.assertion_consumer_service_url
        return idp.response(ROSALIND, sp_entity_id=globex_audience, acs=acs, in_response_to=request.id)

    visitor, response = _forged(acme_saml, idp, for_globex)
    _refused(visitor, response, caplog, "is not a valid audience for this Response")
    assert globex.provider_id != acme_saml.provider_id


def test_an_assertion_for_another_recipient_is_refused(acme_saml, idp, caplog):
    def elsewhere(xml, request):
        acs = request.assertion_consumer_service_url.replace("acme.localhost", "evil.localhost")
        return idp.response(ROSALIND, sp_entity_id=request.issuer.text, acs=acs, in_response_to=request.id)

    visitor, response = _forged(acme_saml, idp, elsewhere)
    _refused(visitor, response, caplog, "The response was received at")


def test_an_expired_assertion_is_refused(acme_saml, idp, caplog):
    idp.set_lifetime(-10)  # its NotOnOrAfter ten minutes ago, past python3-saml's 5 minutes of drift
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml)
    _refused(visitor, response, caplog, "Could not validate timestamp: expired")


def test_an_assertion_not_yet_valid_is_refused(acme_saml, idp, monkeypatch, caplog):
    """The IdP's clock is an hour ahead: NotBefore is in our future."""
    ahead = time.gmtime(time.time() + 3600)
    monkeypatch.setattr(
        saml2.assertion, "instant", lambda *a, **k: time.strftime("%Y-%m-%dT%H:%M:%SZ", ahead)
    )
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml)
    _refused(visitor, response, caplog, "Could not validate timestamp: not yet valid")


def test_a_response_from_another_tenants_idp_is_refused(
    acme_saml, idp, tenant_b, charlie, as_charlie, tmp_path, caplog
):
    """Acme's IdP (or whoever holds its key) signs a response for Globex, which trusts another."""
    (tmp_path / "globex").mkdir()
    globex_idp = IdentityProvider(tmp_path / "globex", base_url="https://idp.globex.example", name="globex")
    globex = _configure(tenant_b, charlie, globex_idp, as_charlie, domain="globex.test")
    idp.register(as_charlie.get("/settings/sign-in/saml-metadata.xml").content.decode())
    visitor = Client(HTTP_HOST="globex.localhost")
    request = _start(visitor, globex, globex_idp)
    grace = {"email": "grace@globex.test", "subject": "grace"}
    xml = idp.response(grace, sp_entity_id=request.issuer.text, acs=request.assertion_consumer_service_url,
                       in_response_to=request.id)  # fmt: skip
    _refused(visitor, _post(visitor, globex, xml), caplog, "Invalid issuer in the Assertion/Response")
    assert not User.objects.filter(email="grace@globex.test").exists()
    # The same person through Globex's own IdP signs in: the refusal was the key.
    _sign_in(visitor, globex, globex_idp, grace)
    assert _signed_in_as(visitor) == "grace@globex.test"


def test_a_response_signed_with_a_key_the_tenant_does_not_trust_is_refused(acme_saml, idp, tmp_path, caplog):
    """The IdP's key changed (rotated, or stolen and replaced) and Acme was not told: refused
    until the new certificate comes with its metadata."""
    idp.key_file, idp.cert_file = key_and_certificate(tmp_path, "rotated")
    idp.server = idp._server()
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml)
    _refused(visitor, response, caplog, "Signature validation failed")


def test_idp_initiated_sign_in_is_off_unless_allowed_and_then_each_assertion_signs_in_once(
    acme_saml, idp, tenant_a, alice, as_alice, caplog
):
    request_less = {"in_response_to": None}
    audience = as_alice.get("/settings/sign-in/").context["sp"]
    xml = idp.response(ROSALIND, sp_entity_id=audience["entity_id"], acs=audience["acs"], **request_less)
    visitor = Client(HTTP_HOST="acme.localhost")
    _refused(visitor, _post(visitor, acme_saml, xml), caplog, "IdP initiated SSO rejected")

    _configure(tenant_a, alice, idp, as_alice, saml_idp_initiated=True)
    xml = idp.response(ROSALIND, sp_entity_id=audience["entity_id"], acs=audience["acs"], **request_less)
    _post(visitor, acme_saml, xml)
    assert _signed_in_as(visitor) == "rosalind@acme.test"
    replay = Client(HTTP_HOST="acme.localhost")  # someone who copied the response from the wire
    response = _post(replay, acme_saml, xml)
    assert response.status_code == 403 and "used before" in response.content.decode()
    assert _signed_in_as(replay) is None


def test_assertions_can_be_required_encrypted(acme_saml, idp, tenant_a, alice, as_alice, caplog):
    _configure(tenant_a, alice, idp, as_alice, saml_encrypted=True)
    visitor, response = _forged(acme_saml, idp, lambda xml, _: xml)
    _refused(visitor, response, caplog, "The assertion of the Response is not encrypted")  # in the clear

    visitor = Client(HTTP_HOST="acme.localhost")
    _sign_in(
        visitor,
        acme_saml,
        idp,
        encrypt_assertion=True,
        sign_response=False,
        encrypt_assertion_self_contained=False,
    )
    assert _signed_in_as(visitor) == "rosalind@acme.test"


def test_signing_out_signs_out_at_the_idp_too(acme_saml, idp):
    """Single logout, SP-initiated: our LogoutRequest (signed with the tenant's key, checked by
    pysaml2 against our metadata) names the session; the IdP answers at our SLO service."""
    visitor = Client(HTTP_HOST="acme.localhost")
    _sign_in(visitor, acme_saml, idp)
    home = visitor.get("/")
    assert fetch_origin(idp.base_url) in home.headers["Content-Security-Policy"]  # sign-out may go there
    response = visitor.post("/accounts/logout/")
    assert _signed_in_as(visitor) is None  # our session ends first, whatever the IdP does
    query = parse_qs(urlsplit(response["Location"]).query)
    assert response["Location"].startswith(f"{idp.base_url}/slo?")
    request = idp.server.parse_logout_request(
        query["SAMLRequest"][0], BINDING_HTTP_REDIRECT, relay_state=query.get("RelayState", [None])[0],
        sigalg=query["SigAlg"][0], signature=query["Signature"][0],
    )  # fmt: skip
    assert request.message.name_id.text == "rf-1" and request.message.session_index
    answer = idp.server.create_logout_response(request.message, [BINDING_HTTP_REDIRECT])
    sls = f"http://acme.localhost/accounts/saml/{acme_saml.provider_id}/sls/"
    bound = idp.server.apply_binding(
        BINDING_HTTP_REDIRECT, str(answer), sls, response=True, sigalg=RSA_SHA256
    )
    location = dict(bound["headers"])
    back = visitor.get(location["Location"])
    assert back.status_code == 302 and _signed_in_as(visitor) is None


def test_groups_map_to_workgroups_at_every_sign_in(acme_saml, idp, tenant_a, alice, as_alice):
    WorkgroupFactory(tenant=tenant_a, name="Sequencing")
    WorkgroupFactory(tenant=tenant_a, name="Analysis")
    unmapped = WorkgroupFactory(tenant=tenant_a, name="Unmapped")
    form = {
        "mode": "both", "protocol": "saml", "organisation": "Acme Corp", "scopes": "openid",
        "saml_signed": "on", "preset": "okta",
        "group_map": "lab-seq = Sequencing\nlab-all = Analysis\nlab-all = sequencing",
    }  # fmt: skip
    assert as_alice.post("/settings/sign-in/", form).status_code == 302
    page = as_alice.get("/settings/sign-in/").content.decode()
    assert "lab-seq = Sequencing" in page and "lab-all = Analysis" in page

    visitor = Client(HTTP_HOST="acme.localhost")
    _sign_in(visitor, acme_saml, idp, {**ROSALIND, "groups": ["lab-seq", "other"]})
    rosalind = User.objects.get(email="rosalind@acme.test")
    WorkgroupMembershipFactory(workgroup=unmapped, user=rosalind)  # an admin's doing: left alone
    assert _workgroups(rosalind) == {"Sequencing", "Unmapped"}
    event = Event.objects.get(tenant=tenant_a, action="sso.groups")
    assert (event.data["added"], event.data["removed"]) == (["Sequencing"], [])

    again = Client(HTTP_HOST="acme.localhost")
    _sign_in(again, acme_saml, idp, {**ROSALIND, "groups": ["lab-all"]})
    assert _workgroups(rosalind) == {"Sequencing", "Analysis", "Unmapped"}
    _sign_in(Client(HTTP_HOST="acme.localhost"), acme_saml, idp, {**ROSALIND, "groups": []})
    assert _workgroups(rosalind) == {"Unmapped"}  # out of the groups: out of the mapped workgroups

    response = as_alice.post("/settings/sign-in/", {**form, "group_map": "x = Nowhere"})
    assert "no workgroup named &#x27;Nowhere&#x27; here" in response.content.decode()


def _workgroups(user) -> set[str]:
    return set(user.workgroup_memberships.values_list("workgroup__name", flat=True))


def test_an_admin_tries_sign_in_before_anyone_can_use_it(tenant_a, alice, idp, as_alice, as_bob):
    signin = _configure(tenant_a, alice, idp, as_alice)
    SignIn.objects.filter(pk=signin.pk).update(mode="password")  # saved, not yet offered
    visitor = Client(HTTP_HOST="acme.localhost")
    assert visitor.post(f"/accounts/saml/{signin.provider_id}/login/").status_code == 404  # not usable
    assert as_bob.post("/settings/sign-in/try/").status_code == 403  # admins only

    def tried(person: dict) -> str:
        started = as_alice.post("/settings/sign-in/try/")
        request = idp.request_of(started["Location"])
        acs = request.assertion_consumer_service_url
        xml = idp.response(person, sp_entity_id=request.issuer.text, acs=acs, in_response_to=request.id)
        page = _post(as_alice, signin, xml)
        assert page.status_code == 200 and _signed_in_as(as_alice) == alice.email  # still Alice
        return page.content.decode()

    refused = tried({"email": "guest@elsewhere.test", "subject": "g-1"})
    assert "would not sign this person in" in refused and "not one of the domains verified" in refused
    assert SignIn.objects.get(pk=signin.pk).worked_at is None

    works = tried({**ROSALIND, "groups": ["lab-seq"]})
    assert "It works." in works and "rosalind@acme.test" in works and "Rosalind Franklin" in works
    assert not User.objects.filter(email="rosalind@acme.test").exists()  # nobody made
    assert SignIn.objects.get(pk=signin.pk).worked_at is not None  # single sign-on only may be chosen
    assert [e.data["vouched"] for e in Event.objects.filter(action="sso.try").order_by("created_at")] == [
        False,
        True,
    ]
    assert visitor.post(f"/accounts/saml/{signin.provider_id}/login/").status_code == 404  # still not offered


def test_a_logout_request_must_be_signed_by_the_idp(acme_saml, idp, caplog):
    """Else any page could sign people out with an unsigned LogoutRequest to our SLO service."""
    visitor = Client(HTTP_HOST="acme.localhost")
    _sign_in(visitor, acme_saml, idp)
    sls = f"http://acme.localhost/accounts/saml/{acme_saml.provider_id}/sls/"
    sp = SignIn.objects.get(pk=acme_saml.pk)
    audience = visitor.get(f"/accounts/saml/{sp.provider_id}/metadata/").content.decode()
    sp_entity_id = re.search(r'entityID="([^"]+)"', audience)[1]

    def logout_request(**signing) -> str:
        _, request = idp.server.create_logout_request(
            sls, sp_entity_id, name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text="rf-1"), sign=False
        )
        bound = idp.server.apply_binding(BINDING_HTTP_REDIRECT, str(request), sls, **signing)
        return dict(bound["headers"])["Location"]

    forged = visitor.get(logout_request(sign=False))
    assert forged.status_code == 400 and _signed_in_as(visitor) == "rosalind@acme.test"
    assert "The SAMLRequest is not signed. Rejected." in caplog.text
    signed = visitor.get(logout_request(sign=True, sigalg=RSA_SHA256))
    assert signed.status_code == 302 and _signed_in_as(visitor) is None  # the IdP's own: signed out


def test_a_required_second_factor_holds_a_sign_in_through_the_provider_too(acme_saml, idp, tenant_a):
    since = timezone.now() - timedelta(days=1)
    change_tenant(tenant_a, mfa_required="everyone", mfa_grace_days=0, mfa_required_since=since)
    visitor = Client(HTTP_HOST="acme.localhost")
    _sign_in(visitor, acme_saml, idp)
    assert _signed_in_as(visitor) == "rosalind@acme.test"
    assert visitor.get("/apikeys/")["Location"] == "/accounts/2fa/"  # policies apply to SSO alike
    assert visitor.get("/api/me").json()["code"] == "second_factor_required"
