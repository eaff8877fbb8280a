import functools
import importlib
import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.models import AnonymousUser
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotFound
from django.http.request import split_domain_port
from django.template.loader import render_to_string

from accounts.hosts import tenant_for_domain
from accounts.selectors import current_membership
from core.errors import API_PATHS, NotFound, problem_for
from core.middleware import PagesOnly

# Session keys: when the user signed in, and when the session last made a request (Unix seconds);
# the tenant it was made at ("" off any tenant's host, e.g. Django admin on an operator host).
SIGNED_IN_AT, SEEN_AT, MADE_AT = "portal_signed_in_at", "portal_seen_at", "portal_tenant"
SEEN_RESOLUTION = 60  # seconds: the last request's time is written at most once a minute
DEFAULT_IDLE_MINUTES, DEFAULT_MAX_HOURS = 30, 12  # off a tenant's host (Django admin)


class TenantMiddleware:
    """Host → tenant, once per request, as `request.tenant`; the allowed hosts, derived from the
    tenants' domains at run time.

    A tenant's domain serves everything but Django admin (unless PORTAL_ADMIN_ON_TENANT_HOSTS). An
    operator host (PORTAL_OPERATOR_HOSTS) serves Django admin, the API and the published keys with
    `request.tenant` None. Any host serves /healthz and
    static files. Everything else — a forged or mistyped Host — gets a plain 404 that names no
    tenant, before any view runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host, _port = split_domain_port(request.get_host())  # lower case, no trailing dot; "[::1]"
        request.tenant = tenant_for_domain(host) if host and not host.startswith("[") else None
        if request.tenant is None and not self._served_without_tenant(request.path, host):
            return _unknown_host(request.path)
        admin_here = request.tenant is None or settings.PORTAL_ADMIN_ON_TENANT_HOSTS
        if not admin_here and request.path.startswith("/admin/"):
            raise Http404("Django admin is served on the operator hosts only.")  # operators' tool
        response = self.get_response(request)
        if settings.DEBUG and request.tenant is not None and _debug_404(request, response):
            # `make run`: a tenant's visitors see the portal's 404, not Django's list of URLs.
            return HttpResponseNotFound(render_to_string("404.html", request=request))
        return response

    @staticmethod
    def _served_without_tenant(path: str, host: str) -> bool:
        if path.startswith(settings.PORTAL_ANY_HOST_PATHS):
            return True
        operator = host in settings.PORTAL_OPERATOR_HOSTS
        return operator and (path == "/" or path.startswith(settings.PORTAL_OPERATOR_PATHS))


def _debug_404(request: HttpRequest, response: HttpResponse) -> bool:
    """Django's technical 404 page (DEBUG only), which every debug page marks for robots."""
    pages = not request.path.startswith((*API_PATHS, "/static/"))
    return pages and response.status_code == 404 and b"NONE,NOARCHIVE" in getattr(response, "content", b"")


def _unknown_host(path: str) -> HttpResponse:
    if path.startswith(API_PATHS):  # API clients get the same problem+json as for any other 404
        return problem_for(NotFound("Not found."))
    return HttpResponseNotFound(render_to_string("unknown_host.html"))


class SessionPolicyMiddleware:
    """A signed-in session is good only at the tenant it was made at: its cookie, replayed at
    another tenant's host (or an operator host), is a stranger's there, and the session itself is
    left untouched.

    Browser sessions end after the tenant's idle timeout and its longest session (tenant policy,
    30 minutes and 12 hours by default), and at once when the user's membership here is deactivated.
    The times live in the session itself; the last request's time is written at most once a minute,
    so an active session costs one session write a minute, not one per request. Bearer requests
    carry no session and pass straight through.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session and request.session.get(MADE_AT) != _tenant_key(request):
            request.session = _session_engine().SessionStore()  # empty: what this host may write to
            request.user = AnonymousUser()
        elif request.user.is_authenticated:
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
                why = deactivated(tenant)
        if why:
            logout(request)  # the session is flushed and its key retired: the old cookie is worthless
            messages.info(request, why)
        elif now - seen >= SEEN_RESOLUTION or SEEN_AT not in session:
            session[SEEN_AT] = now


def deactivated(tenant) -> str:
    return f"Your membership of {tenant.name} is deactivated; ask a tenant admin to reactivate it."


class SessionPolicy(PagesOnly, SessionPolicyMiddleware):
    """What settings.MIDDLEWARE runs: the policy, for requests that can carry a session."""


def _tenant_key(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    return str(tenant.pk) if tenant is not None else ""


@functools.cache
def _session_engine():
    return importlib.import_module(settings.SESSION_ENGINE)


def session_started(sender, request, user, **kwargs) -> None:
    """At sign-in (Django has just given the session a new key): bind it to this tenant, start
    both clocks."""
    request.session[MADE_AT] = _tenant_key(request)
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[SEEN_AT] = now
