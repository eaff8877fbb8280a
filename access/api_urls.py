from django.urls import path

from access import api

urlpatterns = [
    path("tenant/networks", api.NetworkPolicyApi.as_view(), name="api-tenant-networks"),
    path("tenant/mfa", api.MfaPolicyApi.as_view(), name="api-tenant-mfa"),
    path("tenant/passwords", api.PasswordPolicyApi.as_view(), name="api-tenant-passwords"),
    path("tenant/networks:preview", api.NetworkPreviewApi.as_view(), name="api-tenant-networks-preview"),
]
