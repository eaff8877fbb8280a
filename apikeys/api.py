"""REST API for API keys and tokens. Thin: parse, look up in the tenant, call a service or grant."""

import json
import logging

from django.http import Http404, HttpResponse
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from access import services as access_services
from accounts.models import Tenant, Workgroup
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for, client_ip
from apikeys import grants, keys, selectors, services
from apikeys.authentication import BearerAuthentication, TokenAuth
from apikeys.throttles import api_key_header, basic_credentials, token_limits
from core import networks
from core.api import PageQuery, page_of, paginated, query, valid
from core.errors import RateLimited
from core.ratelimit import Limits

log = logging.getLogger(__name__)
INVALID_CREDENTIALS = "Invalid credentials."

_SCOPE_SCHEMA = {
    "oneOf": [
        {"type": "string", "enum": ["all"], "description": "All current and future workgroups"},
        {
            "type": "array",
            "items": {"type": "string", "format": "uuid"},
            "minItems": 1,
            "description": "Workgroup ids",
        },
    ]
}


@extend_schema_field(_SCOPE_SCHEMA)
class ScopeField(serializers.Field):
    """`"all"` or a list of workgroup ids, in both directions."""

    def to_internal_value(self, data):
        if data == services.ALL:
            return data
        if not isinstance(data, list) or not data:
            raise serializers.ValidationError('Use "all" or a non-empty list of workgroup ids.')
        if not all(isinstance(item, str) for item in data):
            raise serializers.ValidationError("Workgroup ids are strings.")
        return [serializers.UUIDField().to_internal_value(item) for item in data]

    def to_representation(self, apikey):
        if apikey.all_workgroups:
            return services.ALL
        return sorted(str(wg.pk) for wg in apikey.workgroups.all())


class ApiKeyOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The key's first characters, to tell keys apart.")
    workgroups = ScopeField(source="*")
    allowed_networks = serializers.ListField(
        child=serializers.CharField(),
        help_text="Where the key and its tokens may be used from (CIDR); empty: wherever the tenant allows",
    )
    status = serializers.ChoiceField(choices=["active", "expired", "revoked"])
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    last_used_ip = serializers.IPAddressField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    replaced_by = serializers.UUIDField(
        source="replaced_by_id",
        allow_null=True,
        help_text="Set on a regenerated key: the key that replaced it. While `status` is active it is an "
        "old key in its overlap: it works until `expires_at`, and counts against the key limit.",
    )
    rotation_due = serializers.BooleanField(help_text="Older than 11 months: plan the yearly rotation.")


class ApiKeyCreatedOut(ApiKeyOut):
    key = serializers.SerializerMethodField(help_text="The key itself. Shown this once only: store it now.")

    @extend_schema_field(str)
    def get_key(self, apikey) -> str:
        return self.context["key"]


class TenantApiKeyOut(ApiKeyOut):
    owner = inline_serializer(
        "ApiKeyOwner", {"id": serializers.UUIDField(), "email": serializers.EmailField()}, source="user"
    )


def _created(apikey, text: str) -> Response:
    """201 with the key, shown this once: no cache, proxy or browser keeps a copy (no-store)."""
    body = ApiKeyCreatedOut(apikey, context={"key": text}).data
    return Response(body, status=status.HTTP_201_CREATED, headers={"Cache-Control": "no-store"})


def _workgroups(request, ids):
    """The named workgroups of this tenant, or "all"; an unknown id is a 400, not a 404."""
    if ids == services.ALL:
        return ids
    found = list(Workgroup.objects.filter(tenant=request.tenant, pk__in=ids))
    if len(found) != len(set(ids)):
        raise exceptions.ValidationError({"workgroups": ["Unknown workgroup id."]})
    return found


def _within(request) -> frozenset[str] | None:
    """What a key-limited Bearer caller may hand on to new keys; None for everyone else."""
    auth = request.auth
    if isinstance(auth, TokenAuth) and not auth.key_scope_all:
        return auth.workgroup_scope
    return None


def _within_networks(request) -> tuple[str, ...] | None:
    """The networks a network-bound key's caller may hand on to new keys; None for everyone else."""
    auth = request.auth
    return auth.key_networks or None if isinstance(auth, TokenAuth) else None


def _networks_in(**kwargs) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=60),
        max_length=networks.MAX_NETWORKS,
        help_text="CIDR ranges (IPv4, IPv6) the key and its tokens may be used from; [] for no own limit",
        **kwargs,
    )


class ApiKeyListApi(APIView):
    class Query(PageQuery):
        status = serializers.ChoiceField(choices=["active", "expired", "revoked"], required=False)

    class ApiKeyIn(serializers.Serializer):
        name = serializers.CharField(max_length=100)
        workgroups = ScopeField(default=services.ALL)
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, help_text="Optional; at most the tenant's maximum key lifetime."
        )
        allowed_networks = _networks_in(default=list)

    @extend_schema(
        responses=page_of(ApiKeyOut),
        summary="Your API keys here (revoked and expired ones for 30 days)",
        parameters=[Query],
    )
    def get(self, request):
        qs = selectors.apikeys_of(tenant=request.tenant, user=request.user)
        wanted = query(self.Query, request).get("status")
        if wanted:
            qs = [key for key in qs if key.status == wanted]
        return paginated(request, self, qs, ApiKeyOut)

    @extend_schema(request=ApiKeyIn, responses={201: ApiKeyCreatedOut}, summary="Generate an API key")
    def post(self, request):
        data = valid(self.ApiKeyIn, request)
        apikey, text = services.apikey_create(
            tenant=request.tenant,
            user=request.user,
            name=data["name"],
            workgroups=_workgroups(request, data["workgroups"]),
            expires_at=data.get("expires_at"),
            by=actor_for(request),
            within=_within(request),
            allowed_networks=data["allowed_networks"],
            within_networks=_within_networks(request),
        )
        return _created(apikey, text)


class ApiKeyDetailApi(APIView):
    class ApiKeyUpdateIn(serializers.Serializer):
        name = serializers.CharField(max_length=100, required=False)
        workgroups = ScopeField(required=False)
        allowed_networks = _networks_in(required=False)

    @extend_schema(responses=ApiKeyOut)
    def get(self, request, apikey_id):
        return Response(ApiKeyOut(selectors.get_apikey_for_request(request, apikey_id)).data)

    @extend_schema(
        request=ApiKeyUpdateIn, responses=ApiKeyOut, summary="Rename a key, change its scope or networks"
    )
    def patch(self, request, apikey_id):
        apikey = selectors.get_apikey_for_request(request, apikey_id)
        data = valid(self.ApiKeyUpdateIn, request)
        if "workgroups" in data:
            data["workgroups"] = _workgroups(request, data["workgroups"])
        within = {"within": _within(request), "within_networks": _within_networks(request)}
        services.apikey_update(apikey=apikey, by=actor_for(request), **within, **data)
        return Response(ApiKeyOut(selectors.get_apikey_for_request(request, apikey_id)).data)

    @extend_schema(responses={204: None}, summary="Revoke a key: it and its tokens stop working at once")
    def delete(self, request, apikey_id):
        apikey = selectors.get_apikey_for_request(request, apikey_id)
        services.apikey_revoke(apikey=apikey, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyRegenerateApi(APIView):
    class RegenerateIn(serializers.Serializer):
        overlap = serializers.ChoiceField(
            choices=list(services.OVERLAPS),
            default="none",
            help_text="How long the old key keeps working, so pipelines can switch without downtime.",
        )

    @extend_schema(
        request=RegenerateIn,
        responses={201: ApiKeyCreatedOut},
        summary="A new key with the same name and scope; the old one ends after the overlap",
    )
    def post(self, request, apikey_id):
        apikey = selectors.get_apikey_for_request(request, apikey_id)
        data = valid(self.RegenerateIn, request)
        new, text = services.apikey_regenerate(
            apikey=apikey,
            by=actor_for(request),
            overlap=data["overlap"],
            within=_within(request),
            within_networks=_within_networks(request),
        )
        return _created(new, text)


class TenantApiKeyListApi(APIView):
    permission_classes = [IsTenantAdmin]

    class Query(PageQuery):
        include_ended = serializers.BooleanField(default=False, help_text="Also revoked and expired keys")

    @extend_schema(
        responses=page_of(TenantApiKeyOut),
        summary="Every key in this tenant (tenant admin)",
        parameters=[Query],
    )
    def get(self, request):
        include_ended = query(self.Query, request)["include_ended"]
        qs = selectors.tenant_apikeys(tenant=request.tenant, include_ended=include_ended)
        return paginated(request, self, qs, TenantApiKeyOut)


class TenantApiKeyDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(responses={204: None}, summary="Revoke any key in this tenant (tenant admin)")
    def delete(self, request, apikey_id):
        apikey = selectors.get_tenant_apikey_for_request(request, apikey_id)
        services.apikey_revoke(apikey=apikey, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TenantApiKeyRevokeDepartedApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        request=None,
        responses=inline_serializer("RevokedCount", {"revoked": serializers.IntegerField()}),
        summary="Revoke every key of deactivated or removed members (tenant admin)",
    )
    def post(self, request):
        count = services.apikeys_revoke_departed(tenant=request.tenant, by=actor_for(request))
        return Response({"revoked": count})


TokenOut = inline_serializer(
    "Token",
    {
        "token": serializers.CharField(help_text="An ES256 JWT: send it as `Authorization: Bearer <token>`."),
        "token_type": serializers.ChoiceField(choices=["Bearer"]),
        "expires_in": serializers.IntegerField(help_text="Seconds until the token expires."),
    },
)


def _token_response(request, issued: grants.Issued) -> HttpResponse:
    # Serialised here rather than by DRF's renderer: JSON is the API's only renderer, and on this
    # hot path DRF's Response and rendering cost a tenth of the request. Labelled as negotiated
    # (application/json, or the vendor type an ICA client asked for).
    body = {"token": issued.token, "token_type": "Bearer", "expires_in": issued.expires_in}
    return HttpResponse(
        json.dumps(body, separators=(",", ":")),
        content_type=request.accepted_renderer.media_type,
        headers={"Cache-Control": "no-store"},
    )


_RATE_LIMITED = OpenApiResponse(description="Over a limit per client address or account: see `Retry-After`")


def _throttled(seconds: int) -> RateLimited:
    return RateLimited(
        f"Too many requests; try again in {seconds} seconds.", code="throttled", retry_after=seconds
    )


class TokenApi(APIView):
    """Trade an API key (`X-API-Key`) or an email and password (HTTP Basic) for a short-lived JWT."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []  # token_limits, counted in post() while the credentials are checked

    @extend_schema(
        request=None,
        responses={200: TokenOut, 429: _RATE_LIMITED},
        summary="Exchange an API key, or email and password, for a Bearer JWT",
        parameters=[
            OpenApiParameter("X-API-Key", str, OpenApiParameter.HEADER, description="pak_… (or use Basic)"),
            OpenApiParameter(
                "tenant", str, description="Tenant domain, for Basic auth on a host that is no tenant's"
            ),
        ],
        auth=[{"ApiKeyAuth": []}, {"BasicAuth": []}],
    )
    def post(self, request):
        limits = token_limits(request)
        try:
            outcome = self._outcome(request, limits)
        finally:
            limits.check(_throttled)  # over a limit: 429, whatever the credentials were worth
        if isinstance(outcome, Exception):
            raise outcome
        return self.respond(request, outcome)

    def _outcome(self, request, limits: Limits) -> grants.Issued | Exception | None:
        try:
            return self._issue(request, limits)
        except grants.Locked:
            return RateLimited("Too many failed sign-ins; try again in a few minutes.", code="throttled")
        except (grants.Refused, Http404) as exc:
            log.info("token refused from %s: %s", client_ip(request), exc)
            limits.failed()
            if "HTTP_X_API_KEY" in request.META:
                given = api_key_header(request)
                prefix = keys.display_prefix(given) if keys.is_well_formed(given) else ""
                access_services.exchange_failure_record(
                    tenant=request.tenant, ip=client_ip(request), key_prefix=prefix
                )
            return exceptions.AuthenticationFailed(INVALID_CREDENTIALS, code="invalid_credentials")

    def _issue(self, request, limits: Limits) -> grants.Issued | None:
        if "HTTP_X_API_KEY" in request.META:
            return grants.token_for_apikey(
                key_text=api_key_header(request), tenant=request.tenant, ip=client_ip(request)
            )
        basic = basic_credentials(request)
        if basic is None:
            raise grants.Refused("no X-API-Key and no HTTP Basic credentials")
        if limits.retry_after() is not None:  # decided before any password is hashed; post() says 429
            return None
        tenant, by_domain = self.password_tenant(request)
        return grants.token_for_password(
            request=request._request,
            email=basic[0],
            password=basic[1],
            tenant=tenant,
            named_by_domain=by_domain,
        )

    def password_tenant(self, request) -> tuple[Tenant | None, bool]:
        """The host's tenant, or on an operator host the one `?tenant=` names (None if none is
        there: refused only after the password is checked, so no answer or timing tells which
        domains exist); and whether it was named by its domain."""
        named = request.query_params.get("tenant", "").strip().lower().rstrip(".")
        if request.tenant is not None:
            if named and named != request.tenant.domain:
                raise grants.Refused("?tenant names another tenant than the host")
            return request.tenant, True
        return (Tenant.objects.filter(domain=named, is_active=True).first() if named else None), True

    def respond(self, request, issued: grants.Issued) -> HttpResponse:
        return _token_response(request, issued)

    def get_authenticate_header(self, request) -> str:
        return 'Basic realm="portal", charset="UTF-8"'


class TokenRefreshApi(APIView):
    authentication_classes = [BearerAuthentication]
    throttle_classes = []  # token_limits, in post()

    @extend_schema(
        request=None,
        responses={200: TokenOut, 429: _RATE_LIMITED},
        summary="A fresh token for a valid password-derived one (key-derived: exchange the key again)",
    )
    def post(self, request):
        token_limits(request).check(_throttled)
        try:
            issued = grants.token_refresh(
                claims=request.auth.claims, user=request.user, tenant=request.tenant
            )
        except grants.Refused as exc:
            raise exceptions.PermissionDenied(str(exc), code="not_refreshable") from None
        return self.respond(request, issued)

    def respond(self, request, issued: grants.Issued) -> HttpResponse:
        return _token_response(request, issued)
