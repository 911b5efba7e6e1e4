"""The pages people see without an account: share links, badges and public progress pages.

These pages are rendered without the request, so no context processor runs: nothing
reads the session, the CSRF token or the messages, and no cookie is ever set. Each
one is the same for every visitor, which is what lets it be cached whole.
"""

import functools
import re
from collections.abc import Callable
from typing import Any, cast

from django.db import connection
from django.db.models import Field, Model
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.csp import CSP
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_safe

from core import pagecache
from core.tokens import token_digest
from metrics import chart_images
from missions.models import Mission, Report, ShareLink, ShareTarget
from orgs.models import Organisation
from reporting import badges, reports, sharing
from reporting.reports import ReportRefused

# What secrets.token_urlsafe(32) or longer makes. Anything else is answered without a query.
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43,64}")
BADGE_MAX_AGE = 5 * 60
PUBLIC_PAGE_MAX_AGE = 60
SHARED_CHART_MAX_AGE = 5 * 60


def _private_headers(response: HttpResponse) -> HttpResponse:
    # The token is in the address: no Referer carries it to a site the page links to,
    # no search engine lists it, no shared cache keeps it.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    add_never_cache_headers(response)
    return response


def link_gone() -> HttpResponse:
    """The one answer for a revoked, expired, unknown or malformed link, whatever the cause."""
    return _private_headers(HttpResponse(render_to_string("public/gone.html"), status=404))


# A link, its organisation and what it shares, in one statement written once per process.
# A share page served from the cache costs little more than this lookup, and building the
# same join with the ORM on every request cost more than running it. A report comes
# without its snapshot, which only a page missing from the cache reads.
_LINK_PARTS = (
    (ShareLink, ()),
    (Organisation, ()),
    (Mission, ()),
    (Report, ("snapshot",)),
)


@functools.cache
def _link_statement() -> tuple[str, list[tuple[type[Model], list[str], list[Any]]]]:
    quote = connection.ops.quote_name
    columns, tables, parts = [], [], []
    for alias, (model, left_out) in zip("lomr", _LINK_PARTS, strict=True):
        table = model._meta.db_table
        fields = [f for f in model._meta.concrete_fields if f.name not in left_out]
        columns += [f"{alias}.{quote(cast(str, f.column))}" for f in fields]  # concrete: has one
        tables.append(quote(table))
        # What the ORM would apply to each value on the way out (e.g. reading a JSON text,
        # or SQLite's text dates): the same for every connection of this backend.
        converters = [
            connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            for col in (f.get_col(table) for f in fields)
        ]
        parts.append((model, [f.attname for f in fields], converters))
    links, organisations, missions, reports = tables
    statement = (
        f"SELECT {', '.join(columns)} FROM {links} l "  # noqa: S608 -- our own tables' names
        f"JOIN {organisations} o ON o.id = l.organisation_id "
        f"LEFT JOIN {missions} m ON m.id = l.mission_id "
        f"LEFT JOIN {reports} r ON r.id = l.report_id "
        # ShareLink.objects.active(), for this token.
        "WHERE l.token_hash = %s AND l.revoked_at IS NULL "
        "AND (l.expires_at IS NULL OR l.expires_at > %s)"
    )
    return statement, parts


def _find_link(token: str) -> ShareLink | None:
    statement, parts = _link_statement()
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(statement, [token_digest(token), now])
        row = cursor.fetchone()
    if row is None:
        return None
    found: list[Any] = []
    start = 0
    for model, names, converters in parts:
        values = list(row[start : start + len(names)])
        start += len(names)
        if values[0] is None:  # no mission, or no report, to join
            found.append(None)
            continue
        for i, field_converters in enumerate(converters):
            for convert in field_converters:
                values[i] = convert(values[i], None, connection)
        found.append(model.from_db(connection.alias, names, values))
    link, organisation, mission, report = found
    link.organisation = organisation
    link.mission = mission
    link.report = report
    return link


def active_link(token: str) -> ShareLink | None:
    """The link, if it still shows something: one query."""
    if not TOKEN_SHAPE.fullmatch(token):
        return None
    link = _find_link(token)
    if link is None:
        return None
    if link.target == ShareTarget.MISSION:
        mission = link.mission
        # A mission made private or archived since stops showing, without revoking.
        if (
            mission is None
            or mission.organisation_id != link.organisation_id
            or not sharing.is_shareable(mission)
        ):
            return None
    elif link.target == ShareTarget.REPORT:
        report = link.report
        if (
            report is None
            or report.organisation_id != link.organisation_id
            or not report.is_published
        ):
            return None
    return link


@functools.cache
def _count_statement() -> str:
    """One UPDATE, written once per process like the link's statement above: counted in the
    database, so two visitors at once both count; and no signal, so counting a view does
    not invalidate the cached page.

    On PostgreSQL the same statement also turns synchronous_commit off for its own
    transaction: every visitor of a link waits for the one before on the row's lock, and
    a commit that waited for the log to reach the disk would make that queue the slowest
    part of a cached share page. A crash may lose the last moment's counts; it cannot
    corrupt anything."""
    quote = connection.ops.quote_name
    meta = ShareLink._meta
    count, seen, pk = (
        quote(cast(str, cast(Field, meta.get_field(name)).column))
        for name in ("view_count", "last_viewed_at", "id")
    )
    without_waiting = (
        " AND set_config('synchronous_commit', 'off', true) = 'off'"
        if connection.vendor == "postgresql"
        else ""
    )
    return (
        f"UPDATE {quote(meta.db_table)} SET {count} = {count} + 1, {seen} = %s "  # noqa: S608 -- our own table's names
        f"WHERE {pk} = %s{without_waiting}"
    )


def _count_view(link: ShareLink) -> None:
    with connection.cursor() as cursor:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        cursor.execute(_count_statement(), [now, link.pk])


def _in_time_zone(organisation: Organisation, render: Callable[[], Any]) -> Any:
    # "Today", "late" and "expected by now" are the organisation's day.
    with timezone.override(organisation.zone()):
        return render()


def _render_target(link: ShareLink) -> str:
    organisation = link.organisation
    today = timezone.localdate()
    if link.target == ShareTarget.MISSION:
        mission = link.mission
        assert mission is not None
        return pagecache.cached_page(
            organisation,
            today,
            f"mission:{mission.pk}",
            lambda: render_to_string(
                "public/mission.html",
                {"org_name": organisation.name, "mission": sharing.mission_page(mission, today)},
            ),
        )
    if link.target == ShareTarget.REPORT:
        report = link.report
        assert report is not None and report.published_at is not None
        # Frozen when it was published: kept under that moment, not the organisation's
        # version, so a check-in elsewhere does not make it render again.
        return pagecache.cached(
            f"share:report:{report.uid}:{report.published_at.timestamp()}",
            lambda: render_to_string("public/report.html", reports.report_page(report)),
        )
    return _organisation_html(organisation, today)


def _organisation_html(organisation: Organisation, today: Any) -> str:
    return pagecache.cached_page(
        organisation,
        today,
        "organisation",
        lambda: render_to_string(
            "public/organisation.html",
            {"org_name": organisation.name, "page": sharing.organisation_page(organisation, today)},
        ),
    )


@require_safe
def share_page(request: HttpRequest, token: str) -> HttpResponse:
    """What a share link shows: a mission, a published report or the organisation's page."""
    link = active_link(token)
    if link is None:
        return link_gone()
    try:
        html = _in_time_zone(link.organisation, lambda: _render_target(link))
    except ReportRefused:  # a published report without a readable snapshot shows nothing
        return link_gone()
    if request.method == "GET":  # a HEAD is a checker or a crawler, not a reader
        _count_view(link)
    return _private_headers(HttpResponse(html))


@require_safe
@xframe_options_exempt
@csp_override({"default-src": [CSP.NONE]})
def share_badge(request: HttpRequest, token: str) -> HttpResponse:
    """A mission's progress and status as an SVG badge, for an <img> on another site.

    The badge is drawn with presentation attributes, not styles, so it needs nothing
    from the page or the CSP. Loading it is not counted as a view of the share page:
    the counter says how often people opened the link.
    """
    link = active_link(token)
    if link is None or link.target != ShareTarget.MISSION:
        return link_gone()
    assert link.mission is not None
    return _badge_response(link.organisation, link.mission)


@require_safe
@xframe_options_exempt
@csp_override({"default-src": [CSP.NONE]})
def public_badge(request: HttpRequest, public_slug: str, mission_slug: str) -> HttpResponse:
    """The badge of a mission on the organisation's public progress page, at a stable
    address: the page shows its progress and status to anyone already, so its badge can
    be embedded without a share link (and found again after the link's one showing)."""
    organisation = Organisation.objects.filter(slug=public_slug, public_page=True).first()
    mission = (
        sharing.shareable_missions(organisation).filter(slug=mission_slug).first()
        if organisation is not None
        else None
    )
    if organisation is None or mission is None:
        return link_gone()
    return _badge_response(organisation, mission)


def _badge_response(organisation: Organisation, mission: Mission) -> HttpResponse:
    def render() -> str:
        today = timezone.localdate()
        return pagecache.cached_page(
            organisation,
            today,
            f"badge:{mission.pk}",
            lambda: render_to_string(
                "public/badge.svg", badges.badge_drawing(badges.badge(mission, today))
            ),
        )

    response = HttpResponse(
        _in_time_zone(organisation, render), content_type="image/svg+xml; charset=utf-8"
    )
    patch_cache_control(response, public=True, max_age=BADGE_MAX_AGE)
    # Another site's page may load it even when it isolates itself (COEP).
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def share_chart(request: HttpRequest, token: str, chart_key: str) -> HttpResponse:
    """A chart of the published report a link shares, as an SVG image for its page.

    Not counted as a view: the page it sits in was. The link is checked on every request,
    and the browser keeps the image only for a few minutes, so a revoked link soon shows
    nothing more, even to someone who had the page open.
    """
    link = active_link(token)
    if link is None or link.target != ShareTarget.REPORT:
        return link_gone()
    assert link.report is not None
    svg = reports.report_chart(link.report, chart_key)
    if svg is None:
        return link_gone()
    response = chart_images.svg_response(svg, max_age=SHARED_CHART_MAX_AGE)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_safe
def public_page(request: HttpRequest, public_slug: str) -> HttpResponse:
    """The organisation's public progress page, when it has turned one on.

    Its address is stable and holds no secret, so browsers and proxies may keep it for a
    minute. It is still kept out of search engines: turning the page on is for the
    people the organisation gives the address to, not for the whole web.
    """
    # Found by every address it has had: one it had before leads to its page now, and
    # no other organisation can have taken it (orgs.models.OrganisationSlug).
    organisation = Organisation.objects.filter(slugs__slug=public_slug, public_page=True).first()
    if organisation is None:
        return link_gone()
    if organisation.slug != public_slug:
        return HttpResponsePermanentRedirect(reverse("public_page", args=[organisation.slug]))
    html = _in_time_zone(
        organisation, lambda: _organisation_html(organisation, timezone.localdate())
    )
    response = HttpResponse(html)
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, public=True, max_age=PUBLIC_PAGE_MAX_AGE)
    return response
