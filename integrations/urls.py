"""Integration pages, under /o/<org_slug>/."""

from django.urls import path

from integrations import views

app_name = "integrations"

E = "settings/integrations/webhooks/<uuid:endpoint_uid>/"
C = "settings/integrations/channels/<uuid:channel_uid>/"
F = "missions/<slug:mission_slug>/metrics/<uuid:metric_uid>/feed/"

urlpatterns = [
    path("settings/integrations/", views.integrations_index, name="index"),
    path("settings/integrations/webhooks/new/", views.endpoint_add, name="endpoint_add"),
    path(E, views.endpoint_detail, name="endpoint"),
    path(E + "remove/", views.endpoint_remove, name="endpoint_remove"),
    path(
        E + "deliveries/<uuid:delivery_uid>/resend/",
        views.delivery_resend,
        name="delivery_resend",
    ),
    path("settings/integrations/channels/new/", views.channel_add, name="channel_add"),
    path(C, views.channel_edit, name="channel"),
    path(C + "remove/", views.channel_remove, name="channel_remove"),
    path(F, views.feed_edit, name="feed"),
    path(F + "run/", views.feed_run_now, name="feed_run"),
    path(F + "remove/", views.feed_remove, name="feed_remove"),
]
