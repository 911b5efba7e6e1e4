from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: webhooks, chat channels and metric feeds"

    def ready(self) -> None:
        # The event receiver, and what the daily prune deletes.
        from integrations import pruning, receivers  # noqa: F401
