from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from orgs import views as org_views
from orgs.forms import LoginForm
from reporting.views import account as account_views
from reporting.views import public as public_views

urlpatterns = [
    path("", org_views.home, name="home"),
    path("healthz", org_views.healthz, name="healthz"),
    path("signup/", org_views.signup, name="signup"),
    path("accounts/profile/", org_views.account_profile, name="account_profile"),
    path("accounts/delete/", org_views.delete_account, name="account_delete"),
    path("accounts/data/", account_views.account_data, name="account_data"),
    path("orgs/new/", org_views.org_create, name="org_create"),
    path("invitations/<str:token>/", org_views.invitation_detail, name="invitation_accept"),
    path("accounts/emails/", org_views.email_preferences, name="email_preferences"),
    path(
        "accounts/login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Signed and login-free: the link at the bottom of every reminder and digest.
    path("unsubscribe/<str:token>/", org_views.unsubscribe, name="unsubscribe"),
    # Signed and login-free: a stakeholder confirms they want digests (double opt-in).
    path(
        "stakeholders/confirm/<str:token>/",
        org_views.stakeholder_confirm,
        name="stakeholder_confirm",
    ),
    path("o/<slug:org_slug>/", include("orgs.urls")),
    # metrics before missions: /missions/templates/ is not a mission called "templates".
    path("o/<slug:org_slug>/", include("metrics.urls")),
    path("o/<slug:org_slug>/", include("missions.urls")),
    path("o/<slug:org_slug>/", include("reporting.urls")),
    # No account needed. The public page's argument is not called org_slug: it is not
    # an org-scoped page, and the access middleware and the URL walk must leave it be.
    path("s/<str:token>/", public_views.share_page, name="share_page"),
    path("s/<str:token>/badge.svg", public_views.share_badge, name="share_badge"),
    path("s/<str:token>/charts/<slug:chart_key>.svg", public_views.share_chart, name="share_chart"),
    path("p/<slug:public_slug>/", public_views.public_page, name="public_page"),
    path("admin/", admin.site.urls),
]

# A lost database connection answers 503 "back in a moment", anything else 500.
handler500 = "config.views.server_error"
