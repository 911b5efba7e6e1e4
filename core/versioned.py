"""Versioned edits: a save from a form loaded before someone else's save is refused."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models, transaction
from django.db.models import F
from django.utils import timezone


class Versioned(models.Model):
    """A row people edit in a form: the form carries the version it was loaded at, and a
    save from an out-of-date form is refused instead of overwriting someone else's edit.

    Only edits of what people typed move the version. Archiving, reordering and the
    metric's copy of its latest check-in leave it alone: otherwise a check-in would make
    every open edit form of its metric out of date.
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    edited_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    @staticmethod
    def edit_stamp(by: AbstractBaseUser) -> dict[str, Any]:
        """What a queryset `update()` that edits rows must also set: a form opened before
        it is then out of date, and the row says who changed it."""
        return {"version": F("version") + 1, "edited_by_id": by.pk, "edited_at": timezone.now()}

    def save_edit(self, fields: Iterable[str], *, version: int, by: AbstractBaseUser) -> bool:
        """Save `fields` if the row is still at `version`, the one the editor started from.

        The claim is one conditional UPDATE that also moves the version on; of two people
        saving at once, PostgreSQL makes the second wait for the first's row lock, then
        re-checks the version and finds no row, so nothing of theirs is written. The
        fields then go through an ordinary save, in the same transaction and under that
        lock, so signals (cached share pages) see it like any other save, and only the
        edited fields are written: an archive or a check-in that landed meanwhile stays.
        """
        now = timezone.now()
        with transaction.atomic():
            claimed = (
                type(self)
                ._default_manager.filter(pk=self.pk, version=version)
                .update(version=F("version") + 1, edited_by_id=by.pk, edited_at=now)
            )
            if not claimed:
                return False
            self.version, self.edited_by_id, self.edited_at = version + 1, by.pk, now
            stamped = [f.name for f in self._meta.concrete_fields if getattr(f, "auto_now", False)]
            self.save(update_fields=[*fields, *stamped])
        return True
