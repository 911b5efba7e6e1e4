"""Riverside Bakery's missions for the demo: built from the templates, then made its own."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from metrics import catalogue
from metrics.models import Metric
from metrics.services import mission_create_from_template
from missions.models import (
    Alignment,
    AlignmentRole,
    Idea,
    IdeaState,
    IdeaSupport,
    Mission,
    MissionStatus,
    Report,
    Resource,
    ResourceKind,
    ShareLink,
    ShareTarget,
    StakeholderLink,
    Visibility,
)
from orgs.models import Organisation, Stakeholder, StakeholderKind, Team, User
from reporting.demo_history import digest_week, recorded_on
from reporting.pdf import PdfUnavailable, published_pdf
from reporting.reports import month_period, period_label, report_publish

STAKEHOLDERS = [
    ("Thames Valley Flour Mill", StakeholderKind.SUPPLIER, "Joan Avery", "joan@tvflour.example"),
    ("Greenfold Packaging", StakeholderKind.SUPPLIER, "Dev Patel", "dev@greenfold.example"),
    ("Riverside Residents' Association", StakeholderKind.COMMUNITY_PARTNER, "Ruth Bello", ""),
    ("Café regulars", StakeholderKind.CUSTOMER, "", ""),
    ("Bakery staff forum", StakeholderKind.EMPLOYEE_GROUP, "Megan Lewis", ""),
    ("Southside Community Bank", StakeholderKind.INVESTOR, "Alan Moss", "alan@scb.example"),
]

# (template key, title, status, visibility, alignments, resources, stakeholder links)
MISSIONS: list[tuple[str, str, str, str, list[Any], list[Any], list[Any]]] = [
    (
        "net-zero-operations",
        "Net-zero bakery",
        MissionStatus.ACTIVE,
        Visibility.SHAREABLE,
        [("bakery-floor", AlignmentRole.LEAD, 30), ("sourcing", AlignmentRole.CONTRIBUTOR, 20)],
        [
            (ResourceKind.BUDGET, "Electric deck ovens", Decimal("85000"), "one_off"),
            (ResourceKind.PEOPLE, "Energy champion", Decimal("0.5"), "one_off"),
            (ResourceKind.TECHNOLOGY, "Smart meters in all four shops", None, "one_off"),
        ],
        [
            (
                "Thames Valley Flour Mill",
                "Lower-carbon milling and delivery",
                "All deliveries to us in electric vans by June 2027",
                365 + 210,
                False,
            ),
            ("Riverside Residents' Association", "Cleaner air on the high street", "", 0, False),
            ("Southside Community Bank", "Green loan for the ovens", "", 0, False),
        ],
    ),
    (
        "local-supply-chain",
        "Buy local, grow local",
        MissionStatus.ACTIVE,
        Visibility.SHAREABLE,
        [("sourcing", AlignmentRole.LEAD, 50), ("shops-and-cafes", AlignmentRole.CONTRIBUTOR, 10)],
        [
            (ResourceKind.BUDGET, "Supplier development fund", Decimal("12000"), "yearly"),
            (ResourceKind.PEOPLE, "Buyer time", Decimal("0.4"), "one_off"),
        ],
        [
            (
                "Thames Valley Flour Mill",
                "Local wheat, local jobs",
                "20% of hires from within 10 miles by 2027",
                365,
                False,
            ),
            (
                "Greenfold Packaging",
                "Compostable packaging made in the county",
                "Switch our bread bags to home-compostable film",
                -60,
                False,
            ),
            ("Café regulars", "Knowing where their food comes from", "", 0, False),
        ],
    ),
    (
        "best-place-to-work",
        "The best bakery to work for",
        MissionStatus.ACTIVE,
        Visibility.ORGANISATION,
        [
            ("shops-and-cafes", AlignmentRole.LEAD, 15),
            ("bakery-floor", AlignmentRole.CONTRIBUTOR, 10),
            ("sourcing", AlignmentRole.CONTRIBUTOR, 40),
        ],
        [(ResourceKind.BUDGET, "Training and apprenticeships", Decimal("18000"), "yearly")],
        [("Bakery staff forum", "Fair rotas and a say in changes", "", 0, False)],
    ),
    (
        "community-impact",
        "Good neighbours",
        MissionStatus.DRAFT,
        Visibility.ORGANISATION,
        [],
        [],
        [],
    ),
]

IDEAS = [
    (
        "Net-zero bakery",
        "Deliver the morning rounds by e-cargo bike",
        "Three of our four shops are within two miles. A trial on one round would show "
        "whether bikes keep up.",
        IdeaState.OPEN,
        "",
    ),
    (
        "Net-zero bakery",
        "Turn the ovens down between bakes",
        "A quick win while we wait for the new ovens.",
        IdeaState.DECLINED,
        "The current ovens take too long to come back up to heat; we'd lose the 6am bake.",
    ),
    (
        "The best bakery to work for",
        "Four-day week trial on the bakery floor",
        "Same hours over four shifts, for volunteers, for three months.",
        IdeaState.OPEN,
        "",
    ),
]


@transaction.atomic
def build_demo_missions(org: Organisation, owner: User, people: list[User]) -> None:
    """Idempotent: a mission whose title is already there is left as it is."""
    stakeholders = {}
    for name, kind, contact, email in STAKEHOLDERS:
        stakeholders[name], _ = Stakeholder.objects.get_or_create(
            organisation=org,
            name=name,
            defaults={
                "kind": kind,
                "contact_name": contact,
                "email": email,
                "consent_to_email": bool(email),
                # The demo's stakeholders are made up: as if they had confirmed by email.
                "email_confirmed_at": timezone.now() if email else None,
            },
        )
    teams = {team.slug: team for team in Team.objects.filter(organisation=org)}
    today = timezone.localdate()
    started = today - timedelta(days=365)

    for key, title, status, visibility, alignments, resources, links in MISSIONS:
        if Mission.objects.filter(organisation=org, title=title).exists():
            continue
        template = catalogue.get_template(key)
        assert template is not None, key
        # Active missions have run for a year; drafts start now.
        starts_on = started if status == MissionStatus.ACTIVE else today
        mission = mission_create_from_template(
            org, template, owner, title=title, starts_on=starts_on
        )
        mission.status, mission.visibility = status, visibility
        mission.save(update_fields=["status", "visibility"])
        if status == MissionStatus.ACTIVE:
            _record_baselines(mission, template, starts_on)
            _progress_milestones(mission, today)
        for slug, role, capacity in alignments:
            Alignment.objects.create(
                mission=mission, team=teams[slug], role=role, capacity=capacity
            )
        for kind, name, amount, period in resources:
            Resource.objects.create(
                mission=mission, kind=kind, name=name, amount=amount, period=period
            )
        for name, interest, commitment, due_in_days, met in links:
            StakeholderLink.objects.create(
                mission=mission,
                stakeholder=stakeholders[name],
                interest=interest,
                commitment=commitment,
                commitment_due_on=today + timedelta(days=due_in_days) if commitment else None,
                commitment_met_on=today if met else None,
            )
        for goal, person in zip(mission.goals.all(), people, strict=False):
            goal.owner = person
            goal.save(update_fields=["owner"])
            goal.metrics.update(owner=person)

    # Ideas proposed through last week, so the digest preview has new ones to show.
    week_first, _ = digest_week(org, today)
    for day, (mission_title, title, description, state, note) in enumerate(IDEAS):
        mission = Mission.objects.get(organisation=org, title=mission_title)
        idea, created = Idea.objects.get_or_create(
            mission=mission,
            title=title,
            defaults={
                "description": description,
                "author": people[0],
                "state": state,
                "decision_note": note,
                "decided_by": owner if state != IdeaState.OPEN else None,
                "decided_at": timezone.now() if state != IdeaState.OPEN else None,
            },
        )
        if created:
            IdeaSupport.objects.bulk_create(IdeaSupport(idea=idea, user=u) for u in people[:2])
            proposed = recorded_on(week_first + timedelta(days=day % 7), org.zone())
            Idea.objects.filter(pk=idea.pk).update(created_at=proposed)


def _record_baselines(mission: Mission, template: catalogue.MissionTemplate, on: date) -> None:
    """The demo bakery has measured where it started: the template's example baselines."""
    suggestions = {m.name: m for goal in template.goals for m in goal.metrics}
    for metric in Metric.objects.filter(mission=mission):
        suggestion = suggestions[metric.name]
        metric.baseline_value = suggestion.baseline
        metric.baseline_on = on if suggestion.baseline is not None else None
        metric.save(update_fields=["baseline_value", "baseline_on"])


def _progress_milestones(mission: Mission, today: date) -> None:
    """Past milestones are done, bar the latest one, which has slipped."""
    past = [m for m in mission.milestones.all() if m.due_on < today]
    for milestone in past[:-1]:
        milestone.done_on = milestone.due_on
        milestone.save(update_fields=["done_on"])


# Named on share pages by their agreement; the others are "a supplier" there.
PUBLIC_STAKEHOLDERS = ("Thames Valley Flour Mill", "Southside Community Bank")
REPORT_NARRATIVE = """\
## Highlights

- The electric deck ovens are in at two of our four shops.
- A third of our flour now comes from within 30 miles.

## Risks

Our packaging supplier's switch to home-compostable film has slipped. We are working
with them on a new date.

## What we ask of you

Tell us where we could buy closer to home: suppliers, growers and makers we should meet.
"""


@dataclass(frozen=True)
class DemoSharing:
    report: Report
    link: ShareLink | None  # made this time, with its token; None when it was there already
    pdf_made: bool


def build_demo_sharing(org: Organisation, owner: User, today: date) -> DemoSharing:
    """What a newcomer should find shared: the public progress page switched on (with its
    missions' badges), last month's report published with its PDF made and kept, and an
    active share link to it. Idempotent: what is there already is left as it is."""
    if not org.public_page:
        org.public_page = True
        org.save(update_fields=["public_page"])
    Stakeholder.objects.filter(organisation=org, name__in=PUBLIC_STAKEHOLDERS).update(
        is_public=True
    )
    start, end = month_period(*_last_month(today))
    title = f"Progress report, {period_label(start, end)}"
    report = Report.objects.filter(organisation=org, title=title).first()
    if report is None:
        report = Report.objects.create(
            organisation=org,
            title=title,
            period_start=start,
            period_end=end,
            narrative=REPORT_NARRATIVE,
            author=owner,
        )
        report.missions.set(
            Mission.objects.filter(
                organisation=org, status=MissionStatus.ACTIVE, visibility=Visibility.SHAREABLE
            )
        )
        report = report_publish(report, owner)
    link = None
    if not report.share_links.active().exists():
        link = ShareLink.objects.create(
            organisation=org,
            target=ShareTarget.REPORT,
            report=report,
            label="Suppliers' newsletter",
            created_by=owner,
        )
    try:
        published_pdf(report)
        pdf_made = True
    except PdfUnavailable:
        pdf_made = False
    return DemoSharing(report, link, pdf_made)


def _last_month(today: date) -> tuple[int, int]:
    return (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
