"""allauth's social accounts, one identity provider per tenant: the host's tenant's configuration
is the only app there is (`list_apps`), so a sign-in started or finished at one tenant's host can
use no other's provider; an account it makes is tied to that configuration's provider id."""

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.shortcuts import render

from sso import selectors, services


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(self, request, provider=None, client_id=None):
        app = selectors.social_app(getattr(request, "tenant", None)) if request is not None else None
        if app is None or (provider and provider not in (app.provider, app.provider_id)):
            return []
        if client_id and client_id != app.client_id:
            return []
        return [app]

    def is_open_for_signup(self, request, sociallogin) -> bool:
        """A new account only for an address the identity provider says it verified (whatever the
        tenant's sign-up policy: the provider decides who belongs); otherwise a page that says so."""
        if any(address.verified for address in sociallogin.email_addresses):
            return True
        emails = [address.email for address in sociallogin.email_addresses]
        context = {"email": emails[0] if emails else "", "organisation": sociallogin.provider.app.name}
        raise ImmediateHttpResponse(render(request, "sso/not_vouched.html", context, status=403))

    def save_user(self, request, sociallogin, form=None):
        """The address counts as verified only in one of the tenant's allowed email domains;
        elsewhere allauth asks the person to confirm it by email first."""
        for address in sociallogin.email_addresses:
            address.verified = address.verified and request.tenant.email_domain_allowed(address.email)
        user = super().save_user(request, sociallogin, form)
        signin = selectors.signin_of(request.tenant)
        services.sso_member_join(tenant=request.tenant, user=user, signin=signin, created=True)
        return user
