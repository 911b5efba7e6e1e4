from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "orgs"
    verbose_name = "Organisations and people"

    def ready(self) -> None:
        from orgs import signals  # noqa: F401  (connects logging out everywhere)
