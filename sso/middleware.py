"""The sign-in and sign-up pages' Content-Security-Policy lets their single sign-on form lead to
the tenant's identity provider: Chromium applies `form-action` to where a form's answer redirects,
so 'self' alone would stop the sign-in at our own redirect to the provider's authorization
endpoint (its origin read from the discovery document or SAML metadata when the settings were
saved); and, for a session that came through SAML, sign-out's redirect to its single logout."""

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from accounts.requests import client_ip
from core.errors import API_PATHS, RateLimited
from core.ratelimit import Limits
from sso import providers, selectors, services

FLOWS = ("/accounts/oidc/", "/accounts/saml/")  # allauth's sign-in start and callback paths


class IdentityProviderFormAction:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        if request.path_info in (
            reverse("account_login"),
            reverse("account_signup"),
            reverse("signin_settings"),
        ):
            signin = selectors.signin_of(getattr(request, "tenant", None))
            if signin is not None and signin.uses_sso and signin.authorization_origin:
                _allow_form_action(response, signin.authorization_origin)
        elif getattr(request, "user", None) is not None and request.user.is_authenticated:
            # Signed in through the provider: each page's sign-out form may lead on to its logout.
            signin = selectors.signin_of(getattr(request, "tenant", None))
            if origin := providers.single_logout_origin(request, signin):
                _allow_form_action(response, origin)
        return response


def _allow_form_action(response, origin: str) -> None:
    """Add an origin to the page's CSP form-action, beside any a view added (django-csp's update)."""
    update = getattr(response, "_csp_update", None) or {}
    update["form-action"] = [*update.get("form-action", []), origin]
    response._csp_update = update


class IdentityProviderRateLimit:
    """Starting a sign-in, or finishing one, makes the server fetch from the tenant's provider:
    at most PORTAL_RATE_SSO_IP of them a client address ("sso-ip")."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(FLOWS):
            try:
                Limits(counted=[("sso-ip", client_ip(request))]).check()
            except RateLimited as exc:
                response = HttpResponse(exc.message, status=429, content_type="text/plain; charset=utf-8")
                response["Retry-After"] = str(exc.retry_after)
                return response
        return self.get_response(request)


class SingleSignOnOnly:
    """At a tenant that signs in through its provider only: the sign-in page offers the provider
    (break-glass admins: `?password=1` shows the password form); password sign-up and reset are
    off, whatever the method, each page saying so; Django admin is off on its host; and a session
    that did not come through the provider (made before the switch, say) ends, but a break-glass
    admin's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PATHS) and not request.COOKIES:
            return self.get_response(request)  # a pipeline's call: no session, no pages
        signin = selectors.signin_of(getattr(request, "tenant", None))
        if signin is None or not signin.sso_only or selectors.social_app(request.tenant) is None:
            return self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not services.sign_in_allowed(request, user):
            logout(request)
            messages.error(
                request, f"{request.tenant.name} signs in through its organisation's single sign-on only."
            )
            return redirect("account_login")
        login, signup, reset = (
            reverse("account_login"),
            reverse("account_signup"),
            reverse("account_reset_password"),
        )
        if request.path_info.startswith("/admin/"):
            return HttpResponse("Not here: this tenant signs in through its provider.", status=404)
        if request.path_info in (signup, reset) or request.path_info.startswith(reset):
            return self._page(request, signin, login=False)
        if request.path_info == login and request.method == "GET" and not request.GET.get("password"):
            return self._page(request, signin, login=True)
        return self.get_response(request)

    def _page(self, request, signin, *, login: bool):
        context = {
            "organisation": signin.organisation or request.tenant.name,
            "start": selectors.social_app(request.tenant).get_provider(request).get_login_url(request),
            "next": request.GET.get("next", ""),
            "login": login,
        }
        return render(request, "sso/sso_only.html", context, status=200 if login else 403)
