from django.urls import path

from licenses import api

urlpatterns = [
    path("licensing/premium.lic", api.PremiumLicenseApi.as_view(), name="api-licensing-premium-lic"),
    path("licensing/validate", api.LicenseValidateApi.as_view(), name="api-licensing-validate"),
]
