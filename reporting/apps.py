from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Dashboards, share pages, reports and emails"

    def ready(self) -> None:
        from reporting import signals  # noqa: F401  (connects the page cache's receivers)
