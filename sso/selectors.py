"""Reads of a tenant's sign-in configuration."""

import logging

from allauth.socialaccount.models import SocialApp

from accounts.models import Tenant
from core import sealed
from sso.models import SignIn

log = logging.getLogger(__name__)


def signin_of(tenant: Tenant | None) -> SignIn | None:
    if tenant is None:
        return None
    return SignIn.objects.filter(tenant=tenant).first()


def social_app(tenant: Tenant | None) -> SocialApp | None:
    """The host's tenant's identity provider as an allauth app (never saved: the configuration
    is the SignIn row), or None where the tenant signs in with passwords only."""
    signin = signin_of(tenant)
    if signin is None or not signin.uses_sso:
        return None
    try:
        secret = sealed.unseal(signin.client_secret_sealed) if signin.client_secret_sealed else ""
    except sealed.Unreadable:  # sealed under a key this process lacks: passwords still work
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
        },
    )
