"""The mission page's goal, metric and milestone rows, written by Jinja2, read as the Django
template they replaced did, for readers who may edit and readers who may not."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db.models import Prefetch
from django.template import engines
from pytest_django.asserts import assertInHTML

from metrics.models import Metric
from metrics.rollups import mission_progress
from metrics.services import checkin_record
from orgs.roles import Role
from tests.factories import (
    GoalFactory,
    IdeaFactory,
    MembershipFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    UserFactory,
)

TODAY = datetime.date(2027, 3, 14)

# How templates/missions/detail.html wrote the rows before Jinja2 did.
DJANGO_RENDERED_ROWS = """{% load metric_values metric_charts dates paths %}
{% if part == "goals" %}
<ol class="goal-list">
  {% for row in progress.goals %}{% with goal=row.goal %}
    <li class="goal" id="goal-{{ goal.uid }}">
      <div class="goal-head">
        <h3>{{ goal.title }}</h3>
        {% if can_edit %}
        <div class="row-actions">
          {% if progress.goals|length > 1 %}{% path_for 'missions:goal_move' org.slug mission.slug goal.uid as move_url %}<form method="post" action="{{ move_url }}" hx-post="{{ move_url }}" hx-target="#goals" hx-swap="outerHTML">{% csrf_token %}{% if not forloop.first %}<button class="button button-small button-quiet" type="submit" name="direction" value="up" aria-label="Move “{{ goal.title }}” up">↑</button>{% endif %}{% if not forloop.last %}<button class="button button-small button-quiet" type="submit" name="direction" value="down" aria-label="Move “{{ goal.title }}” down">↓</button>{% endif %}</form>{% endif %}
          <a class="button button-small button-quiet" href="{% path_for 'missions:goal_edit' org.slug mission.slug goal.uid %}">Edit<span class="visually-hidden"> “{{ goal.title }}”</span></a>
        </div>
        {% endif %}
      </div>
      {% if row.rollup.progress is not None %}{% progress_bar row.rollup.progress expected=row.rollup.expected status=row.rollup.status %}{% endif %}
      <p class="muted small">Weight {{ goal.weight }} · {% if goal.owner %}{{ goal.owner.display_name }}{% else %}no owner{% endif %}{% if goal.due_on %} · due {{ goal.due_on|day_month_year }}{% endif %}</p>
      {% if row.metrics %}
        <ul class="metric-list">
          {% for measured in row.metrics %}{% with metric=measured.metric %}
            <li><span class="kind-chip kind-{{ metric.kind }}">{{ metric.get_kind_display }}</span>
              <a class="metric-name" href="{% path_for 'metrics:detail' org.slug mission.slug metric.uid %}">{{ metric.name }}</a>
              {% if metric.latest_on %}<strong>{{ metric.latest_value|in_units_of:metric }}</strong> {% status_badge measured.rollup.status %}{% endif %}
              <span class="muted small">{% if metric.has_baseline %}from {{ metric.baseline_value|in_units_of:metric }}{% else %}no baseline yet{% endif %}{% if metric.target_value is not None %} → {{ metric.target_value|in_units_of:metric }}{% if metric.target_on %} by {{ metric.target_on|month_year }}{% endif %}{% endif %}</span></li>
          {% endwith %}{% endfor %}
        </ul>
      {% else %}
        <p class="muted small no-metric">No metric yet: how will you know this goal is met?</p>
      {% endif %}
      {% if can_edit %}<p class="small"><a href="{% path_for 'metrics:add' org.slug mission.slug goal.uid %}">+ Add a metric<span class="visually-hidden"> to “{{ goal.title }}”</span></a></p>{% endif %}
    </li>
  {% endwith %}{% endfor %}
</ol>
{% elif part == "loose" %}
<ul class="metric-list">
  {% for measured in progress.loose %}{% with metric=measured.metric %}
    <li><span class="kind-chip kind-{{ metric.kind }}">{{ metric.get_kind_display }}</span>
      <a class="metric-name" href="{% path_for 'metrics:detail' org.slug mission.slug metric.uid %}">{{ metric.name }}</a>
      {% if metric.latest_on %}<strong>{{ metric.latest_value|in_units_of:metric }}</strong> {% status_badge measured.rollup.status %}{% endif %}</li>
  {% endwith %}{% endfor %}
</ul>
{% else %}
<ol class="milestone-list">
  {% for milestone in milestones %}
    <li class="milestone{% if milestone.is_done %} is-done{% elif milestone.is_late %} is-late{% endif %}">
      <span class="milestone-state">{% if milestone.is_done %}<span class="tick" aria-hidden="true">✓</span><span class="visually-hidden">Done:</span>{% elif milestone.is_late %}<span class="late">Late</span>{% else %}<span class="dot" aria-hidden="true"></span>{% endif %}</span>
      <span class="milestone-body"><span class="milestone-title">{{ milestone.title }}</span>
        <span class="muted small">{% if milestone.is_done %}done {{ milestone.done_on|day_month_year }}{% else %}due {{ milestone.due_on|day_month_year }}{% endif %}</span></span>
      {% if can_edit %}
      <span class="row-actions">
        {% path_for 'missions:milestone_done' org.slug mission.slug milestone.uid as done_url %}<form method="post" action="{{ done_url }}" hx-post="{{ done_url }}" hx-target="#milestones" hx-swap="outerHTML">{% csrf_token %}
          <input type="hidden" name="done" value="{% if milestone.is_done %}0{% else %}1{% endif %}">
          <button class="button button-small button-quiet" type="submit">{% if milestone.is_done %}Reopen{% else %}Mark done{% endif %}<span class="visually-hidden"> “{{ milestone.title }}”</span></button></form>
        {% if milestones|length > 1 %}{% path_for 'missions:milestone_move' org.slug mission.slug milestone.uid as move_url %}<form method="post" action="{{ move_url }}" hx-post="{{ move_url }}" hx-target="#milestones" hx-swap="outerHTML">{% csrf_token %}{% if not forloop.first %}<button class="button button-small button-quiet" type="submit" name="direction" value="up" aria-label="Move “{{ milestone.title }}” up">↑</button>{% endif %}{% if not forloop.last %}<button class="button button-small button-quiet" type="submit" name="direction" value="down" aria-label="Move “{{ milestone.title }}” down">↓</button>{% endif %}</form>{% endif %}
        <a class="button button-small button-quiet" href="{% path_for 'missions:milestone_edit' org.slug mission.slug milestone.uid %}">Edit<span class="visually-hidden"> “{{ milestone.title }}”</span></a>
      </span>
      {% endif %}
    </li>
  {% endfor %}
</ol>
{% endif %}"""  # noqa: E501

PARTS = ("goals", "loose", "milestones")


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel(datetime.datetime(2027, 3, 14, 12, tzinfo=datetime.UTC), tick=False):
        yield


@pytest.fixture
def mission_owner(cast):
    person = UserFactory(email="mo@acme.example", name="Mo <b>Owner</b> & co")
    MembershipFactory(organisation=cast.org, user=person, role=Role.MEMBER)
    return person


@pytest.fixture
def mission(cast, mission_owner):
    """Every kind of row: goals with and without owners, dates and metrics; metrics of
    each format, measured or not, with and without a baseline or a target; metrics of no
    goal; milestones done, late and still to come. Names that need escaping."""
    mission = MissionFactory(organisation=cast.org, title="Retrofit & <renew>", owner=mission_owner)
    first = GoalFactory(
        mission=mission,
        title='Homes "warm" <by> 2030',
        owner=mission_owner,
        due_on=datetime.date(2028, 5, 1),
        weight=3,
    )
    second = GoalFactory(mission=mission, title="Goal with no owner", owner=None)
    GoalFactory(mission=mission, title="Goal with no metric & no owner", owner=None)
    homes = MetricFactory(goal=first, name="Homes <retrofitted>", unit="homes")
    share = MetricFactory(
        goal=first,
        name="Share 'insulated'",
        kind="output",
        format="percentage",
        baseline_value=None,
        baseline_on=None,
        target_value=Decimal("80"),
        target_on=None,
    )
    MetricFactory(
        goal=first, name="Spend", kind="input", format="currency", unit="€", target_value=None
    )
    grant = MetricFactory(
        goal=second,
        name="Grant secured?",
        format="yes_no",
        baseline_value=Decimal("0"),
        target_value=Decimal("1"),
    )
    across = MetricFactory(goal=None, mission=mission, name="Carbon <saved>", unit="t")
    MetricFactory(goal=None, mission=mission, name="Volunteers", kind="output")
    for metric, value in ((homes, "27.5"), (share, "40"), (grant, "1"), (across, "12345.678")):
        checkin_record(
            metric,
            value=Decimal(value),
            for_date=datetime.date(2027, 3, 1),
            author=mission_owner,
            confidence="at_risk" if metric is homes else "on_track",
        )
    MilestoneFactory(
        mission=mission,
        title="Pilot <done>",
        due_on=datetime.date(2026, 1, 1),
        done_on=datetime.date(2026, 2, 2),
    )
    MilestoneFactory(mission=mission, title="Survey & 'plan'", due_on=datetime.date(2027, 1, 1))
    MilestoneFactory(mission=mission, title="Roll out", due_on=datetime.date(2028, 1, 1))
    return mission


@pytest.fixture
def lone(cast, mission_owner):
    """One goal and one milestone: nothing to move them past."""
    mission = MissionFactory(organisation=cast.org, title="Lone", owner=mission_owner)
    MetricFactory(goal=GoalFactory(mission=mission, title="The only goal"))
    MilestoneFactory(mission=mission, title="The only milestone")
    return mission


def django_rendered(mission, part: str, can_edit: bool, csrf_token: str) -> str:
    goals = list(
        mission.goals.select_related("owner").prefetch_related(
            Prefetch("metrics", queryset=Metric.objects.all())
        )
    )
    loose = list(mission.metrics.filter(goal__isnull=True))
    context = {
        "part": part,
        "org": mission.organisation,
        "mission": mission,
        "progress": mission_progress(mission, goals, loose, TODAY),
        "milestones": list(mission.milestones.all()),
        "can_edit": can_edit,
        "csrf_token": csrf_token,
    }
    return engines["django"].from_string(DJANGO_RENDERED_ROWS).render(context)


def csrf_token_in(page: str) -> str:
    """The token the forms under a page's header carry ("" when there are none)."""
    main = page.partition('<main id="main"')[2] or page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', main))
    assert len(tokens) <= 1
    return tokens.pop() if tokens else ""


@pytest.mark.parametrize(
    ("reader", "can_edit"),
    [("admin", True), ("mission_owner", True), ("member", False), ("viewer", False)],
)
@pytest.mark.parametrize("fixture", ["mission", "lone"])
@pytest.mark.parametrize("cached", [False, True])
def test_the_rows_read_as_the_django_templates_did(
    request, cast, mission_owner, login, settings, reader, can_edit, fixture, cached
):
    if not cached:
        settings.PAGE_CACHE_SECONDS = 0
    shown = request.getfixturevalue(fixture)
    client = login(mission_owner if reader == "mission_owner" else getattr(cast, reader))
    client.get(shown.get_absolute_url())  # cached now, when the cache is on
    page = client.get(shown.get_absolute_url()).text
    token = csrf_token_in(page)

    for part in PARTS:
        if part == "loose" and fixture == "lone":
            continue
        assertInHTML(django_rendered(shown, part, can_edit, token), page, count=1)
    # The cases do what they say.
    assert ("hx-post" in page) == can_edit
    assert page.count('class="goal"') == (3 if fixture == "mission" else 1)
    assert ('name="direction"' in page) == (can_edit and fixture == "mission")


def test_the_rows_escape_what_people_typed(cast, login, mission):
    page = login(cast.admin).get(mission.get_absolute_url()).text

    assert "<by>" not in page and "&lt;by&gt;" in page
    assert "<retrofitted>" not in page and "<done>" not in page and "<saved>" not in page
    assert "Mo <b>Owner</b>" not in page and "Mo &lt;b&gt;Owner&lt;/b&gt; &amp; co" in page


@pytest.mark.parametrize(
    ("action", "data", "part"),
    [
        ("goals/{goal}/move/", {"direction": "up"}, "goals"),
        ("milestones/{milestone}/done/", {"done": "1"}, "milestones"),
    ],
)
def test_a_changed_section_comes_back_with_the_same_rows(cast, login, mission, action, data, part):
    url = mission.get_absolute_url() + action.format(
        goal=mission.goals.last().uid, milestone=mission.milestones.last().uid
    )
    response = login(cast.admin).post(url, data, headers={"HX-Request": "true"})

    assertInHTML(
        django_rendered(mission, part, True, csrf_token_in(response.text)), response.text, count=1
    )


def test_the_page_counts_open_ideas_among_all_and_wants_stakeholders(
    cast, login, mission, settings
):
    settings.PAGE_CACHE_SECONDS = 0
    IdeaFactory(mission=mission)
    IdeaFactory(mission=mission, state="declined", decision_note="Not now")
    IdeaFactory(mission=MissionFactory(organisation=cast.org))  # another mission's

    page = login(cast.member).get(mission.get_absolute_url()).text

    assert "1 open idea of 2." in page
    assert "No stakeholders are linked" in page
