"""The licenses admin API: a tenant's licenses, their credentials and files (tenant admins)."""

from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

import premiumlic
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core.api import PageQuery, page_of, paginated, valid
from licenses import methods, selectors, services
from licenses.models import MAX_GRACE_DAYS, MAX_SEATS, License, LicenseFile


class LicenseOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    sources = serializers.ListField(child=serializers.ChoiceField(choices=premiumlic.SOURCES))
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    source_ends = serializers.DictField(
        child=serializers.DateTimeField(), help_text="Each source's end: its own, or the license's."
    )
    grace_days = serializers.IntegerField(help_text="Days tools may keep an expired file, with a warning.")
    seats = serializers.IntegerField(
        allow_null=True, help_text="At most this many credentials; null: no cap."
    )
    status = serializers.ChoiceField(choices=License.State.choices)
    credential_count = serializers.IntegerField(required=False)
    created_at = serializers.DateTimeField()


class LicenseIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    sources = serializers.ListField(child=serializers.ChoiceField(choices=premiumlic.SOURCES), min_length=1)
    starts_at = serializers.DateTimeField(required=False, help_text="ISO 8601; now when left out.")
    ends_at = serializers.DateTimeField(help_text="ISO 8601, with a time zone.")
    source_ends = serializers.DictField(
        child=serializers.DateTimeField(),
        required=False,
        help_text="Sources that end before the license: {source: ISO 8601}.",
    )
    grace_days = serializers.IntegerField(min_value=0, max_value=MAX_GRACE_DAYS, required=False)
    seats = serializers.IntegerField(
        min_value=1, max_value=MAX_SEATS, allow_null=True, required=False, help_text="null: no cap."
    )


class LicensePatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    sources = serializers.ListField(
        child=serializers.ChoiceField(choices=premiumlic.SOURCES), min_length=1, required=False
    )
    ends_at = serializers.DateTimeField(required=False, help_text="Extend the term, or end it sooner.")
    source_ends = serializers.DictField(
        child=serializers.DateTimeField(),
        required=False,
        help_text="Replaces the sources' own ends; a source left out runs to the license's end.",
    )
    grace_days = serializers.IntegerField(min_value=0, max_value=MAX_GRACE_DAYS, required=False)
    seats = serializers.IntegerField(
        min_value=1, max_value=MAX_SEATS, allow_null=True, required=False, help_text="null: no cap."
    )


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
            source_ends=data.get("source_ends"),
            grace_days=data.get("grace_days", 0),
            seats=data.get("seats"),
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
    method = serializers.ChoiceField(choices=methods.CHOICES)
    identifier = serializers.SerializerMethodField(
        help_text="The serial number, the BYOL user id, or the DRAGEN API key's first characters."
    )
    is_enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)

    def get_identifier(self, credential) -> str:
        return methods.METHODS[credential.method].shown(credential)


# A new credential's secrets, shown once: each method's, from the table.
NewCredentialOut = type(
    "NewCredentialOut",
    (CredentialOut,),
    {
        name: serializers.CharField(required=False, help_text=help_text)
        for method in methods.METHODS.values()
        for name, help_text in method.secrets
    },
)

CredentialIn = type(
    "CredentialIn",
    (serializers.Serializer,),
    {
        "method": serializers.ChoiceField(choices=methods.CHOICES),
        **{
            name: serializers.RegexField(f"^{given.pattern.pattern}$", required=False, trim_whitespace=False)
            for name, given in methods.GIVEN.items()
        },
    },
)


def _credential_in_schema() -> dict:
    """What CredentialIn takes, as one schema: each method with what it is given, and nothing else."""
    variants = []
    for given in dict.fromkeys(method.given for method in methods.METHODS.values()):
        names = [method.name for method in methods.METHODS.values() if method.given == given]
        variant = {"type": "object", "properties": {"method": {"type": "string", "enum": names}}}
        if given is None:
            variant |= {"required": ["method"], "not": {"anyOf": [{"required": [n]} for n in methods.GIVEN]}}
        else:
            pattern = {"type": "string", "pattern": f"^{given.pattern.pattern}$", "description": given.help}
            variant["properties"][given.name] = pattern
            variant["required"] = ["method", given.name]
        variants.append(variant)
    return {"oneOf": variants}


CREDENTIAL_IN = _credential_in_schema()


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
