"""A tenant's allowed networks, applied at its own host before any view runs."""

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from access.rules import PAGES, SAFE_METHODS, OutsideNetworks, area_of, tenant_refusal
from access.services import refused_record
from accounts.requests import client_ip
from core.errors import problem_for


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
