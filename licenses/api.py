"""The licenses REST API: the tools' licensing endpoints (credentials, no JWT) and, for tenant
admins, licenses, their credentials and files."""

import json

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from accounts.requests import client_ip
from licenses import licensing
from portal.api import PROBLEM_CONTENT_TYPE

MAX_BODY = 64 * 1024


class _AnyAccept(BaseContentNegotiation):
    """The tools send whatever Accept they like; these views answer text or JSON themselves."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _ToolsApi(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # licensing.Limits, counted while the credential is looked up
    content_negotiation_class = _AnyAccept


_PROBLEM = OpenApiResponse(OpenApiTypes.OBJECT, description="problem+json with a stable `code`")
CredentialsIn = inline_serializer(
    "CredentialsJson",
    {name: serializers.CharField(required=False) for name in licensing.FIELDS},
)


class PremiumLicenseApi(_ToolsApi):
    """Trade the credentials of a credentials.json for the current premium.lic."""

    @extend_schema(
        request=CredentialsIn,
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="The premium.lic file"),
            400: _PROBLEM,
            401: _PROBLEM,
            403: _PROBLEM,
            429: _PROBLEM,
        },
        examples=[OpenApiExample("DRAGEN serial number", value={"DragenSerialNo": "SN-1234"})],
        summary="Download premium.lic for license credentials (serial > BYOL > DRAGEN API key > portal key)",
    )
    def post(self, request):
        try:
            body = _json_body(request)
            text = licensing.premium_license(body, tenant=request.tenant, ip=client_ip(request))
        except licensing.Refusal as refusal:
            return _problem(refusal)
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
        request={"text/plain": OpenApiTypes.STR},
        responses={
            200: inline_serializer(
                "LicenseValidity",
                {
                    "valid": serializers.BooleanField(),
                    "code": serializers.CharField(allow_null=True),
                    "license_id": serializers.UUIDField(allow_null=True),
                    "sources": serializers.ListField(child=serializers.CharField()),
                    "expires_at": serializers.DateTimeField(allow_null=True),
                },
            ),
            400: _PROBLEM,
            429: _PROBLEM,
        },
        summary="Validate a premium.lic online (a revoked license is invalid even if its file verifies)",
    )
    def post(self, request):
        try:
            licensing.Limits(client_ip(request), None).check()
            text = _text_body(request)
        except licensing.Refusal as refusal:
            return _problem(refusal)
        return HttpResponse(
            json.dumps(licensing.validate(text)),
            content_type="application/json",
            headers={"Cache-Control": "no-store"},
        )


def _json_body(request) -> object:
    body = _raw_body(request)
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise licensing.malformed("The body is not JSON: send a credentials.json.") from None


def _text_body(request) -> str:
    try:
        text = _raw_body(request).decode("utf-8")
    except UnicodeDecodeError:
        raise licensing.malformed("A premium.lic is UTF-8 text.") from None
    if not text.strip():
        raise licensing.malformed("Send the premium.lic file as the request body.")
    return text


def _raw_body(request) -> bytes:
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:
        raise licensing.malformed(f"The body is larger than {MAX_BODY // 1024} KiB.")
    return request.body


def _problem(refusal: licensing.Refusal) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": refusal.title,
        "status": refusal.status,
        "detail": refusal.detail,
        "code": refusal.code,
    }
    headers = {"Cache-Control": "no-store"}
    if refusal.retry_after is not None:
        headers["Retry-After"] = str(refusal.retry_after)
    return HttpResponse(
        json.dumps(body), status=refusal.status, content_type=PROBLEM_CONTENT_TYPE, headers=headers
    )
