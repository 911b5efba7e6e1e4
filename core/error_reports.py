"""Errors reported to Sentry (or a server that speaks its protocol) when SENTRY_DSN is set.

A report carries the stack, the request's route and the request id, and nothing about
the person: no addresses, cookies, headers, form data or query strings (send_default_pii
off, and scrubbed below for what an integration adds regardless), because an error in a
login or a share page would otherwise carry a password or a token off the server.
"""

from typing import Any

from core.request_ids import current_request_id

# What is kept of a report's request: its method. The URL is not (paths carry share-link,
# invitation, reset and confirmation tokens); the report's transaction names the route.
KEPT_REQUEST_FIELDS = {"method"}
SCRUBBED = "[scrubbed]"


def scrub(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Sentry's before_send: keep the request's method, drop the rest of the request, the
    user but for their id, and every local variable's value."""
    request = event.get("request")
    if isinstance(request, dict):
        kept = {key: request[key] for key in KEPT_REQUEST_FIELDS if key in request}
        event["request"] = kept
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for exception in (event.get("exception") or {}).get("values") or []:
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            if "vars" in frame:
                frame["vars"] = {name: SCRUBBED for name in frame["vars"]}
    # Log lines leading up to it may name people (an address a send failed to).
    event.pop("breadcrumbs", None)
    event.setdefault("tags", {})["request_id"] = current_request_id() or "-"
    return event


def start_error_reports(dsn: str, *, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        before_send=scrub,  # type: ignore[arg-type]
        traces_sample_rate=0.0,
        max_request_body_size="never",
    )
