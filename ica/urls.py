from django.urls import path, re_path

from ica import api

urlpatterns = [
    path("api/tokens", api.TokenApi.as_view(), name="ica-tokens"),
    path("api/tokens:refresh", api.TokenRefreshApi.as_view(), name="ica-tokens-refresh"),
    path("api/users", api.UserListApi.as_view(), name="ica-users"),
    path(
        "api/users/<str:user_id>:assignTenantAdministratorRights",
        api.UserRoleApi.as_view(role="admin"),
        name="ica-user-assign-admin",
    ),
    path(
        "api/users/<str:user_id>:revokeTenantAdministratorRights",
        api.UserRoleApi.as_view(role="member"),
        name="ica-user-revoke-admin",
    ),
    path("api/users/<str:user_id>:approve", api.UserApproveApi.as_view(), name="ica-user-approve"),
    path("api/users/<str:user_id>", api.UserDetailApi.as_view(), name="ica-user"),  # after the actions
    path("api/workgroups", api.WorkgroupListApi.as_view(), name="ica-workgroups"),
    path("api/workgroups/<str:workgroup_id>", api.WorkgroupDetailApi.as_view(), name="ica-workgroup"),
    path("api/eventLog", api.EventLogApi.as_view(), name="ica-event-log"),
    path("api/eventLog:search", api.EventLogSearchApi.as_view(), name="ica-event-log-search"),
    path("api/system/info", api.SystemInfoApi.as_view(), name="ica-system-info"),
    re_path(r"^", api.NotImplementedApi.as_view(), name="ica-not-implemented"),
]
