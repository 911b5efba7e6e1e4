from django.contrib import admin
from django.urls import include, path

from orgs import views as org_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", org_views.healthz, name="healthz"),
    path("signup/", org_views.signup, name="signup"),
    path("orgs/new/", org_views.org_create, name="org_create"),
    path("invitations/<str:token>/", org_views.invitation_detail, name="invitation_accept"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("o/<slug:org_slug>/", include("orgs.urls")),
    path("o/<slug:org_slug>/", include("missions.urls")),
    path("o/<slug:org_slug>/", include("metrics.urls")),
    path("admin/", admin.site.urls),
]
