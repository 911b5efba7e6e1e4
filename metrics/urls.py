"""Metric pages, under /o/<org_slug>/."""

from django.urls import path

from metrics import views

app_name = "metrics"

M = "missions/<slug:mission_slug>/"

urlpatterns = [
    path(M + "goals/<uuid:goal_uid>/metrics/new/", views.metric_add, name="add"),
    path(M + "metrics/<uuid:metric_uid>/", views.metric_edit, name="edit"),
]
