from django.urls import path, re_path

from sso import views
from sso.scim import views as scim_views

urlpatterns = [
    path("settings/sign-in/", views.signin_settings, name="signin_settings"),
    path("settings/sign-in/saml-metadata.xml", views.saml_metadata, name="signin_saml_metadata"),
    path("settings/sign-in/try/", views.signin_try, name="signin_try"),
    path("settings/sign-in/scim-tokens/", views.scim_token_create, name="scim_token_create"),
    path(
        "settings/sign-in/scim-tokens/<uuid:token_id>/revoke/",
        views.scim_token_revoke,
        name="scim_token_revoke",
    ),
    path("scim/v2", scim_views.scim, name="scim"),
    re_path(r"^scim/v2/(?P<path>.*)$", scim_views.scim, name="scim_resource"),
]
