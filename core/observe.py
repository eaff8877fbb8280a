"""What operators see of each request: its count and time by route (core.metrics), a request id
(X-Request-ID: a trusted proxy's when it sent a sane one, else new), and with PORTAL_JSON_LOGS one JSON
log line. Routes are URL patterns, never paths: a path may carry a secret (a password reset's
key), and patterns keep the metrics' label values few."""

import json
import logging
import re
import time
import uuid

from django.conf import settings

from core import metrics, networks
from core.errors import PROBLEM_CONTENT_TYPE

access_log = logging.getLogger("portal.requests")
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Observe:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        request.request_id = _request_id(request)
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        match = getattr(request, "resolver_match", None)
        route = "/" + match.route if match is not None else "unresolved"
        method = request.method if request.method in _METHODS else "other"
        metrics.REQUESTS.labels(route, method, str(response.status_code)).inc()
        metrics.LATENCY.labels(route).observe(elapsed)
        if response.get("Content-Type") == PROBLEM_CONTENT_TYPE:
            metrics.REFUSALS.labels(route, _code(response)).inc()
        response["X-Request-ID"] = request.request_id
        if settings.PORTAL_JSON_LOGS:
            _log(request, route, method, response.status_code, elapsed)
        return response


def _request_id(request) -> str:
    """The trusted proxy's X-Request-ID when it sent a sane one (so its log and ours match), else
    a new one: a client cannot make its requests share an id with someone else's."""
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    trusted = networks.within(request.META.get("REMOTE_ADDR"), settings.PORTAL_TRUSTED_PROXIES)
    return given if trusted and _SANE_ID.fullmatch(given) else uuid.uuid4().hex


def _code(response) -> str:
    try:
        return str(json.loads(response.content).get("code") or response.status_code)
    except (ValueError, AttributeError):
        return str(response.status_code)


def _log(request, route: str, method: str, status: int, elapsed: float) -> None:
    tenant, user = getattr(request, "tenant", None), getattr(request, "user", None)
    access_log.info(
        "%s %s %s",
        method,
        route,
        status,
        extra={
            "request_id": request.request_id,
            "tenant": tenant.domain if tenant is not None else None,
            "user": str(user.pk) if user is not None and user.is_authenticated else None,
            "route": route,
            "method": method,
            "status": status,
            "duration_ms": round(elapsed * 1000, 2),
        },
    )
