from django.apps import AppConfig


class MissionsConfig(AppConfig):
    name = "missions"

    def ready(self) -> None:
        from missions import signals  # noqa: F401  (connects the receivers)
