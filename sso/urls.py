from django.urls import path

from sso import views

urlpatterns = [
    path("settings/sign-in/", views.signin_settings, name="signin_settings"),
]
