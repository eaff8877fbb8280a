"""SAML 2.0 at a tenant: its identity provider's metadata read (python3-saml's parser), the one
signing certificate trusted checked, and this tenant's own key pair. The XML, its signatures and
the assertions' conditions are python3-saml's business (through allauth's SAML provider)."""

import datetime
import hashlib
from dataclasses import dataclass

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.utils import timezone
from onelogin.saml2.errors import OneLogin_Saml2_Error
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from core.errors import ServiceError
from sso import fetch

MAX_METADATA = 1_000_000
EXPIRY_WARNING = datetime.timedelta(days=30)
# What each identity provider calls email, first name, last name and groups, by default.
PRESETS = {
    "entra": {
        "email": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
        "first_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
        "last_name": "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
        "groups": "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    },
    "okta": {"email": "email", "first_name": "firstName", "last_name": "lastName", "groups": "groups"},
    "google": {"email": "email", "first_name": "first_name", "last_name": "last_name", "groups": "groups"},
    "oid": {  # the X.500/eduPerson names many others (Shibboleth, Keycloak's defaults) use
        "email": "urn:oid:0.9.2342.19200300.100.1.3",
        "first_name": "urn:oid:2.5.4.42",
        "last_name": "urn:oid:2.5.4.4",
        "groups": "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
    },
}
PRESET_NAMES = {
    "entra": "Microsoft Entra ID",
    "okta": "Okta",
    "google": "Google Workspace",
    "oid": "X.500 names",
}
OIDC_CLAIMS = {"email": "email", "first_name": "given_name", "last_name": "family_name", "groups": "groups"}


@dataclass
class IdentityProvider:
    entity_id: str
    sso_url: str
    slo_url: str
    certificate: str  # base64 DER


def metadata_read(xml: str | bytes, *, now: datetime.datetime | None = None) -> IdentityProvider:
    """The identity provider an uploaded or fetched metadata document describes, with the signing
    certificate to trust: the first one it lists that is valid now. ServiceError says what is
    wrong (not XML, no IdP, no HTTP-Redirect sign-in endpoint, no valid certificate)."""
    if len(xml) > MAX_METADATA:
        raise ServiceError("The metadata is larger than 1 MB.")
    try:
        parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml).get("idp", {})
    except (OneLogin_Saml2_Error, ValueError, SyntaxError) as exc:
        raise ServiceError(f"The metadata could not be read as SAML metadata: {exc}") from None
    entity_id, sso = parsed.get("entityId", ""), parsed.get("singleSignOnService", {}).get("url", "")
    if not entity_id or not sso:
        raise ServiceError(
            "The metadata names no identity provider with a sign-in endpoint for HTTP-Redirect."
        )
    for url in filter(None, (sso, parsed.get("singleLogoutService", {}).get("url", ""))):
        try:
            fetch.check_url(url)
        except fetch.Refused as exc:
            raise ServiceError(f"The metadata's endpoint {url} is not usable: {exc}") from None
    certificates = parsed.get("x509certMulti", {}).get("signing") or [parsed.get("x509cert", "")]
    certificates = [c for c in certificates if c]
    if not certificates:
        raise ServiceError("The metadata has no signing certificate.")
    problems = [certificate_problem(c, now=now) for c in certificates]
    usable = [c for c, problem in zip(certificates, problems, strict=True) if not problem]
    if not usable:
        raise ServiceError(problems[0])
    slo = parsed.get("singleLogoutService", {}).get("url", "")
    return IdentityProvider(entity_id=entity_id, sso_url=sso, slo_url=slo, certificate=usable[0])


def metadata_fetch(url: str) -> str:
    """The metadata at `url`, fetched as the sign-in's own requests are (sso.fetch)."""
    try:
        fetch.check_url(url)
        response = fetch.session().get(url)
        response.raise_for_status()
    except (requests.RequestException, fetch.Refused) as exc:
        raise ServiceError(f"The metadata at {url} could not be read: {exc}") from None
    return response.text


def _certificate(b64: str) -> x509.Certificate:
    body = "".join(b64.split())
    pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n"
    return x509.load_pem_x509_certificate(pem.encode())


def certificate_problem(b64: str, *, now: datetime.datetime | None = None) -> str:
    """What makes a signing certificate unusable now (not a certificate, expired, not yet valid),
    or "" where it is usable."""
    now = now or timezone.now()
    try:
        cert = _certificate(b64)
    except ValueError:
        return "The identity provider's signing certificate is not a valid X.509 certificate."
    if cert.not_valid_after_utc < now:
        return f"The identity provider's signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}."
    if cert.not_valid_before_utc > now:
        starts = cert.not_valid_before_utc
        return f"The identity provider's signing certificate is valid only from {starts:%Y-%m-%d}."
    return ""


def certificate_summary(b64: str) -> dict:
    """What the settings page shows of a certificate: subject, end, SHA-256 fingerprint."""
    try:
        cert = _certificate(b64)
    except ValueError:
        return {}
    ends = cert.not_valid_after_utc
    return {
        "subject": cert.subject.rfc4514_string(),
        "ends": ends,
        "ending": ends - timezone.now() < EXPIRY_WARNING,
        "sha256": ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256())),
    }


def key_pair(domain: str) -> tuple[str, str]:
    """A new RSA key and a self-signed certificate naming the tenant's domain, ten years long: the
    identity provider checks our requests' signatures with it and encrypts assertions to it."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # as Entra ID and Okta make theirs
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    start = timezone.now() - datetime.timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=3653))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def assertion_key(provider_id: str, assertion_id: str) -> str:
    return hashlib.sha256(f"{provider_id}|{assertion_id}".encode()).hexdigest()
