"""Build large, realistic organisations for benchmarks, the same every time for a seed.

One organisation: 30 missions, 120 goals, 400 metrics, two years of weekly check-ins
(about 40,000), 40 teams, 200 members, 100 stakeholders and 20 published monthly reports,
with share links to its progress page, its first mission and its latest report.
`--orgs N` builds N of them, to show that one organisation's pages do not slow down as
others grow. `--size N` makes each N times as large (people, teams, missions, metrics),
`--weeks` sets how much history, and `--prefix` names them: the email benchmark builds
mail-1 to mail-5, each of 1,000 members and 2,000 metrics with 8 weeks of check-ins.
"""

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from django.db.models import DateTimeField, F
from django.db.models.functions import Cast
from django.utils import timezone

from metrics.figures import figures_recompute
from metrics.models import CheckIn, Confidence, Metric, MetricKind
from missions.models import (
    Alignment,
    AlignmentRole,
    Goal,
    Milestone,
    Mission,
    MissionStatus,
    Report,
    Resource,
    ShareLink,
    ShareTarget,
    StakeholderLink,
    Visibility,
)
from orgs.models import (
    DigestFrequency,
    Membership,
    Organisation,
    Stakeholder,
    StakeholderKind,
    Team,
    TeamMember,
    User,
)
from orgs.roles import Role
from reporting.reports import month_period, period_label, report_publish

MISSIONS, GOALS_PER_MISSION, MEMBERS, TEAMS, STAKEHOLDERS = 30, 4, 200, 40, 100
METRICS = 400
CONTRIBUTORS = 150  # members who own goals and metrics; the rest are viewers
ACTIVE_MISSIONS = 25  # of each 30; the others are drafts
REPORTS = 20
# Readings are recorded on the day they are for, as people do: digests count what was
# recorded in their week, and the seeding moment would put two years of readings in one.
NOON = time(12)
WEEKS = 104
BENCH_PASSWORD = "bench-password"  # noqa: S105 -- a local benchmark account
SUBJECTS = [
    "Net-zero operations", "Local supply chain", "Best place to work", "Customer loyalty",
    "Zero waste", "Community impact", "Fair pay and skills", "Digital-first service",
    "Accessible to everyone", "Healthy workplace",
]  # fmt: skip


class Command(BaseCommand):
    help = "Create large organisations (scale-1, scale-2, ...) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--orgs", type=int, default=1)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--size", type=int, default=1, help="times the usual size")
        parser.add_argument("--weeks", type=int, default=WEEKS, help="weeks of check-ins")
        parser.add_argument("--prefix", default="scale", help="slugs are <prefix>-<n>")

    def handle(self, *args: Any, **options: Any) -> None:
        # Hashed once: PBKDF2 for each of 200 users would dominate the seeding.
        password = make_password(BENCH_PASSWORD)
        for n in range(1, options["orgs"] + 1):
            slug = f"{options['prefix']}-{n}"
            if Organisation.objects.filter(slug=slug).exists():
                self.stdout.write(f"{slug} is already there")
                continue
            started = timezone.now()
            build_organisation(
                slug,
                random.Random(options["seed"] + n),  # noqa: S311
                password,
                size=options["size"],
                weeks=options["weeks"],
            )
            seconds = (timezone.now() - started).total_seconds()
            self.stdout.write(self.style.SUCCESS(f"Built {slug} in {seconds:.1f}s"))
        # Fresh statistics, as autovacuum would gather in a day: without them the planner
        # guesses one row per table and picks plans no live database would. PostgreSQL and
        # SQLite both take the same statement.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            f"Log in as bench-owner@{options['prefix']}-1.example, password {BENCH_PASSWORD!r}"
        )


@transaction.atomic
def build_organisation(
    slug: str, rng: random.Random, password: str, *, size: int = 1, weeks: int = WEEKS
) -> Organisation:
    today = timezone.localdate()
    members, teams_count, missions_count = MEMBERS * size, TEAMS * size, MISSIONS * size
    contributors, stakeholders_count = CONTRIBUTORS * size, STAKEHOLDERS * size
    prefix, n = slug.rsplit("-", 1)
    org = Organisation.objects.create(name=f"{prefix.title()} Co {n}", slug=slug)
    users = User.objects.bulk_create(
        User(email=f"bench-{'owner' if i == 0 else i}@{slug}.example", name=f"Person {i}",
             password=password)
        for i in range(members)
    )  # fmt: skip
    roles = [Role.OWNER, Role.ADMIN] + [Role.MEMBER] * contributors
    roles += [Role.VIEWER] * (members - len(roles))
    Membership.objects.bulk_create(
        Membership(organisation=org, user=user, role=role)
        for user, role in zip(users, roles, strict=True)
    )
    teams = Team.objects.bulk_create(
        Team(organisation=org, name=f"Team {i}", slug=f"team-{i}", lead=users[i + 2])
        for i in range(teams_count)
    )
    TeamMember.objects.bulk_create(
        TeamMember(team=teams[i % teams_count], user=user) for i, user in enumerate(users)
    )
    stakeholders = Stakeholder.objects.bulk_create(
        Stakeholder(
            organisation=org,
            name=f"Stakeholder {i}",
            kind=rng.choice(StakeholderKind.values),
            email=f"stakeholder{i}@{slug}.example",
            consent_to_email=i % 3 == 0,
            email_confirmed_at=timezone.now() if i % 3 == 0 else None,
            digest_frequency=DigestFrequency.WEEKLY,
        )
        for i in range(stakeholders_count)
    )
    missions = Mission.objects.bulk_create(
        Mission(
            organisation=org,
            title=f"{SUBJECTS[i % len(SUBJECTS)]} {i // len(SUBJECTS) + 1}",
            slug=f"mission-{i}",
            purpose="Make a measurable difference by the end date.",
            end_state="By 2030, the change is plain to see.",
            starts_on=today - timedelta(weeks=WEEKS),
            ends_on=today + timedelta(days=365 * 3),
            owner=users[i % 10],
            status=MissionStatus.ACTIVE if i % MISSIONS < ACTIVE_MISSIONS else MissionStatus.DRAFT,
            visibility=Visibility.SHAREABLE if i % 2 == 0 else Visibility.ORGANISATION,
        )
        for i in range(missions_count)
    )
    goals = Goal.objects.bulk_create(
        Goal(mission=m, title=f"Goal {g + 1} of {m.title}", weight=rng.randint(1, 5), position=g,
             owner=users[rng.randrange(2, 2 + contributors)])
        for m in missions
        for g in range(GOALS_PER_MISSION)
    )  # fmt: skip
    Milestone.objects.bulk_create(
        Milestone(mission=m, title=f"Milestone {k + 1}", position=k,
                  due_on=today + timedelta(days=120 * k - 200),
                  done_on=today - timedelta(days=250 - 120 * k) if k < 2 else None)
        for m in missions
        for k in range(4)
    )  # fmt: skip
    Alignment.objects.bulk_create(
        Alignment(mission=m, team=teams[(i * 3 + k) % teams_count],
                  role=AlignmentRole.LEAD if k == 0 else AlignmentRole.CONTRIBUTOR,
                  capacity=rng.choice([10, 20, 25, 40]))
        for i, m in enumerate(missions)
        for k in range(3)
    )  # fmt: skip
    Resource.objects.bulk_create(
        Resource(mission=m, kind="budget", name="Budget", amount=Decimal(rng.randint(5, 90) * 1000))
        for m in missions
    )  # fmt: skip
    StakeholderLink.objects.bulk_create(
        StakeholderLink(mission=m, stakeholder=stakeholders[(i * 7 + k) % stakeholders_count],
                        interest="Wants it to work")
        for i, m in enumerate(missions)
        for k in range(3)
    )  # fmt: skip

    baseline_on = today - timedelta(weeks=weeks)
    metrics = []
    for i in range(METRICS * size):
        goal = goals[i % len(goals)]
        baseline = Decimal(rng.randint(20, 200))
        rising = rng.random() < 0.5
        target = baseline * (Decimal("1.8") if rising else Decimal("0.3"))
        metrics.append(
            Metric(
                mission=goal.mission,
                goal=goal,
                name=f"Metric {i}",
                kind=MetricKind.OUTCOME if i % 3 else MetricKind.OUTPUT,
                direction="increase" if rising else "decrease",
                baseline_value=baseline,
                baseline_on=baseline_on,
                target_value=target.quantize(Decimal("0.1")),
                target_on=today + timedelta(days=365 * 3),
                cadence="weekly",
                owner=users[2 + i % contributors],
                position=i,
            )
        )
    metrics = Metric.objects.bulk_create(metrics)
    readings = []  # (metric, value, for_date, confidence, note, author_id)
    for metric in metrics:
        assert metric.baseline_value is not None and metric.target_value is not None
        start, end = float(metric.baseline_value), float(metric.target_value)
        pace = rng.uniform(0.2, 0.7)
        confidence = Confidence.ON_TRACK if pace > 0.4 else Confidence.AT_RISK
        for week in range(1, weeks + 1):
            share = pace * week / weeks
            value = Decimal(f"{start + (end - start) * share * rng.uniform(0.9, 1.1):.2f}")
            readings.append(
                (metric, value, baseline_on + timedelta(weeks=week), confidence,
                 "Weekly figures." if week % 5 else "", metric.owner_id)
            )  # fmt: skip
        # The last reading is the latest: what metric_refresh_latest would copy.
        metric.latest_value, metric.latest_on, metric.latest_confidence = (
            value,
            baseline_on + timedelta(weeks=weeks),
            confidence,
        )
        metric.next_due_on = metric.next_due_date()
    _insert_checkins(readings)
    Metric.objects.bulk_update(
        metrics, ["latest_value", "latest_on", "latest_confidence", "next_due_on"], batch_size=500
    )
    # Written in bulk, without the save signals that keep the stored figures.
    figures_recompute(organisation=org)

    # Monthly reports on the shareable missions. The latest is published as people do;
    # the earlier ones carry a copy of its snapshot under their own titles and periods:
    # twenty documents built from the same data would be the same document twenty times.
    owner, month = users[0], today.replace(day=1)
    shareable = [m for m in missions if m.visibility == Visibility.SHAREABLE][:5]
    reports = []
    for back in range(REPORTS, 0, -1):
        year, index = divmod(month.year * 12 + month.month - 1 - back, 12)
        first, last = month_period(year, index + 1)
        reports.append(
            Report.objects.create(
                organisation=org,
                title=f"Progress report, {period_label(first, last)}",
                period_start=first,
                period_end=last,
                narrative="A steady month. **Energy use** fell again; supplier audits slipped.",
                author=owner,
            )
        )
    for report in reports:
        report.missions.set(shareable)
    report = report_publish(reports[-1], owner)
    assert report.published_at is not None and isinstance(report.snapshot, dict)
    for earlier in reports[:-1]:
        period = {
            "start": earlier.period_start.isoformat(),
            "end": earlier.period_end.isoformat(),
            "label": period_label(earlier.period_start, earlier.period_end),
        }
        earlier.snapshot = report.snapshot | {"title": earlier.title, "period": period}
        earlier.published_at, earlier.published_by = report.published_at, owner
    Report.objects.bulk_update(reports[:-1], ["snapshot", "published_at", "published_by"])
    ShareLink.objects.bulk_create(
        [
            ShareLink(organisation=org, target=ShareTarget.ORGANISATION, created_by=owner,
                      label="Community partners"),
            ShareLink(organisation=org, target=ShareTarget.MISSION, mission=missions[0],
                      created_by=owner, label="Suppliers"),
            ShareLink(organisation=org, target=ShareTarget.REPORT, report=report,
                      created_by=owner, label="Investors"),
        ]
    )  # fmt: skip
    return org


def _insert_checkins(
    readings: Sequence[tuple[Metric, Decimal, date, str, str, int | None]],
) -> None:
    """Two years of readings: by COPY on PostgreSQL, where 41,600 INSERTed rows took most
    of an organisation's seeding time and `--orgs 51` builds two million."""
    if connection.vendor != "postgresql":
        CheckIn.objects.bulk_create(
            (CheckIn(metric=metric, value=value, for_date=on, confidence=confidence, note=note,
                     author_id=author_id)
             for metric, value, on, confidence, note, author_id in readings),
            batch_size=2000,
        )  # fmt: skip
        CheckIn.objects.filter(metric__in={metric for metric, *_ in readings}).update(
            created_at=Cast(F("for_date"), DateTimeField()) + timedelta(hours=NOON.hour)
        )
        return
    columns = ["uid", "metric_id", "value", "confidence", "note", "for_date", "author_id",
               "created_at", "is_current"]  # fmt: skip
    with connection.cursor() as cursor:
        copy_sql = f"COPY {CheckIn._meta.db_table} ({', '.join(columns)}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for metric, value, on, confidence, note, author_id in readings:
                copy.write_row((uuid.uuid4(), metric.pk, value, confidence, note, on, author_id,
                                datetime.combine(on, NOON, tzinfo=UTC), True))  # fmt: skip
