"""REST API for the tenant's access policy (tenant admins): the same as Settings → Access. Thin:
read through selectors, change through services."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors, services
from access.passwords import CLASSES
from access.rules import API, AREAS
from accounts.models import (
    MFA_GRACE_MAX,
    PASSWORD_HISTORY_MAX,
    PASSWORD_MAX_AGE_DAYS,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    MfaRequired,
)
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core import networks
from core.api import valid


class NetworksField(serializers.ListField):
    child = serializers.CharField(max_length=60)

    def to_internal_value(self, data):
        try:
            return networks.normalised(super().to_internal_value(data))
        except networks.BadNetworks as exc:
            raise serializers.ValidationError(str(exc)) from None


class NetworkPolicyOut(serializers.Serializer):
    allowed_networks = serializers.ListField(
        child=serializers.CharField(), help_text="CIDR ranges, normalised (a single address is a /32 or /128)"
    )
    pages = serializers.BooleanField(source="networks_for_pages", help_text=AREAS["pages"])
    api = serializers.BooleanField(source="networks_for_api", help_text=AREAS["api"])
    tools = serializers.BooleanField(source="networks_for_tools", help_text=AREAS["tools"])


class NetworkPolicyIn(serializers.Serializer):
    allowed_networks = NetworksField(required=False, max_length=networks.MAX_NETWORKS)
    pages = serializers.BooleanField(required=False)
    api = serializers.BooleanField(required=False)
    tools = serializers.BooleanField(required=False)


class PreviewOut(serializers.Serializer):
    days = serializers.IntegerField()
    signins = serializers.IntegerField(help_text="Sign-ins in those days, in the browser and with a password")
    signins_refused = serializers.IntegerField()
    key_uses = serializers.IntegerField(help_text="API key exchanges in those days")
    key_uses_refused = serializers.IntegerField()
    addresses = serializers.SerializerMethodField(help_text="The addresses refused most, with how often")

    def get_addresses(self, preview) -> list[dict]:
        return [{"address": ip, "count": n} for ip, n in preview.addresses]


def _proposed(request) -> tuple[list[str], dict[str, bool]]:
    """The body over the saved policy: what is not given stays."""
    data, tenant = valid(NetworkPolicyIn, request), request.tenant
    allowed = data.get("allowed_networks", tenant.allowed_networks)
    return allowed, {area: data.get(area, getattr(tenant, f"networks_for_{area}")) for area in AREAS}


class NetworkPolicyApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=NetworkPolicyOut, summary="Where this tenant may be reached from (tenant admin)")
    def get(self, request):
        return Response(NetworkPolicyOut(request.tenant).data)

    @extend_schema(
        request=NetworkPolicyIn, responses=NetworkPolicyOut,
        summary="Change where this tenant may be reached from (tenant admin); what is not given stays",
        description="Refused (`would_lock_out`) when the list would apply to the API and the caller's own "
        "address is outside it.",
    )  # fmt: skip
    def patch(self, request):
        allowed, guarded = _proposed(request)
        tenant = services.network_policy_update(
            tenant=request.tenant, by=actor_for(request), allowed=allowed, guarded=guarded, via=API
        )
        return Response(NetworkPolicyOut(tenant).data)


class NetworkPreviewApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        request=NetworkPolicyIn, responses=PreviewOut, operation_id="tenant_networks_preview",
        summary="What a network policy would have refused in the last 7 days (tenant admin); nothing changes",
    )  # fmt: skip
    def post(self, request):
        allowed, guarded = _proposed(request)
        preview = selectors.network_preview(tenant=request.tenant, allowed=allowed, guarded=guarded)
        return Response(PreviewOut(preview).data)


class PasswordPolicyOut(serializers.Serializer):
    min_length = serializers.IntegerField(source="password_min_length")
    classes = serializers.ListField(
        source="password_classes", child=serializers.ChoiceField(choices=list(CLASSES)),
        help_text="Character classes every password has",
    )  # fmt: skip
    history = serializers.IntegerField(
        source="password_history",
        help_text="Earlier passwords (the current one among them) that may not come back",
    )
    max_age_days = serializers.IntegerField(
        source="password_max_age_days", help_text="Days until a password must be changed at sign-in; 0: never"
    )


class PasswordPolicyIn(serializers.Serializer):
    min_length = serializers.IntegerField(
        min_value=PASSWORD_MIN_LENGTH, max_value=PASSWORD_MAX_LENGTH, required=False
    )
    classes = serializers.ListField(child=serializers.ChoiceField(choices=list(CLASSES)), required=False)
    history = serializers.IntegerField(min_value=0, max_value=PASSWORD_HISTORY_MAX, required=False)
    max_age_days = serializers.IntegerField(min_value=0, max_value=PASSWORD_MAX_AGE_DAYS, required=False)


class PasswordPolicyApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        responses=PasswordPolicyOut, summary="The rules this tenant's passwords meet (tenant admin)"
    )
    def get(self, request):
        return Response(PasswordPolicyOut(request.tenant).data)

    @extend_schema(
        request=PasswordPolicyIn, responses=PasswordPolicyOut,
        summary="Change this tenant's password rules (tenant admin); what is not given stays",
    )  # fmt: skip
    def patch(self, request):
        data, tenant = valid(PasswordPolicyIn, request), request.tenant
        current = PasswordPolicyOut(tenant).data
        tenant = services.password_policy_update(
            tenant=tenant, by=actor_for(request), **{name: data.get(name, current[name]) for name in current}
        )
        return Response(PasswordPolicyOut(tenant).data)


class MfaPolicyOut(serializers.Serializer):
    required = serializers.ChoiceField(
        source="mfa_required", choices=MfaRequired.values, help_text="Whom a second factor is required of"
    )
    grace_days = serializers.IntegerField(
        source="mfa_grace_days", help_text="Days of asking before requiring"
    )
    required_since = serializers.DateTimeField(
        source="mfa_required_since", allow_null=True, help_text="When the grace days began"
    )
    passkey_login = serializers.BooleanField(help_text="Whether a passkey may sign in on its own")


class MfaPolicyIn(serializers.Serializer):
    required = serializers.ChoiceField(choices=MfaRequired.values, required=False)
    grace_days = serializers.IntegerField(min_value=0, max_value=MFA_GRACE_MAX, required=False)
    passkey_login = serializers.BooleanField(required=False)


class MfaPolicyApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses=MfaPolicyOut, summary="This tenant's second-factor rules (tenant admin)")
    def get(self, request):
        return Response(MfaPolicyOut(request.tenant).data)

    @extend_schema(
        request=MfaPolicyIn, responses=MfaPolicyOut,
        summary="Change this tenant's second-factor rules (tenant admin); what is not given stays",
    )  # fmt: skip
    def patch(self, request):
        data, tenant = valid(MfaPolicyIn, request), request.tenant
        tenant = services.mfa_policy_update(
            tenant=tenant, by=actor_for(request), required=data.get("required", tenant.mfa_required),
            grace_days=data.get("grace_days", tenant.mfa_grace_days),
            passkey_login=data.get("passkey_login", tenant.passkey_login),
        )  # fmt: skip
        return Response(MfaPolicyOut(tenant).data)
