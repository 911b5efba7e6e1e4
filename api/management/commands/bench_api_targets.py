"""Print, as JSON, an API token for the scale organisation and the API addresses `make bench`
measures: a list, and a check-in create on each of the busiest metrics."""

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from api.models import ApiToken, Kind, Scope
from metrics.models import Metric
from orgs.models import Organisation, User
from orgs.roles import Role


class Command(BaseCommand):
    help = "An API token for the scale organisation's owner, and the API addresses to measure."

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organisation.objects.get(slug="scale-1")
        owner = User.objects.get(email="bench-owner@scale-1.example")
        token = ApiToken(
            organisation=org,
            owner=owner,
            kind=Kind.PERSONAL,
            name="Benchmark",
            role=Role.OWNER,
            scopes=[Scope.READ, Scope.CHECK_IN],
        )
        secret = token.issue()
        token.save()
        # Metrics that take any number today: a yes/no one would refuse 42 (a 422).
        metrics = (
            Metric.objects.filter(mission__organisation=org, format__in=["number", "currency"])
            .filter(Q(baseline_on__isnull=True) | Q(baseline_on__lte=timezone.localdate()))
            .order_by("pk")[:50]
        )
        self.stdout.write(
            json.dumps(
                {
                    "token": secret,
                    "list": reverse("api:metrics", args=[org.slug]) + "?limit=50",
                    "checkins": [
                        reverse("api:checkin_create", args=[org.slug, metric.uid])
                        for metric in metrics
                    ],
                }
            )
        )
