"""The mission health check: what keeps a mission from being a good one, and the fix.

`mission_health` is a pure function over counts, which each mission stores (kept by
metrics.figures), so a list judges every mission from its rows alone and the rules are
tested without a database.
"""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class HealthFacts:
    has_owner: bool
    has_end_date: bool
    goal_count: int
    goals_without_metric: int
    metric_count: int
    outcome_metric_count: int
    metrics_without_baseline: int
    lead_team_count: int
    stakeholder_count: int


@dataclass(frozen=True, slots=True)
class HealthIssue:
    code: str
    message: str
    fix: str  # what to do, shown as the link text
    # Which part of the mission the fix link goes to: edit, goals, alignment, stakeholders
    where: str
    # The field there that the link lands on and focuses ("ends_on" on the edit form).
    field: str = ""


def mission_health(facts: HealthFacts) -> list[HealthIssue]:
    issues = []
    if not facts.has_owner:
        issues.append(
            HealthIssue("no_owner", "Nobody owns this mission.", "Choose an owner", "edit", "owner")
        )
    if not facts.has_end_date:
        issues.append(
            HealthIssue(
                "no_end_date",
                "It has no end date (its “Ends on”), so nobody can tell when it should be done.",
                "Set an end date",
                "edit",
                "ends_on",
            )
        )
    if facts.goal_count == 0:
        issues.append(
            HealthIssue("no_goals", "It has no goals yet.", "Add an ambitious goal", "goals")
        )
    elif facts.goals_without_metric:
        n = facts.goals_without_metric
        issues.append(
            HealthIssue(
                "goal_without_metric",
                f"{n} goal{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} no metric, "
                "so progress cannot be measured.",
                "Add a metric",
                "goals",
            )
        )
    if facts.metric_count and not facts.outcome_metric_count:
        issues.append(
            HealthIssue(
                "no_outcome_metric",
                "Every metric counts activity (outputs or inputs); none measures the outcome.",
                "Add an outcome metric",
                "goals",
            )
        )
    if facts.metrics_without_baseline:
        n = facts.metrics_without_baseline
        issues.append(
            HealthIssue(
                "no_baseline",
                f"{n} metric{'s' if n != 1 else ''} {'have' if n != 1 else 'has'} no baseline "
                "to measure progress from.",
                "Record a baseline",
                "goals",
            )
        )
    if not facts.lead_team_count:
        issues.append(
            HealthIssue(
                "no_lead_team", "No team leads it.", "Align a lead team", "alignment", "team"
            )
        )
    if not facts.stakeholder_count:
        issues.append(
            HealthIssue(
                "no_stakeholders",
                "No stakeholders are linked: who outside the team cares how it goes?",
                "Link stakeholders",
                "stakeholders",
                "stakeholder",
            )
        )
    return issues
