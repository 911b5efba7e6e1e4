"""Metric pages, under /o/<org_slug>/."""

from django.urls import path

from metrics.views import checkins, metrics, templates
from metrics.views import csv as csv_views
from metrics.views.mine import my_checkin, my_checkins
from metrics.views.quick import quick_checkin

app_name = "metrics"

M = "missions/<slug:mission_slug>/"
METRIC = M + "metrics/<uuid:metric_uid>/"

urlpatterns = [
    path("missions/templates/", templates.template_library, name="templates"),
    path("missions/templates/<slug:template_key>/", templates.template_use, name="template_use"),
    path(M + "goals/<uuid:goal_uid>/metrics/new/", metrics.metric_add, name="add"),
    path(M + "metrics/new/", metrics.metric_add, name="add_to_mission"),
    path(METRIC, metrics.metric_detail, name="detail"),
    path(METRIC + "edit/", metrics.metric_edit, name="edit"),
    path(METRIC + "check-in/", checkins.checkin_create, name="check_in"),
    path(
        METRIC + "check-ins/<uuid:checkin_uid>/correct/",
        checkins.checkin_correct_view,
        name="correct",
    ),
]

urlpatterns += [
    path("my-check-ins/", my_checkins, name="my_checkins"),
    path("my-check-ins/<uuid:metric_uid>/", my_checkin, name="my_checkin"),
    # A reminder's signed link (metrics.checkin_links.quick_checkin_url).
    path("check-in/<str:token>/", quick_checkin, name="quick_checkin"),
]

# CSV import and export (metrics.views.csv).
urlpatterns += [
    path(METRIC + "import/", csv_views.metric_import, name="import"),
    path(METRIC + "export.csv", csv_views.metric_export, name="export"),
    path(M + "export.csv", csv_views.mission_export, name="mission_export"),
]
