"""The sign-in page's Content-Security-Policy lets its single sign-on form lead to the tenant's
identity provider: Chromium applies `form-action` to where a form's answer redirects, so 'self'
alone would stop the sign-in at our own redirect to the provider."""

from urllib.parse import urlsplit

from django.urls import reverse

from sso import selectors


class IdentityProviderFormAction:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info == reverse("account_login") and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            signin = selectors.signin_of(getattr(request, "tenant", None))
            if signin is not None and signin.uses_sso:
                issuer = urlsplit(signin.issuer)
                response._csp_update = {"form-action": [f"{issuer.scheme}://{issuer.netloc}"]}
        return response
