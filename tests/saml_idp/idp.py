"""The tests' SAML identity provider: pysaml2's IdP (its `Server`), with a key and certificate of
its own. It makes its metadata, reads the portal's (a tenant's service provider metadata), and
issues signed responses; the tests' processes serve it to Chromium (serve.py), and the refusal
tests use it directly to make responses a real IdP would, then tamper with them."""

import base64
import datetime
import hashlib
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_UNSPECIFIED, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


def key_and_certificate(
    folder: Path, name: str, *, days: int = 365, start_days: int = -1
) -> tuple[Path, Path]:
    """An RSA key and a self-signed certificate, valid from `start_days` for `days`, as files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    start = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=start_days)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days)).sign(key, hashes.SHA256())
    )  # fmt: skip
    key_file, cert_file = folder / f"{name}.key", folder / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


def config(
    base_url: str, key_file: Path, cert_file: Path, sp_metadata: list[Path] = (), lifetime_minutes: int = 5
) -> IdPConfig:
    """pysaml2's IdP configuration: entity ID <base_url>/metadata, sign-in at <base_url>/sso
    (HTTP-Redirect), single logout at <base_url>/slo; attributes released as named."""
    conf = IdPConfig()
    conf.load({
        "entityid": f"{base_url}/metadata",
        "key_file": str(key_file),
        "cert_file": str(cert_file),
        "encryption_keypairs": [{"key_file": str(key_file), "cert_file": str(cert_file)}],
        "service": {"idp": {
            "endpoints": {
                "single_sign_on_service": [(f"{base_url}/sso", BINDING_HTTP_REDIRECT)],
                "single_logout_service": [(f"{base_url}/slo", BINDING_HTTP_REDIRECT)],
            },
            "policy": {"default": {"lifetime": {"minutes": lifetime_minutes}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_UNSPECIFIED}},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "sign_response": True,
            "sign_assertion": True,
            "want_authn_requests_signed": False,
        }},
        "metadata": {"local": [str(path) for path in sp_metadata]},
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "attribute_map_dir": None,
        "allow_unknown_attributes": True,
        "signing_algorithm": RSA_SHA256,
        "digest_algorithm": SHA256,
    })  # fmt: skip
    return conf


def metadata(conf: IdPConfig) -> str:
    xml = create_metadata_string(None, config=conf, sign=False)
    return xml.decode() if isinstance(xml, bytes) else xml


def respond(
    server: Server, *, person: dict, sp_entity_id: str, acs: str, in_response_to: str | None, **options
) -> str:
    """A signed <Response> for `person` (email, first_name, last_name, groups, subject) as XML:
    pysaml2's own, signed as `options` say (sign_response, sign_assertion, encrypt_assertion…)."""
    identity = {
        "email": [person["email"]],
        "firstName": [person.get("first_name", "")],
        "lastName": [person.get("last_name", "")],
        "groups": list(person.get("groups", [])),
    }
    name_id = NameID(format=NAMEID_FORMAT_PERSISTENT, text=person.get("subject", person["email"]))
    kwargs = {
        "sign_response": True,
        "sign_assertion": True,
        "sign_alg": RSA_SHA256,
        "digest_alg": SHA256,
        **options,
    }
    response = server.create_authn_response(
        identity, in_response_to, acs, sp_entity_id, name_id=name_id,
        authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"}, **kwargs,
    )  # fmt: skip
    return str(response)


class IdentityProvider:
    """pysaml2's IdP at `base_url` (nothing listens there unless serve.py runs it), which knows
    the service providers whose metadata it was given (`register`)."""

    def __init__(self, folder: Path, base_url: str = "https://idp.example.org", name: str = "idp", **cert):
        self.folder, self.base_url = folder, base_url
        if (folder / f"{name}.key").exists():  # made before, by whoever serves it
            self.key_file, self.cert_file = folder / f"{name}.key", folder / f"{name}.crt"
        else:
            self.key_file, self.cert_file = key_and_certificate(folder, name, **cert)
        self.sp_files: list[Path] = sorted(folder.glob("sp-*.xml"))
        self.lifetime_minutes = 5
        self.server = self._server()

    def _server(self) -> Server:
        conf = config(self.base_url, self.key_file, self.cert_file, self.sp_files, self.lifetime_minutes)
        return Server(config=conf)

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata"

    def metadata(self) -> str:
        return metadata(config(self.base_url, self.key_file, self.cert_file))

    def register(self, sp_metadata: str) -> None:
        """Learn a service provider's metadata, in place of what it said before."""
        entity_id = re.search(r'entityID="([^"]+)"', sp_metadata).group(1)
        path = self.folder / f"sp-{hashlib.sha256(entity_id.encode()).hexdigest()[:16]}.xml"
        path.write_text(sp_metadata)
        if path not in self.sp_files:
            self.sp_files.append(path)
        self.server = self._server()

    def set_lifetime(self, minutes: int) -> None:
        self.lifetime_minutes = minutes
        self.server = self._server()

    def request_of(self, location: str):
        """The <AuthnRequest> in a redirect to our sign-in endpoint (its query), as pysaml2 reads it."""
        query = parse_qs(urlsplit(location).query)
        assert location.startswith(f"{self.base_url}/sso?"), location
        return self.server.parse_authn_request(query["SAMLRequest"][0], BINDING_HTTP_REDIRECT).message

    def response(
        self, person: dict, *, sp_entity_id: str, acs: str, in_response_to: str | None, **options
    ) -> str:
        return respond(self.server, person=person, sp_entity_id=sp_entity_id, acs=acs,
                       in_response_to=in_response_to, **options)  # fmt: skip


def encoded(xml: str) -> str:
    """A <Response> as the HTTP-POST binding carries it."""
    return base64.b64encode(xml.encode()).decode()
