"""The annotation tools' licensing endpoints: credentials of a credentials.json (no JWT) for
the current premium.lic, and an online check of a premium.lic."""

import json
import re

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

import premiumlic
from accounts.requests import client_ip
from core.api import AnyAccept
from licenses import licensing, methods, validation

MAX_BODY = 64 * 1024


class _ToolsApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # licensing.limits, counted while the credential is looked up
    content_negotiation_class = AnyAccept  # the tools send whatever Accept they like


def _given(name: str) -> dict:
    """JSON Schema: `name` is there, a string with more than white space in it."""
    return {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}


def _not_given(name: str) -> dict:
    return {"not": _given(name)}


def _decides(fields: tuple[str, ...], higher: list[str]) -> dict:
    """A method decides when all its fields are there and no field of a method above it is."""
    return {"allOf": [_given(name) for name in fields] + [_not_given(name) for name in higher]}


def _credentials_json() -> dict:
    """credentials.json as the endpoint reads it: every field optional (null or blank = absent);
    the first method (licenses.methods, highest first) with a field there decides and needs all its
    fields; with none, a portal API key. Other fields are ignored."""
    branches, higher = [], []
    for method in methods.METHODS.values():
        branches.append(_decides(method.fields, higher))
        higher += method.fields
    branches.append(_decides((premiumlic.PORTAL_KEY,), higher))
    field = {"type": "string", "maxLength": 200, "pattern": "^[^\x00]*$", "nullable": True}  # no NUL
    return {"type": "object", "properties": dict.fromkeys(licensing.FIELDS, field), "anyOf": branches}


CREDENTIALS_JSON = _credentials_json()
_MALFORMED = OpenApiResponse(description="`MALFORMED_REQUEST`: not a credentials.json the portal can read")
_RATE_LIMITED = OpenApiResponse(description="`RATE_LIMITED`: see `Retry-After`")


class PremiumLicenseApi(_ToolsApi):
    """Trade the credentials of a credentials.json for the current premium.lic."""

    @extend_schema(
        request={"application/json": CREDENTIALS_JSON},
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The premium.lic file"),
            400: _MALFORMED,
            401: OpenApiResponse(description="`INVALID_CREDENTIALS`, whatever was wrong with them"),
            403: OpenApiResponse(
                description="`LICENSE_EXPIRED`, `LICENSE_NOT_YET_VALID`, `LICENSE_SUSPENDED`, "
                "`LICENSE_REVOKED`, `NO_PREMIUM_ENTITLEMENT`, or `NETWORK_REFUSED`: the tenant (or the "
                "portal API key) is not used from this address"
            ),
            429: _RATE_LIMITED,
        },
        examples=[OpenApiExample("DRAGEN serial number", value={"DragenSerialNo": "SN-1234"})],
        summary="Download premium.lic for license credentials (serial > BYOL > DRAGEN API key > portal key)",
    )
    def post(self, request):
        body = _json_body(request)
        text = licensing.premium_license(body, tenant=request.tenant, ip=client_ip(request))
        return HttpResponse(
            text,
            content_type="text/plain; charset=utf-8",
            headers={
                "Content-Disposition": 'attachment; filename="premium.lic"',
                "Cache-Control": "no-store",
            },
        )


class LicenseValidateApi(_ToolsApi):
    """Is a premium.lic good now: its signature and its license's current status."""

    @extend_schema(
        request={"text/plain": {"type": "string", "pattern": r"\S", "description": "A premium.lic file"}},
        responses={
            200: inline_serializer(
                "LicenseValidity",
                {
                    "valid": serializers.BooleanField(),
                    "code": serializers.CharField(allow_null=True),
                    "license_id": serializers.UUIDField(allow_null=True),
                    "sources": serializers.ListField(child=serializers.CharField()),
                    "expires_at": serializers.DateTimeField(allow_null=True),
                    "by_source": inline_serializer(
                        "SourceValidity",
                        {
                            "source": serializers.ChoiceField(choices=premiumlic.SOURCES),
                            "status": serializers.ChoiceField(choices=validation.ROW_STATUSES),
                            "ends_at": serializers.DateTimeField(allow_null=True),
                        },
                        many=True,
                    ),
                },
            ),
            400: OpenApiResponse(description="`MALFORMED_REQUEST`: no file, or not UTF-8 text"),
            429: _RATE_LIMITED,
        },
        summary="Validate a premium.lic online (a revoked license is invalid even if its file verifies)",
        description="`valid` is true only for the credential's current file of a license in force. "
        "Otherwise `code` says why: `INVALID_LICENSE` (not ours, changed, or its credential deleted), "
        "`INVALID_CREDENTIALS` (credential disabled), `LICENSE_REVOKED`, `LICENSE_SUSPENDED`, "
        "`LICENSE_EXPIRED`, `LICENSE_NOT_YET_VALID`, or `LICENSE_SUPERSEDED`: a newer file replaces this "
        "one; `sources` are then the license's sources now (fetch the new file), never more. `by_source` "
        "has a row for each premium source of a file that is ours: `granted`, `ended` (its own end has "
        "passed), `not_in_license`, `superseded` (the license grants it, this file does not: fetch the "
        "current one) or `refused` (the whole license is); empty for a file that is not ours.",
    )
    def post(self, request):
        licensing.limits(client_ip(request), None).check(licensing.rate_limited)
        text = _text_body(request)
        return HttpResponse(
            json.dumps(validation.validate(text, tenant=request.tenant, ip=client_ip(request))),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )


def _json_body(request) -> object:
    body = _raw_body(request)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise licensing.malformed("The body is not JSON: send a credentials.json.") from None


def _text_body(request) -> str:
    try:
        text = _raw_body(request).decode("utf-8")
    except UnicodeDecodeError:
        raise licensing.malformed("A premium.lic is UTF-8 text.") from None
    if not _SOMETHING.search(text):
        raise licensing.malformed("Send the premium.lic file as the request body.")
    return text


# A character that is not whitespace as the schema's pattern `\S` (ECMA-262) means it: Python's
# own \s also counts the separators \x1c-\x1f and \x85, which the schema lets through.
_SOMETHING = re.compile("[^ \t\n\v\f\r\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]")


def _raw_body(request) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        raise licensing.malformed(f"The body is larger than {MAX_BODY // 1024} KiB.")
    return request.body


# Tenant admins: licenses, their credentials and files.
