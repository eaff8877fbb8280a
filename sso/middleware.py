"""The sign-in and sign-up pages' Content-Security-Policy lets their single sign-on form lead to
the tenant's identity provider: Chromium applies `form-action` to where a form's answer redirects,
so 'self' alone would stop the sign-in at our own redirect to the provider's authorization
endpoint (its origin read from the discovery document when the settings were saved)."""

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.requests import client_ip
from core.errors import RateLimited
from core.ratelimit import Limits
from sso import selectors

FLOWS = "/accounts/oidc/"  # allauth's OpenID Connect start and callback paths


class IdentityProviderFormAction:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info in (reverse("account_login"), reverse("account_signup")) and response.get(
            "Content-Type", ""
        ).startswith("text/html"):
            signin = selectors.signin_of(getattr(request, "tenant", None))
            if signin is not None and signin.uses_sso and signin.authorization_origin:
                response._csp_update = {"form-action": [signin.authorization_origin]}
        return response


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
    (break-glass admins: `?password=1` shows the password form), and password sign-up and reset
    are off, each page saying so."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        paths = (reverse("account_login"), reverse("account_signup"), reverse("account_reset_password"))
        if request.method == "GET" and request.path_info in paths:
            signin = selectors.signin_of(getattr(request, "tenant", None))
            if signin is not None and signin.sso_only and selectors.social_app(request.tenant) is not None:
                return self._page(request, signin, login=request.path_info == paths[0])
        return self.get_response(request)

    def _page(self, request, signin, *, login: bool):
        if login and request.GET.get("password"):
            return self.get_response(request)  # a break-glass admin's way in
        context = {
            "organisation": signin.organisation or request.tenant.name,
            "start": reverse("openid_connect_login", kwargs={"provider_id": signin.provider_id}),
            "next": request.GET.get("next", ""),
            "login": login,
        }
        return render(request, "sso/sso_only.html", context, status=200 if login else 403)
