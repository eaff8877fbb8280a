from django.urls import path

from apikeys import api, cli_api

urlpatterns = [
    path("tokens", api.TokenApi.as_view(), name="api-tokens"),
    path("tokens:refresh", api.TokenRefreshApi.as_view(), name="api-tokens-refresh"),
    path("cli/device", cli_api.CliDeviceApi.as_view(), name="api-cli-device"),
    path("cli/token", cli_api.CliTokenApi.as_view(), name="api-cli-token"),
    path("apikeys", api.ApiKeyListApi.as_view(), name="api-apikeys"),
    path("apikeys/<uuid:apikey_id>", api.ApiKeyDetailApi.as_view(), name="api-apikey"),
    path(
        "apikeys/<uuid:apikey_id>:regenerate", api.ApiKeyRegenerateApi.as_view(), name="api-apikey-regenerate"
    ),
    path("tenant/apikeys", api.TenantApiKeyListApi.as_view(), name="api-tenant-apikeys"),
    path(
        "tenant/apikeys:revoke-departed",
        api.TenantApiKeyRevokeDepartedApi.as_view(),
        name="api-tenant-apikeys-revoke-departed",
    ),
    path("tenant/apikeys/<uuid:apikey_id>", api.TenantApiKeyDetailApi.as_view(), name="api-tenant-apikey"),
]
