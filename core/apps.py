from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Shared machinery"

    def ready(self) -> None:
        from core import heartbeats, request_ids

        request_ids.connect_celery()
        heartbeats.connect_celery()
