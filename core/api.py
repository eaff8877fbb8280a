"""REST plumbing shared by every app: pagination, and bodies and query parameters validated strictly
(errors leave through `core.errors`)."""

from drf_spectacular.utils import inline_serializer
from rest_framework import exceptions, pagination, serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response


class PageQuery(serializers.Serializer):
    """A list's page: `?page=` from 1, `?page_size=` from 1 to 200 (50 when not given)."""

    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=200)


class Pagination(pagination.PageNumberPagination):
    """DRF's page numbers, but a page size out of range is a 400, never quietly clipped."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        query(PageQuery, request)
        return super().paginate_queryset(queryset, request, view)


def paginated(request, view, queryset, serializer_class) -> Response:
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response(serializer_class(page, many=True).data)


def page_of(serializer_class):
    """The schema of `paginated`'s answer: one page of `serializer_class` items."""
    name = serializer_class.__name__.removesuffix("Out")
    page = inline_serializer(
        f"{name}Page",
        {
            "count": serializers.IntegerField(help_text="Items in the whole list"),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": serializer_class(many=True),
        },
    )
    page.is_page = True  # for core.schema.AutoSchema
    return page


def valid(serializer_class, request) -> dict:
    """The validated body; a JSON value of another type than the schema names is refused too
    (DRF alone would take 0 for "0", 1 for true and 5 for a UUID)."""
    serializer = serializer_class(data=request.data)
    if isinstance(request.data, dict):
        errors = {
            name: [f"Must be {expected}."]
            for name, field in serializer.fields.items()
            if name in request.data and (expected := _json_type_error(field, request.data[name]))
        }
        if errors:
            raise exceptions.ValidationError(errors)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


_JSON_TYPES = (  # most specific first: BooleanField is no CharField, ChoiceField's values are strings
    (serializers.BooleanField, bool, "true or false"),
    (serializers.IntegerField, int, "an integer"),
    (serializers.ChoiceField, str, "a string"),
    (serializers.CharField, str, "a string"),
    (serializers.UUIDField, str, "a string"),
    (serializers.DateTimeField, str, "a string"),
    (serializers.ListField, list, "an array"),
)


def _json_type_error(field, value) -> str | None:
    if value is None:
        return None  # allow_null decides
    for field_class, json_type, expected in _JSON_TYPES:
        if isinstance(field, field_class):
            wrong = not isinstance(value, json_type) or (json_type is int and isinstance(value, bool))
            if wrong:
                return expected
            if json_type is list:
                item_errors = (_json_type_error(field.child, item) for item in value)
                item_error = next(filter(None, item_errors), None)
                return f"an array whose items are {item_error}" if item_error else None
            return None
    return None


def query(serializer_class, request) -> dict:
    """Validated query parameters: a value that is not one the API names is a 400, not ignored.
    (A plain dict, not the QueryDict, so that `?status=` is refused rather than read as absent.)"""
    serializer = serializer_class(data=request.query_params.dict())
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class AnyAccept(BaseContentNegotiation):
    """For views that answer a body of their own (premium.lic text, a CSV file) whatever Accept
    the client sends; an error still leaves as problem+json."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
