from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    verbose_name = "The REST API and its tokens"

    def ready(self) -> None:
        from api import pruning  # noqa: F401 -- what the daily prune deletes
