from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class OrgsConfig(AppConfig):
    default = True
    name = "orgs"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        from orgs import pruning, signals  # noqa: F401  (logging out everywhere; the prune)


class TwoFactorAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on a site that requires two-factor authentication."""

    default = False
    default_site = "orgs.admin_site.TwoFactorAdminSite"
