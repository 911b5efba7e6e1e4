"""One id for everything one request sets off: its log lines, the tasks it enqueues, the
log lines of those tasks and the emails they send.

An id that came in with the request (X-Request-ID, from a load balancer) is kept when it
looks like one, so the proxy's logs and ours can be joined; anything else is replaced,
because the id is written into log lines and email headers.
"""

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.core.mail import EmailMessage

HEADER = "X-Request-ID"
# Letters, digits, dots, dashes and underscores, 8 to 64 of them: a UUID, a hex string or
# a load balancer's trace id, nothing that could break a log line or a header.
WELL_FORMED = re.compile(r"[A-Za-z0-9._-]{8,64}")
# The name of the Celery message header that carries it to the worker.
TASK_HEADER = "waymark_request_id"

_current: ContextVar[str] = ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex


def accepted(incoming: str | None) -> str:
    """The incoming id if it is well formed, else a new one."""
    if incoming and WELL_FORMED.fullmatch(incoming):
        return incoming
    return new_request_id()


def current_request_id() -> str:
    return _current.get()


@contextmanager
def request_id_set(value: str) -> Iterator[None]:
    token = _current.set(value)
    try:
        yield
    finally:
        _current.reset(token)


def stamp[M: "EmailMessage"](message: M) -> M:
    """Put the current request id on an email, so a complaint about one can be traced to
    the request or task that sent it."""
    request_id = current_request_id()
    if request_id:
        message.extra_headers[HEADER] = request_id
    return message


# ---- Celery: the id travels in each message's headers, and is current while it runs.

_task_tokens: dict[str, Any] = {}
_task_started_at: dict[str, float] = {}
task_logger = logging.getLogger("waymark.tasks")


def _published(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id:
        headers.setdefault(TASK_HEADER, request_id)


def _task_started(task_id: str = "", task: Any = None, **kwargs: Any) -> None:
    request = getattr(task, "request", None)
    carried = getattr(request, TASK_HEADER, None) or (
        (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    )
    # Run in process, it is part of the request; one beat started has its own id.
    _task_tokens[task_id] = _current.set(accepted(carried or current_request_id() or task_id))
    _task_started_at[task_id] = time.perf_counter()


def _task_finished(task_id: str = "", task: Any = None, state: str = "", **kwargs: Any) -> None:
    """One line per task run, like the request's: which task, how it ended, how long."""
    started = _task_started_at.pop(task_id, None)
    if started is not None:
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        name = getattr(task, "name", "?")
        task_logger.info(
            "%s %s %.1fms",
            name,
            state,
            duration_ms,
            extra={"task": name, "task_id": task_id, "state": state, "duration_ms": duration_ms},
        )
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        # Finished in another context than it started in: that one is left as it was.
        with contextlib.suppress(ValueError):
            _current.reset(token)


def connect_celery() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(_published, weak=False, dispatch_uid="request_id_published")
    task_prerun.connect(_task_started, weak=False, dispatch_uid="request_id_task_started")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="request_id_task_finished")
