import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string

from accounts.hosts import tenant_for_domain
from accounts.selectors import current_membership

# Session keys: when the user signed in, and when the session last made a request (Unix seconds).
SIGNED_IN_AT, SEEN_AT = "portal_signed_in_at", "portal_seen_at"
SEEN_RESOLUTION = 60  # seconds: the last request's time is written at most once a minute
DEFAULT_IDLE_MINUTES, DEFAULT_MAX_HOURS = 30, 12  # off a tenant's host (Django admin)


class TenantMiddleware:
    """Host → tenant, once per request, as `request.tenant`.

    An unknown host gets a plain 404 that names no tenant, except on the few host-agnostic paths
    (health checks, static files, Django admin) where `request.tenant` is None.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        domain = request.get_host().rsplit(":", 1)[0].lower().rstrip(".")
        if domain.startswith("["):  # IPv6 literal: never a tenant
            domain = ""
        request.tenant = tenant_for_domain(domain) if domain else None
        if request.tenant is None and not request.path.startswith(settings.PORTAL_HOST_AGNOSTIC_PATHS):
            return HttpResponseNotFound(render_to_string("unknown_host.html"))
        return self.get_response(request)


class SessionPolicyMiddleware:
    """Browser sessions end after the tenant's idle timeout and its longest session (tenant policy,
    30 minutes and 12 hours by default), and at once when the user's membership here is deactivated.

    The times live in the session itself; the last request's time is written at most once a minute,
    so an active session costs one session write a minute, not one per request. Bearer requests
    carry no session and pass straight through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._enforce(request)
        return self.get_response(request)

    def _enforce(self, request: HttpRequest) -> None:
        session, now = request.session, int(time.time())
        tenant = getattr(request, "tenant", None)
        idle = 60 * (tenant.session_idle_minutes if tenant else DEFAULT_IDLE_MINUTES)
        longest = 3600 * (tenant.session_max_hours if tenant else DEFAULT_MAX_HOURS)
        signed_in, seen = session.setdefault(SIGNED_IN_AT, now), session.get(SEEN_AT, now)
        why = None
        if now - seen >= idle:
            why = f"You were signed out after {idle // 60} minutes without activity."
        elif now - signed_in >= longest:
            why = f"You were signed out {longest // 3600} hours after signing in; please sign in again."
        elif tenant is not None:
            membership = current_membership(request)
            if membership is not None and not membership.is_active:
                why = f"Your membership of {tenant.name} is deactivated; ask a tenant admin to reactivate it."
        if why:
            logout(request)  # the session is flushed and its key retired: the old cookie is worthless
            messages.info(request, why)
        elif now - seen >= SEEN_RESOLUTION or SEEN_AT not in session:
            session[SEEN_AT] = now


def session_started(sender, request, user, **kwargs) -> None:
    """At sign-in (Django has just given the session a new key): start both clocks."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
