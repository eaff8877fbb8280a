"""REST plumbing shared by every app: pagination and RFC 7807 problem responses."""

from http import HTTPStatus

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, pagination
from rest_framework.response import Response
from rest_framework.views import exception_handler

from accounts.errors import ServiceError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class Pagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def paginated(request, view, queryset, serializer_class) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def problem(status: int, title: str, detail: str = "", **extra) -> Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return Response(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def problem_exception_handler(exc, context):
    """Every API error, DRF's or Django's, leaves as application/problem+json."""
    if isinstance(exc, ServiceError):
        return problem(exc.status, _title(exc.status), exc.message, code=exc.code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        body = problem(response.status_code, "Invalid input", errors=_errors(exc.detail)).data
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body = problem(response.status_code, _title(response.status_code), detail).data
        codes = exc.get_codes()
        if isinstance(codes, str):
            body["code"] = codes
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


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
