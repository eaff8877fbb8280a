from django.urls import path

from accounts import api

urlpatterns = [
    path("ping", api.PingApi.as_view(), name="api-ping"),
    path("me", api.MeApi.as_view(), name="api-me"),
    path("workgroups", api.WorkgroupListApi.as_view(), name="api-workgroups"),
    path("workgroups/<uuid:workgroup_id>", api.WorkgroupDetailApi.as_view(), name="api-workgroup"),
    path(
        "workgroups/<uuid:workgroup_id>/members",
        api.WorkgroupMemberListApi.as_view(),
        name="api-workgroup-members",
    ),
    path(
        "workgroups/<uuid:workgroup_id>/members/<uuid:user_id>",
        api.WorkgroupMemberDetailApi.as_view(),
        name="api-workgroup-member",
    ),
    path("users", api.UserListApi.as_view(), name="api-users"),
    path("users/<uuid:user_id>", api.UserDetailApi.as_view(), name="api-user"),
    path("events", api.EventListApi.as_view(), name="api-events"),
]
