"""A tenant's allowed networks, applied at its own host before any view runs; and what a sign-in
left to do (change the password, set up a second factor) before anything else."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

from access import mfa
from access.adapter import CHANGE_REQUIRED, MFA_ASK
from access.rules import PAGES, SAFE_METHODS, OutsideNetworks, area_of, tenant_refusal
from access.services import refused_record
from accounts.models import MfaRequired
from accounts.requests import client_ip
from accounts.selectors import current_membership
from core.errors import API_PATHS, Forbidden, problem_for
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


class SignInRequirementsMiddleware:
    """What a sign-in left to do before anything else (`access.adapter` marks the session): a
    password the tenant's policy no longer accepts is changed; a second factor the tenant requires
    is set up (asked once per sign-in during its grace days, required after them). Until then
    only the pages that do it, and signing out, are reached; API calls with the session get a 403."""

    PASSWORD_OPEN = ("/accounts/password/change/", "/accounts/logout/", "/static/")
    MFA_OPEN = ("/accounts/2fa/", "/accounts/reauthenticate/", *PASSWORD_OPEN)

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            held = self._password(request) or self._second_factor(request)
            if held is not None:
                return held
        return self.get_response(request)

    def _password(self, request: HttpRequest) -> HttpResponse | None:
        required = request.session.get(CHANGE_REQUIRED)
        if not required or request.path_info.startswith(self.PASSWORD_OPEN):
            return None
        changed = request.user.password_changed_at
        if required["user"] != str(request.user.pk) or (changed and changed.timestamp() > required["at"]):
            del request.session[CHANGE_REQUIRED]  # not this person's, or changed since
            return None
        return _held(request, required["why"], "password_change_required", "account_change_password")

    def _second_factor(self, request: HttpRequest) -> HttpResponse | None:
        """Asked for once per sign-in in the grace days, held after them: judged on every request of
        a tenant that requires one (its policy rides in the cached tenant), so turning it on,
        shortening the grace days or removing one's last factor holds sessions already open."""
        tenant = getattr(request, "tenant", None)
        if (
            tenant is None
            or tenant.mfa_required == MfaRequired.OFF
            or request.path_info.startswith(self.MFA_OPEN)
        ):
            return None
        membership = current_membership(request)
        missing = (
            mfa.missing(tenant, membership, request.user) if membership and membership.is_active else None
        )
        if missing is None:
            return None
        if missing.enforced:
            why = (
                f"{tenant.name} requires a second factor: set up an authenticator app or a passkey to go on."
            )
            return _held(request, why, "second_factor_required", "mfa_index")
        if request.session.pop(MFA_ASK, None) == str(request.user.pk):
            why = (f"{tenant.name} requires a second factor from {missing.deadline:%Y-%m-%d}: set up an "
                   "authenticator app or a passkey now, or later from your profile.")  # fmt: skip
            return _held(request, why, None, "mfa_index")
        return None


def _held(request: HttpRequest, why: str, code: str | None, page: str) -> HttpResponse:
    if request.path_info.startswith(API_PATHS):
        return problem_for(Forbidden(why, code=code or "second_factor_asked"))
    messages.warning(request, why)
    return redirect(reverse(page))


class SignInRequirements(PagesOnly, SignInRequirementsMiddleware):
    """What settings.MIDDLEWARE runs: for requests that can carry a session."""
