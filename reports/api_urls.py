from django.urls import path

from reports import api

urlpatterns = [
    path("reports", api.ReportListApi.as_view(), name="api-reports"),
    path("reports/<uuid:report_id>", api.ReportDetailApi.as_view(), name="api-report"),
    path("reports/<uuid:report_id>/download", api.ReportDownloadApi.as_view(), name="api-report-download"),
]
