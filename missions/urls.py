"""Mission pages, under /o/<org_slug>/."""

from django.urls import path

from missions.views import alignment, ideas, missions, stakeholders

app_name = "missions"

M = "missions/<slug:mission_slug>/"

urlpatterns = [
    path("map/", missions.mission_map, name="map"),
    path("missions/", missions.mission_list, name="list"),
    path("missions/new/", missions.mission_create, name="create"),
    path(M + "edit/", missions.mission_edit, name="edit"),
    path(M + "archive/", missions.mission_archive, name="archive"),
    path(M + "activate/", missions.mission_activate, name="activate"),
    path("alignment/", alignment.alignment_overview, name="alignment_overview"),
    path(M + "alignment/", alignment.mission_alignment, name="alignment"),
    path(M + "alignment/teams/", alignment.alignment_add, name="alignment_add"),
    path(
        M + "alignment/teams/<uuid:alignment_uid>/", alignment.alignment_edit, name="alignment_edit"
    ),
    path(
        M + "alignment/teams/<uuid:alignment_uid>/remove/",
        alignment.alignment_remove,
        name="alignment_remove",
    ),
    path(M + "alignment/resources/", alignment.resource_add, name="resource_add"),
    path(
        M + "alignment/resources/<uuid:resource_uid>/",
        alignment.resource_edit,
        name="resource_edit",
    ),
    path(
        M + "alignment/resources/<uuid:resource_uid>/remove/",
        alignment.resource_remove,
        name="resource_remove",
    ),
    path(M + "stakeholders/", stakeholders.mission_stakeholders, name="stakeholders"),
    path(M + "stakeholders/new/", stakeholders.mission_stakeholder_add, name="stakeholder_add"),
    path(
        M + "stakeholders/<uuid:link_uid>/",
        stakeholders.stakeholder_link_edit,
        name="stakeholder_link_edit",
    ),
    path(
        M + "stakeholders/<uuid:link_uid>/remove/",
        stakeholders.stakeholder_link_remove,
        name="stakeholder_link_remove",
    ),
    path(
        M + "stakeholders/<uuid:link_uid>/met/",
        stakeholders.stakeholder_link_met,
        name="stakeholder_link_met",
    ),
    path(M + "ideas/", ideas.idea_list, name="ideas"),
    path(M + "ideas/<uuid:idea_uid>/support/", ideas.idea_support, name="idea_support"),
    path(M + "ideas/<uuid:idea_uid>/accept/", ideas.idea_accept, name="idea_accept"),
    path(M + "ideas/<uuid:idea_uid>/decline/", ideas.idea_decline, name="idea_decline"),
    path("stakeholders/", stakeholders.stakeholder_list, name="stakeholder_list"),
    path(
        "stakeholders/<uuid:stakeholder_uid>/",
        stakeholders.stakeholder_edit,
        name="stakeholder_edit",
    ),
]
