"""Reads of a tenant's sign-in configuration."""

import logging

from allauth.socialaccount.models import SocialAccount, SocialApp

from accounts.models import Membership, Tenant
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


def members_not_connected(signin: SignIn) -> int:
    """Active members who have never signed in through the tenant's provider (their account is not
    connected to it): with single sign-on only, they cannot sign in until they do, in "both" mode."""
    connected = SocialAccount.objects.filter(provider=signin.provider_id).values("user_id")
    members = Membership.objects.filter(tenant=signin.tenant, is_active=True).exclude(user_id__in=connected)
    return members.exclude(user__in=signin.break_glass.all()).count()
