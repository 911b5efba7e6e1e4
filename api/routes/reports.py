"""Published reports and their snapshots: everyone in the organisation reads a published
report (orgs.policy.can_see_report); drafts are drawn from live data and stay on the pages."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Query, Router

from api.access import uid_or_404
from api.pagination import Order
from api.requests import ListQuery, answer, caller
from api.schemas import ReportDetailOut, ReportOut, ReportPage, report_fields
from missions.models import Report
from orgs import policy

router = Router(tags=["reports"])


@router.get("/orgs/{org}/reports", response=ReportPage, url_name="reports")
def reports(request: HttpRequest, org: str, query: Query[ListQuery]) -> HttpResponse:
    you = caller(request)
    organisation = you.organisation_for(org)
    rows = Report.objects.filter(organisation=organisation).published().prefetch_related("missions")
    found, after = query.page(rows, Order("updated_at", "uid"))
    return answer(
        ReportPage(items=[ReportOut(**report_fields(report)) for report in found], next=after)
    )


@router.get("/orgs/{org}/reports/{report_uid}", response=ReportDetailOut, url_name="report")
def report(request: HttpRequest, org: str, report_uid: str) -> ReportDetailOut:
    """A published report with its narrative and snapshot: every figure as it was then."""
    you = caller(request)
    organisation = you.organisation_for(org)
    found = (
        Report.objects.filter(organisation=organisation, uid=uid_or_404(report_uid))
        .published()
        .prefetch_related("missions")
        .first()
    )
    if found is None or not policy.can_see_report(you.membership, found, found.missions.all()):
        raise Http404
    return ReportDetailOut(
        **report_fields(found), narrative=found.narrative, snapshot=found.snapshot or {}
    )
