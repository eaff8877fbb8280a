from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView

from ica import api

urlpatterns = [
    path("api/tokens", api.TokenApi.as_view(), name="ica-tokens"),
    path("api/tokens:refresh", api.TokenRefreshApi.as_view(), name="ica-tokens-refresh"),
    path("api/users", api.UserListApi.as_view(), name="ica-users"),
    path(
        "api/users/<str:userId>:assignTenantAdministratorRights",
        api.AssignAdminApi.as_view(),
        name="ica-user-assign-admin",
    ),
    path(
        "api/users/<str:userId>:revokeTenantAdministratorRights",
        api.RevokeAdminApi.as_view(),
        name="ica-user-revoke-admin",
    ),
    path("api/users/<str:userId>:approve", api.UserApproveApi.as_view(), name="ica-user-approve"),
    path("api/users/<str:userId>", api.UserDetailApi.as_view(), name="ica-user"),  # after the actions
    path("api/workgroups", api.WorkgroupListApi.as_view(), name="ica-workgroups"),
    path("api/workgroups/<str:workgroupId>", api.WorkgroupDetailApi.as_view(), name="ica-workgroup"),
    path("api/eventLog", api.EventLogApi.as_view(), name="ica-event-log"),
    path("api/eventLog:search", api.EventLogSearchApi.as_view(), name="ica-event-log-search"),
    path("api/system/info", api.SystemInfoApi.as_view(), name="ica-system-info"),
    path(
        "api/schema",
        SpectacularAPIView.as_view(
            custom_settings={
                "TITLE": "Portal: ICA's identity operations",
                "DESCRIPTION": "What this portal implements of ICA's API, in ICA's shapes.",
                "PREPROCESSING_HOOKS": ["ica.schema.ica_only"],
                "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums"],
                "SCHEMA_PATH_PREFIX": "/ica/rest",
                "SCHEMA_PATH_PREFIX_TRIM": True,
                "SERVERS": [{"url": "/ica/rest"}],
            }
        ),
        name="ica-schema",
    ),
    re_path(r"^", api.NotImplementedApi.as_view(), name="ica-not-implemented"),
]
