"""Pages inside one organisation: every one is under /o/<org_slug>/."""

from django.urls import path

from orgs import views

app_name = "orgs"

urlpatterns = [
    path("settings/", views.org_settings, name="settings"),
    path("settings/export/", views.org_export, name="export"),
    path("members/", views.member_list, name="members"),
    path("members/invite/", views.member_invite, name="member_invite"),
    path("members/<uuid:membership_uid>/role/", views.member_role, name="member_role"),
    path("members/<uuid:membership_uid>/remove/", views.member_remove, name="member_remove"),
    path(
        "invitations/<uuid:invitation_uid>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("teams/", views.team_list, name="teams"),
    path("teams/<slug:team_slug>/", views.team_detail, name="team_detail"),
    path("teams/<slug:team_slug>/members/", views.team_member_add, name="team_member_add"),
    path(
        "teams/<slug:team_slug>/members/<uuid:membership_uid>/remove/",
        views.team_member_remove,
        name="team_member_remove",
    ),
]
