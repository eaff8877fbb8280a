"""Reads of a tenant's sign-in configuration."""

import logging

from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.saml.utils import build_saml_config, build_sp_config
from onelogin.saml2.settings import OneLogin_Saml2_Settings

from accounts.models import Membership, Tenant
from core import sealed
from sso import saml
from sso.models import SignIn

log = logging.getLogger(__name__)


def signin_of(tenant: Tenant | None) -> SignIn | None:
    if tenant is None:
        return None
    return SignIn.objects.filter(tenant=tenant).first()


def social_app(tenant: Tenant | None, *, trying: str = "", logout: bool = False) -> SocialApp | None:
    """The host's tenant's identity provider as an allauth app (never saved: the configuration
    is the SignIn row), or None where the tenant signs in with passwords only, or where its
    provider cannot be used (a secret sealed under a key this process lacks, a SAML signing
    certificate with a problem): then passwords still work, for break-glass admins at least.
    `trying`: the provider id a tenant admin's "Try sign-in" is testing, in any mode; `logout`:
    for single logout's messages, which must then be signed (else any page could sign people out)."""
    signin = signin_of(tenant)
    if signin is None or not (
        signin.uses_sso or (trying and trying == signin.provider_id and triable(signin))
    ):
        return None
    if signin.protocol == SignIn.Protocol.SAML:
        return _saml_app(signin, logout=logout) if not signin.saml_problem else None
    try:
        secret = sealed.unseal(signin.client_secret_sealed) if signin.client_secret_sealed else ""
    except sealed.Unreadable:
        log.error("%s: its identity provider's client secret cannot be unsealed", tenant.domain)
        return None
    return SocialApp(
        provider="openid_connect",
        provider_id=signin.provider_id,
        name=signin.organisation or tenant.name,
        client_id=signin.client_id,
        secret=secret,
        settings={
            "server_url": signin.issuer,
            "oauth_pkce_enabled": True,
            "token_auth_method": "client_secret_post",
            "scope": signin.scopes.split(),
            "claims": signin.claims,
        },
    )


def triable(signin: SignIn) -> bool:
    """Whether the provider is set up enough to try: SAML metadata read; OpenID Connect saved once
    with single sign-on on (its discovery document read, its secret given)."""
    if signin.protocol == SignIn.Protocol.SAML:
        return bool(signin.saml_entity_id) and not signin.saml_problem
    return bool(
        signin.issuer and signin.client_id and signin.client_secret_sealed and signin.authorization_origin
    )


def _saml_app(signin: SignIn, *, logout: bool = False) -> SocialApp | None:
    try:
        key = sealed.unseal(signin.sp_key_sealed)
    except sealed.Unreadable:
        log.error("%s: its SAML private key cannot be unsealed", signin.tenant.domain)
        return None
    return SocialApp(
        provider="saml",
        provider_id=signin.provider_id,
        name=signin.organisation or signin.tenant.name,
        client_id=signin.provider_id,  # the organisation slug in allauth's SAML URLs
        settings=saml_settings(signin, private_key=key, logout=logout),
    )


def saml_settings(signin: SignIn, *, private_key: str = "", logout: bool = False) -> dict:
    """allauth's SAML app settings for this tenant: the identity provider trusted, the attributes
    read, and python3-saml's strict checks with what the tenant requires on top."""
    names = {**saml.PRESETS["oid"], **signin.claims}
    idp = {"entity_id": signin.saml_entity_id, "sso_url": signin.saml_sso_url,
           "x509cert": signin.saml_certificate}  # fmt: skip
    if signin.saml_slo_url:
        idp["slo_url"] = signin.saml_slo_url
    return {
        "idp": idp,
        # The subject is the NameID; the address, names (and groups, sso.services) are attributes.
        "attribute_mapping": {key: [names[key]] for key in ("email", "first_name", "last_name")},
        "advanced": {
            "strict": True,
            "x509cert": signin.sp_certificate,
            "private_key": private_key,
            "authn_request_signed": True,  # with this tenant's key (sso.saml.key_pair)
            "logout_request_signed": True,
            "logout_response_signed": True,
            "want_assertion_signed": signin.saml_signed,
            "want_assertion_encrypted": signin.saml_encrypted,
            "want_attribute_statement": False,
            "reject_idp_initiated_sso": not signin.saml_idp_initiated,
            # Logout requests and answers must be signed by the IdP; sign-in responses need not
            # be signed whole (many IdPs sign the assertion only), but their assertions are.
            "want_message_signed": logout,
        },
    }


def members_not_connected(signin: SignIn) -> int:
    """Active members who have never signed in through the tenant's provider (their account is not
    connected to it): with single sign-on only, they cannot sign in until they do, in "both" mode."""
    connected = SocialAccount.objects.filter(provider=signin.provider_id).values("user_id")
    members = Membership.objects.filter(tenant=signin.tenant, is_active=True).exclude(user_id__in=connected)
    return members.exclude(user__in=signin.break_glass.all()).count()


def sp_endpoints(request, signin: SignIn) -> dict:
    """What to register at a SAML identity provider: this tenant's entity ID, ACS and SLO URLs,
    on its own host (allauth's SAML URLs, the organisation slug being the provider id)."""
    if not signin.saml_entity_id:
        return {}
    config = build_sp_config(request, saml_settings(signin), signin.provider_id)
    return {
        "entity_id": config["entityId"],
        "acs": config["assertionConsumerService"]["url"],
        "sls": config["singleLogoutService"]["url"],
        "certificate": saml.certificate_summary(signin.sp_certificate.split("-----")[2]),
    }


def sp_metadata(request, signin: SignIn) -> str:
    key = sealed.unseal(signin.sp_key_sealed)  # python3-saml checks the pair before it writes metadata
    config = build_saml_config(request, saml_settings(signin, private_key=key), signin.provider_id)
    metadata = OneLogin_Saml2_Settings(settings=config, sp_validation_only=True).get_sp_metadata()
    return metadata.decode() if isinstance(metadata, bytes) else metadata
