"""Reports: drafting, previewing, publishing (which freezes them), new versions and PDFs."""

import datetime
import io
import json
import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.models import CheckIn
from metrics.services import checkin_correct, checkin_record
from missions.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, render_markdown
from missions.models import Report
from reporting import reports as report_services
from reporting.reports import (
    ReportConflict,
    ReportRefused,
    period_label,
    published_document,
    report_publish,
    report_supersede,
)
from tests.conftest import require_service
from tests.factories import (
    GoalFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    StakeholderLinkFactory,
)
from tests.orgs.test_query_counts import queries_for
from tests.security.xss_corpus import BREAKOUTS, FORM_PAYLOADS, XSS

TODAY = "2026-04-02 10:00Z"
Q1 = {"period": "quarter", "quarter": "2026-Q1"}


def url(name, *args):
    return reverse(f"reporting:{name}", args=["acme", *args])


def record(metric, user, value, on, note="", confidence="on_track"):
    return checkin_record(
        metric,
        value=Decimal(value),
        for_date=datetime.date.fromisoformat(on),
        author=user,
        confidence=confidence,
        note=note,
    )


@pytest.fixture
def today():
    with time_machine.travel(TODAY, tick=False):
        yield


@pytest.fixture
def zero_waste(cast, today):
    return zero_waste_mission(cast)


def zero_waste_mission(cast):
    """A mission the member owns, measured, with milestones, a supplier and comments."""
    mission = MissionFactory(
        organisation=cast.org,
        title="Zero waste",
        slug="zero-waste",
        owner=cast.member,
        end_state="By 2028, nothing we make ends up in landfill.",
    )
    goal = GoalFactory(mission=mission, title="Halve landfill waste")
    metric = MetricFactory(
        goal=goal,
        name="Landfill waste",
        unit="tonnes",
        baseline_value=Decimal("120"),
        baseline_on=datetime.date(2026, 1, 1),
        target_value=Decimal("60"),
        target_on=datetime.date(2028, 1, 1),
        direction="decrease",
    )
    MetricFactory(goal=goal, name="Bins audited", kind="output")
    record(metric, cast.member, "110", "2026-01-31", note="Canteen composting started.")
    record(metric, cast.member, "104", "2026-02-28", note="Supplier late with reusable crates.")
    record(metric, cast.member, "101", "2026-03-31", confidence="at_risk")
    MilestoneFactory(
        mission=mission,
        title="Compost bins in",
        due_on=datetime.date(2026, 2, 15),
        done_on=datetime.date(2026, 2, 10),
    )
    MilestoneFactory(mission=mission, title="Waste audit", due_on=datetime.date(2026, 3, 20))
    MilestoneFactory(mission=mission, title="Next year's plan", due_on=datetime.date(2026, 9, 1))
    link = StakeholderLinkFactory(
        mission=mission,
        stakeholder__name="Crates Ltd",
        stakeholder__kind="supplier",
        stakeholder__email="sales@crates.example",
        commitment="Reusable crates for every delivery",
        commitment_due_on=datetime.date(2026, 3, 1),
    )
    assert link.commitment_slipped
    return mission


@pytest.fixture
def net_zero(cast, today):
    return MissionFactory(
        organisation=cast.org, title="Net zero", slug="net-zero", owner=cast.admin
    )


def draft(cast, *missions, **fields):
    report = Report.objects.create(
        organisation=cast.org,
        title=fields.pop("title", "Q1 progress"),
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        author=fields.pop("author", cast.admin),
        narrative=fields.pop("narrative", "# Highlights\n\nComposting **works**."),
        **fields,
    )
    report.missions.set(missions)
    return report


def published(cast, *missions, **fields):
    report = draft(cast, *missions, **fields)
    return report_publish(report, cast.admin)


def document_html(response) -> str:
    """The report document itself, without the page around it (messages, buttons)."""
    text = response.content.decode()
    start = text.index('<article class="report-doc"')
    return text[start : text.index("</article>", start)]


# ---- Periods ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        ("2026-03-01", "2026-03-31", "March 2026"),
        ("2024-02-01", "2024-02-29", "February 2024"),
        ("2026-01-01", "2026-03-31", "Q1 2026"),
        ("2026-10-01", "2026-12-31", "Q4 2026"),
        ("2026-01-01", "2026-12-31", "2026"),
        ("2026-02-03", "2026-03-14", "3 Feb – 14 Mar 2026"),
        ("2025-12-20", "2026-01-09", "20 Dec 2025 – 9 Jan 2026"),
        ("2026-05-05", "2026-05-05", "5 May 2026"),
    ],
)
def test_periods_read_as_people_say_them(start, end, label):
    assert period_label(datetime.date.fromisoformat(start), datetime.date.fromisoformat(end)) == (
        label
    )


# ---- Drafting -----------------------------------------------------------------------------


def test_admin_drafts_a_quarterly_report_and_lands_on_its_preview(
    cast, login, zero_waste, net_zero
):
    response = login(cast.admin).post(
        url("report_create"),
        Q1 | {"title": "", "missions": ["zero-waste", "net-zero"], "narrative": "It went well."},
    )

    report = Report.objects.get()
    assert response["Location"] == url("report_detail", report.uid)
    assert report.title == "Progress report, Q1 2026"
    assert (report.period_start, report.period_end) == (
        datetime.date(2026, 1, 1),
        datetime.date(2026, 3, 31),
    )
    assert set(report.missions.values_list("slug", flat=True)) == {"zero-waste", "net-zero"}
    assert report.author == cast.admin
    assert not report.is_published


def test_a_month_or_any_dates_make_the_period(cast, login, zero_waste):
    client = login(cast.admin)
    client.post(
        url("report_create"),
        {"period": "month", "month": "2026-02", "title": "Feb", "missions": zero_waste.slug},
    )
    client.post(
        url("report_create"),
        {
            "period": "custom",
            "period_start": "2026-02-03",
            "period_end": "2026-03-14",
            "title": "X",
            "missions": zero_waste.slug,
        },
    )
    feb, custom = Report.objects.order_by("title")
    assert (feb.period_start, feb.period_end) == (
        datetime.date(2026, 2, 1),
        datetime.date(2026, 2, 28),
    )
    assert (custom.period_start, custom.period_end) == (
        datetime.date(2026, 2, 3),
        datetime.date(2026, 3, 14),
    )


def test_a_period_that_ends_before_it_starts_is_refused_with_a_message(cast, login, zero_waste):
    response = login(cast.admin).post(
        url("report_create"),
        {"period": "custom", "period_start": "2026-03-31", "period_end": "2026-01-01"},
    )
    assert response.status_code == 400
    assert "The period must end on or after the day it starts." in response.text
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {"period": "custom"},
        {"period": "custom", "period_start": "not a date", "period_end": "2026-01-01"},
        {"period": "month", "month": "1999-13"},
        {"period": "quarter", "quarter": "2026-Q9"},
        {"period": "fortnight"},
        {},
    ],
)
def test_nonsense_periods_are_refused_not_500(cast, login, zero_waste, data):
    response = login(cast.admin).post(url("report_create"), data)
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_htmx_gets_422_for_a_refused_form(cast, login, zero_waste):
    response = login(cast.admin).post(url("report_create"), {}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422


def test_a_mission_owner_drafts_a_report_on_their_own_missions(cast, login, zero_waste, net_zero):
    client = login(cast.member)
    page = client.get(url("report_create"))
    assert "Zero waste" in page.text
    assert "Net zero" not in page.text  # not theirs: they could not edit the report

    response = client.post(url("report_create"), Q1 | {"missions": ["zero-waste"]})
    assert response.status_code == 302
    assert Report.objects.get().author == cast.member


def test_a_member_cannot_put_someone_elses_mission_in_a_report(cast, login, zero_waste, net_zero):
    response = login(cast.member).post(url("report_create"), Q1 | {"missions": ["net-zero"]})
    assert response.status_code == 400
    assert "Select a valid choice" in response.text
    assert not Report.objects.exists()


def test_private_missions_stay_out_of_reports_everyone_reads(cast, login, net_zero):
    net_zero.visibility = "private"
    net_zero.save()
    client = login(cast.admin)
    assert "Net zero" not in client.get(url("report_create")).text
    response = client.post(url("report_create"), Q1 | {"missions": ["net-zero"]})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_viewer_or_a_member_without_missions_cannot_draft(cast, login, net_zero):
    assert login(cast.viewer).get(url("report_create")).status_code == 403
    assert login(cast.member).post(url("report_create"), Q1).status_code == 403
    assert not Report.objects.exists()


def test_the_draft_preview_fills_in_progress_milestones_commitments_and_comments(
    cast, login, zero_waste
):
    report = draft(cast, zero_waste)
    response = login(cast.admin).get(url("report_detail", report.uid) + "?view=internal")

    doc = document_html(response)
    assert "Draft, not yet published" in doc
    assert "Zero waste" in doc and "Halve landfill waste" in doc
    assert "101 tonnes" in doc  # the latest reading
    assert '<svg class="chart chart-m"' in doc  # the outcome metric's chart
    assert "Compost bins in" in doc and "Waste audit" in doc
    assert "Next year&#x27;s plan" not in doc  # due after the period
    assert "Crates Ltd" in doc and "Reusable crates for every delivery" in doc
    assert "Canteen composting started." in doc
    assert "<h2>Highlights</h2>" in doc
    assert "Publish report" in response.text


def test_the_report_never_shows_email_addresses(cast, login, zero_waste):
    report = published(cast, zero_waste)
    page = login(cast.admin).get(url("report_detail", report.uid))
    assert "@" not in document_html(page)
    assert "@" not in json.dumps(report.snapshot)


def test_drafts_are_for_admins_their_author_and_their_missions_owners(cast, login, zero_waste):
    by_admin = draft(cast, zero_waste)
    elsewhere = draft(cast, title="Admin's own", author=cast.admin)

    assert login(cast.member).get(url("report_detail", by_admin.uid)).status_code == 200
    assert login(cast.member).get(url("report_detail", elsewhere.uid)).status_code == 404
    assert login(cast.viewer).get(url("report_detail", by_admin.uid)).status_code == 404
    listing = login(cast.viewer).get(url("reports")).text
    assert "Q1 progress" not in listing and "Admin's own" not in listing
    listing = login(cast.member).get(url("reports")).text
    assert "Q1 progress" in listing and "Admin&#x27;s own" not in listing


def test_the_owner_of_every_mission_edits_the_draft(cast, login, zero_waste):
    report = draft(cast, zero_waste)
    response = login(cast.member).post(
        url("report_edit", report.uid), Q1 | {"title": "Q1, reworded", "missions": ["zero-waste"]}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.title == "Q1, reworded"


def test_a_member_who_does_not_own_every_mission_cannot_edit_or_publish(
    cast, login, zero_waste, net_zero
):
    report = draft(cast, zero_waste, net_zero)
    client = login(cast.member)
    assert client.get(url("report_detail", report.uid)).status_code == 200  # owns one: reads
    assert client.post(url("report_edit", report.uid), Q1 | {"title": "Mine"}).status_code == 403
    assert client.post(url("report_publish", report.uid)).status_code == 403
    report.refresh_from_db()
    assert report.title == "Q1 progress" and not report.is_published


def test_the_edit_form_offers_the_period_it_has(cast, login, zero_waste):
    report = draft(cast, zero_waste)
    page = login(cast.admin).get(url("report_edit", report.uid)).text
    assert re.search(r'value="quarter"[^>]*checked', page)
    assert re.search(r'<option value="2026-Q1" selected>', page)


# ---- Publishing ---------------------------------------------------------------------------


def test_publishing_freezes_a_json_snapshot(cast, login, zero_waste):
    report = draft(cast, zero_waste)
    response = login(cast.admin).post(url("report_publish", report.uid))

    assert response["Location"] == url("report_detail", report.uid)
    report.refresh_from_db()
    assert report.published_by == cast.admin
    assert report.published_at is not None
    snapshot = report.snapshot
    assert json.loads(json.dumps(snapshot)) == snapshot
    assert snapshot["period"] == {"start": "2026-01-01", "end": "2026-03-31", "label": "Q1 2026"}
    # Published on 2 April, a Q1 report is as of the quarter's last day.
    assert snapshot["as_of"] == "2026-03-31"
    (mission,) = snapshot["missions"]
    assert mission["title"] == "Zero waste"
    assert mission["goals"][0]["metrics"][0]["latest"] == "101 tonnes"
    assert [c["note"] for c in mission["comments"]] == [
        "Canteen composting started.",
        "Supplier late with reusable crates.",
    ]
    assert [(m["title"], m["state"]) for m in mission["milestones"]] == [
        ("Compost bins in", "met"),
        ("Waste audit", "late"),
    ]
    assert mission["slipped_commitments"] == [
        {
            "stakeholder": "Crates Ltd",
            "stakeholder_kind": "supplier",
            "stakeholder_public": False,
            "commitment": "Reusable crates for every delivery",
            "due_on": "2026-03-01",
        }
    ]
    (chart,) = mission["charts"]  # outcome metrics only
    assert chart["points"] == [["2026-01-31", 110.0], ["2026-02-28", 104.0], ["2026-03-31", 101.0]]
    assert chart["target"] == ["2028-01-01", 60.0]


def test_publishing_with_no_missions_is_refused_with_a_message(cast, login, zero_waste):
    report = draft(cast)
    response = login(cast.admin).post(url("report_publish", report.uid))

    assert response.status_code == 400
    assert "Choose at least one mission before publishing" in response.text
    report.refresh_from_db()
    assert not report.is_published and report.snapshot is None


def test_publishing_twice_is_refused_and_changes_nothing(cast, login, zero_waste):
    report = published(cast, zero_waste)
    before = (report.published_at, report.snapshot)
    record(zero_waste.metrics.get(name="Landfill waste"), cast.member, "90", "2026-04-01")

    response = login(cast.admin).post(url("report_publish", report.uid))

    assert response.status_code == 409
    assert "This report was published on 2 Apr 2026 by Acme Admin" in response.text
    report.refresh_from_db()
    assert (report.published_at, report.snapshot) == before


def test_a_simultaneous_second_publication_loses_the_conditional_update(
    cast, zero_waste, monkeypatch
):
    report = draft(cast, zero_waste)
    build = report_services.build_document

    def someone_else_publishes_meanwhile(*args, **kwargs):
        doc = build(*args, **kwargs)
        Report.objects.filter(pk=report.pk).update(
            published_at=datetime.datetime(2026, 4, 2, 9, tzinfo=datetime.UTC), snapshot={"x": 1}
        )
        return doc

    monkeypatch.setattr(report_services, "build_document", someone_else_publishes_meanwhile)
    with pytest.raises(ReportConflict, match="a moment ago"):
        report_publish(report, cast.admin)
    report.refresh_from_db()
    # (The other "request" shared this test's transaction, so it was rolled back too.)
    assert report.published_by is None


def test_editing_a_published_report_is_refused_and_changes_nothing(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.admin)

    assert client.get(url("report_edit", report.uid)).status_code == 409
    response = client.post(
        url("report_edit", report.uid), Q1 | {"title": "Rewritten", "narrative": "Rewritten"}
    )

    assert response.status_code == 409
    assert "can’t be changed. To update it, make a new version." in response.text
    report.refresh_from_db()
    assert report.title == "Q1 progress"
    assert "Rewritten" not in report.narrative


def test_everyone_in_the_organisation_reads_a_published_report(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.viewer)
    page = client.get(url("report_detail", report.uid))
    assert page.status_code == 200
    assert "Make a new version" not in page.text and "Edit draft" not in page.text
    assert "Q1 progress" in client.get(url("reports")).text
    assert client.post(url("report_supersede", report.uid)).status_code == 403


def change_everything_live(cast, mission):
    """Later check-ins, a correction, a new target, milestones met and a new title."""
    metric = mission.metrics.get(name="Landfill waste")
    march = CheckIn.objects.get(metric=metric, for_date=datetime.date(2026, 3, 31))
    checkin_correct(
        march,
        value=Decimal("70"),
        author=cast.admin,
        confidence="on_track",
        note="Recount: much better.",
    )
    record(metric, cast.member, "65", "2026-02-15", note="A late reading.")
    metric.target_value = Decimal("10")
    metric.save()
    mission.milestones.update(done_on=datetime.date(2026, 3, 1))
    mission.title = "Renamed mission"
    mission.save()


def test_a_published_report_page_reads_only_its_snapshot(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.admin)
    before = document_html(client.get(url("report_detail", report.uid)))

    change_everything_live(cast, zero_waste)

    after = document_html(client.get(url("report_detail", report.uid)))
    assert after == before
    assert "101 tonnes" in after and "70 tonnes" not in after and "Recount" not in after
    # The draft of a new version, by contrast, shows today's figures.
    second = report_supersede(report, cast.admin)
    live = document_html(client.get(url("report_detail", second.uid)))
    assert "70 tonnes" in live and "Renamed mission" in live


def test_a_published_report_pdf_reads_only_its_snapshot(cast, login, zero_waste):
    report = published(cast, zero_waste)
    client = login(cast.admin)
    before = pdf_text(client.get(url("report_pdf", report.uid)).content)

    change_everything_live(cast, zero_waste)

    assert pdf_text(client.get(url("report_pdf", report.uid)).content) == before


def test_the_published_page_makes_no_metric_queries_and_a_fixed_number(
    cast, login, zero_waste, uncached
):
    report = published(cast, zero_waste)
    client = login(cast.admin)
    page = url("report_detail", report.uid)
    client.get(page)
    with CaptureQueriesContext(connection) as small:
        assert client.get(page).status_code == 200

    bigger = published(cast, zero_waste, *[grown_mission(cast, n) for n in range(4)], title="Big")
    with CaptureQueriesContext(connection) as big:
        assert client.get(url("report_detail", bigger.uid)).status_code == 200

    assert len(big) == len(small)
    touched = " ".join(q["sql"] for q in big.captured_queries)
    for table in (
        "metrics_metric",
        "metrics_checkin",
        "missions_goal",
        "missions_milestone",
        "missions_stakeholderlink",
    ):
        assert table not in touched


def grown_mission(cast, n):
    mission = MissionFactory(organisation=cast.org, owner=cast.admin)
    metric = MetricFactory(goal__mission=mission)
    for month in (1, 2, 3):
        record(metric, cast.admin, str(20 + month + n), f"2026-0{month}-28", note=f"Note {month}")
    MilestoneFactory(mission=mission, due_on=datetime.date(2026, 2, 1))
    return mission


def test_the_reports_list_makes_a_fixed_number_of_queries(cast, login, zero_waste, net_zero):
    client = login(cast.member)

    def grow():
        published(cast, zero_waste, net_zero)
        draft(cast, zero_waste)
        report_supersede(published(cast, zero_waste), cast.admin)

    grow()
    client.get(url("reports"))
    with CaptureQueriesContext(connection) as before:
        client.get(url("reports"))
    for _ in range(4):
        grow()
    with CaptureQueriesContext(connection) as after:
        response = client.get(url("reports"))

    assert response.status_code == 200
    assert len(after) == len(before)


# ---- What a report shows is what its reader may see today ---------------------------------


def take_back_and_make_private(cast, mission):
    """The owner takes the mission back, makes it private and adds to it."""
    mission.owner = cast.owner
    mission.visibility = "private"
    mission.save()
    goal = GoalFactory(mission=mission, title="Secret supplier switch")
    metric = MetricFactory(goal=goal, name="Secret crate count", unit="crates")
    record(metric, cast.owner, "7", "2026-03-30", note="Negotiating with Boxco, keep quiet.")


def test_a_member_loses_their_draft_when_its_mission_is_taken_back_and_made_private(
    cast, login, zero_waste
):
    """Issue 17, finding 1, as the penetration test did it."""
    member = login(cast.member)
    response = member.post(url("report_create"), Q1 | {"missions": ["zero-waste"]})
    assert response.status_code == 302
    report = Report.objects.get()
    assert member.get(url("report_detail", report.uid)).status_code == 200

    take_back_and_make_private(cast, zero_waste)

    assert member.get(url("mission", "zero-waste")).status_code == 404
    assert member.get(url("report_detail", report.uid)).status_code == 404
    assert member.get(url("report_pdf", report.uid)).status_code == 404
    assert member.post(url("report_publish", report.uid)).status_code == 404
    assert member.post(url("report_edit", report.uid), Q1 | {"title": "x"}).status_code == 404
    assert "Q1 progress" not in member.get(url("reports")).text

    # The organisation's owner sees the draft, private mission and all...
    owner = login(cast.owner)
    preview = document_html(owner.get(url("report_detail", report.uid) + "?view=internal"))
    assert "Secret supplier switch" in preview and "Negotiating with Boxco" in preview
    # ...but cannot publish it for everyone to read.
    refused = owner.post(url("report_publish", report.uid))
    assert refused.status_code == 400
    assert "the mission “Zero waste” is private" in refused.text
    report.refresh_from_db()
    assert not report.is_published and report.snapshot is None
    assert login(cast.viewer).get(url("report_detail", report.uid)).status_code == 404


def test_an_admin_demoted_to_viewer_no_longer_reads_the_drafts_they_wrote(cast, login, zero_waste):
    report = draft(cast, zero_waste, author=cast.admin)
    mine = draft(cast, title="Admin's own", author=cast.admin)
    membership = cast.membership(cast.admin)
    membership.role = "viewer"
    membership.save()

    client = login(cast.admin)
    for each in (report, mine):
        assert client.get(url("report_detail", each.uid)).status_code == 404
        assert client.get(url("report_pdf", each.uid)).status_code == 404
    listing = client.get(url("reports")).text
    assert "Q1 progress" not in listing and "Admin&#x27;s own" not in listing


def test_a_draft_shows_its_reader_only_the_missions_they_may_see(cast, zero_waste, net_zero):
    report = draft(cast, zero_waste, net_zero)
    net_zero.visibility = "private"
    net_zero.save()

    as_member, _ = report_services.draft_document(report, cast.membership(cast.member))
    as_admin, _ = report_services.draft_document(report, cast.membership(cast.admin))

    assert [m["title"] for m in as_member["missions"]] == ["Zero waste"]
    assert [m["title"] for m in as_admin["missions"]] == ["Net zero", "Zero waste"]


def test_publishing_names_every_private_mission_and_changes_nothing(cast, zero_waste, net_zero):
    report = draft(cast, zero_waste, net_zero)
    for mission in (zero_waste, net_zero):
        mission.visibility = "private"
        mission.save()
    with pytest.raises(ReportRefused, match="missions “Net zero”, “Zero waste” are private"):
        report_publish(report, cast.admin)
    report.refresh_from_db()
    assert not report.is_published


def test_a_snapshot_never_captures_a_private_mission_even_past_the_check(
    cast, zero_waste, net_zero, monkeypatch
):
    """The rule is applied where the snapshot is drawn too, not only before it."""
    report = draft(cast, zero_waste, net_zero)
    net_zero.visibility = "private"
    net_zero.save()
    monkeypatch.setattr(report_services.policy, "can_publish_mission", lambda mission: True)

    report_publish(report, cast.admin)

    report.refresh_from_db()
    assert [m["title"] for m in report.snapshot["missions"]] == ["Zero waste"]


def test_the_published_list_names_only_missions_the_reader_may_see(cast, login, zero_waste):
    report = published(cast, zero_waste)
    zero_waste.visibility = "private"
    zero_waste.save()
    listing = login(cast.viewer).get(url("reports")).text
    assert "Q1 progress" in listing
    assert "Zero waste" not in listing.split("published-heading", 1)[1]
    assert "Zero waste" in login(cast.admin).get(url("reports")).text
    assert report.is_published


# ---- New versions -------------------------------------------------------------------------


def test_a_new_version_copies_the_report_and_the_old_one_stays_listed(cast, login, zero_waste):
    first = published(cast, zero_waste, narrative="First words.")
    client = login(cast.admin)

    response = client.post(url("report_supersede", first.uid))

    second = Report.objects.get(supersedes=first)
    assert response["Location"] == url("report_edit", second.uid)
    assert (second.version, second.title, second.narrative) == (2, first.title, "First words.")
    assert list(second.missions.all()) == [zero_waste]
    assert not second.is_published and second.author == cast.admin

    client.post(url("report_publish", second.uid))
    listing = client.get(url("reports")).text
    assert "Superseded by version 2" in listing
    assert listing.count('class="report-row-title"') == 2
    assert "Superseded by" in client.get(url("report_detail", first.uid)).text


def test_a_report_gets_one_new_version_and_a_draft_none(cast, login, zero_waste):
    first = published(cast, zero_waste)
    client = login(cast.admin)
    client.post(url("report_supersede", first.uid))

    again = client.post(url("report_supersede", first.uid))
    assert again.status_code == 409
    assert "Version 2 of this report already exists" in again.text

    second = Report.objects.get(supersedes=first)
    of_a_draft = client.post(url("report_supersede", second.uid))
    assert of_a_draft.status_code == 409
    assert Report.objects.count() == 2


def test_a_second_new_version_at_the_same_moment_is_refused(cast, zero_waste):
    first = published(cast, zero_waste)
    report_supersede(first, cast.admin)
    with pytest.raises(ReportConflict):
        report_supersede(first, cast.member)


# ---- Markdown -----------------------------------------------------------------------------


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))


def assert_harmless(html: str) -> None:
    parser = Collect()
    parser.feed(html)
    for tag, attrs in parser.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert name in ALLOWED_ATTRIBUTES.get(tag, set()) | ({"rel"} if tag == "a" else set())
            if name == "href":
                assert re.match(r"^(https?:|mailto:)", value or ""), value


@pytest.mark.parametrize("payload", FORM_PAYLOADS)
def test_markdown_makes_scripts_and_handlers_harmless(payload):
    html = render_markdown(f"Before\n\n{payload}\n\nafter [ok](https://ok.example)")
    assert_harmless(html)
    assert "<script" not in html.lower()
    assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">ok</a>' in html


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(list("<>/=\"' :()[]!*#`-\nahijsvcriptonerlgxd&;")), max_size=80
    )
)
def test_whatever_is_written_only_allowed_tags_and_attributes_come_out(text):
    assert_harmless(render_markdown(text))


def test_markdown_headings_sit_under_the_report_title():
    html = render_markdown("# One\n\n## Two\n\n### Three\n\n#### Four")
    assert "<h2>One</h2>" in html and "<h3>Two</h3>" in html
    assert "<h4>Three</h4>" in html and "<h4>Four</h4>" in html
    assert "<h1" not in html


def test_a_narrative_full_of_xss_is_harmless_on_the_page_and_in_the_pdf(cast, login, zero_waste):
    report = published(cast, zero_waste, narrative="\n\n".join(XSS + BREAKOUTS))
    client = login(cast.viewer)
    doc = document_html(client.get(url("report_detail", report.uid)))
    start = doc.index('<section class="report-narrative')
    narrative = doc[start : doc.index("</section>", start)]
    assert_harmless(narrative.split(">", 1)[1])
    everything = Collect()
    everything.feed(doc)
    assert not {"script", "iframe", "form", "object", "embed", "meta", "style"} & {
        tag for tag, _ in everything.tags
    }
    # The only images are the report's own charts.
    images = [dict(attrs) for tag, attrs in everything.tags if tag == "img"]
    charts = url("report_detail", report.uid) + "charts/"
    assert images and all(re.fullmatch(rf"{charts}chart-\d+\.svg", i["src"] or "") for i in images)
    names = {name for _, attrs in everything.tags for name, _ in attrs}
    assert not [name for name in names if name.startswith(("on", "hx-", "data-hx"))]


def test_a_narrative_full_of_xss_still_makes_a_pdf(cast, login, zero_waste):
    report = published(cast, zero_waste, narrative="\n\n".join(XSS))
    text = pdf_text(login(cast.admin).get(url("report_pdf", report.uid)).content)
    assert XSS[0] in text  # as words on the page


# ---- The PDF ------------------------------------------------------------------------------


def weasyprint_works() -> bool:
    try:
        import weasyprint  # noqa: F401
    except OSError:  # Pango or its friends are not installed
        return False
    return True


def pdf_text(content: bytes) -> str:
    require_service(weasyprint_works(), "WeasyPrint with Pango")
    from pypdf import PdfReader

    assert content.startswith(b"%PDF-")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_published_report_downloads_as_a_pdf_with_its_title(cast, login, zero_waste):
    report = published(cast, zero_waste, title="Acme’s first quarter")
    response = login(cast.viewer).get(url("report_pdf", report.uid))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="acme-acmes-first-quarter-v1.pdf"'
    )
    text = pdf_text(response.content)
    assert "Acme’s first quarter" in text
    # The PDF leaders email is the stakeholders' one: no check-in comments, no names.
    assert "Zero waste" in text and "Canteen composting started." not in text
    assert "Acme Admin" not in text and "Crates Ltd" not in text
    internal = login(cast.viewer).get(url("report_pdf", report.uid) + "?view=internal")
    assert internal["Content-Disposition"] == (
        'attachment; filename="acme-acmes-first-quarter-v1-internal.pdf"'
    )
    assert "Canteen composting started." in pdf_text(internal.content)

    from pypdf import PdfReader

    a4 = PdfReader(io.BytesIO(response.content)).pages[0].mediabox
    letter_pdf = login(cast.viewer).get(url("report_pdf", report.uid) + "?paper=letter").content
    letter = PdfReader(io.BytesIO(letter_pdf)).pages[0].mediabox
    assert (round(a4.width), round(a4.height)) == (595, 842)
    assert (round(letter.width), round(letter.height)) == (612, 792)


def test_a_draft_pdf_is_marked_as_a_draft_and_kept_from_viewers(cast, login, zero_waste):
    report = draft(cast, zero_waste)
    assert login(cast.viewer).get(url("report_pdf", report.uid)).status_code == 404
    text = pdf_text(login(cast.admin).get(url("report_pdf", report.uid)).content)
    assert "Draft, not yet published" in text


def test_published_document_is_what_share_pages_render(cast, zero_waste):
    report = published(cast, zero_waste)
    doc, narrative_html = published_document(report)
    assert doc == report.snapshot
    assert "<h3>Highlights</h3>" not in narrative_html and "<h2>Highlights</h2>" in narrative_html
    with pytest.raises(ReportRefused):
        published_document(draft(cast, zero_waste))


def test_a_server_without_pango_says_so_instead_of_failing(cast, login, zero_waste, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    report = published(cast, zero_waste)
    monkeypatch.setattr(builtins, "__import__", no_pango)
    response = login(cast.viewer).get(url("report_pdf", report.uid))
    assert response.status_code == 503
    assert "PDFs can’t be made on this server just now." in response.text


def test_publishing_tells_whoever_listens_for_changed_reports(cast, zero_waste):
    from django.db.models.signals import post_save

    heard = []

    def listener(sender, instance, **kwargs):
        heard.append((instance.pk, instance.is_published, kwargs["update_fields"]))

    report = draft(cast, zero_waste)
    post_save.connect(listener, sender=Report)
    try:
        report_publish(report, cast.admin)
    finally:
        post_save.disconnect(listener, sender=Report)
    assert heard == [(report.pk, True, {"published_at", "published_by", "snapshot", "updated_at"})]


def test_a_published_report_is_rendered_once_and_served_from_the_cache(
    cast, login, zero_waste, monkeypatch
):
    report = published(cast, zero_waste)
    client = login(cast.member)
    first = document_html(client.get(url("report_detail", report.uid)))

    def render_again(report):
        raise AssertionError("a published report is drawn once")

    monkeypatch.setattr("reporting.views.reports.published_document", render_again)
    assert document_html(client.get(url("report_detail", report.uid))) == first


def test_with_the_page_cache_off_a_published_report_is_drawn_every_time(
    cast, login, zero_waste, settings, monkeypatch
):
    settings.PAGE_CACHE_SECONDS = 0
    report = published(cast, zero_waste)
    client = login(cast.member)
    client.get(url("report_detail", report.uid))
    drawn = []
    real = report_services.published_document
    monkeypatch.setattr(
        "reporting.views.reports.published_document", lambda r: drawn.append(r) or real(r)
    )
    client.get(url("report_detail", report.uid))
    assert drawn == [report]


def test_a_word_longer_than_the_page_wraps_in_the_pdf(cast, login, zero_waste):
    report = published(cast, zero_waste, narrative="W" * 5_000)
    text = pdf_text(login(cast.viewer).get(url("report_pdf", report.uid)).content)

    runs = re.findall(r"W+", text)
    assert sum(len(run) for run in runs) >= 4_900  # all of it is drawn, not clipped
    assert max(len(run) for run in runs) < 200  # in lines that fit the page


@pytest.mark.parametrize("reader", ["admin", "member"])
def test_the_reports_list_does_not_grow_with_reports_and_their_missions(cast, login, reader):
    """Drafts are judged with their missions prefetched, and published reports name only
    the missions the reader may see, in a fixed number of queries."""

    def add(n: int) -> None:
        for i in range(n):
            missions = [MissionFactory(organisation=cast.org, owner=cast.member) for _ in range(2)]
            draft(cast, *missions, title=f"Draft {i}", author=cast.member)
            published(cast, *missions, title=f"Published {i}")

    client = login(getattr(cast, reader))
    add(1)
    before = queries_for(client, url("reports"))

    add(5)

    assert queries_for(client, url("reports")) == before
