"""Recording changes in the ORM: model saves and deletes, and the QuerySet's bulk paths.

Every path reads the affected rows' tracked fields before and after the write, in the
same transaction, and inserts one `Change` per row whose tracked fields moved, in a
fixed number of queries however many rows it touches. Raw SQL is not seen; nothing in
Waymark writes these tables that way.
"""

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, cast

from django.db import connections, models, router, transaction
from django.db.models.fields import Field
from django.utils import timezone

from audit.actors import current_actor
from audit.models import Action, Change, Subject


@dataclass(frozen=True)
class Tracking:
    """How one model is recorded: the lookups from a row to its organisation, mission and
    metric, the field that names it (a check-in by its date), and the fields that are not
    worth recording."""

    subject: Subject
    organisation: str
    mission: str
    metric: str | None
    name: str
    untracked: frozenset[str]
    # Recorded when it goes with a deleted parent. Check-ins are not: they go only with
    # their metric, whose deletion is recorded, and Django deletes them fast, unread.
    on_cascade: bool = True


# Untracked: ids, timestamps, the parent (fixed for a row's life) and what the code keeps
# up to date on its own (the latest check-in's copy on a metric, when the next is due,
# the optimistic-locking version), so that routine bookkeeping adds nothing to the history.
# missions.models.Versioned's bookkeeping: the edit itself is recorded field by field.
VERSIONING = ("version", "edited_by", "edited_at")
# The figures metrics.figures stores on metrics, goals and missions: they follow from the
# rows whose changes are recorded.
ROLLED_UP = ("progress", "expected_path", "reported_confidence")
HEALTH_COUNTS = (
    *("goal_count", "goals_without_metric", "metric_count", "outcome_metric_count"),
    *("metrics_without_baseline", "lead_team_count", "stakeholder_count"),
)
TRACKING = {
    "missions.mission": Tracking(
        Subject.MISSION,
        organisation="organisation",
        mission="id",
        metric=None,
        name="title",
        untracked=frozenset(
            {"id", "organisation", "created_at", "updated_at", *VERSIONING, *ROLLED_UP}
            | set(HEALTH_COUNTS)
        ),
    ),
    "missions.goal": Tracking(
        Subject.GOAL,
        organisation="mission__organisation",
        mission="mission",
        metric=None,
        name="title",
        untracked=frozenset(
            {"id", "uid", "mission", "created_at", "updated_at", *VERSIONING, *ROLLED_UP}
        ),
    ),
    "metrics.metric": Tracking(
        Subject.METRIC,
        organisation="mission__organisation",
        mission="mission",
        metric="id",
        name="name",
        untracked=frozenset(
            {
                "id",
                "uid",
                "mission",
                "created_at",
                "updated_at",
                "latest_value",
                "latest_on",
                "latest_confidence",
                "trend",
                "first_value",
                "first_on",
                "next_due_on",
                "progress",
                *VERSIONING,
            }
        ),
    ),
    "metrics.checkin": Tracking(
        Subject.CHECKIN,
        organisation="metric__mission__organisation",
        mission="metric__mission",
        metric="metric",
        name="for_date",
        untracked=frozenset({"id", "uid", "metric", "created_at"}),
        on_cascade=False,
    ),
}


def tracking_for(model: type[models.Model]) -> Tracking:
    return TRACKING[model._meta.label_lower]


def is_tracked(model: type[models.Model]) -> bool:
    return model._meta.label_lower in TRACKING


@cache
def tracked_fields(model: type[models.Model]) -> tuple[Field[Any, Any], ...]:
    untracked = tracking_for(model).untracked
    return tuple(f for f in model._meta.concrete_fields if f.name not in untracked)


def tracks_any(model: type[models.Model], names: Iterable[str]) -> bool:
    """Whether writing these fields (by name or column attribute) can change the history."""
    wanted = set(names)
    return any(f.name in wanted or f.attname in wanted for f in tracked_fields(model))


@dataclass(frozen=True)
class Row:
    pk: int
    organisation_id: int
    mission_id: int
    metric_id: int | None
    values: dict[str, Any]  # tracked field name -> value


def _read(
    model: type[models.Model], rows: models.QuerySet[Any], *, lock: bool = False
) -> dict[int, Row]:
    """The tracked fields of `rows`, and where each belongs, in one query."""
    tracking = tracking_for(model)
    fields = tracked_fields(model)
    scope = [tracking.organisation, tracking.mission]
    if tracking.metric:
        scope.append(tracking.metric)
    if lock:
        # Only this table's rows: the join to the organisation must not lock the mission.
        rows = rows.select_for_update(of=("self",))
    found = {}
    columns = dict.fromkeys(["pk", *(f.attname for f in fields), *scope])
    for row in rows.order_by("pk").values(*columns):
        found[row["pk"]] = Row(
            pk=row["pk"],
            organisation_id=row[tracking.organisation],
            mission_id=row[tracking.mission],
            metric_id=row[tracking.metric] if tracking.metric else None,
            values={f.name: row[f.attname] for f in fields},
        )
    return found


def _chunks(pks: Sequence[int], db: str) -> Iterator[Sequence[int]]:
    """Ids in lists the database takes as parameters of one statement (all at once on
    PostgreSQL, which has no limit with client-side binding)."""
    size = connections[db].features.max_query_params or len(pks) or 1
    for start in range(0, len(pks), size):
        yield pks[start : start + size]


def _read_pks(model: type[models.Model], db: str, pks: Sequence[int]) -> dict[int, Row]:
    found: dict[int, Row] = {}
    for chunk in _chunks(pks, db):
        found |= _read(model, model._base_manager.using(db).filter(pk__in=chunk))
    return found


def _changes(
    model: type[models.Model], action: Action, pairs: Iterable[tuple[Row | None, Row | None]]
) -> list[Change]:
    """One change per row, none for an update that moved no tracked field."""
    tracking = tracking_for(model)
    actor = current_actor()
    at = timezone.now()
    changes = []
    for before, after in pairs:
        row = after or before
        assert row is not None
        if action == Action.UPDATE:
            assert before is not None and after is not None
            moved = [name for name, value in after.values.items() if before.values[name] != value]
            if not moved:
                continue
            old = {name: before.values[name] for name in moved}
            new = {name: after.values[name] for name in moved}
        elif action == Action.CREATE:
            old, new = {}, row.values
        else:
            old, new = row.values, {}
        changes.append(
            Change(
                organisation_id=row.organisation_id,
                subject=tracking.subject,
                object_id=row.pk,
                object_label=str(row.values[tracking.name])[:200],
                mission_ref=row.mission_id,
                metric_ref=row.metric_id,
                action=action,
                actor=actor.user,
                actor_label=actor.label[:150],
                request_id=actor.request_id[:64],
                at=at,
                before=old,
                after=new,
            )
        )
    return changes


def _save(db: str, changes: list[Change]) -> None:
    if changes:
        Change.objects.using(db).bulk_create(changes)


Doomed = dict[type[models.Model], dict[int, Row]]


def _doomed(model: type[models.Model], db: str, targets: models.QuerySet[Any]) -> Doomed:
    """The tracked rows deleting `targets` removes: them, and what goes with them through
    CASCADE (a mission's goals and metrics, a goal's metrics). A query per model."""
    found: Doomed = {model: _read(model, targets)}
    for relation in model._meta.related_objects:
        child = relation.related_model
        if (
            relation.on_delete is not models.CASCADE
            or not isinstance(child, type)
            or not is_tracked(child)
            or not tracking_for(child).on_cascade
        ):
            continue
        children = child._base_manager.using(db).filter(
            **{f"{relation.field.name}__in": targets.values("pk")}
        )
        for doomed_model, rows in _doomed(child, db, children).items():
            found.setdefault(doomed_model, {}).update(rows)
    return found


def _deletions(doomed: Doomed) -> list[Change]:
    changes = []
    for model, rows in doomed.items():
        changes += _changes(model, Action.DELETE, ((row, None) for row in rows.values()))
    return changes


class AuditedQuerySet:
    """A QuerySet mixin: update(), bulk_update() (which updates through update()),
    bulk_create() and delete() record a change per row, with the tracked fields before
    and after.

    It goes first among a QuerySet's bases: `class MissionQuerySet(AuditedQuerySet,
    models.QuerySet["Mission"])`. Not a QuerySet itself, because the type checker's Django
    plugin knows a QuerySet's model only from the QuerySet base that names it.
    """

    def _rows(self) -> models.QuerySet[Any]:
        return cast(models.QuerySet[Any], self)

    def update(self, **kwargs: Any) -> int:
        rows = self._rows()
        model, db = rows.model, rows.db
        if not tracks_any(model, kwargs):
            return models.QuerySet.update(rows, **kwargs)
        with transaction.atomic(using=db):
            # Locked, then updated by id: the rows recorded are exactly the rows changed,
            # and a row someone else just changed so it no longer matches is left alone,
            # as the plain UPDATE would (the optimistic checks rely on that).
            targets = model._base_manager.using(db).filter(pk__in=rows.values("pk"))
            before = _read(model, targets, lock=True)
            pks = list(before)
            updated = 0
            for chunk in _chunks(pks, db):
                updated += models.QuerySet.update(rows.filter(pk__in=chunk), **kwargs)
            after = _read_pks(model, db, pks)
            _save(db, _changes(model, Action.UPDATE, ((before[pk], after[pk]) for pk in after)))
        return updated

    update.alters_data = True  # type: ignore[attr-defined]

    def bulk_create(self, objs: Iterable[Any], *args: Any, **kwargs: Any) -> list[Any]:
        """Rows whose id the database does not return (ignore_conflicts) go unrecorded,
        and an upsert would be recorded as a creation; nothing in Waymark does either."""
        rows = self._rows()
        model, db = rows.model, rows.db
        with transaction.atomic(using=db):
            created = models.QuerySet.bulk_create(rows, objs, *args, **kwargs)
            after = _read_pks(model, db, [obj.pk for obj in created if obj.pk is not None])
            _save(db, _changes(model, Action.CREATE, ((None, row) for row in after.values())))
        return created

    def delete(self) -> tuple[int, dict[str, int]]:
        rows = self._rows()
        model, db = rows.model, rows.db
        with transaction.atomic(using=db):
            targets = model._base_manager.using(db).filter(pk__in=rows.values("pk"))
            doomed = _doomed(model, db, targets)
            deleted = models.QuerySet.delete(rows)
            _save(db, _deletions(doomed))
        return deleted

    # As Django's own: a manager gets no delete(), so nobody empties a table by accident.
    delete.alters_data = True  # type: ignore[attr-defined]
    delete.queryset_only = True  # type: ignore[attr-defined]


class AuditedModel(models.Model):
    """A model whose saves and deletes are recorded. Its manager's QuerySet should be an
    AuditedQuerySet, so that bulk writes are too."""

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        model = type(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and not tracks_any(model, update_fields):
            super().save(*args, **kwargs)  # bookkeeping (metric_refresh_latest): no reads
            return
        db = kwargs.get("using") or router.db_for_write(model, instance=self)
        rows = model._base_manager.using(db)
        with transaction.atomic(using=db):
            before = None
            if not self._state.adding and self.pk is not None:
                before = _read(model, rows.filter(pk=self.pk), lock=True).get(self.pk)
            super().save(*args, **kwargs)
            after = _read(model, rows.filter(pk=self.pk)).get(self.pk)
            if after is not None:
                action = Action.CREATE if before is None else Action.UPDATE
                _save(db, _changes(model, action, [(before, after)]))

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        model = type(self)
        db = kwargs.get("using") or router.db_for_write(model, instance=self)
        with transaction.atomic(using=db):
            doomed = _doomed(model, db, model._base_manager.using(db).filter(pk=self.pk))
            deleted = super().delete(*args, **kwargs)
            _save(db, _deletions(doomed))
        return deleted
