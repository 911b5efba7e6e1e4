"""History pages, under /o/<org_slug>/, beside the pages of what they record."""

from django.urls import path

from audit import views

app_name = "audit"

M = "missions/<slug:mission_slug>/"

urlpatterns = [
    path(M + "history/", views.mission_history, name="mission_history"),
    path(M + "metrics/<uuid:metric_uid>/history/", views.metric_history, name="metric_history"),
]
