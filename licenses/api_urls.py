from django.urls import path

from licenses import activations_api, api, tools_api

urlpatterns = [
    path("licensing/premium.lic", tools_api.PremiumLicenseApi.as_view(), name="api-licensing-premium-lic"),
    path("licensing/validate", tools_api.LicenseValidateApi.as_view(), name="api-licensing-validate"),
]

urlpatterns += [
    path("licenses", api.LicenseListApi.as_view(), name="api-licenses"),
    path("licenses/<uuid:license_id>", api.LicenseDetailApi.as_view(), name="api-license"),
    path("licenses/<uuid:license_id>:suspend", api.LicenseSuspendApi.as_view(), name="api-license-suspend"),
    path("licenses/<uuid:license_id>:resume", api.LicenseResumeApi.as_view(), name="api-license-resume"),
    path("licenses/<uuid:license_id>:revoke", api.LicenseRevokeApi.as_view(), name="api-license-revoke"),
    path(
        "licenses/<uuid:license_id>/credentials",
        api.CredentialListApi.as_view(),
        name="api-license-credentials",
    ),
    path(
        "licenses/<uuid:license_id>/credentials/<uuid:credential_id>",
        api.CredentialDetailApi.as_view(),
        name="api-license-credential",
    ),
    path("licenses/<uuid:license_id>/files", api.LicenseFileListApi.as_view(), name="api-license-files"),
    path(
        "licenses/<uuid:license_id>/activations",
        activations_api.ActivationApi.as_view(),
        name="api-license-activations",
    ),
    path(
        "licenses/<uuid:license_id>/files/<uuid:file_id>",
        api.LicenseFileDetailApi.as_view(),
        name="api-license-file",
    ),
]
