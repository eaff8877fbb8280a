"""REST API for people, workgroups and events. Thin: parse, look up in the tenant, call a service."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.models import Event, Role
from accounts.permissions import IsTenantAdmin
from accounts.requests import actor_for
from core.api import PageQuery, page_of
from core.api import paginated as _paginated
from core.api import valid as _valid


class TenantOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    domain = serializers.CharField()


class MyWorkgroupOut(serializers.Serializer):
    id = serializers.UUIDField(source="workgroup.id")
    name = serializers.CharField(source="workgroup.name")
    role = serializers.ChoiceField(choices=Role.choices)


class PingApi(APIView):
    """Is the API reachable? No credentials, no database: what clients call before anything else."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer("Pong", {"status": serializers.CharField()}), summary="Reachability check"
    )
    def get(self, request):
        return Response({"status": "ok"})


class MeApi(APIView):
    class MeOut(serializers.Serializer):
        id = serializers.UUIDField()
        email = serializers.EmailField()
        full_name = serializers.CharField()
        tenant = TenantOut()
        is_tenant_admin = serializers.BooleanField()
        workgroups = MyWorkgroupOut(many=True)

    @extend_schema(responses=MeOut, summary="Who am I, in this tenant")
    def get(self, request):
        # A plain dict in MeOut's shape (the schema's source): a hot path for pipelines, and
        # building nested serializers costs more here than everything else the request does.
        user, tenant = request.user, request.tenant
        return Response(
            {
                "id": str(user.pk),
                "email": user.email,
                "full_name": user.full_name,
                "tenant": {"id": str(tenant.pk), "name": tenant.name, "domain": tenant.domain},
                "is_tenant_admin": selectors.current_membership(request).is_admin,
                "workgroups": selectors.my_workgroups(request),
            }
        )


class WorkgroupOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    member_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class WorkgroupIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)


class WorkgroupListApi(APIView):
    @extend_schema(responses=page_of(WorkgroupOut), parameters=[PageQuery], summary="Workgroups you can see")
    def get(self, request):
        membership = selectors.current_membership(request)
        visible = selectors.workgroups_visible(
            membership=membership, scope=selectors.workgroup_scope(request, membership)
        )
        return _paginated(request, self, visible, WorkgroupOut)

    @extend_schema(
        request=WorkgroupIn, responses={201: WorkgroupOut}, summary="Create a workgroup (tenant admin)"
    )
    def post(self, request):
        data = _valid(WorkgroupIn, request)
        workgroup = services.workgroup_create(tenant=request.tenant, name=data["name"], by=actor_for(request))
        workgroup.member_count = 0
        return Response(WorkgroupOut(workgroup).data, status=status.HTTP_201_CREATED)


class WorkgroupDetailApi(APIView):
    @extend_schema(responses=WorkgroupOut)
    def get(self, request, workgroup_id):
        return Response(WorkgroupOut(selectors.get_workgroup_for_request(request, workgroup_id)).data)

    @extend_schema(request=WorkgroupIn, responses=WorkgroupOut, summary="Rename a workgroup (tenant admin)")
    def patch(self, request, workgroup_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        data = _valid(WorkgroupIn, request)
        services.workgroup_rename(workgroup=workgroup, name=data["name"], by=actor_for(request))
        return Response(WorkgroupOut(workgroup).data)

    @extend_schema(responses={204: None}, summary="Delete a workgroup (tenant admin)")
    def delete(self, request, workgroup_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        services.workgroup_delete(workgroup=workgroup, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkgroupMemberOut(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    added_at = serializers.DateTimeField(source="created_at")


class RoleIn(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)


class WorkgroupMemberListApi(APIView):
    class WorkgroupMemberAddIn(serializers.Serializer):
        user_id = serializers.UUIDField()
        role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)

    @extend_schema(responses=page_of(WorkgroupMemberOut), parameters=[PageQuery])
    def get(self, request, workgroup_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        return _paginated(request, self, selectors.workgroup_members(workgroup=workgroup), WorkgroupMemberOut)

    @extend_schema(request=WorkgroupMemberAddIn, responses={201: WorkgroupMemberOut}, summary="Add a member")
    def post(self, request, workgroup_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        data = _valid(self.WorkgroupMemberAddIn, request)
        membership = selectors.get_member_for_request(request, data["user_id"])
        wgm = services.workgroup_member_add(
            workgroup=workgroup, user=membership.user, role=data["role"], by=actor_for(request)
        )
        return Response(WorkgroupMemberOut(wgm).data, status=status.HTTP_201_CREATED)


class WorkgroupMemberDetailApi(APIView):
    @extend_schema(request=RoleIn, responses=WorkgroupMemberOut, summary="Change a member's workgroup role")
    def patch(self, request, workgroup_id, user_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        wgm = selectors.get_workgroup_member_for_request(request, workgroup, user_id)
        data = _valid(RoleIn, request)
        services.workgroup_member_update(wgm=wgm, role=data["role"], by=actor_for(request))
        return Response(WorkgroupMemberOut(wgm).data)

    @extend_schema(responses={204: None}, summary="Remove a member from the workgroup")
    def delete(self, request, workgroup_id, user_id):
        workgroup = selectors.get_workgroup_for_request(request, workgroup_id)
        wgm = selectors.get_workgroup_member_for_request(request, workgroup, user_id)
        services.workgroup_member_remove(wgm=wgm, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class UserOut(serializers.Serializer):
    id = serializers.UUIDField(source="user.id")
    email = serializers.EmailField(source="user.email")
    full_name = serializers.CharField(source="user.full_name")
    role = serializers.ChoiceField(choices=Role.choices)
    is_active = serializers.BooleanField()
    joined_at = serializers.DateTimeField(source="created_at")


class InvitationOut(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    role = serializers.ChoiceField(choices=Role.choices)
    expires_at = serializers.DateTimeField()


class UserListApi(APIView):
    permission_classes = [IsTenantAdmin]

    class UserAddIn(serializers.Serializer):
        email = serializers.EmailField()
        role = serializers.ChoiceField(choices=Role.choices, default=Role.MEMBER)
        invite = serializers.BooleanField(
            default=True,
            help_text="Deprecated and ignored: adding someone always emails an invitation they accept "
            "(an existing account included), so the answer tells nothing about accounts elsewhere.",
        )

    @extend_schema(
        responses=page_of(UserOut),
        summary="Members of this tenant (tenant admin)",
        parameters=[PageQuery, OpenApiParameter("q", str, description="Search email or name")],
    )
    def get(self, request):
        search = request.query_params.get("q", "").strip()
        return _paginated(
            request, self, selectors.members_list(tenant=request.tenant, search=search), UserOut
        )

    @extend_schema(
        request=UserAddIn,
        responses={
            202: inline_serializer(
                "UserInvited", {"status": serializers.CharField(), "invitation": InvitationOut()}
            ),
        },
        summary="Invite someone by email, with an account or without (tenant admin)",
    )
    def post(self, request):
        data = _valid(self.UserAddIn, request)
        invitation = services.invitation_create(
            tenant=request.tenant,
            email=data["email"],
            role=data["role"],
            by=actor_for(request),
        )
        body = {"status": "invited", "invitation": InvitationOut(invitation).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class UserDetailApi(APIView):
    permission_classes = [IsTenantAdmin]

    class UserUpdateIn(serializers.Serializer):
        role = serializers.ChoiceField(choices=Role.choices, required=False)
        is_active = serializers.BooleanField(required=False)

    @extend_schema(responses=UserOut)
    def get(self, request, user_id):
        return Response(UserOut(selectors.get_member_for_request(request, user_id)).data)

    @extend_schema(request=UserUpdateIn, responses=UserOut, summary="Change role or active flag")
    def patch(self, request, user_id):
        membership = selectors.get_member_for_request(request, user_id)
        data = _valid(self.UserUpdateIn, request)
        services.member_update(membership=membership, by=actor_for(request), **data)
        return Response(UserOut(membership).data)

    @extend_schema(responses={204: None}, summary="Remove from this tenant")
    def delete(self, request, user_id):
        membership = selectors.get_member_for_request(request, user_id)
        services.member_remove(membership=membership, by=actor_for(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_email")

    class Meta:
        model = Event
        fields = [
            "id",
            "created_at",
            "actor",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "data",
            "ip",
        ]


class EventListApi(APIView):
    permission_classes = [IsTenantAdmin]

    @extend_schema(
        responses=page_of(EventOut),
        summary="The audit log, newest first (tenant admin)",
        parameters=[
            PageQuery,
            OpenApiParameter("action", str, description="Only this action, e.g. member.add"),
            OpenApiParameter("actor", str, description="Only events by this email"),
        ],
    )
    def get(self, request):
        qs = selectors.events_list(
            tenant=request.tenant,
            action=request.query_params.get("action", ""),
            actor=request.query_params.get("actor", "").strip(),
        )
        return _paginated(request, self, qs, EventOut)
