from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations: webhooks, chat channels and metric feeds"

    def ready(self) -> None:
        from integrations import receivers  # noqa: F401 -- connects the event receiver
