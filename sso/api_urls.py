from django.urls import path

from sso import api

urlpatterns = [
    path("tenant/sign-in", api.SignInApi.as_view(), name="api-tenant-sign-in"),
    path("sign-in", api.SignInMethodsApi.as_view(), name="api-sign-in"),
]
