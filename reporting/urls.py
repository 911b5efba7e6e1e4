"""The organisation's dashboard, the mission page, sharing, reports, digest previews and
change history, under /o/<org_slug>/."""

from django.urls import path

from reporting.views import dashboard, digests, history, mission_page, reports, sharing

app_name = "reporting"

M = "missions/<slug:mission_slug>/"
R = "reports/<uuid:report_uid>/"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path(M, mission_page.mission_detail, name="mission"),
    path(M + "goals/", mission_page.goal_add, name="goal_add"),
    path(M + "goals/<uuid:goal_uid>/", mission_page.goal_edit, name="goal_edit"),
    path(M + "goals/<uuid:goal_uid>/move/", mission_page.goal_move, name="goal_move"),
    path(M + "milestones/", mission_page.milestone_add, name="milestone_add"),
    path(
        M + "milestones/<uuid:milestone_uid>/",
        mission_page.milestone_edit,
        name="milestone_edit",
    ),
    path(
        M + "milestones/<uuid:milestone_uid>/move/",
        mission_page.milestone_move,
        name="milestone_move",
    ),
    path(
        M + "milestones/<uuid:milestone_uid>/done/",
        mission_page.milestone_done,
        name="milestone_done",
    ),
    path(M + "share/", sharing.mission_share, name="share"),
    path(M + "share/<uuid:share_uid>/revoke/", sharing.mission_share_revoke, name="share_revoke"),
    path("share/", sharing.organisation_share, name="org_share"),
    path(
        "share/<uuid:share_uid>/revoke/",
        sharing.organisation_share_revoke,
        name="org_share_revoke",
    ),
    path("reports/", reports.report_list, name="reports"),
    path("reports/new/", reports.report_create, name="report_create"),
    path(R, reports.report_detail, name="report_detail"),
    path(R + "edit/", reports.report_edit, name="report_edit"),
    path(R + "publish/", reports.report_publish_view, name="report_publish"),
    path(R + "new-version/", reports.report_supersede, name="report_supersede"),
    path(R + "report.pdf", reports.report_pdf, name="report_pdf"),
    path(R + "charts/<slug:chart_key>.svg", reports.report_chart, name="report_chart"),
    path(
        "members/<uuid:membership_uid>/digest/",
        digests.member_digest_preview,
        name="member_digest",
    ),
    path(
        "members/<uuid:membership_uid>/digest/email.html",
        digests.member_digest_html,
        name="member_digest_html",
    ),
    path(M + "history/", history.mission_history, name="mission_history"),
    path(M + "metrics/<uuid:metric_uid>/history/", history.metric_history, name="metric_history"),
]
