from django.urls import path

from apikeys import cli_views, views

urlpatterns = [
    path("apikeys/", views.manage, name="apikeys"),
    path("apikeys/<uuid:apikey_id>/revoke", views.revoke, name="apikey_revoke"),
    path("apikeys/<uuid:apikey_id>/regenerate", views.regenerate, name="apikey_regenerate"),
    path("apikeys/<uuid:apikey_id>/rename", views.rename, name="apikey_rename"),
    path("tenant/apikeys/", views.inventory, name="apikey_inventory"),
    path("tenant/apikeys/<uuid:apikey_id>/revoke", views.inventory_revoke, name="apikey_inventory_revoke"),
    path("cli/login", cli_views.cli_login, name="cli_login"),
    path("cli/device", cli_views.cli_device, name="cli_device"),
    path("tenant/apikeys/revoke-departed", views.inventory_revoke_departed, name="apikey_revoke_departed"),
]
