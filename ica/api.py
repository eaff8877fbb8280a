"""ICA's identity operations at /ica/rest/api/, so that ICA's own clients (libica, icacli, the
icav2 CLI) work unmodified: a thin translation over Portal's grants, selectors and services,
with the same authentication, tenancy, permissions, throttles and events as Portal's own API.
Every operation of ICA's that Portal does not implement is a 501 problem."""

import functools
import json
import re
import uuid

from django.http import Http404, HttpResponse
from drf_spectacular.utils import extend_schema_view
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import Role, Tenant
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from apikeys import api as apikey_api
from apikeys import grants, keys
from apikeys.authentication import TokenAuth
from apikeys.selectors import apikey_owner
from core.api import query, valid
from core.errors import Conflict, Forbidden, ServiceError
from core.negotiation import JSON
from ica import schema, selectors, shapes
from ica.operations import OPERATIONS
from ica.shapes import PREFIX
from portal_cli import __version__  # the server and its CLI are released as one version


class NotImplementedHere(ServiceError):
    status = 501
    code = "not_implemented"


class IcaDialect:
    """Answers labelled with ICA's media type unless the client asked for plain JSON; 501 for an
    operation ICA has and Portal does not implement (its problems: ica.middleware)."""

    vendor_type = "application/vnd.illumina.v3+json"

    def perform_content_negotiation(self, request, force=False):
        renderer, media_type = super().perform_content_negotiation(request, force)
        if renderer.media_type == JSON and not hasattr(request, "_vendor_type"):  # no type named
            renderer.media_type = media_type = self.vendor_type
        return renderer, media_type

    def http_method_not_allowed(self, request, *args, **kwargs):
        methods = icas_methods(request.path_info.removeprefix(PREFIX.rstrip("/")))
        if request.method in methods:
            raise NotImplementedHere(f"This portal does not implement {request.method} {request.path}.")
        if methods:  # a path of ICA's, but no such operation there either
            return super().http_method_not_allowed(request, *args, **kwargs)
        raise Http404("ICA's API has no such path.")


@functools.cache
def _operations() -> list[tuple[re.Pattern, frozenset[str]]]:
    by_path: dict[str, set[str]] = {}
    for method, path in OPERATIONS:
        by_path.setdefault(path, set()).add(method)
    compiled = []
    for path, methods in by_path.items():
        parts = re.split(r"\{\w+\}", path)  # literal text between the {parameters}
        compiled.append((re.compile("[^/:]+".join(map(re.escape, parts))), frozenset(methods)))
    return compiled


def icas_methods(path: str) -> frozenset[str]:
    """The methods ICA's API has at `path` (under /ica/rest); empty: no path of ICA's."""
    return frozenset().union(*(methods for pattern, methods in _operations() if pattern.fullmatch(path)))


def _named(request) -> str:
    return request.query_params.get("tenant", "").strip()


def tenant_named(value: str) -> tuple[Tenant | None, bool]:
    """ICA names a tenant by its name, Portal's clients by its domain: either, or its slug. A name
    that two tenants share names neither. Also: whether it was named by its domain (public)."""
    value, active = value.strip(), Tenant.objects.filter(is_active=True)
    ways = ((active.filter(domain=value.lower().rstrip(".")), True), (active.filter(slug=value), False))
    for qs, by_domain in (*ways, (active.filter(name=value), False)):
        found = list(qs[:2])
        if found:
            return (found[0] if len(found) == 1 else None), by_domain
    return None, False


@extend_schema_view(
    post=schema.operation("create_jwt_token", responses={200: schema.Token}, parameters=[schema.TENANT])
)
class TokenApi(IcaDialect, apikey_api.TokenApi):
    """POST /api/tokens: an API key (X-API-Key) or HTTP Basic; `?tenant=` by name or domain."""

    def _issue(self, request, limits):
        named = _named(request)
        if named and "HTTP_X_API_KEY" in request.META:
            wanted, _ = tenant_named(named)
            text = request.META["HTTP_X_API_KEY"].strip()
            owner = apikey_owner(keys.digest(text)) if keys.is_well_formed(text) else None
            if wanted is None or (owner is not None and owner.tenant_id != str(wanted.pk)):
                raise grants.Refused("?tenant names another tenant than the key's")
        return super()._issue(request, limits)

    def password_tenant(self, request) -> tuple[Tenant | None, bool]:
        named = _named(request)
        if not named:
            return request.tenant, True
        wanted, by_domain = tenant_named(named)
        if request.tenant is not None:
            if wanted != request.tenant:
                raise grants.Refused("?tenant names another tenant than the host")
            return wanted, True  # its host checked its networks already
        return wanted, by_domain

    def respond(self, request, issued: grants.Issued) -> HttpResponse:
        return _token(request, issued)


@extend_schema_view(post=schema.operation("refresh_jwt_token", responses={200: schema.Token}))
class TokenRefreshApi(IcaDialect, apikey_api.TokenRefreshApi):
    def respond(self, request, issued: grants.Issued) -> HttpResponse:
        return _token(request, issued)


def _token(request, issued: grants.Issued) -> HttpResponse:
    return HttpResponse(
        json.dumps({"token": issued.token}),
        content_type=request.accepted_renderer.media_type,
        headers={"Cache-Control": "no-store"},
    )


def _users(memberships) -> list[dict]:
    verified, second_factor = selectors.account_marks([m.user_id for m in memberships])
    return [
        shapes.user(m, verified=m.user_id in verified, second_factor=m.user_id in second_factor)
        for m in memberships
    ]


def _id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404("No such object.") from None


@extend_schema_view(get=schema.operation("get_users", responses=schema.UserList, parameters=[schema.EMAIL]))
class UserListApi(IcaDialect, APIView):
    permission_classes = [IsTenantAdmin]

    class Query(serializers.Serializer):
        emailAddress = serializers.CharField(required=False, max_length=254)

    def get(self, request):
        email = query(self.Query, request).get("emailAddress", "")
        return Response({"items": _users(selectors.members(tenant=request.tenant, email=email))})


@extend_schema_view(
    get=schema.operation("get_user", responses=schema.User),
    put=schema.operation("update_user", request=schema.UserIn, responses=schema.User),
)
class UserDetailApi(IcaDialect, APIView):
    """A tenant admin reads anyone here, a member only themselves; a name is changed by its owner."""

    class UserIn(serializers.Serializer):
        firstname = serializers.CharField(required=False, allow_blank=True, max_length=255)
        lastname = serializers.CharField(required=False, allow_blank=True, max_length=255)

    def _membership(self, request, user_id):
        user_id = _id(user_id)
        mine = account_selectors.current_membership(request)
        if not mine.is_admin and user_id != request.user.pk:
            raise Forbidden("Only tenant admins read other people.")
        return account_selectors.get_member_for_request(request, user_id)

    def get(self, request, userId):
        return Response(_users([self._membership(request, userId)])[0])

    def put(self, request, userId):
        membership = self._membership(request, userId)
        if isinstance(request.auth, TokenAuth) and not request.auth.key_scope_all:
            # a name shows in every tenant: a key limited to some workgroups reaches no further
            raise Forbidden("A key limited to some workgroups cannot change its owner's name.")
        data = valid(self.UserIn, request)
        first = data.get("firstname", membership.user.full_name.partition(" ")[0])
        last = data.get("lastname", membership.user.full_name.partition(" ")[2])
        account_services.user_set_name(
            user=membership.user,
            full_name=f"{first} {last}".strip(),
            tenant=request.tenant,
            by=actor_for(request),
        )
        return Response(_users([membership])[0])


class UserRoleApi(IcaDialect, APIView):
    permission_classes = [IsTenantAdmin]
    role = Role.ADMIN

    def post(self, request, userId):
        membership = account_selectors.get_member_for_request(request, _id(userId))
        account_services.member_update(membership=membership, by=actor_for(request), role=self.role)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=schema.operation("assign_tenant_admin_rights_to_user", request=None, responses={204: None})
)
class AssignAdminApi(UserRoleApi):
    role = Role.ADMIN


@extend_schema_view(
    post=schema.operation("revoke_tenant_admin_rights_to_user", request=None, responses={204: None})
)
class RevokeAdminApi(UserRoleApi):
    role = Role.MEMBER


@extend_schema_view(post=schema.operation("approve_user", request=None, responses={204: None}))
class UserApproveApi(IcaDialect, APIView):
    permission_classes = [IsTenantAdmin]

    def post(self, request, userId):
        account_selectors.get_member_for_request(request, _id(userId))
        raise Conflict(
            "Nobody awaits approval here: people join this portal by invitation or from an allowed "
            "email domain, and are active once they join.",
            code="nothing_to_approve",
        )


@extend_schema_view(get=schema.operation("get_workgroups", responses=schema.WorkgroupList))
class WorkgroupListApi(IcaDialect, APIView):
    def get(self, request):
        membership = account_selectors.current_membership(request)
        scope = account_selectors.workgroup_scope(request, membership)
        visible = account_selectors.workgroups_visible(membership=membership, scope=scope)
        return Response({"items": [shapes.workgroup(group) for group in visible]})


@extend_schema_view(get=schema.operation("get_workgroup", responses=schema.Workgroup))
class WorkgroupDetailApi(IcaDialect, APIView):
    def get(self, request, workgroupId):
        return Response(
            shapes.workgroup(account_selectors.get_workgroup_for_request(request, _id(workgroupId)))
        )


class EventFilter(serializers.Serializer):
    code = serializers.CharField(required=False, max_length=100)
    category = serializers.ChoiceField(choices=shapes.CATEGORIES, required=False)
    dateFrom = serializers.DateTimeField(required=False)
    dateUntil = serializers.DateTimeField(required=False)


def _events(request, data: dict):
    return selectors.events(
        tenant=request.tenant,
        code=data.get("code", ""),
        match=data.get("codeFilterType", "EQUALS"),
        category=data.get("category", ""),
        since=data.get("dateFrom"),
        until=data.get("dateUntil"),
    )


class EventLogQuery(EventFilter):
    codeFilterType = serializers.ChoiceField(choices=list(selectors.CODE_MATCHES), required=False)
    rows = serializers.IntegerField(required=False, min_value=1, max_value=250)


@extend_schema_view(
    get=schema.operation("get_event_logs", responses=schema.EventLogListV3, parameters=[EventLogQuery])
)
class EventLogApi(IcaDialect, APIView):
    """GET /api/eventLog: up to `rows` (at most 250) events, oldest first (tenant admin)."""

    permission_classes = [IsTenantAdmin]

    def get(self, request):
        data = query(EventLogQuery, request)
        qs = _events(request, data).order_by("created_at")
        rows = qs[: data.get("rows", 250)]
        return Response({"items": [shapes.event_v3(event, request.tenant) for event in rows]})


class EventSearchQuery(serializers.Serializer):
    pageOffset = serializers.IntegerField(required=False, min_value=0, max_value=200_000)
    pageSize = serializers.IntegerField(required=False, min_value=1, max_value=1000)
    sort = serializers.ChoiceField(
        choices=["timeCreated", "timeCreated asc", "timeCreated desc"], required=False
    )
    pageToken = serializers.CharField(required=False, max_length=0)


@extend_schema_view(
    post=schema.operation(
        "search_event_logs",
        request=EventFilter,
        responses=schema.EventLogPagedListV4,
        parameters=[EventSearchQuery],
    )
)
class EventLogSearchApi(IcaDialect, APIView):
    """POST /api/eventLog:search: ICA's v4 search, offset-paged (tenant admin)."""

    permission_classes = [IsTenantAdmin]
    vendor_type = "application/vnd.illumina.v4+json"

    def post(self, request):
        paging = query(EventSearchQuery, request)
        data = valid(EventFilter, request) if request.data else {}
        descending = paging.get("sort", "").endswith("desc")
        qs = _events(request, data).order_by("-created_at" if descending else "created_at")
        offset, size = paging.get("pageOffset", 0), paging.get("pageSize", 100)
        total = qs.count()
        items = [shapes.event_v4(event, request.tenant) for event in qs[offset : offset + size]]
        return Response(
            {
                "items": items,
                "nextPageToken": "",  # ICA's value for offset paging
                "remainingRecords": max(total - offset - len(items), 0),
                "totalItemCount": total,
            }
        )


@extend_schema_view(get=schema.operation("get_system_info", responses=schema.SystemInfo))
class SystemInfoApi(IcaDialect, APIView):
    def get(self, request):
        return Response({"name": "Portal", "version": __version__})


class NotImplementedApi(IcaDialect, APIView):
    """Every other operation of ICA's API: a 501 problem, so a client learns clearly what this
    portal does not do (a path ICA has not either: 404; never a page)."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def options(self, request, *args, **kwargs):
        return self.http_method_not_allowed(request, *args, **kwargs)
