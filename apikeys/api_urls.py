from django.urls import path

from apikeys import api

urlpatterns = [
    path("tokens", api.TokenApi.as_view(), name="api-tokens"),
    path("tokens:refresh", api.TokenRefreshApi.as_view(), name="api-tokens-refresh"),
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
