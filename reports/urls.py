from django.urls import path

from reports import views

urlpatterns = [
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:report_id>/download", views.report_download, name="report_download"),
]
