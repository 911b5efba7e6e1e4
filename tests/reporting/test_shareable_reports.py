"""Reports safe to share and easy to find: the warning about missions that can't be
shared, the Share and Copy-link buttons, a preview that shows what a link shows, the
stakeholder PDF made once and kept, figures as of the period's end, and suppliers named
only where they agreed."""

import datetime

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.urls import reverse

from missions.models import Report
from orgs.models import Stakeholder
from reporting import pdf
from reporting.reports import report_publish
from tests.html import parse
from tests.reporting.test_reports import (
    document_html,
    draft,
    net_zero,  # noqa: F401 -- a fixture
    pdf_text,
    published,
    record,
    today,  # noqa: F401 -- a fixture
    url,
    zero_waste,  # noqa: F401 -- a fixture
)
from tests.reporting.test_sharing import link_to, page_url


@pytest.fixture
def shareable(zero_waste):  # noqa: F811
    zero_waste.visibility = "shareable"
    zero_waste.save()
    return zero_waste


# ---- Choosing missions, and the warning before publishing -----------------------------------


def test_a_new_report_does_not_tick_a_mission_for_the_organisation_only(
    cast,
    login,
    shareable,
    net_zero,  # noqa: F811
):
    page = parse(login(cast.admin).get(url("report_create")).text)

    boxes = {box["value"]: box for box in page.all("input", type="checkbox", name="missions")}
    assert "checked" in boxes["zero-waste"].attrs
    assert "checked" not in boxes["net-zero"].attrs  # Net zero is for the organisation only
    label = page.one("label", **{"for": boxes["net-zero"]["id"]}).text
    assert label == "Net zero (organisation only: the report can’t be shared with it in)"


def test_the_draft_warns_before_publishing_that_a_mission_cannot_be_shared(
    cast,
    login,
    shareable,
    net_zero,  # noqa: F811
):
    report = draft(cast, shareable, net_zero)

    page = login(cast.admin).get(url("report_detail", report.uid)).text

    warning = parse(page).one("div", cls="report-unshareable").text
    assert warning.startswith("Once published, this report can’t be shared outside")
    assert "“Net zero” is not shareable with stakeholders" in warning
    assert "Zero waste" not in warning
    assert "Take it out of the report, or make it shareable, before you publish." in warning


def test_a_published_report_of_shareable_missions_has_share_and_copy_buttons(
    cast, login, shareable
):
    report = published(cast, shareable)
    client = login(cast.admin)

    page = parse(client.get(url("report_detail", report.uid)).text)

    share = [a for a in page.all("a", cls="button") if a.text.startswith("Share")]
    assert share[0]["href"] == f"/o/acme/share/?share={report.uid}#new-link-heading"
    copy = page.one("button", data_copy=f"http://testserver{url('report_detail', report.uid)}")
    assert copy.text == "Copy link" and "hidden" in copy.attrs  # shown by static/js/copy.js
    assert not page.all("div", cls="report-unshareable")
    # The Share page starts with this report chosen.
    form = parse(client.get(f"/o/acme/share/?share={report.uid}").text)
    chosen = form.one("select", name="share").one("option", selected="")
    assert chosen["value"] == str(report.uid)


def test_a_published_report_with_a_mission_for_the_organisation_only_says_why_it_has_no_share(
    cast,
    login,
    shareable,
    net_zero,  # noqa: F811
):
    report = published(cast, shareable, net_zero)

    page = parse(login(cast.admin).get(url("report_detail", report.uid)).text)

    assert not [a for a in page.all("a", cls="button") if a.text.startswith("Share")]
    warning = page.one("div", cls="report-unshareable").text
    assert warning.startswith("This report can’t be shared outside the organisation.")
    assert "make a new version without it" in warning


def test_members_see_no_share_button(cast, login, shareable):
    report = published(cast, shareable)
    page = parse(login(cast.member).get(url("report_detail", report.uid)).text)
    assert not [a for a in page.all("a", cls="button") if a.text.startswith("Share")]


# ---- The preview is what a link shows ------------------------------------------------------


def test_the_preview_shows_exactly_what_a_share_link_shows_with_an_internal_toggle(
    cast, login, shareable
):
    report = published(cast, shareable)
    link = link_to(report=report)
    client = login(cast.admin)

    preview = client.get(url("report_detail", report.uid)).text
    shared = client.get(page_url(link)).text

    as_read = parse(document_html_of(preview)).text
    assert as_read == parse(document_html_of(shared)).text
    for private in ("Canteen composting started.", "Acme Admin", "Crates Ltd"):
        assert private not in as_read
    assert "A supplier" in as_read
    views = parse(preview).one("nav", cls="report-views")
    assert views.one("a", aria_current="page").text == "As stakeholders see it"

    internal = client.get(url("report_detail", report.uid) + "?view=internal")
    inside = parse(document_html_of(internal.text)).text
    assert "Canteen composting started." in inside and "Crates Ltd" in inside
    assert "by Acme Admin" in inside
    assert parse(internal.text).one("nav", cls="report-views").one(
        "a", aria_current="page"
    ).text == ("Internal view")


def document_html_of(text: str) -> str:
    start = text.index('<article class="report-doc"')
    return text[start : text.index("</article>", start)] + "</article>"


def test_a_draft_preview_is_what_its_link_will_show(cast, login, shareable):
    report = draft(cast, shareable)
    preview = document_html(login(cast.admin).get(url("report_detail", report.uid)))
    assert "Canteen composting started." not in preview and "Crates Ltd" not in preview
    assert "Landfill waste" in preview


# ---- Suppliers named only where they agreed ------------------------------------------------


def test_a_supplier_marked_public_is_named_on_the_shared_report(cast, login, shareable):
    Stakeholder.objects.filter(name="Crates Ltd").update(is_public=True)
    report = published(cast, shareable)

    shared = login(cast.admin).get(page_url(link_to(report=report))).text

    assert "Crates Ltd" in shared
    assert "Reusable crates for every delivery" in shared


def test_a_stakeholder_can_be_marked_public_from_its_form(cast, login, shareable):
    crates = Stakeholder.objects.get(name="Crates Ltd")
    response = login(cast.admin).post(
        reverse("missions:stakeholder_edit", args=["acme", crates.uid]),
        {"name": "Crates Ltd", "kind": "supplier", "is_public": "on", "digest_frequency": ""},
    )
    assert response.status_code == 302
    crates.refresh_from_db()
    assert crates.is_public


# ---- PDFs ----------------------------------------------------------------------------------


def test_a_published_reports_pdf_is_made_once_and_kept(cast, login, shareable, monkeypatch):
    report = published(cast, shareable)
    made = []
    real = pdf.report_pdf
    monkeypatch.setattr(pdf, "report_pdf", lambda *a, **k: made.append(a) or real(*a, **k))
    client = login(cast.viewer)

    first = client.get(url("report_pdf", report.uid))
    again = client.get(url("report_pdf", report.uid))

    assert first.content == again.content and len(made) == 1
    name = pdf.stored_pdf_name(report, internal=False, paper="a4")
    assert default_storage.exists(name)
    with default_storage.open(name, "rb") as kept:
        assert kept.read() == first.content
    # Each paper size and view is its own document, also made once.
    client.get(url("report_pdf", report.uid) + "?paper=letter")
    client.get(url("report_pdf", report.uid) + "?view=internal")
    client.get(url("report_pdf", report.uid) + "?view=internal")
    assert len(made) == 3
    # The stakeholders' PDF names nobody: no comments, no author, no unnamed supplier.
    text = pdf_text(first.content)
    assert "Canteen composting started." not in text and "Crates Ltd" not in text


def test_a_new_version_gets_a_pdf_of_its_own(cast, login, shareable):
    from reporting.reports import report_supersede

    first = published(cast, shareable)
    newer = report_publish(report_supersede(first, cast.admin), cast.admin)
    names = {pdf.stored_pdf_name(report, internal=False, paper="a4") for report in (first, newer)}
    assert len(names) == 2


# ---- Figures as of the period's end --------------------------------------------------------


def test_a_november_report_shows_the_readings_of_november(cast, login):
    with time_machine.travel("2026-12-05 10:00Z", tick=False):
        from tests.factories import GoalFactory, MetricFactory, MissionFactory

        mission = MissionFactory(organisation=cast.org, title="Warm homes", status="active")
        metric = MetricFactory(
            goal=GoalFactory(mission=mission),
            name="Homes retrofitted",
            unit="homes",
            baseline_value=0,
            baseline_on=datetime.date(2026, 1, 1),
            target_value=100,
            target_on=datetime.date(2027, 1, 1),
        )
        record(metric, cast.member, "40", "2026-10-31", note="October")
        record(metric, cast.member, "50", "2026-11-30", note="End of November")
        record(metric, cast.member, "90", "2026-12-04", note="A big week in December")
        report = Report.objects.create(
            organisation=cast.org,
            title="November",
            period_start=datetime.date(2026, 11, 1),
            period_end=datetime.date(2026, 11, 30),
            author=cast.admin,
        )
        report.missions.set([mission])

        preview = login(cast.admin).get(url("report_detail", report.uid)).text
        report = report_publish(report, cast.admin)

    assert "Figures as of 30 November 2026" in preview
    snapshot = report.snapshot
    assert snapshot["as_of"] == "2026-11-30"
    (row,) = snapshot["missions"][0]["goals"][0]["metrics"]
    assert (row["latest"], row["latest_on"]) == ("50 homes", "2026-11-30")
    # 50 of 100 homes: 50 %, judged against the path to 30 November, not 4 December.
    assert row["progress"] == 50.0
    assert snapshot["missions"][0]["progress"] == 50.0
    chart = snapshot["missions"][0]["charts"][0]
    assert [on for on, _ in chart["points"]] == ["2026-10-31", "2026-11-30"]
    assert "90 homes" not in str(snapshot)
