"""The sign-in and sign-up pages' Content-Security-Policy lets their single sign-on form lead to
the tenant's identity provider: Chromium applies `form-action` to where a form's answer redirects,
so 'self' alone would stop the sign-in at our own redirect to the provider's authorization
endpoint (its origin read from the discovery document when the settings were saved)."""

from django.urls import reverse

from sso import selectors


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
