"""Print, as JSON, a logged-in session and the pages `make bench` measures."""

import json
from typing import Any

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core.management.base import BaseCommand
from django.urls import reverse

from metrics.models import Metric
from missions.models import Mission, Report, ShareLink, ShareTarget
from orgs.models import User


class Command(BaseCommand):
    help = "A session for the scale organisation's owner, and the URLs to benchmark."

    def handle(self, *args: Any, **options: Any) -> None:
        owner = User.objects.get(email="bench-owner@scale-1.example")
        # The busiest metric owner: "My check-ins" at its fullest.
        staff = User.objects.get(email="bench-2@scale-1.example")
        sessions = {}
        for who, user in (("owner", owner), ("staff", staff)):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            sessions[who] = session.session_key
        mission = Mission.objects.get(organisation__slug="scale-1", slug="mission-0")
        metric = Metric.objects.filter(mission=mission).first()
        assert metric is not None
        latest_report = Report.objects.filter(organisation__slug="scale-1").latest("period_start")
        links = ShareLink.objects.filter(organisation__slug="scale-1", revoked_at=None)
        share = links.get(target=ShareTarget.ORGANISATION)
        # Stakeholders read a published report through its link, without an account.
        report_link = links.get(target=ShareTarget.REPORT, report=latest_report)
        # Only their digests are stored: new addresses for the two links to measure.
        for link in (share, report_link):
            link.issue_token()
            link.save(update_fields=["token_hash"])
        pages = {
            "Dashboard": (reverse("reporting:dashboard", args=["scale-1"]), "owner"),
            "Mission page": (mission.get_absolute_url(), "owner"),
            "Metric page": (
                reverse("metrics:detail", args=["scale-1", mission.slug, metric.uid]),
                "owner",
            ),
            "My check-ins": (reverse("metrics:my_checkins", args=["scale-1"]), "staff"),
            "Mission list": (reverse("missions:list", args=["scale-1"]), "owner"),
            "Alignment": (reverse("missions:alignment_overview", args=["scale-1"]), "owner"),
            "Share page": (reverse("share_page", args=[share.token]), None),
            "Published report": (reverse("share_page", args=[report_link.token]), None),
            "Report page, signed in": (
                reverse("reporting:report_detail", args=["scale-1", latest_report.uid]),
                "owner",
            ),
        }
        self.stdout.write(json.dumps({"sessions": sessions, "pages": pages}))
