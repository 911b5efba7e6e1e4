"""A person's own data, downloaded: their details, memberships, check-ins with their
comments, and ideas, as one JSON document written as it is read."""

import json
from collections.abc import Iterator
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from metrics.models import CheckIn
from missions.models import Idea, Mission
from orgs import policy
from orgs.models import Membership, User

ROWS_AT_A_TIME = 500


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)


def _array(rows: Iterator[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for n, row in enumerate(rows):
        yield ("," if n else "") + "\n    " + _json(row)
    yield "\n  ]"


def _visible_mission_ids(memberships: list[Membership]) -> set[int]:
    """The missions the person may see today: a check-in of theirs on any other (an
    organisation they left, a mission made private) is given without naming where."""
    # One query for them all: each membership's organisation, with the policy's rule there.
    where = Q(pk__in=[])
    for membership in memberships:
        rule = policy.visible_missions(membership)
        where |= Q(organisation_id=membership.organisation_id) & (rule if rule is not None else Q())
    return set(Mission.objects.filter(where).values_list("pk", flat=True))


def personal_data(user: User) -> Iterator[str]:
    memberships = list(Membership.objects.filter(user=user).select_related("organisation"))
    visible = _visible_mission_ids(memberships)
    profile = {
        "email": user.email,
        "name": user.name,
        "date_joined": user.date_joined,
        "time_zone": user.time_zone,
        "reminder_hour": user.reminder_hour,
        "receive_reminders": user.receive_reminders,
        "receive_digest": user.receive_digest,
        "digest_weekday": user.digest_weekday,
    }
    yield '{\n  "format": "waymark-personal-data",\n  "exported_at": '
    yield _json(timezone.now()) + ',\n  "profile": ' + _json(profile)
    yield ',\n  "memberships": '
    yield from _array(
        {
            "organisation": m.organisation.name,
            "address": m.organisation.slug,
            "role": m.role,
            "joined_at": m.joined_at,
        }
        for m in memberships
    )

    def checkins() -> Iterator[dict[str, Any]]:
        rows = (
            CheckIn.objects.filter(author=user)
            .select_related("metric__mission__organisation")
            .order_by("created_at", "pk")
            .iterator(chunk_size=ROWS_AT_A_TIME)
        )
        for checkin in rows:
            mission = checkin.metric.mission
            shown = mission.pk in visible
            yield {
                "organisation": mission.organisation.name if shown else None,
                "mission": mission.title if shown else None,
                "metric": checkin.metric.name if shown else None,
                "for_date": checkin.for_date,
                "value": checkin.value,
                "confidence": checkin.confidence,
                "comment": checkin.note,
                "is_current": checkin.is_current,
                "recorded_at": checkin.created_at,
            }

    def ideas() -> Iterator[dict[str, Any]]:
        rows = (
            Idea.objects.filter(author=user)
            .select_related("mission__organisation")
            .order_by("created_at", "pk")
            .iterator(chunk_size=ROWS_AT_A_TIME)
        )
        for idea in rows:
            shown = idea.mission_id in visible
            yield {
                "organisation": idea.mission.organisation.name if shown else None,
                "mission": idea.mission.title if shown else None,
                "title": idea.title,
                "description": idea.description,
                "state": idea.state,
                "proposed_at": idea.created_at,
            }

    yield ',\n  "checkins": '
    yield from _array(checkins())
    yield ',\n  "ideas": '
    yield from _array(ideas())
    yield "\n}\n"


@login_required
@require_GET
def account_data(request: HttpRequest) -> StreamingHttpResponse:
    """Everything Waymark holds that the person wrote or is about them, streamed: however
    many check-ins they made, the page holds a few hundred at a time."""
    assert isinstance(request.user, User)
    response = StreamingHttpResponse(
        personal_data(request.user), content_type="application/json; charset=utf-8"
    )
    today = timezone.localdate()
    response["Content-Disposition"] = f'attachment; filename="waymark-my-data-{today}.json"'
    response["Cache-Control"] = "private, no-store"
    return response
