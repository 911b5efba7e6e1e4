"""Who is making a change: the person behind the request, or "system" for tasks and commands.

A context variable rather than an argument: changes are recorded deep in the ORM, under
services and bulk updates that have no request to hand.
"""

import contextlib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse

from core.request_ids import current_request_id
from orgs.models import User

SYSTEM_LABEL = "system"


@dataclass(frozen=True)
class Actor:
    user: User | None
    label: str
    request_id: str = ""


SYSTEM = Actor(user=None, label=SYSTEM_LABEL)

# A function rather than the actor itself: a request's user is only looked up (lazily, as
# Django does) when something is recorded, so requests that change nothing cost nothing.
_acting: ContextVar[Callable[[], Actor] | None] = ContextVar("audit_actor", default=None)


def current_actor() -> Actor:
    actor = _acting.get()
    return actor() if actor is not None else SYSTEM


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _acting.set(lambda: actor)
    try:
        yield
    finally:
        _acting.reset(token)


def _request_actor(request: HttpRequest, request_id: str) -> Callable[[], Actor]:
    def actor() -> Actor:
        user = request.user
        if isinstance(user, User):
            return Actor(user=user, label=user.display_name, request_id=request_id)
        return Actor(user=None, label="anonymous visitor", request_id=request_id)

    return actor


class ActorMiddleware:
    """Changes made while answering a request are the logged-in person's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The request log's id (core.request_log), so a change can be found in the logs.
        token = _acting.set(_request_actor(request, current_request_id() or uuid.uuid4().hex))
        try:
            return self.get_response(request)
        finally:
            _acting.reset(token)


# ---- Celery: a task's changes are the system's, even when it runs eagerly inside a request.

_task_tokens: dict[str, Token[Callable[[], Actor] | None]] = {}


def _task_started(task_id: str = "", **kwargs: Any) -> None:
    actor = Actor(user=None, label=SYSTEM_LABEL, request_id=task_id)
    _task_tokens[task_id] = _acting.set(lambda: actor)


def _task_finished(task_id: str = "", **kwargs: Any) -> None:
    token = _task_tokens.pop(task_id, None)
    if token is None:
        return
    # Finished in another context than it started in: that one is left as it was.
    with contextlib.suppress(ValueError):
        _acting.reset(token)


def connect_celery() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="audit_task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="audit_task_finished")
