from django.urls import path

from licenses import views

urlpatterns = [
    path("licenses/", views.license_list, name="licenses"),
    path("licenses/<uuid:license_id>/", views.license_detail, name="license"),
    path("licenses/<uuid:license_id>/edit", views.license_edit, name="license_edit"),
    path("licenses/<uuid:license_id>/suspend", views.license_suspend, name="license_suspend"),
    path("licenses/<uuid:license_id>/resume", views.license_resume, name="license_resume"),
    path("licenses/<uuid:license_id>/revoke", views.license_revoke, name="license_revoke"),
    path("licenses/<uuid:license_id>/delete", views.license_delete, name="license_delete"),
    path("licenses/<uuid:license_id>/credentials", views.credential_add, name="license_credential_add"),
    path("licenses/<uuid:license_id>/activation", views.license_activation, name="license_activation"),
    path(
        "licenses/<uuid:license_id>/credentials/<uuid:credential_id>/enable",
        views.credential_enable,
        name="license_credential_enable",
    ),
    path(
        "licenses/<uuid:license_id>/credentials/<uuid:credential_id>/disable",
        views.credential_disable,
        name="license_credential_disable",
    ),
    path(
        "licenses/<uuid:license_id>/credentials/<uuid:credential_id>/delete",
        views.credential_delete,
        name="license_credential_delete",
    ),
    path(
        "licenses/<uuid:license_id>/files/<uuid:file_id>/premium.lic",
        views.file_download,
        name="license_file_download",
    ),
]
