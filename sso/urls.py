from django.urls import path

from sso import views

urlpatterns = [
    path("settings/sign-in/", views.signin_settings, name="signin_settings"),
    path("settings/sign-in/saml-metadata.xml", views.saml_metadata, name="signin_saml_metadata"),
]
