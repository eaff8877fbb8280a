"""A tenant's allowed networks, applied at its own host before any view runs; and a password that
must be changed, before anything else."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from access.adapter import CHANGE_REQUIRED
from access.rules import PAGES, SAFE_METHODS, OutsideNetworks, area_of, tenant_refusal
from access.services import refused_record
from accounts.requests import client_ip
from core.errors import Forbidden, problem_for
from core.middleware import PagesOnly


class NetworkPolicy:
    """A request to a tenant's host from outside the networks it allows, in an area they guard
    (pages and sign-in, identity-provider callbacks included; the API, SCIM and `portal login`;
    the tools' license endpoint), is refused with a 403 naming the rule, never the list. The
    address is the one rate limits count by (`client_ip`: trusted proxies only). On an operator
    host the tenant is known only from the credential: the API checks it there (`access.rules`)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        tenant = getattr(request, "tenant", None)
        if tenant is not None and tenant.allowed_networks:
            area = area_of(request.path_info)
            refusal = tenant_refusal(tenant, area, client_ip(request)) if area else None
            if refusal is not None:
                what, attempt = f"{request.method} {request.path_info}", request.method not in SAFE_METHODS
                refused_record(tenant=tenant, refusal=refusal, what=what, attempt=attempt)
                return refused_response(request, refusal, area)
        return self.get_response(request)


def refused_response(request: HttpRequest, refusal: OutsideNetworks, area: str) -> HttpResponse:
    if area != PAGES:
        return problem_for(refusal)
    page = render_to_string("access/refused.html", {"refusal": refusal}, request=request)
    return HttpResponse(page, status=403)


class PasswordChangeRequiredMiddleware:
    """Someone who signed in with a password their tenant's policy no longer accepts (or grown
    older than it allows) reaches nothing but the password change page and signing out, until
    the password is changed (`access.adapter`)."""

    OPEN = ("/accounts/password/change/", "/accounts/logout/", "/static/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        required = request.session.get(CHANGE_REQUIRED) if request.user.is_authenticated else None
        if required and not self._settled(request, required) and not request.path_info.startswith(self.OPEN):
            if request.path_info.startswith("/api/"):
                return problem_for(Forbidden(required["why"], code="password_change_required"))
            messages.warning(request, required["why"])
            return redirect(reverse("account_change_password"))
        return self.get_response(request)

    @staticmethod
    def _settled(request: HttpRequest, required: dict) -> bool:
        """Not this person's, or the password changed since: the mark goes."""
        changed = request.user.password_changed_at
        if required["user"] != str(request.user.pk) or (changed and changed.timestamp() > required["at"]):
            del request.session[CHANGE_REQUIRED]
            return True
        return False


class PasswordChangeRequired(PagesOnly, PasswordChangeRequiredMiddleware):
    """What settings.MIDDLEWARE runs: for requests that can carry a session."""
