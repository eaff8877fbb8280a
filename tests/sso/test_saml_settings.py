"""Settings → Sign-in for SAML: the identity provider's metadata given as a file or a URL (read
again daily), this tenant's service provider metadata to register there, and a signing
certificate that changes, expires or is bad: reported on the page and in the event log, never
used."""

import functools
import http.server
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Event
from sso import selectors
from sso.models import SignIn
from sso.services.metadata import saml_metadata_check_all
from tests.conftest import client_for
from tests.saml_idp.idp import IdentityProvider, key_and_certificate

SAML = {
    "mode": "password",
    "protocol": "saml",
    "organisation": "Acme Corp",
    "scopes": "openid",
    "saml_signed": "on",
}


@pytest.fixture
def idp(tmp_path):
    return IdentityProvider(tmp_path)


@pytest.fixture
def served(tmp_path):
    """A folder served over HTTP, as an identity provider serves its metadata."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield folder, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def _upload(xml: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("idp-metadata.xml", xml.encode(), content_type="text/xml")


def test_an_admin_uploads_the_idps_metadata_and_downloads_the_tenants(as_alice, tenant_a, idp):
    response = as_alice.post("/settings/sign-in/", {**SAML, "metadata_file": _upload(idp.metadata())})
    assert response.status_code == 302, response.content.decode()
    signin = SignIn.objects.get(tenant=tenant_a)
    assert (signin.saml_entity_id, signin.saml_sso_url) == (idp.entity_id, f"{idp.base_url}/sso")
    assert signin.sp_certificate and "PRIVATE KEY" not in signin.sp_key_sealed  # sealed
    page = as_alice.get("/settings/sign-in/")
    sp = page.context["sp"]
    assert sp["acs"] == f"http://acme.localhost/accounts/saml/{signin.provider_id}/acs/"
    assert sp["entity_id"].startswith("http://acme.localhost/")  # the tenant's own host
    metadata = as_alice.get("/settings/sign-in/saml-metadata.xml")
    assert metadata["Content-Type"] == "application/samlmetadata+xml"
    text = metadata.content.decode()
    assert sp["entity_id"] in text and sp["acs"] in text
    assert signin.sp_certificate.split("-----")[2].strip().splitlines()[0] in text  # its certificate
    assert "PRIVATE" not in text
    event = Event.objects.get(tenant=tenant_a, action="signin.update")
    assert {"protocol", "saml_entity_id", "saml_certificate"} <= set(event.data["changed"])


def test_the_service_provider_metadata_is_the_tenants_admins_only(
    as_alice, as_bob, as_charlie, tenant_a, idp
):
    as_alice.post("/settings/sign-in/", {**SAML, "metadata_file": _upload(idp.metadata())})
    assert as_bob.get("/settings/sign-in/saml-metadata.xml").status_code == 403
    assert as_charlie.get("/settings/sign-in/saml-metadata.xml").status_code == 404  # Globex has none


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ("<not-xml", "could not be read as SAML metadata"),
        (
            '<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>',
            "names no identity provider",
        ),
    ],
)
def test_metadata_that_is_not_an_idps_is_refused_with_a_reason(as_alice, tenant_a, metadata, message):
    response = as_alice.post(
        "/settings/sign-in/", {**SAML, "mode": "both", "metadata_file": _upload(metadata)}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not SignIn.objects.filter(tenant=tenant_a).exists()


def test_an_expired_or_not_yet_valid_certificate_is_refused(as_alice, tenant_a, tmp_path):
    for days, start, said in ((10, -20, "expired on"), (10, 5, "is valid only from")):
        folder = tmp_path / f"{days}{start}"
        folder.mkdir()
        idp = IdentityProvider(folder, days=days, start_days=start)
        response = as_alice.post("/settings/sign-in/", {**SAML, "metadata_file": _upload(idp.metadata())})
        assert response.status_code == 400 and said in response.content.decode()
    assert not SignIn.objects.filter(tenant=tenant_a).exists()


def test_saml_sign_in_needs_metadata(as_alice, tenant_a):
    response = as_alice.post("/settings/sign-in/", {**SAML, "mode": "both"})
    assert "needs the identity provider&#x27;s metadata" in response.content.decode()


def test_metadata_from_a_url_is_read_again_daily_and_a_new_certificate_taken_up(
    as_alice, tenant_a, idp, served, tmp_path
):
    folder, base = served
    (folder / "metadata.xml").write_text(idp.metadata())
    response = as_alice.post(
        "/settings/sign-in/", {**SAML, "mode": "both", "metadata_url": f"{base}/metadata.xml"}
    )
    assert response.status_code == 302, response.content.decode()
    first = SignIn.objects.get(tenant=tenant_a).saml_certificate

    idp.key_file, idp.cert_file = key_and_certificate(tmp_path, "rotated")  # the IdP rotates its key
    (folder / "metadata.xml").write_text(idp.metadata())
    assert saml_metadata_check_all() == 1
    signin = SignIn.objects.get(tenant=tenant_a)
    assert signin.saml_certificate not in ("", first) and not signin.saml_problem
    assert Event.objects.filter(tenant=tenant_a, action="signin.certificate").count() == 1

    (folder / "metadata.xml").unlink()  # unreadable today: said, but the certificate still works
    saml_metadata_check_all()
    signin = SignIn.objects.get(tenant=tenant_a)
    assert "could not be read" in signin.saml_notice and not signin.saml_problem
    assert selectors.social_app(tenant_a) is not None
    assert "could not be read" in as_alice.get("/settings/sign-in/").content.decode()
    saml_metadata_check_all()  # said once in the event log, not every day
    assert Event.objects.filter(tenant=tenant_a, action="signin.problem").count() == 1


def test_an_expired_certificate_turns_saml_sign_in_off_and_says_so(as_alice, tenant_a, tmp_path):
    idp = IdentityProvider(tmp_path, days=20, start_days=-1)  # ends within 30 days: said on the page
    as_alice.post("/settings/sign-in/", {**SAML, "mode": "both", "metadata_file": _upload(idp.metadata())})
    saml_metadata_check_all()
    signin = SignIn.objects.get(tenant=tenant_a)
    assert "signing certificate ends on" in signin.saml_notice and not signin.saml_problem
    SignIn.objects.filter(pk=signin.pk).update(saml_certificate=_expired(tmp_path))
    saml_metadata_check_all()
    signin.refresh_from_db()
    assert "expired on" in signin.saml_problem
    assert selectors.social_app(tenant_a) is None  # never silently used
    page = client_for("acme.localhost").get("/accounts/login/").content.decode()
    assert "Sign in with Acme Corp" not in page
    assert "expired on" in as_alice.get("/settings/sign-in/").content.decode()
    events = Event.objects.filter(tenant=tenant_a, action="signin.problem").order_by("created_at")
    assert "ends on" in events[0].data["notice"] and "expired on" in events[1].data["problem"]


def _expired(tmp_path) -> str:
    folder = tmp_path / "expired"
    folder.mkdir()
    _, cert = key_and_certificate(folder, "old", days=10, start_days=-20)
    return "".join(cert.read_text().split("-----")[2].split())
