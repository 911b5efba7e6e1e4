from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.db import models

if TYPE_CHECKING:
    from orgs.portability import SoftReferences


class AuditConfig(AppConfig):
    name = "audit"

    def ready(self) -> None:
        from audit import actors

        actors.connect_celery()

    def soft_references(self) -> dict[type[models.Model], "SoftReferences"]:
        """The ids a change keeps without foreign keys, for the organisation export."""
        from audit.models import Change
        from audit.references import change_references

        return {Change: change_references()}
