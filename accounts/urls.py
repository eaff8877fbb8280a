from django.urls import path

from accounts import views

urlpatterns = [
    path("", views.root, name="home"),
    path("join", views.join, name="join"),
    path("users/", views.users, name="users"),
    path("users/<uuid:user_id>/", views.user_update, name="user_update"),
    path("invitations/<uuid:invitation_id>/revoke", views.invitation_revoke, name="invitation_revoke"),
    path("invite/<str:token>/", views.invitation_accept, name="invitation_accept"),
    path("workgroups/", views.workgroups, name="workgroups"),
    path("workgroups/<uuid:workgroup_id>/", views.workgroup_detail, name="workgroup_detail"),
    path(
        "workgroups/<uuid:workgroup_id>/candidates", views.workgroup_candidates, name="workgroup_candidates"
    ),
    path("workgroups/<uuid:workgroup_id>/edit", views.workgroup_update, name="workgroup_update"),
    path("workgroups/<uuid:workgroup_id>/members", views.workgroup_member_add, name="workgroup_member_add"),
    path(
        "workgroups/<uuid:workgroup_id>/members/<uuid:user_id>",
        views.workgroup_member_update,
        name="workgroup_member_update",
    ),
    path("settings/", views.tenant_settings, name="tenant_settings"),
    path("profile/", views.profile, name="profile"),
    path("events/", views.events, name="events"),
]
