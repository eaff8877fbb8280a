"""Errors, and the one way they leave the API: services and views raise, `exception_handler` (DRF's
EXCEPTION_HANDLER) answers every one as an RFC 7807 application/problem+json. Code that answers
before DRF runs (middleware, Django's 404 and 500 handlers) passes its error to `problem_for`."""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions

PROBLEM_CONTENT_TYPE = "application/problem+json"
API_PATHS = ("/api/", "/ica/rest/")  # answered as an API (Portal's own and ICA's dialect): problems, no pages


class ServiceError(Exception):
    """A refused request or change, with a message fit to show the user and a stable code."""

    status = 400
    code = "invalid"
    title: str | None = None  # None: the status's own phrase

    def __init__(self, message: str, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after  # seconds, sent as Retry-After
        if code:
            self.code = code

    def members(self) -> dict:
        """Extension members of its problem (RFC 7807 §3.2), beside type, title, status, detail."""
        return {}


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class Forbidden(ServiceError):
    status = 403
    code = "permission_denied"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class RateLimited(ServiceError):
    """Too many of these lately; `retry_after` seconds until one more is allowed."""

    status = 429
    code = "rate_limited"


class ServerError(ServiceError):
    """A bug of ours (Django's handler500 answers API clients with it)."""

    status = 500
    code = "server_error"


class Unavailable(ServiceError):
    """A service Portal needs does not answer (the database): try again shortly."""

    status = 503
    code = "unavailable"


class BadRequest(ServiceError):
    code = "bad_request"


class PayloadTooLarge(ServiceError):
    status = 413
    code = "payload_too_large"


def problem_for(exc: ServiceError, **extra) -> JsonResponse:
    """The problem+json answer for an error: what every API error becomes, built only here."""
    body = {"type": "about:blank", "title": exc.title or _title(exc.status), "status": exc.status}
    if exc.message:
        body["detail"] = exc.message
    if exc.code:
        body["code"] = exc.code
    body |= exc.members() | extra
    response = JsonResponse(body, status=exc.status, content_type=PROBLEM_CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    if exc.retry_after is not None:
        response["Retry-After"] = str(exc.retry_after)
    return response


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every API error, ours, DRF's or Django's, as problem+json."""
    from rest_framework.views import exception_handler as drf_exception_handler  # its settings: not at import

    if isinstance(exc, ServiceError):
        return problem_for(exc)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    drf_response = drf_exception_handler(exc, context)  # None: not an API error, a 500
    if drf_response is None:
        return None
    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        error = ServiceError("")
        error.title, error.code, extra = "Invalid input", None, {"errors": _errors(exc.detail)}
    else:
        error = ServiceError(_detail(exc))
        error.code = _code(exc)
    error.status = drf_response.status_code
    response = problem_for(error, **extra)
    for name in ("WWW-Authenticate", "Retry-After"):  # DRF's, for 401 and a throttle
        if name in drf_response:
            response[name] = drf_response[name]
    return response


def _detail(exc) -> str:
    return exc.detail if isinstance(exc.detail, str) else str(exc.detail)


def _code(exc) -> str | None:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else None


def _errors(detail):
    if isinstance(detail, dict):
        return {key: _errors(value) for key, value in detail.items()}
    if isinstance(detail, list):
        return [str(item) if not isinstance(item, (dict, list)) else _errors(item) for item in detail]
    return {"non_field_errors": [str(detail)]}


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
