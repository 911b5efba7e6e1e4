from collections.abc import Callable

from django.contrib import admin
from django.http import HttpResponseBase
from django.urls import include, path, reverse_lazy
from django.views.generic.base import RedirectView

from config import health
from orgs import views as org_views
from orgs.admin_site import admin_login
from reporting.views import account as account_views
from reporting.views import public as public_views


def moved(pattern_name: str) -> Callable[..., HttpResponseBase]:
    """An address from before django-allauth, kept for bookmarks and old emails."""
    url = reverse_lazy(pattern_name)
    return RedirectView.as_view(url=url, permanent=True, query_string=True)


# Django's own account pages answered here before django-allauth took over.
old_account_paths = [
    path("signup/", moved("account_signup")),
    path("accounts/password_change/", moved("account_change_password")),
    path("accounts/password_change/done/", moved("account_change_password")),
    path("accounts/password_reset/", moved("account_reset_password")),
    path("accounts/password_reset/done/", moved("account_reset_password_done")),
    # A reset link emailed before the change cannot be honoured: ask for a new one.
    path("accounts/reset/<str:uidb64>/<str:token>/", moved("account_reset_password")),
    path("accounts/reset/done/", moved("account_login")),
]

urlpatterns = [
    path("", org_views.home, name="home"),
    # Answered by config.health.HealthMiddleware before the Host check; here to be named.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The whole stack and one query: what `make bench` measures pages against, and what
    # bench/faults.py polls through a database restart.
    path("healthz/database", org_views.health_database, name="health_database"),
    path("accounts/profile/", org_views.account_profile, name="account_profile"),
    path("accounts/delete/", org_views.delete_account, name="account_delete"),
    path("accounts/data/", account_views.account_data, name="account_data"),
    path("orgs/new/", org_views.org_create, name="org_create"),
    path("invitations/<str:token>/", org_views.invitation_detail, name="invitation_accept"),
    path("accounts/emails/", org_views.email_preferences, name="email_preferences"),
    path("accounts/verify/", org_views.email_verification_resend, name="verification_resend"),
    path("accounts/sessions/end/", org_views.session_end, name="session_end"),
    # API tokens: the organisation's in its settings, one's own on the account pages.
    path("", include("api.token_urls")),
    path("accounts/", include("allauth.urls")),
    *old_account_paths,
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
    path("o/<slug:org_slug>/", include("integrations.urls")),
    # No account needed. The public page's argument is not called org_slug: it is not
    # an org-scoped page, and the access middleware and the URL walk must leave it be.
    path("s/<str:token>/", public_views.share_page, name="share_page"),
    path("s/<str:token>/badge.svg", public_views.share_badge, name="share_badge"),
    path("s/<str:token>/charts/<slug:chart_key>.svg", public_views.share_chart, name="share_chart"),
    path("p/<slug:public_slug>/", public_views.public_page, name="public_page"),
    path(
        "p/<slug:public_slug>/<slug:mission_slug>/badge.svg",
        public_views.public_badge,
        name="public_badge",
    ),
    # The REST API: a token, not a session, says who is asking (api.v1).
    path("api/v1/", include("api.urls")),
    # The admin signs in through the same login (and two-factor) as everything else.
    path("admin/login/", admin_login),
    path("admin/", admin.site.urls),
]

# A lost database connection answers 503 "back in a moment", anything else 500.
handler500 = "config.views.server_error"
