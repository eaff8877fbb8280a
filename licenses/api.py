"""The licenses REST API: the tools' licensing endpoints (credentials, no JWT) and, for tenant
admins, licenses, their credentials and files."""

import json
import re

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

import premiumlic
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for, client_ip
from core.api import PageQuery, page_of, paginated, valid
from licenses import licensing, selectors, services
from licenses.models import Credential, License, LicenseFile
from licenses.services.credentials import SERIAL

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
    throttle_classes = []  # licensing.limits, counted while the credential is looked up
    content_negotiation_class = _AnyAccept


def _given(name: str) -> dict:
    """JSON Schema: `name` is there, a string with more than white space in it."""
    return {"required": [name], "properties": {name: {"type": "string", "pattern": r"\S"}}}


def _not_given(name: str) -> dict:
    return {"not": _given(name)}


# credentials.json as the endpoint reads it: every field optional (null or blank = absent), and
# one method decides — a serial, or a BYOL user id with its password, or, when no half of a BYOL
# pair is there, a DRAGEN API key or a portal key. Other fields are ignored.
_FIELD = {"type": "string", "maxLength": 200, "pattern": "^[^\x00]*$", "nullable": True}  # no NUL
CREDENTIALS_JSON = {
    "type": "object",
    "properties": {name: _FIELD for name in licensing.FIELDS},
    "anyOf": [
        _given(licensing.SERIAL),
        {"allOf": [_given(licensing.BYOL_ID), _given(licensing.BYOL_SECRET)]},
        {
            "allOf": [
                _not_given(licensing.BYOL_ID),
                _not_given(licensing.BYOL_SECRET),
                {"anyOf": [_given(licensing.DRAGEN_KEY), _given(licensing.PORTAL_KEY)]},
            ]
        },
    ],
}
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
                "`LICENSE_REVOKED` or `NO_PREMIUM_ENTITLEMENT`"
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
        "one; `sources` are then the license's sources now (fetch the new file), never more.",
    )
    def post(self, request):
        licensing.limits(client_ip(request), None).check(licensing.rate_limited)
        text = _text_body(request)
        return HttpResponse(
            json.dumps(licensing.validate(text, tenant=request.tenant)),
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


class LicenseOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    sources = serializers.ListField(child=serializers.ChoiceField(choices=premiumlic.SOURCES))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=License.State.choices)
    credential_count = serializers.IntegerField(required=False)
    created_at = serializers.DateTimeField()


class LicenseIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    sources = serializers.ListField(child=serializers.ChoiceField(choices=premiumlic.SOURCES), min_length=1)
    starts_at = serializers.DateTimeField(required=False, help_text="ISO 8601; now when left out.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601, with a time zone.")


class LicensePatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=premiumlic.SOURCES), min_length=1, required=False
    )
    ends_at = serializers.DateTimeField(required=False, help_text="Extend the term, or end it sooner.")


class LicenseListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        responses=page_of(LicenseOut), parameters=[PageQuery], summary="The tenant's licenses (tenant admin)"
    )
    def get(self, request):
        return paginated(request, self, selectors.licenses_of_tenant(request.tenant), LicenseOut)

    @extend_schema(request=LicenseIn, responses={201: LicenseOut}, summary="Create a license (tenant admin)")
    def post(self, request):
        data = valid(LicenseIn, request)
        license = services.license_create(
            tenant=request.tenant,
            by=actor_for(request),
            name=data["name"],
            sources=data["sources"],
            starts_at=data.get("starts_at") or timezone.now(),
            ends_at=data["ends_at"],
        )
        license.credential_count = 0
        return Response(LicenseOut(license).data, status=status.HTTP_201_CREATED)


class LicenseDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=LicenseOut, summary="A license (tenant admin)")
    def get(self, request, license_id):
        return Response(LicenseOut(selectors.get_license_for_request(request, license_id)).data)

    @extend_schema(
        request=LicensePatchIn, responses=LicenseOut, summary="Rename, change sources or move the end"
    )
    def patch(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        data = valid(LicensePatchIn, request)
        services.license_update(license=license, by=actor_for(request), **data)
        return Response(LicenseOut(selectors.get_license_for_request(request, license_id)).data)

    @extend_schema(responses={204: None}, summary="Delete a license with its credentials and files")
    def delete(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        services.license_delete(license=license, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class _LicenseActionApi(APIView):
    permission_classes = [IsTenantAdmin]
    service = None

    def post(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        type(self).service(license=license, by=actor_for(request))
        return Response(LicenseOut(selectors.get_license_for_request(request, license_id)).data)


@extend_schema_view(post=extend_schema(request=None, responses=LicenseOut, summary="Suspend a license"))
class LicenseSuspendApi(_LicenseActionApi):
    service = services.license_suspend


@extend_schema_view(
    post=extend_schema(request=None, responses=LicenseOut, summary="Resume a suspended license")
)
class LicenseResumeApi(_LicenseActionApi):
    service = services.license_resume


@extend_schema_view(
    post=extend_schema(request=None, responses=LicenseOut, summary="Revoke a license, for good")
)
class LicenseRevokeApi(_LicenseActionApi):
    service = services.license_revoke


class CredentialOut(serializers.Serializer):
    id = serializers.UUIDField()
    method = serializers.ChoiceField(choices=Credential.Method.choices)
    identifier = serializers.SerializerMethodField(
        help_text="The serial number, the BYOL user id, or the DRAGEN API key's first characters."
    )
    is_enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)

    def get_identifier(self, credential) -> str:
        if credential.method == Credential.Method.DRAGEN_API_KEY:
            return f"{credential.key_prefix}…"
        return credential.identifier


class NewCredentialOut(CredentialOut):
    api_key = serializers.CharField(required=False, help_text="BYOL: the user id (ApiKey).")
    api_secret = serializers.CharField(
        required=False, help_text="BYOL: the password (ApiSecret), shown once."
    )
    key = serializers.CharField(required=False, help_text="DRAGEN API key, shown once.")


class CredentialIn(serializers.Serializer):
    method = serializers.ChoiceField(choices=Credential.Method.choices)
    serial_number = serializers.RegexField(f"^{SERIAL.pattern}$", required=False, trim_whitespace=False)


# What CredentialIn takes, as one schema: a serial number with dragen_serial, and only there.
CREDENTIAL_IN = {
    "oneOf": [
        {
            "type": "object",
            "properties": {
                "method": {"type": "string", "enum": [Credential.Method.DRAGEN_SERIAL]},
                "serial_number": {
                    "type": "string",
                    "pattern": f"^{SERIAL.pattern}$",
                    "description": "Letters, digits, '.', '_', '-'",
                },
            },
            "required": ["method", "serial_number"],
        },
        {
            "type": "object",
            "properties": {
                "method": {
                    "type": "string",
                    "enum": [Credential.Method.BYOL, Credential.Method.DRAGEN_API_KEY],
                }
            },
            "required": ["method"],
            "not": {"required": ["serial_number"]},
        },
    ]
}


class CredentialPatchIn(serializers.Serializer):
    is_enabled = serializers.BooleanField()


class CredentialListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        responses=page_of(CredentialOut),
        parameters=[PageQuery],
        summary="A license's credentials (tenant admin)",
    )
    def get(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        return paginated(request, self, selectors.credentials_of_license(license), CredentialOut)

    @extend_schema(
        request={"application/json": CREDENTIAL_IN},
        responses={
            201: NewCredentialOut,
            409: OpenApiResponse(description="`serial_taken`: this tenant has this serial number already"),
            429: OpenApiResponse(description="`rate_limited`: this tenant added many credentials lately"),
        },
        summary="Add a credential; a generated secret is in this answer only",
    )
    def post(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        data = valid(CredentialIn, request)
        new = services.credential_add(license=license, by=actor_for(request), **data)
        body = {**CredentialOut(new.credential).data, **new.secrets}
        return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


class CredentialDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        request=CredentialPatchIn, responses=CredentialOut, summary="Enable or disable a credential"
    )
    def patch(self, request, license_id, credential_id):
        license = selectors.get_license_for_request(request, license_id)
        credential = selectors.get_credential_for_request(request, license, credential_id)
        data = valid(CredentialPatchIn, request)
        services.credential_set_enabled(
            credential=credential, by=actor_for(request), enabled=data["is_enabled"]
        )
        return Response(CredentialOut(credential).data)

    @extend_schema(responses={204: None}, summary="Delete a credential and its files")
    def delete(self, request, license_id, credential_id):
        license = selectors.get_license_for_request(request, license_id)
        credential = selectors.get_credential_for_request(request, license, credential_id)
        services.credential_delete(credential=credential, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class LicenseFileOut(serializers.Serializer):
    id = serializers.UUIDField()
    credential_id = serializers.UUIDField()
    credential = serializers.CharField(source="credential.__str__")
    method = serializers.CharField(source="credential.method")
    sources = serializers.ListField(child=serializers.CharField())
    issued_at = serializers.DateTimeField()
    not_before = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=LicenseFile.Status.choices)


class LicenseFileDetailOut(LicenseFileOut):
    premium_lic = serializers.CharField(source="body.text", help_text="The file itself.")


class LicenseFileListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        responses=page_of(LicenseFileOut),
        parameters=[PageQuery],
        summary="Files issued for a license, newest first",
    )
    def get(self, request, license_id):
        license = selectors.get_license_for_request(request, license_id)
        return paginated(request, self, selectors.files_of_license(license), LicenseFileOut)


class LicenseFileDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=LicenseFileDetailOut, summary="One issued file, with its text")
    def get(self, request, license_id, file_id):
        license = selectors.get_license_for_request(request, license_id)
        file = selectors.get_file_for_request(request, license, file_id)
        return Response(LicenseFileDetailOut(file).data, headers={"Cache-Control": "no-store"})  # a license
