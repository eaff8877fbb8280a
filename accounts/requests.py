"""What a view needs to know about the request's caller, in one place."""

from django.http import HttpRequest

from accounts.selectors import current_membership
from accounts.services import Actor


def client_ip(request: HttpRequest) -> str | None:
    # Proxy headers are not trusted until a trusted proxy is configured (hardening issue).
    return request.META.get("REMOTE_ADDR") or None


def actor_for(request: HttpRequest) -> Actor:
    user = request.user if request.user.is_authenticated else None
    return Actor(user=user, ip=client_ip(request), membership=current_membership(request))


def origin_of(request: HttpRequest) -> str:
    """Scheme, host and port as the caller reached this tenant, for links in emails."""
    return f"{request.scheme}://{request.get_host()}"
