import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from metrics.services import checkin_record
from missions.models import Goal
from tests.factories import GoalFactory, MetricFactory, MissionFactory
from tests.html import parse
from tests.orgs.test_query_counts import queries_for

TODAY = "2027-01-01 12:00Z"


def section(page: str, heading_id: str) -> str:
    """The part of the page in the section labelled by `heading_id`."""
    return page.split(f'id="{heading_id}"', 1)[1].split("</section>", 1)[0]


def measured_metric(mission, user, values, weight=1, goal=None):
    metric = MetricFactory(
        goal=goal or GoalFactory(mission=mission),
        owner=user,
        weight=weight,
        baseline_value=Decimal("0"),
        baseline_on=datetime.date(2026, 1, 1),
        target_value=Decimal("100"),
        target_on=datetime.date(2028, 1, 1),
    )
    for month, value in enumerate(values, start=1):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=user,
            confidence="on_track",
        )
    return metric


@time_machine.travel(TODAY)
def test_the_dashboard_shows_active_missions_with_rolled_up_progress(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    goal = GoalFactory(mission=mission, weight=1)
    measured_metric(mission, cast.member, ["40", "50"], weight=3, goal=goal)
    measured_metric(mission, cast.member, ["10", "20"], weight=1, goal=goal)
    MissionFactory(organisation=cast.org, title="Still a draft", status="draft")

    response = login(cast.viewer).get(reverse("reporting:dashboard", args=["acme"]))

    assert "Net zero" in response.text
    assert "Still a draft" not in response.text
    # (50 * 3 + 20 * 1) / 4 = 42.5 % against 50 % expected halfway between the dates.
    card = card_titled(parse(response.text), "Net zero")
    assert card.one("rect", cls="progress-fill")["width"] == "42.5"
    # As every percentage reads (metric_charts.percent): to the even number at a half.
    assert goal_lines(card)[0][1] == "42\xa0%"


@time_machine.travel(TODAY)
def test_the_dashboard_lists_overdue_check_ins(cast, login):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["10"])  # monthly, last on 1 Jan 2026
    response = login(cast.member).get(reverse("reporting:dashboard", args=["acme"]))
    overdue = section(response.text, "overdue-heading")
    assert f">{metric.name}</a>" in overdue and mission.title in overdue
    assert "Acme Member" in overdue  # its owner
    assert "1 check-in overdue" in response.text


@time_machine.travel(TODAY)
def test_the_dashboard_does_not_show_private_missions_to_members(cast, login):
    MissionFactory(
        organisation=cast.org, title="Secret merger", status="active", visibility="private"
    )
    response = login(cast.member).get(reverse("reporting:dashboard", args=["acme"]))
    assert "Secret merger" not in response.text


@time_machine.travel(TODAY)
def test_the_dashboard_query_count_does_not_grow(cast, login, uncached):
    client = login(cast.admin)
    url = reverse("reporting:dashboard", args=["acme"])
    measured_metric(MissionFactory(organisation=cast.org, status="active"), cast.member, ["5", "9"])
    before = queries_for(client, url)

    for _ in range(6):
        mission = MissionFactory(organisation=cast.org, status="active")
        measured_metric(mission, cast.member, ["5", "9", "12"])
        measured_metric(mission, cast.admin, ["1", "2"])

    assert queries_for(client, url) == before


@time_machine.travel(TODAY)
def test_the_mission_and_metric_pages_do_not_grow_with_check_ins(cast, login):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["5", "9"])
    client = login(cast.admin)
    metric_url = reverse("metrics:detail", args=["acme", mission.slug, metric.uid])
    before = (queries_for(client, mission.get_absolute_url()), queries_for(client, metric_url))

    for month in range(3, 13):
        checkin_record(
            metric,
            value=Decimal(month * 3),
            for_date=datetime.date(2026, month, 1),
            author=cast.member,
            confidence="on_track",
        )
    measured_metric(mission, cast.member, ["1", "2", "3"])

    after = (queries_for(client, mission.get_absolute_url()), queries_for(client, metric_url))
    assert after == before


@time_machine.travel(TODAY)
def test_the_dashboard_is_cached_until_a_check_in_changes_it(
    cast, login, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    mission = MissionFactory(organisation=cast.org, status="active")
    metric = measured_metric(mission, cast.member, ["5"])
    client = login(cast.admin)
    url = reverse("reporting:dashboard", args=["acme"])
    client.get(url)
    with django_assert_max_num_queries(6):  # session, user, membership, and no mission data
        client.get(url)

    with django_capture_on_commit_callbacks(execute=True):
        checkin_record(
            metric,
            value=Decimal("64"),
            for_date=datetime.date(2026, 12, 1),
            author=cast.member,
            confidence="on_track",
        )
    assert "64" in client.get(url).text


def test_with_no_active_mission_the_dashboard_counts_the_others_without_asking_again(
    cast, login, uncached
):
    client = login(cast.member)
    url = reverse("reporting:dashboard", args=["acme"])
    MissionFactory(organisation=cast.org, status="draft")
    one = queries_for(client, url)
    MissionFactory(organisation=cast.org, status="paused")
    MissionFactory(organisation=cast.org, status="paused", visibility="private")

    with CaptureQueriesContext(connection) as captured:
        assert "2 missions are in draft or paused." in client.get(url).text
    # Counted among the missions the page reads anyway.
    counts = [q for q in captured if "COUNT(" in q["sql"] and "missions_mission" in q["sql"]]
    assert counts == []
    assert queries_for(client, url) == one


@time_machine.travel(TODAY)
def test_a_check_in_renders_only_its_own_missions_card_again(
    cast, login, django_capture_on_commit_callbacks
):
    busy = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    metric = measured_metric(busy, cast.member, ["5"])
    quiet = MissionFactory(organisation=cast.org, title="Warm homes", status="active")
    goal = GoalFactory(mission=quiet, title="Retrofit 500 homes")
    client = login(cast.admin)
    url = reverse("reporting:dashboard", args=["acme"])
    client.get(url)
    # A change no signal reports shows which cards are rendered again.
    Goal.objects.filter(pk=goal.pk).update(title="Retrofit 800 homes")

    with django_capture_on_commit_callbacks(execute=True):
        checkin_record(
            metric,
            value=Decimal("64"),
            for_date=datetime.date(2026, 12, 1),
            author=cast.member,
            confidence="on_track",
        )
    page = client.get(url).text
    assert "64" in page
    assert "Retrofit 500 homes" in page


@time_machine.travel(TODAY)
def test_the_lists_show_only_check_ins_and_overdue_metrics_of_missions_they_may_see(cast, login):
    secret = MissionFactory(
        organisation=cast.org, title="Secret merger", status="active", visibility="private"
    )
    hidden = measured_metric(secret, cast.admin, ["10"])
    archived = MissionFactory(organisation=cast.org, title="Old days", status="paused")
    gone = measured_metric(archived, cast.admin, ["10"])
    archived.archived_at = archived.created_at
    archived.save()
    elsewhere = measured_metric(
        MissionFactory(organisation=cast.other_org, status="active"), cast.outsider, ["10"]
    )
    paused = MissionFactory(organisation=cast.org, title="On hold", status="paused")
    shown = measured_metric(paused, cast.member, ["10"])

    response = login(cast.member).get(reverse("reporting:dashboard", args=["acme"]))

    for heading in ("overdue-heading", "latest-heading"):
        listed = section(response.text, heading)
        assert f">{shown.name}</a>" in listed
        # Linked in its mission, though the mission has no card.
        assert f'href="/o/acme/missions/on-hold/metrics/{shown.uid}/"' in listed
    for metric in (hidden, gone, elsewhere):
        assert metric.name not in response.text


@time_machine.travel(TODAY)
def test_the_lists_are_read_without_joining_the_missions(cast, login, uncached):
    # Joined to the missions and their organisation, PostgreSQL took longer to plan these
    # queries than to run them.
    measured_metric(MissionFactory(organisation=cast.org, status="active"), cast.member, ["5"])
    client = login(cast.member)
    url = reverse("reporting:dashboard", args=["acme"])
    client.get(url)

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    lists = [
        q["sql"]
        for q in captured
        if "next_due_on" in q["sql"].split("WHERE")[-1] or '"is_current"' in q["sql"]
    ]
    assert len(lists) >= 2
    assert not any("missions_mission" in sql for sql in lists)


# ---- What a card shows ----


def dashboard(client):
    return parse(client.get(reverse("reporting:dashboard", args=["acme"])).text)


def card_titled(page, title: str):
    (card,) = [card for card in page.all("li", cls="dash-mission") if card.one("h3").text == title]
    return card


def goal_lines(card) -> list[tuple[str, str]]:
    return [
        (li.one("span", cls="dash-goal-title").text, li.one("span", cls="dash-goal-value").text)
        for li in card.one("ul", cls="dash-goals").all("li")
    ]


@time_machine.travel(TODAY)
def test_a_card_shows_its_missions_status_progress_and_goals(cast, login):
    mission = MissionFactory(organisation=cast.org, title='R&D <fast> "now"', status="active")
    goal = GoalFactory(mission=mission, title='Halve <emissions> & "waste"', weight=3)
    measured_metric(mission, cast.member, ["12", "20", "31"], goal=goal)
    measured_metric(mission, cast.member, ["40", "42.5"], weight=2, goal=goal)
    GoalFactory(mission=mission, title="Not measured yet")

    response = login(cast.viewer).get(reverse("reporting:dashboard", args=["acme"]))

    assert "R&amp;D &lt;fast&gt; &quot;now&quot;" in response.text  # escaped
    card = card_titled(parse(response.text), 'R&D <fast> "now"')
    assert card.one("h3").one("a")["href"] == mission.get_absolute_url()
    # (31 + 42.5 * 2) / 3 = 38.7 % of the way, where halfway between the dates expects 50 %.
    assert (
        card.one("div", cls="mission-card-head").one("span", cls="status-badge").spoken == "At risk"
    )
    assert card.one("span", cls="progress-text").text == "39\xa0% expected 50\xa0%"
    assert card.one("rect", cls="progress-fill")["width"] == "38.7"
    assert goal_lines(card) == [
        ('Halve <emissions> & "waste"', "39\xa0%"),
        ("Not measured yet", "no data"),
    ]
    # Each goal says where it should be by now and how it is doing, in words.
    measured, unmeasured = card.one("ul", cls="dash-goals").all("li")
    assert measured.one("span", cls="dash-goal-expected").text == "expected 50\xa0%"
    assert measured.one("span", cls="status-badge").spoken == "At risk"
    assert not unmeasured.all("span", cls="dash-goal-expected")
    assert unmeasured.one("span", cls="status-badge").spoken == "No data yet"
    assert card.one("p", cls="dash-overdue").text == "2 check-ins overdue"


@time_machine.travel(TODAY)
def test_a_card_without_goals_or_readings_says_it_has_no_data(cast, login):
    MissionFactory(organisation=cast.org, title="Empty", status="active")
    unmeasured = MissionFactory(organisation=cast.org, title="Unmeasured", status="active")
    GoalFactory(mission=unmeasured, title="Nothing yet")
    MetricFactory(
        goal=GoalFactory(mission=unmeasured, title="No baseline"),
        baseline_value=None,
        baseline_on=None,
    )

    page = dashboard(login(cast.member))

    for title in ("Empty", "Unmeasured"):
        card = card_titled(page, title)
        assert (
            card.one("div", cls="mission-card-head").one("span", cls="status-badge").spoken
            == "No data yet"
        )
        assert card.one("span", cls="progress-text").text == "No data yet"
        assert not card.all("rect", cls="progress-fill")
        assert not card.all("p", cls="dash-lead")
        assert not card.all("p", cls="dash-overdue")
    assert goal_lines(card_titled(page, "Empty")) == []
    assert goal_lines(card_titled(page, "Unmeasured")) == [
        ("Nothing yet", "no data"),
        ("No baseline", "no data"),
    ]


@time_machine.travel(TODAY)
def test_a_card_leads_with_its_first_outcome_metric_that_has_a_reading(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Retrofit", status="active")
    first = measured_metric(mission, cast.member, ["3"])
    first.kind = "input"  # not an outcome: never the lead
    first.save()
    MetricFactory(mission=mission, goal=None, name="Not read yet")
    spend = MetricFactory(
        goal=None,
        mission=mission,
        name="Spend on <b>retrofit</b>",
        format="currency",
        unit="£",
        baseline_value=Decimal("1000"),
        target_value=Decimal("250000.5"),
    )
    for month, value in enumerate(["1500", "12500.25", "80000"], start=3):
        checkin_record(
            spend,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=cast.member,
            confidence="at_risk",
        )

    lead = card_titled(dashboard(login(cast.member)), "Retrofit").one("p", cls="dash-lead")

    link = lead.one("a")
    assert link.text == "Spend on <b>retrofit</b>"
    assert link["href"] == reverse("metrics:detail", args=["acme", mission.slug, spend.uid])
    assert lead.one("strong").text == "£80,000"
    assert lead.one("span", cls="muted").text == "on 1 May 2026, target £250,000.5"
    # Its trend: the three readings.
    assert len(lead.one("polyline", cls="sparkline-line")["points"].split()) == 3


@time_machine.travel(TODAY)
def test_a_card_draws_the_trend_of_the_year_up_to_the_latest_reading(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Weekly", status="active")
    metric = measured_metric(mission, cast.member, [])
    start = datetime.date(2025, 1, 6)
    for week in range(100):
        checkin_record(
            metric,
            value=Decimal(50 + (week * 37) % 23),
            for_date=start + datetime.timedelta(weeks=week),
            author=cast.member,
            confidence="on_track",
        )

    lead = card_titled(dashboard(login(cast.member)), "Weekly").one("p", cls="dash-lead")

    latest = start + datetime.timedelta(weeks=99)
    in_that_year = sum(
        1
        for week in range(100)
        if start + datetime.timedelta(weeks=week) >= latest - datetime.timedelta(days=365)
    )
    assert in_that_year == 53
    assert len(lead.one("polyline", cls="sparkline-line")["points"].split()) == in_that_year


@time_machine.travel(TODAY)
def test_a_card_without_an_outcome_metric_has_no_lead_and_counts_what_is_overdue(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Outputs", status="active")
    for weight in (1, 5):
        metric = measured_metric(mission, cast.member, ["30", "25"], weight=weight)
        metric.kind = "output"
        metric.save()

    card = card_titled(dashboard(login(cast.member)), "Outputs")

    assert not card.all("p", cls="dash-lead")
    assert card.one("p", cls="dash-overdue").text == "2 check-ins overdue"
    assert [value for _, value in goal_lines(card)] == ["25\xa0%", "25\xa0%"]


# ---- The lists beside the cards ----


def build_busy_lists(cast, active):
    # Due on different days: the overdue list is ordered by the day alone.
    for month in range(1, 13):
        metric = MetricFactory(
            goal=GoalFactory(mission=active),
            name=f"Metric <{month}> & “co”",
            owner=None if month % 3 == 0 else cast.member,
            format="currency" if month % 2 else "number",
            unit="£" if month % 2 else "tonnes",
        )
        checkin_record(
            metric,
            value=Decimal(month * 1000 + 0.5),
            for_date=datetime.date(2026, month, month + 1),
            author=cast.admin,
            confidence="on_track",
            note=("A long <note> with “quotes” & more. " * month)[: month * 20],
        )
    # A check-in whose author has left: it stays, without a name.
    author_gone = measured_metric(active, cast.viewer, ["7"])
    author_gone.checkins.update(author=None)
    return author_gone


def list_items(page, heading_id: str):
    (section,) = [s for s in page.all("section") if s.get("aria-labelledby") == heading_id]
    return section.one("ul", cls="rowlist").all("li")


@time_machine.travel(TODAY)
def test_the_overdue_list_names_the_ten_most_overdue_with_mission_owner_and_due_day(cast, login):
    busy = MissionFactory(organisation=cast.org, title="Busy <one>", status="active")
    read_on_new_years_day = build_busy_lists(cast, busy)

    rows = list_items(dashboard(login(cast.member)), "overdue-heading")

    # Monthly metrics, read on 1 Jan, 2 Jan, 3 Feb, 4 Mar...: most overdue first. Those
    # days were last year, so each says its year.
    assert [(row.one("a").text, row.one("span", cls="late-by").text) for row in rows[:4]] == [
        (read_on_new_years_day.name, "due 31 Jan 2026"),
        ("Metric <1> & “co”", "due 1 Feb 2026"),
        ("Metric <2> & “co”", "due 5 Mar 2026"),
        ("Metric <3> & “co”", "due 3 Apr 2026"),
    ]
    assert len(rows) == 10
    assert rows[0].one("span", cls="muted").text == "Busy <one> · Acme Viewer"
    assert rows[3].one("span", cls="muted").text == "Busy <one> · no owner"
    assert rows[1].one("a")["href"] == reverse(
        "metrics:detail", args=["acme", busy.slug, busy.metrics.get(name="Metric <1> & “co”").uid]
    )


@time_machine.travel(TODAY)
def test_the_latest_list_shows_values_in_their_units_with_day_author_and_note(cast, login):
    busy = MissionFactory(organisation=cast.org, title="Busy", status="active")
    build_busy_lists(cast, busy)

    rows = list_items(dashboard(login(cast.member)), "latest-heading")

    assert len(rows) == 8
    assert [(row.one("a").text, row.one("span", cls="muted").text) for row in rows[:2]] == [
        ("Metric <12> & “co”", "12,000.5 tonnes for 13 Dec 2026 · Acme Admin"),
        ("Metric <11> & “co”", "£11,000.5 for 12 Nov 2026 · Acme Admin"),
    ]
    note = rows[0].all("span", cls="small")[-1].text
    # Cut to 90 characters, between quotes.
    assert note == "“" + ("A long <note> with “quotes” & more. " * 3)[:89] + "…”"


@time_machine.travel(TODAY)
def test_the_latest_list_shows_each_metrics_newest_reading_once(cast, login):
    """A metric read three times this month, corrected once, is one row: its newest
    reading. The other organisation's newer readings are not in the list."""
    mission = MissionFactory(organisation=cast.org, title="Busy", status="active")
    often = measured_metric(mission, cast.member, ["1"])
    for day, value in ((10, "11"), (20, "12"), (20, "13")):  # the last corrects the one before
        checkin_record(
            often,
            value=Decimal(value),
            for_date=datetime.date(2026, 12, day),
            author=cast.member,
            confidence="on_track",
        )
    once = measured_metric(mission, cast.admin, ["5"])
    elsewhere = MetricFactory(goal=GoalFactory(mission=MissionFactory(status="active")))
    checkin_record(
        elsewhere,
        value=Decimal(1),
        for_date=datetime.date(2026, 12, 31),
        author=None,
        confidence="on_track",
    )

    rows = list_items(dashboard(login(cast.member)), "latest-heading")

    assert [(row.one("a").text, row.one("span", cls="muted").text) for row in rows] == [
        (often.name, "13 for 20 Dec 2026 · Acme Member"),
        (once.name, "5 for 1 Jan 2026 · Acme Admin"),
    ]


@time_machine.travel(TODAY)
def test_a_check_in_whose_author_has_left_is_listed_without_a_name(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Busy", status="active")
    metric = measured_metric(mission, cast.viewer, ["7"])
    metric.checkins.update(author=None)

    (row,) = list_items(dashboard(login(cast.member)), "latest-heading")

    assert row.one("span", cls="muted").text == "7 for 1 Jan 2026"
    assert len(row.all("span", cls="small")) == 1  # no note


@pytest.mark.parametrize(
    ("others", "said"),
    [
        ([], ""),
        (["draft"], " 1 mission is in draft or paused."),
        (["paused", "paused"], " 2 missions are in draft or paused."),
    ],
)
def test_with_no_active_mission_the_page_says_so_and_counts_the_others(cast, login, others, said):
    for status in others:
        MissionFactory(organisation=cast.org, status=status)

    page = dashboard(login(cast.member))

    empty = page.one("div", cls="empty-state")
    assert empty.one("h2").text == "No active missions"
    assert not page.all("ul", cls="dash-missions")
    assert empty.all("p")[0].text == (
        "When a mission is active, its progress, status and trend show here." + said
    )
    assert empty.one("a")["href"] == reverse("missions:list", args=["acme"])
    assert [p.text for p in page.all("p", cls="empty")] == [
        "Nothing overdue. Every metric is up to date.",
        "No readings in the last seven days.",
        "No check-ins yet.",
    ]
    assert not page.all("section", cls="dash-attention")  # with no card, nothing to judge


# ---- What needs attention, which way lines move, what changed this week ----


@time_machine.travel(TODAY)
def test_the_dashboard_lists_off_track_and_at_risk_metrics_with_their_owners(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    # Halfway between baseline and target dates, 50 % is expected.
    behind = measured_metric(mission, cast.member, ["10"])  # 40 points behind: off track
    lagging = measured_metric(mission, cast.admin, ["30"])  # 20 behind: at risk
    fine = measured_metric(mission, cast.member, ["45"])  # on track
    orphan = measured_metric(mission, cast.member, ["5"])
    orphan.owner = None
    orphan.save()

    page = dashboard(login(cast.viewer))

    rows = page.one("section", cls="dash-attention").all("li", cls="attention-row")
    listed = [
        (
            row.one("a").text,
            row.one("span", cls="attention-owner").text,
            row.one("span", cls="status-badge").spoken,
        )
        for row in rows
    ]
    # The furthest behind first; the on-track metric is not listed.
    assert listed == [
        (orphan.name, "no owner", "Off track"),
        (behind.name, "Acme Member", "Off track"),
        (lagging.name, "Acme Admin", "At risk"),
    ]
    assert fine.name not in page.one("section", cls="dash-attention").text
    assert "10\xa0% of the way, expected 50\xa0%" in rows[1].text
    assert rows[1].one("a")["href"] == reverse(
        "metrics:detail", args=["acme", mission.slug, behind.uid]
    )


@time_machine.travel(TODAY)
def test_the_attention_list_shows_only_missions_they_may_see(cast, login):
    secret = MissionFactory(
        organisation=cast.org, title="Secret", status="active", visibility="private"
    )
    hidden = measured_metric(secret, cast.admin, ["1"])
    MissionFactory(organisation=cast.org, title="Open", status="active")

    page = dashboard(login(cast.member))

    assert hidden.name not in page.one("section", cls="dash-attention").text
    assert page.one("section", cls="dash-attention").one("p", cls="empty").text == (
        "Every measured metric of the active missions is on track."
    )


def falling_emissions(mission, user, direction):
    metric = MetricFactory(
        goal=GoalFactory(mission=mission),
        owner=user,
        name=f"Emissions ({direction})",
        direction=direction,
        unit="tonnes",
        baseline_value=Decimal("120"),
        target_value=Decimal("12") if direction == "decrease" else Decimal("200"),
    )
    for month, value in enumerate(["118", "110", "100"], start=1):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=user,
            confidence="on_track",
        )
    return metric


@time_machine.travel(TODAY)
@pytest.mark.parametrize(
    ("direction", "tone", "words"),
    [
        ("decrease", "good", "Over the year, falling: good news, as lower is better."),
        ("increase", "bad", "Over the year, falling: bad news, as higher is better."),
    ],
)
def test_a_sparkline_says_whether_its_movement_is_good_news(cast, login, direction, tone, words):
    mission = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    falling_emissions(mission, cast.member, direction)

    lead = card_titled(dashboard(login(cast.member)), "Net zero").one("p", cls="dash-lead")

    assert lead.one("svg")["class"] == f"sparkline sparkline-{tone}"
    # Not by colour alone: in words beside the line.
    assert lead.one("span", cls="trend-words").text == words


@time_machine.travel(TODAY)
def test_since_last_week_lists_new_readings_and_how_they_moved(cast, login):
    mission = MissionFactory(organisation=cast.org, title="Net zero", status="active")
    emissions = falling_emissions(mission, cast.member, "decrease")
    checkin_record(
        emissions,
        value=Decimal("96.5"),
        for_date=datetime.date(2026, 12, 29),  # in the week to 1 January 2027
        author=cast.member,
        confidence="on_track",
    )
    quiet = measured_metric(mission, cast.member, ["10"])  # last read in January 2026
    share = MetricFactory(
        goal=GoalFactory(mission=mission), name="Share recycled", format="percentage"
    )
    for on, value in ((datetime.date(2026, 12, 1), "14"), (datetime.date(2026, 12, 30), "19.4")):
        checkin_record(
            share, value=Decimal(value), for_date=on, author=cast.member, confidence="on_track"
        )
    first = MetricFactory(goal=GoalFactory(mission=mission), name="Brand new", unit="kg")
    checkin_record(
        first,
        value=Decimal("4"),
        for_date=datetime.date(2026, 12, 31),
        author=cast.member,
        confidence="on_track",
    )

    page = dashboard(login(cast.viewer))

    changed = page.one("section", aria_labelledby="changed-heading")
    rows = changed.all("li")
    assert [row.one("a").text for row in rows] == ["Brand new", "Share recycled", emissions.name]
    assert quiet.name not in changed.text
    assert rows[0].one("span", cls="trend-words").text == "First reading."
    # A percentage moves by points.
    assert rows[1].one("span", cls="trend-words").text == (
        "up 5.4 points from 14 %. Good news, as higher is better."
    )
    moved = rows[2].one("span", cls="trend-words")
    assert moved.text == "down 3.5 tonnes from 100 tonnes. Good news, as lower is better."
    assert "trend-good" in moved["class"]
    assert rows[2].one("strong").text == "96.5 tonnes"


@time_machine.travel(TODAY)
def test_the_cold_dashboard_reads_in_fifteen_queries(cast, login, uncached):
    """Session, user, membership; the missions; the cards' goals, metrics and leads'
    trends; the owners of what needs attention; what changed this week; the overdue
    metrics and their rows; the metrics read most recently and their readings; the
    members count; whether anyone has checked in yet (for the getting-started card). The
    list of what needs attention and the cards' overdue counts come from the cards'
    metrics."""
    client = login(cast.admin)
    mission = MissionFactory(organisation=cast.org, status="active")
    measured_metric(mission, cast.member, ["5", "9"])
    measured_metric(mission, cast.admin, ["1"])
    assert queries_for(client, reverse("reporting:dashboard", args=["acme"])) == 15
