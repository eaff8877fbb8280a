from django.urls import path

from access import views

urlpatterns = [
    path("settings/access/", views.access_settings, name="access_settings"),
]
