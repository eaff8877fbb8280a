"""allauth's social accounts, one identity provider per tenant: the host's tenant's configuration
is the only app there is (`list_apps`), so a sign-in started or finished at one tenant's host can
use no other's provider; an account it makes is tied to that configuration's provider id.

Accounts are global (one per address, across tenants), so a tenant's provider may make, and sign
in, only accounts whose address is in a domain the operators verified as that tenant's
(SignIn.verified_domains): never a tenant admin's own say, or one tenant's provider could make and
keep an account that another tenant later trusts."""

from allauth.account.internal.stagekit import clear_login
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.contrib import messages
from django.shortcuts import redirect, render

from accounts.adapter import AccountAdapter as PortalAccountAdapter
from sso import fetch, selectors, services


class AccountAdapter(PortalAccountAdapter):
    """The portal's account adapter, plus single sign-on only: at such a tenant, a password (or
    anything but its provider) signs in nobody but its break-glass admins, who have TOTP."""

    def pre_login(self, request, user, **kwargs):
        if not services.sign_in_allowed(request, user):
            return _sso_only(request)
        return super().pre_login(request, user, **kwargs)

    def login(self, request, user):
        """Asked again as the sign-in completes: the tenant may have turned single sign-on only on
        while this person was at the second factor."""
        if not services.sign_in_allowed(request, user):
            raise ImmediateHttpResponse(_sso_only(request))
        super().login(request, user)


def _sso_only(request):
    clear_login(request)
    messages.error(request, f"{request.tenant.name} signs in through its organisation's single sign-on only.")
    return redirect("account_login")


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        app = selectors.social_app(getattr(request, "tenant", None)) if request is not None else None
        if app is None or (provider and provider not in (app.provider, app.provider_id)):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def get_requests_session(self):
        return fetch.session()  # https only, no redirects, no private addresses

    def pre_social_login(self, request, sociallogin) -> None:
        """Every sign-in, new account or not: the provider must vouch for the address (its
        email_verified claim true, not merely present), in one of the tenant's verified domains;
        an existing account signs in only while its own address is in one of them too."""
        signin = selectors.signin_of(request.tenant)
        addresses = sociallogin.email_addresses
        for address in addresses:
            address.verified = address.verified is True or str(address.verified).lower() == "true"
        vouched = [a.email for a in addresses if a.verified and signin.domain_verified(a.email)]
        emails = [address.email for address in addresses]
        if not vouched:
            _refuse(request, sociallogin, emails[0] if emails else "", domain=bool(emails))
        if sociallogin.is_existing and not signin.domain_verified(sociallogin.user.email):
            _refuse(request, sociallogin, sociallogin.user.email, domain=True)

    def is_open_for_signup(self, request, sociallogin) -> bool:
        return True  # pre_social_login let only a vouched address through, whatever the sign-up policy

    def save_user(self, request, sociallogin, form=None):
        user = super().save_user(request, sociallogin, form)
        signin = selectors.signin_of(request.tenant)
        services.sso_member_join(tenant=request.tenant, user=user, signin=signin, created=True)
        return user


def _refuse(request, sociallogin, email: str, *, domain: bool):
    """Why no account is made or signed in, as a page (allauth shows what this raises)."""
    context = {"email": email, "organisation": sociallogin.provider.app.name, "domain": domain}
    raise ImmediateHttpResponse(render(request, "sso/not_vouched.html", context, status=403))
