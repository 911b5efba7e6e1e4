"""Load the demo organisation. Running it again changes nothing that is already there."""

from typing import Any

from allauth.account.models import EmailAddress
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from orgs.models import Membership, Organisation, Team, TeamMember, User
from orgs.roles import Role

DEMO_PASSWORD = "waymark-demo"  # noqa: S105 -- printed for people trying the demo locally
DEMO_PEOPLE = [
    ("owner@demo.waymark.example", "Priya Shah", Role.OWNER),
    ("admin@demo.waymark.example", "Tom Okafor", Role.ADMIN),
    ("member@demo.waymark.example", "Megan Lewis", Role.MEMBER),
    ("viewer@demo.waymark.example", "Sam Reid", Role.VIEWER),
]
DEMO_TEAMS = [
    ("Bakery floor", "Everyone who mixes, proves and bakes.", "member@demo.waymark.example"),
    ("Shops and cafés", "Our four shops and the café counter.", "admin@demo.waymark.example"),
    (
        "Sourcing",
        "Flour, dairy, packaging and the suppliers behind them.",
        "owner@demo.waymark.example",
    ),
]


class Command(BaseCommand):
    help = (
        "Create the demo organisation, Riverside Bakery: people, teams, missions and stakeholders."
    )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        org, _ = Organisation.objects.get_or_create(
            slug="riverside-bakery",
            defaults={"name": "Riverside Bakery", "time_zone": "Europe/London"},
        )
        users = {}
        for email, name, role in DEMO_PEOPLE:
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(email=email, password=DEMO_PASSWORD, name=name)
                # The demo's addresses are not real inboxes: count them as verified.
                EmailAddress.objects.create(
                    user=user, email=user.email, primary=True, verified=True
                )
            users[email] = user
            Membership.objects.get_or_create(organisation=org, user=user, defaults={"role": role})
        for name, description, lead_email in DEMO_TEAMS:
            team, _ = Team.objects.get_or_create(
                organisation=org,
                slug=slugify(name),
                defaults={"name": name, "description": description, "lead": users[lead_email]},
            )
            TeamMember.objects.get_or_create(team=team, user=users[lead_email])

        from reporting.demo import build_demo_missions

        owner = users["owner@demo.waymark.example"]
        contributors = [users[f"{role}@demo.waymark.example"] for role in ("member", "admin")]
        build_demo_missions(org, owner, [*contributors, owner])

        from reporting.demo_history import build_demo_history

        build_demo_history(org, timezone.localdate())

        from metrics.figures import figures_recompute

        # Whatever the demo wrote in bulk: its figures as every change would have kept them.
        figures_recompute(organisation=org)

        from reporting.demo import build_demo_sharing

        shared = build_demo_sharing(org, owner, timezone.localdate())

        self.stdout.write(self.style.SUCCESS(f"Demo organisation: {org.name} (/o/{org.slug}/)"))
        self.stdout.write(f"Public progress page: /p/{org.slug}/")
        if shared.link is not None:
            # Shown once, like any new link's: the database keeps only its fingerprint.
            self.stdout.write(f"Share link to “{shared.report.title}”: /s/{shared.link.token}/")
        if not shared.pdf_made:
            self.stdout.write("The report's PDF can't be made on this server (no WeasyPrint).")
        self.stdout.write(f"Log in with any of these, password {DEMO_PASSWORD!r}:")
        for email, _, role in DEMO_PEOPLE:
            self.stdout.write(f"  {role.label:<7} {email}")
