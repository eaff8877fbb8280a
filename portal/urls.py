from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import views as account_views
from apikeys import views as apikey_views
from core import metrics
from licenses import views as license_views

urlpatterns = [
    # The API first: its calls are most of the traffic, and Django tries the patterns in turn.
    path("api/", include("apikeys.api_urls")),
    path("api/", include("accounts.api_urls")),
    path("api/", include("licenses.api_urls")),
    path("api/", include("sso.api_urls")),
    path("api/", include("access.api_urls")),
    path("api/", include("reports.api_urls")),
    path("ica/rest/", include("ica.urls")),  # ICA's dialect, for ICA's own clients
    path("admin/", admin.site.urls),
    path("healthz", account_views.healthz, name="healthz"),
    path("metrics", metrics.view, name="metrics"),
    path("accounts/", include("allauth.urls")),
    path("api/schema", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path(".well-known/jwks.json", apikey_views.jwks, name="jwks"),
    path(".well-known/premium-license-keys.json", license_views.license_keys, name="premium-license-keys"),
    path(
        ".well-known/premium-license-revocations",
        license_views.license_revocations,
        name="premium-license-revocations",
    ),
    path("", include("accounts.urls")),
    path("", include("apikeys.urls")),
    path("", include("licenses.urls")),
    path("", include("sso.urls")),
    path("", include("access.urls")),
    path("", include("reports.urls")),
]

handler404 = "accounts.views.not_found"
handler500 = "accounts.views.server_error"
handler403 = "accounts.views.permission_denied"
