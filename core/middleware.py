"""Middleware of the platform: request limits before anything reads the request, and the CSP."""

from urllib.parse import unquote

from csp.constants import HEADER
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.http import HttpRequest, HttpResponse

from core.errors import API_PATHS, BadRequest, PayloadTooLarge, ServiceError, problem_for


class RequestLimitsMiddleware:
    """A body declared larger than DATA_UPLOAD_MAX_MEMORY_SIZE is a 413, decided from
    Content-Length alone: nothing is read. DRF's parsers read the stream without Django's own
    check, so without this a JSON body of any size would be parsed. (A body without a
    Content-Length is empty to Django's WSGI handler, so it cannot slip past.)

    A query string with a NUL character is a 400: no value of ours contains one, and PostgreSQL
    refuses to even compare text with one (a search or filter would fail with a 500)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not declared.isdigit():
            return _refused(request, BadRequest("Content-Length is not a number."))
        if int(declared) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
            return _refused(request, PayloadTooLarge(f"The body is larger than {limit} KiB."))
        if "\x00" in unquote(request.META.get("QUERY_STRING", "")):
            return _refused(request, BadRequest("The query string contains a NUL character."))
        return self.get_response(request)


def _refused(request: HttpRequest, error: ServiceError) -> HttpResponse:
    if request.path.startswith(API_PATHS):
        return problem_for(error)
    return HttpResponse(error.message, status=error.status, content_type="text/plain; charset=utf-8")


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's for HTML pages; every other answer (JSON, premium.lic, the schema, static
    files, an SVG opened on its own) gets the API's fixed policy instead (nothing may load from it,
    nothing may frame it), which also spares building the pages' policy anew for each response:
    about a fifth of an API request."""

    API_POLICY = "default-src 'none'; frame-ancestors 'none'"

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not response.get("Content-Type", "").startswith("text/html"):
            response.headers.setdefault(HEADER, self.API_POLICY)
            return response
        return super().process_response(request, response)


class PagesOnly:
    """Mixed into a middleware that only a browser needs (users from sessions, messages): it runs for
    pages and for API calls that carry a cookie (a signed-in browser, the API docs); an API call
    without one (a pipeline's Bearer call, a key exchange) skips it. Subclasses keep the names
    Django admin's checks look for."""

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(API_PATHS) and not request.COOKIES:
            return self.get_response(request)
        return super().__call__(request)


class Authentication(PagesOnly, AuthenticationMiddleware):
    pass


class Messages(PagesOnly, MessageMiddleware):
    pass
