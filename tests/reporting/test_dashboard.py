import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.template.defaultfilters import floatformat
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from metrics.jinja import whole_number
from metrics.services import checkin_record
from missions.models import Goal, Mission
from tests.factories import GoalFactory, MetricFactory, MissionFactory
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
    assert '<rect class="progress-fill" y="3" width="42.5" height="8"/>' in response.text
    assert '<span class="dash-goal-value">43&nbsp;%</span>' in response.text  # half up


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


# (Django gives up on a number of more than 200 digits, 1e-190 say, and prints it as it came.)
@given(st.floats(min_value=0, max_value=100).filter(lambda v: v == 0 or v > 1e-100))
def test_a_whole_number_reads_as_djangos_floatformat_0(value):
    assert whole_number(value) == floatformat(value, "0")


def test_a_whole_number_rounds_half_up_as_floatformat_does():
    assert [whole_number(v) for v in (42.5, 0.5, 99.5, 0.0, 100.0)] == [
        "43",
        "1",
        "100",
        "0",
        "100",
    ]


# ---- The card, written for Jinja2, reads as Django's rendering of it ----

# How the dashboard wrote each card before it was rendered by Jinja2 from plain rows: from
# the missions, goals and metrics as models, through Django's engine. The page must give
# the same HTML.
DJANGO_RENDERED_CARD = """{% load metric_values metric_charts dates paths %}
{% with mission=card.mission rollup=card.progress.rollup %}
    <li class="card dash-mission">
      <div class="mission-card-head">
        <h3><a href="{{ mission.get_absolute_url }}">{{ mission.title }}</a></h3>
        {% status_badge rollup.status %}
      </div>
      {% progress_bar rollup.progress expected=rollup.expected status=rollup.status %}
      <ul class="dash-goals">
        {% for row in card.progress.goals %}
          <li><span class="dash-goal-title">{{ row.goal.title }}</span>
            <span class="dash-goal-value">{% if row.rollup.progress is not None %}{{ row.rollup.progress|floatformat:"0" }}&nbsp;%{% else %}<span class="muted">no data</span>{% endif %}</span></li>
        {% endfor %}
      </ul>
      {% if card.lead %}{% with lead=card.lead.metric %}
      <p class="dash-lead">
        {% if card.trend %}{% sparkline_svg card.trend %}{% endif %}
        <span><a href="{% path_for 'metrics:detail' org.slug mission.slug lead.uid %}">{{ lead.name }}</a>: <strong>{{ lead.latest_value|in_units_of:lead }}</strong>
        <span class="muted small">on {{ lead.latest_on|day_month }}, target {{ lead.target_value|in_units_of:lead }}</span></span>
      </p>
      {% endwith %}{% endif %}
      {% if card.overdue %}<p class="dash-overdue">{{ card.overdue }} check-in{{ card.overdue|pluralize }} overdue</p>{% endif %}
    </li>
{% endwith %}"""  # noqa: E501


def djangos_card(org, mission, today):
    """The card as the dashboard rendered it from models."""
    from types import SimpleNamespace

    from django.template import engines

    from metrics.charts import sparkline
    from metrics.rollups import lead_metric, mission_progress, recent_values

    goals = list(mission.goals.prefetch_related("metrics"))
    mission.refresh_from_db()
    progress = mission_progress(mission, goals, list(mission.metrics.filter(goal=None)), today)
    first = lead_metric(row.metric for row in progress.metrics)
    lead = next((row for row in progress.metrics if row.metric is first), None)
    history = recent_values([lead.metric.pk] if lead else [], today)
    card = SimpleNamespace(
        mission=mission,
        progress=progress,
        lead=lead,
        overdue=sum(
            1 for m in progress.metrics if m.metric.next_due_on and m.metric.next_due_on < today
        ),
        trend=sparkline(history[lead.metric.pk]) if lead else None,
    )
    return engines["django"].from_string(DJANGO_RENDERED_CARD).render({"org": org, "card": card})


def build_measured(cast, mission):
    goal = GoalFactory(mission=mission, title='Halve <emissions> & "waste"', weight=3)
    measured_metric(mission, cast.member, ["12", "20", "31"], goal=goal)
    measured_metric(mission, cast.member, ["40", "42.5"], weight=2, goal=goal)
    GoalFactory(mission=mission, title="Not measured yet")


def build_unmeasured(cast, mission):
    GoalFactory(mission=mission, title="Nothing yet")
    MetricFactory(goal=GoalFactory(mission=mission), baseline_value=None, baseline_on=None)


def build_loose_and_formatted(cast, mission):
    input_metric = measured_metric(mission, cast.member, ["3"])
    input_metric.kind = "input"
    input_metric.save()
    loose = MetricFactory(
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
            loose,
            value=Decimal(value),
            for_date=datetime.date(2026, month, 1),
            author=cast.member,
            confidence="at_risk",
        )


def build_without_lead(cast, mission):
    for weight in (1, 5):
        metric = measured_metric(mission, cast.member, ["30", "25"], weight=weight)
        metric.kind = "output"
        metric.save()


def build_weekly_for_years(cast, mission):
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


CARDS = {
    "measured, one goal without metrics": build_measured,
    "no goal measured": build_unmeasured,
    "a metric outside any goal, in pounds": build_loose_and_formatted,
    "no outcome metric": build_without_lead,
    "a weekly metric for two years": build_weekly_for_years,
    "no goals at all": lambda cast, mission: None,
}


@pytest.mark.parametrize("case", CARDS)
@time_machine.travel(TODAY)
def test_a_card_reads_as_djangos_own_rendering_of_it(cast, case):
    from django.test.html import parse_html

    from reporting.views.dashboard import MissionRow, _cards

    mission = MissionFactory(organisation=cast.org, title='R&D <fast> "now"', status="active")
    CARDS[case](cast, mission)
    today = datetime.date(2027, 1, 1)

    written = _cards(
        cast.org, [MissionRow(mission.pk, mission.title, mission.slug, "active")], today
    )

    assert parse_html(written[mission.pk]) == parse_html(djangos_card(cast.org, mission, today))
    # Escaped, though Jinja2 writes a quote as &#34; where Django writes &quot;.
    assert "R&amp;D &lt;fast&gt; &#34;now&#34;" in written[mission.pk]


# ---- The missions and the lists, written for Jinja2, read as Django's rendering of them ----

# How the dashboard wrote them before, through Django's engine from model rows joined to
# their missions. The page must give the same HTML.
DJANGO_RENDERED_BODY = """{% load metric_values dates paths %}
<div class="grid-2">
<section aria-labelledby="missions-heading">
  <h2 id="missions-heading" class="section-title">Active missions</h2>
  {% if cards %}
  <ul class="dash-missions">
    {% for card in cards %}{{ card }}{% endfor %}
  </ul>
  {% else %}
  <div class="card empty-state">
    <h2>No active missions</h2>
    <p>When a mission is active, its progress, status and trend show here.{% with others=other_missions %}{% if others %} {{ others }} mission{{ others|pluralize }} {{ others|pluralize:"is,are" }} in draft or paused.{% endif %}{% endwith %}</p>
    <p><a class="button" href="{% path_for 'missions:list' org.slug %}">Go to missions</a></p>
  </div>
  {% endif %}
</section>
<aside>
  <section class="card" aria-labelledby="overdue-heading">
    <h2 id="overdue-heading">Overdue check-ins</h2>
    {% if overdue %}
      <ul class="rowlist">
        {% for metric in overdue %}
          <li><span><a class="person" href="{% path_for 'metrics:detail' org.slug metric.mission.slug metric.uid %}">{{ metric.name }}</a>
            <span class="muted small">{{ metric.mission.title }} · {% if metric.owner %}{{ metric.owner.display_name }}{% else %}no owner{% endif %}</span></span>
            <span class="late-by">due {{ metric.next_due_on|day_month }}</span></li>
        {% endfor %}
      </ul>
    {% else %}
      <p class="empty">Nothing overdue. Every metric is up to date.</p>
    {% endif %}
  </section>
  <section class="card" aria-labelledby="latest-heading">
    <h2 id="latest-heading">Latest check-ins</h2>
    {% if latest %}
      <ul class="rowlist">
        {% for checkin in latest %}
          <li><span><a class="person" href="{% path_for 'metrics:detail' org.slug checkin.metric.mission.slug checkin.metric.uid %}">{{ checkin.metric.name }}</a>
            <span class="muted small">{{ checkin.value|in_units_of:checkin.metric }} for {{ checkin.for_date|day_month }}{% if checkin.author %} · {{ checkin.author.display_name }}{% endif %}</span>
            {% if checkin.note %}<span class="small">“{{ checkin.note|truncatechars:90 }}”</span>{% endif %}</span></li>
        {% endfor %}
      </ul>
    {% else %}
      <p class="empty">No check-ins yet.</p>
    {% endif %}
  </section>
</aside>
</div>
"""  # noqa: E501


def djangos_body(org, membership, cards, today):
    """The part as the dashboard rendered it, with the same cards."""
    from django.template import engines

    from metrics.models import CheckIn, Metric
    from missions.models import Mission, MissionStatus

    visible = Mission.objects.visible_to(membership).live()
    context = {
        "org": org,
        "cards": cards,
        "overdue": Metric.objects.filter(mission__in=visible, next_due_on__lt=today)
        .select_related("mission__organisation", "owner")
        .order_by("next_due_on")[:10],
        "latest": CheckIn.objects.filter(metric__mission__in=visible, is_current=True)
        .select_related("metric__mission__organisation", "author")
        .order_by("-for_date", "-created_at")[:8],
        "other_missions": visible.exclude(status=MissionStatus.ACTIVE).count,
    }
    return engines["django"].from_string(DJANGO_RENDERED_BODY).render(context)


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


BODIES = {
    "no missions at all": (None, lambda cast: None),
    "one mission in draft": (
        None,
        lambda cast: MissionFactory(organisation=cast.org, status="draft"),
    ),
    "two missions paused": (
        None,
        lambda cast: [MissionFactory(organisation=cast.org, status="paused") for _ in range(2)],
    ),
    "busy lists": ("active", None),
}


@pytest.mark.parametrize("case", BODIES)
@time_machine.travel(TODAY)
def test_the_missions_and_lists_read_as_djangos_own_rendering_of_them(cast, case):
    from django.test.html import parse_html
    from django.utils.safestring import mark_safe

    from reporting.views.dashboard import MissionRow, _body, _cards

    status, build = BODIES[case]
    if status:
        build_busy_lists(cast, MissionFactory(organisation=cast.org, title="Busy", status=status))
    else:
        build(cast)
    today = datetime.date(2027, 1, 1)
    membership = cast.membership(cast.member)

    written = _body(cast.org, membership, today)

    active = Mission.objects.filter(organisation=cast.org, status="active")
    cards = _cards(cast.org, [MissionRow(m.pk, m.title, m.slug, m.status) for m in active], today)
    cards = [mark_safe(card) for card in cards.values()]  # noqa: S308 -- rendered by _cards
    assert parse_html(written) == parse_html(djangos_body(cast.org, membership, cards, today))
