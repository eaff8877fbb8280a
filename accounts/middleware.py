from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template.loader import render_to_string

from accounts.hosts import tenant_for_domain


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
