"""Stakeholder reports: drafting, previewing, publishing, new versions and the PDF."""

import logging
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)

from core.pagecache import cached
from core.responses import refused_status
from metrics import chart_images
from missions.models import Mission, Report, Visibility
from orgs import policy
from orgs.access import get_org_for_user
from orgs.models import Membership, Organisation, User
from reporting import pdf, reports
from reporting.forms import ReportForm
from reporting.reports import (
    ReportConflict,
    ReportRefused,
    already_published,
    can_draft_reports,
    draft_document,
    editable_missions,
    for_stakeholders,
    organisation_today,
    published_document,
)

logger = logging.getLogger(__name__)

# A published report's charts never change; a day keeps a reader's browser from asking
# again while they read, and private keeps shared caches from holding them at all.
CHART_MAX_AGE = 24 * 60 * 60


def _report_for_user(
    request: HttpRequest, org_slug: str, report_uid: Any, *, edit: bool = False
) -> tuple[Organisation, Membership, Report, list[Mission]]:
    """The report if this person may see it, and its missions (404 otherwise), with only
    what the policy reads of them: their owners and visibility.

    `edit=True` also requires the right to change it (403 otherwise)."""
    org, membership = get_org_for_user(request, org_slug)
    found = list(
        Report.objects.filter(organisation=org, uid=report_uid)
        # The versions before and after it, for the page's toolbar. (Who wrote or
        # published it is read only where a refusal names them.)
        .select_related("supersedes", "superseded_by")
        .defer(
            # A published report is drawn from its cached document; its snapshot, the
            # largest column, is read only when that is not there.
            "snapshot",
            "supersedes__snapshot",
            "supersedes__narrative",
            "superseded_by__snapshot",
            "superseded_by__narrative",
        )
        .order_by()[:1]  # the uid is unique: no ORDER BY to build
    )
    if not found:
        raise Http404
    report = found[0]
    report.organisation = org
    # Looked up only if the answer depends on them: an admin, or anyone reading a
    # published report, is decided without (can_see_report, can_edit_report).
    missions = cast(
        list[Mission],
        SimpleLazyObject(lambda: list(report.missions.only("owner_id", "visibility").order_by())),
    )
    if not policy.can_see_report(membership, report, missions):
        raise Http404
    if edit and not policy.can_edit_report(membership, report, missions):
        raise PermissionDenied(
            "A report is changed by admins and by whoever owns every mission in it."
        )
    return org, membership, report, missions


def _newer_version(report: Report) -> Report | None:
    try:
        return report.superseded_by
    except Report.DoesNotExist:
        return None


def _refuse(
    request: HttpRequest,
    org: Organisation,
    membership: Membership,
    report: Report,
    error: ReportRefused,
    *,
    can_edit: bool,
) -> HttpResponse:
    """The report's page with the reason something was refused; nothing has changed."""
    return _detail(
        request,
        org,
        membership,
        report,
        can_edit=can_edit,
        error=str(error),
        status=error.status_code,
    )


def _document_html(doc: dict[str, Any], narrative_html: SafeString, *, charts_at: str = "") -> str:
    return render_to_string(
        "reporting/report_document.html",
        {"doc": doc, "narrative_html": narrative_html, "charts_at": charts_at},
    )


def is_internal_view(request: HttpRequest) -> bool:
    """Whether the reader asked for the report as the organisation reads it, with the
    check-in comments and names; otherwise it is shown as stakeholders see it."""
    return request.GET.get("view") == "internal"


def _seen_as(doc: dict[str, Any], internal: bool) -> dict[str, Any]:
    return doc if internal else for_stakeholders(doc)


def _published_html(report: Report, charts_at: str, internal: bool) -> str:
    doc, narrative_html = published_document(report)
    return _document_html(_seen_as(doc, internal), narrative_html, charts_at=charts_at)


def _unshareable(report: Report) -> list[Mission]:
    """The report's missions that are not shareable with stakeholders: while it holds
    one, no share link can show it (reporting.forms.OrganisationShareLinkForm)."""
    return list(
        report.missions.exclude(visibility=Visibility.SHAREABLE)
        .only("title", "visibility")
        .order_by("title")
    )


def _detail(
    request: HttpRequest,
    org: Organisation,
    membership: Membership,
    report: Report,
    *,
    can_edit: bool,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    doc = None
    internal = is_internal_view(request)
    if report.is_published:
        # A snapshot never changes, so its rendering is kept under the moment it was frozen
        # and needs no invalidation. Its charts are images, drawn when asked for; their
        # address is absolute, as refusals show this page at other addresses (…/edit/).
        assert report.published_at is not None
        charts_at = reverse("reporting:report_detail", args=[org.slug, report.uid]) + "charts/"
        view = "internal" if internal else "stakeholders"
        document = cached(
            f"report:document:{report.published_at.timestamp()}:{charts_at}:{view}",
            lambda: _published_html(report, charts_at, internal),
        )
    else:
        doc, narrative_html = draft_document(report, membership)
        document = _document_html(_seen_as(doc, internal), narrative_html)
    unshareable = _unshareable(report)
    page_url = reverse("reporting:report_detail", args=[org.slug, report.uid])
    return render(
        request,
        "reporting/report_detail.html",
        {
            "org": org,
            "membership": membership,
            "report": report,
            "newer": _newer_version(report),
            "doc": doc,
            "document": mark_safe(document),  # noqa: S308 -- our own template's output
            "can_edit": can_edit,
            "error": error,
            "internal": internal,
            "unshareable": unshareable,
            # Offered where a link can be made: by admins, of a report of shareable missions.
            "can_share": report.is_published and membership.can_manage and not unshareable,
            "page_url": page_url,
            "absolute_url": request.build_absolute_uri(page_url),
        },
        status=status,
    )


# ---- Views --------------------------------------------------------------------------------


@login_required
@require_GET
def report_list(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    reports = Report.objects.filter(organisation=org)
    # Snapshots are large (every chart's readings) and the list needs none of them.
    heavy = ("snapshot", "narrative")
    # Only the missions this person may see are named, in the list of published reports
    # too: a mission made private after publication keeps its title to itself.
    visible = Mission.objects.filter(organisation=org).order_by("title")
    shown = policy.visible_missions(membership)
    if shown is not None:
        visible = visible.filter(shown)
    published = (
        reports.published()
        .select_related("published_by", "superseded_by")
        .defer(*heavy, *(f"superseded_by__{field}" for field in heavy))
        .prefetch_related(Prefetch("missions", queryset=visible))
        .order_by("-published_at")
    )
    drafts = [
        draft
        for draft in reports.drafts()
        .select_related("author", "supersedes")
        .defer(*heavy, *(f"supersedes__{field}" for field in heavy))
        .prefetch_related(Prefetch("missions", queryset=Mission.objects.order_by("title")))
        .order_by("-updated_at")
        if policy.can_see_report(membership, draft, draft.missions.all())
    ]
    return render(
        request,
        "reporting/reports.html",
        {
            "org": org,
            "membership": membership,
            "drafts": drafts,
            "published": published,
            "can_draft": can_draft_reports(membership),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_create(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    if not can_draft_reports(membership):
        raise _cannot_draft()
    today = organisation_today(org)
    # An empty POST is still a POST: refused, not shown as a fresh form.
    data = request.POST if request.method == "POST" else None
    form = ReportForm(data, missions=editable_missions(membership), today=today)
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        report = form.save(Report(organisation=org, author=request.user))
        messages.success(
            request,
            "Draft saved. This is how stakeholders will see it; publish it when it reads right.",
        )
        return redirect("reporting:report_detail", org.slug, report.uid)
    return render(
        request,
        "reporting/report_form.html",
        {"org": org, "membership": membership, "form": form},
        status=refused_status(request) if form.errors else 200,
    )


def _cannot_draft() -> PermissionDenied:
    return PermissionDenied("Reports are drafted by admins and by the owners of missions.")


@login_required
@require_GET
def report_detail(request: HttpRequest, org_slug: str, report_uid: Any) -> HttpResponse:
    org, membership, report, missions = _report_for_user(request, org_slug, report_uid)
    return _detail(
        request,
        org,
        membership,
        report,
        can_edit=policy.can_edit_report(membership, report, missions),
    )


@login_required
@require_http_methods(["GET", "POST"])
def report_edit(request: HttpRequest, org_slug: str, report_uid: Any) -> HttpResponse:
    org, membership, report, _ = _report_for_user(request, org_slug, report_uid, edit=True)
    if report.is_published:
        return _refuse(
            request,
            org,
            membership,
            report,
            ReportConflict(already_published(report)),
            can_edit=True,
        )
    today = organisation_today(org)
    # Missions already in the report stay offered (and ticked) even if archived since.
    missions = Mission.objects.filter(
        Q(pk__in=editable_missions(membership).values("pk")) | Q(reports=report)
    ).distinct()
    data = request.POST if request.method == "POST" else None
    form = ReportForm(data, missions=missions, today=today, report=report)
    if request.method == "POST" and form.is_valid():
        form.save(report)
        messages.success(request, "Draft saved.")
        return redirect("reporting:report_detail", org.slug, report.uid)
    return render(
        request,
        "reporting/report_form.html",
        {"org": org, "membership": membership, "form": form, "report": report},
        status=refused_status(request) if form.errors else 200,
    )


@login_required
@require_POST
def report_publish_view(request: HttpRequest, org_slug: str, report_uid: Any) -> HttpResponse:
    org, membership, report, _ = _report_for_user(request, org_slug, report_uid, edit=True)
    assert isinstance(request.user, User)
    try:
        reports.report_publish(report, request.user)
    except ReportRefused as error:
        report.refresh_from_db()
        return _refuse(request, org, membership, report, error, can_edit=True)
    messages.success(
        request, f"“{report.title}” is published. Its figures are frozen as they are today."
    )
    return redirect("reporting:report_detail", org.slug, report.uid)


@login_required
@require_POST
def report_supersede(request: HttpRequest, org_slug: str, report_uid: Any) -> HttpResponse:
    org, membership, report, _ = _report_for_user(request, org_slug, report_uid, edit=True)
    assert isinstance(request.user, User)
    try:
        draft = reports.report_supersede(report, request.user)
    except ReportRefused as error:
        return _refuse(request, org, membership, report, error, can_edit=True)
    messages.success(
        request,
        f"Version {draft.version} is a draft, copied from version {report.version}. "
        "Change what needs changing, then publish it; version "
        f"{report.version} stays in the history.",
    )
    return redirect("reporting:report_edit", org.slug, draft.uid)


@login_required
@require_safe
def report_chart(
    request: HttpRequest, org_slug: str, report_uid: Any, chart_key: str
) -> HttpResponse:
    """One chart of a published report, as an SVG image: for whoever may read the report.

    A draft's charts are drawn in its page from live data, so it has none here. (Whoever
    may read a published report does not depend on who owns its missions, so they are
    not looked up.)
    """
    org, membership = get_org_for_user(request, org_slug)
    found = list(
        Report.objects.published()
        .filter(organisation=org, uid=report_uid)
        .defer("snapshot")  # read only if the chart is not in the cache
        .order_by()[:1]
    )
    if not found or not policy.can_see_report(membership, found[0], missions=()):
        raise Http404
    report = found[0]
    svg = reports.report_chart(report, chart_key)
    if svg is None:
        raise Http404
    # The address names one frozen report: the drawing under it never changes.
    return chart_images.svg_response(svg, max_age=CHART_MAX_AGE)


@login_required
@require_GET
def report_pdf(request: HttpRequest, org_slug: str, report_uid: Any) -> HttpResponse:
    """The report as a PDF: as stakeholders see it, or with ?view=internal as the
    organisation reads it. A published report's is made once and kept (pdf.published_pdf);
    a draft's is drawn from live data each time."""
    org, membership, report, missions = _report_for_user(request, org_slug, report_uid)
    paper = "letter" if request.GET.get("paper") == "letter" else "a4"
    internal = is_internal_view(request)
    try:
        if report.is_published:
            document = pdf.published_pdf(report, internal=internal, paper=paper)
        else:
            doc, narrative_html = draft_document(report, membership)
            document = pdf.report_pdf(_seen_as(doc, internal), narrative_html, paper=paper)
    except pdf.PdfUnavailable as error:
        logger.exception("Report PDFs are unavailable")
        return _detail(
            request,
            org,
            membership,
            report,
            can_edit=policy.can_edit_report(membership, report, missions),
            error=str(error),
            status=503,
        )
    name = slugify(f"{org.slug} {report.title} v{report.version}{' internal' if internal else ''}")
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response
