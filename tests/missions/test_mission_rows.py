"""The mission page's goal, metric and milestone rows, for readers who may edit and readers
who may not."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from core.pagecache import CSRF_STAND_IN
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
from tests.html import Node, parse

TODAY = datetime.date(2027, 3, 14)


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


def csrf_token_in(page: str) -> str:
    """The token the forms under a page's header carry ("" when there are none)."""
    main = page.partition('<main id="main"')[2] or page
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', main))
    assert len(tokens) <= 1
    return tokens.pop() if tokens else ""


def goal_rows(page):
    return page.one("ol", cls="goal-list").all("li", cls="goal")


def metric_lines(rows) -> list[str]:
    """Each metric as a screen reader reads its row."""
    return [li.spoken for li in rows]


def moves(section) -> list[list[str]]:
    """Each row's move buttons, by the direction they move it."""
    return [
        [button["value"] for button in form.all("button")]
        for form in section.all("form")
        if form["action"].endswith("/move/")
    ]


def page_for(client, mission, settings, cached: bool) -> tuple[str, Node]:
    if not cached:
        settings.PAGE_CACHE_SECONDS = 0
    client.get(mission.get_absolute_url())  # cached now, when the cache is on
    text = client.get(mission.get_absolute_url()).text
    return text, parse(text)


@pytest.mark.parametrize("reader", ["admin", "mission_owner", "member", "viewer"])
@pytest.mark.parametrize("cached", [False, True])
def test_the_rows_show_each_goal_metric_and_milestone(
    cast, mission_owner, login, settings, mission, reader, cached
):
    client = login(mission_owner if reader == "mission_owner" else getattr(cast, reader))
    _, page = page_for(client, mission, settings, cached)

    first, second, third = goal_rows(page)
    homes, share, spend = mission.goals.get(weight=3).metrics.order_by("position", "id")
    assert first["id"] == f"goal-{mission.goals.get(weight=3).uid}"
    assert first.one("h3").text == 'Homes "warm" <by> 2030'
    # Only the homes are measured (the share has no baseline, the spend no target): 27.5
    # is 17.5 of the 40 from 10 to 50.
    assert first.one("span", cls="progress-text").text == "44\xa0% expected 60\xa0%"
    assert first.one("p", cls="muted").text == "Weight 3 · Mo <b>Owner</b> & co · due 1 May 2028"
    assert metric_lines(first.one("ul", cls="metric-list").all("li")) == [
        "Outcome Homes <retrofitted> 27.5 homes At risk from 10 homes → 50 homes by Jan 2028",
        # Measured from its first check-in, but without a target date: not judged.
        "Output Share 'insulated' 40 % No data yet from 40 % (first check-in) → 80 %",
        "Input Spend from €10",
    ]
    links = [a["href"] for a in first.one("ul", cls="metric-list").all("a", cls="metric-name")]
    assert links == [
        reverse("metrics:detail", args=["acme", mission.slug, metric.uid])
        for metric in (homes, share, spend)
    ]
    assert second.one("p", cls="muted").text == "Weight 1 · no owner"
    assert metric_lines(second.all("li")) == [
        "Outcome Grant secured? Yes On track from No → Yes by Jan 2028"
    ]
    assert not third.all("span", cls="progress")
    assert third.one("p", cls="no-metric").text == (
        "No metric yet: how will you know this goal is met?"
    )
    # Measured across the whole mission: no baseline or target beside them.
    loose = page.one("section", id="goals").all("ul", cls="metric-list")[-1]
    assert metric_lines(loose.all("li")) == [
        "Outcome Carbon <saved> 12,345.68 t On track",
        "Output Volunteers",
    ]

    milestones = page.one("ol", cls="milestone-list").all("li")
    assert [(li["class"], li.one("span", cls="milestone-body").text) for li in milestones] == [
        ("milestone is-done", "Pilot <done> done 2 Feb 2026"),
        ("milestone is-late", "Survey & 'plan' due 1 Jan 2027"),
        ("milestone", "Roll out due 1 Jan 2028"),
    ]
    assert [li.one("span", cls="milestone-state").spoken for li in milestones] == [
        "Done:",
        "Late",
        "",
    ]


@pytest.mark.parametrize("reader", ["admin", "mission_owner"])
@pytest.mark.parametrize("cached", [False, True])
def test_editors_have_edit_links_and_the_move_and_done_forms(
    cast, mission_owner, login, settings, mission, reader, cached
):
    client = login(mission_owner if reader == "mission_owner" else getattr(cast, reader))
    text, page = page_for(client, mission, settings, cached)

    goals, milestones = page.one("section", id="goals"), page.one("section", id="milestones")
    first = goal_rows(page)[0]
    assert [a.spoken for a in first.all("a", cls="button")] == ['Edit “Homes "warm" <by> 2030”']
    assert first.all("a")[-1]["href"] == reverse(
        "metrics:add", args=["acme", mission.slug, mission.goals.get(weight=3).uid]
    )
    assert moves(goals) == [["down"], ["up", "down"], ["up"]]
    assert moves(milestones) == [["down"], ["up", "down"], ["up"]]
    done_forms = [f for f in milestones.all("form") if f["action"].endswith("/done/")]
    assert [(f.one("input", name="done")["value"], f.one("button").spoken) for f in done_forms] == [
        ("0", "Reopen “Pilot <done>”"),
        ("1", "Mark done “Survey & 'plan'”"),
        ("1", "Mark done “Roll out”"),
    ]
    # Each form carries this reader's token, never the cached page's stand-in.
    token = csrf_token_in(text)
    assert token and token != CSRF_STAND_IN
    for form in goals.all("form") + milestones.all("form"):
        assert form["hx-post"] == form["action"]
        assert form.one("input", name="csrfmiddlewaretoken")["value"] == token


@pytest.mark.parametrize("reader", ["member", "viewer"])
@pytest.mark.parametrize("cached", [False, True])
def test_readers_who_may_not_edit_get_no_forms_or_edit_links(
    cast, login, settings, mission, reader, cached
):
    _, page = page_for(login(getattr(cast, reader)), mission, settings, cached)

    goals, milestones = page.one("section", id="goals"), page.one("section", id="milestones")
    assert len(goal_rows(page)) == 3 and len(milestones.all("li")) == 3
    assert not goals.all("form") and not milestones.all("form")
    assert not goals.all("a", cls="button") and not milestones.all("a", cls="button")
    assert "+ Add a metric" not in goals.text


def test_a_lone_goal_and_milestone_have_nothing_to_move_past(cast, login, lone):
    page = parse(login(cast.admin).get(lone.get_absolute_url()).text)

    (goal,) = goal_rows(page)
    assert goal.one("h3").text == "The only goal"
    assert moves(page.one("section", id="goals")) == []
    (milestone,) = page.one("ol", cls="milestone-list").all("li")
    assert milestone.one("span", cls="milestone-title").text == "The only milestone"
    assert moves(page.one("section", id="milestones")) == []
    assert [f["action"].rsplit("/", 2)[-2] for f in milestone.all("form")] == ["done"]


def test_the_rows_escape_what_people_typed(cast, login, mission):
    page = login(cast.admin).get(mission.get_absolute_url()).text

    assert "<by>" not in page and "&lt;by&gt;" in page
    assert "<retrofitted>" not in page and "<done>" not in page and "<saved>" not in page
    assert "Mo <b>Owner</b>" not in page and "Mo &lt;b&gt;Owner&lt;/b&gt; &amp; co" in page


def test_a_moved_goal_comes_back_in_its_new_place_under_htmx(cast, login, mission):
    last = mission.goals.last()
    url = mission.get_absolute_url() + f"goals/{last.uid}/move/"

    response = login(cast.admin).post(url, {"direction": "up"}, headers={"HX-Request": "true"})

    page = parse(response.text)
    titles = [row.one("h3").text for row in goal_rows(page)]
    assert titles == [
        'Homes "warm" <by> 2030',
        "Goal with no metric & no owner",
        "Goal with no owner",
    ]
    assert moves(page.one("section", id="goals")) == [["down"], ["up", "down"], ["up"]]
    token = csrf_token_in(response.text)
    assert token and all(
        form.one("input", name="csrfmiddlewaretoken")["value"] == token
        for form in page.one("section", id="goals").all("form")
    )


def test_a_milestone_marked_done_comes_back_done_under_htmx(cast, login, mission):
    last = mission.milestones.last()
    url = mission.get_absolute_url() + f"milestones/{last.uid}/done/"

    response = login(cast.admin).post(url, {"done": "1"}, headers={"HX-Request": "true"})

    milestones = parse(response.text).one("ol", cls="milestone-list").all("li")
    assert milestones[-1]["class"] == "milestone is-done"
    assert milestones[-1].one("span", cls="milestone-body").text == "Roll out done 14 Mar 2027"
    done = milestones[-1].all("form")[0]
    assert done["action"] == url and done.one("button").spoken == "Reopen “Roll out”"


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
