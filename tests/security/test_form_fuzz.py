"""Hostile input posted to every form never breaks a page or puts markup into one.

The forms are not listed here: they are found by visiting every page the URL
configuration has (as the owner and as a visitor without an account) and reading each
<form method=post>. So a new form is fuzzed the day it is added.

Each form is posted every payload of the corpus in its text fields, then garbage in each
of its other fields (unknown choices, bad and out-of-range dates and numbers, missing
fields), then what Hypothesis makes up. No answer may be a 500; a refused post must say
why on the page and change nothing; and no page, before or after, may hold script,
handlers, htmx attributes or script URLs made from what was posted.
"""

import ast
import copy
import csv
import datetime
import functools
import html
import inspect
import io
import json
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal
from types import ModuleType
from urllib.parse import urlparse

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, reset_queries, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.models import ApiToken
from core.csv_safety import csv_safe
from core.deliveries import DeliveryState
from integrations.models import (
    Channel,
    MetricFeed,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from metrics.models import CheckIn, Metric
from metrics.services import checkin_record
from missions.models import (
    Alignment,
    Goal,
    Idea,
    Milestone,
    Mission,
    Report,
    Resource,
    ShareLink,
    ShareTarget,
    StakeholderLink,
    Visibility,
)
from orgs.consent import confirmation_token
from orgs.models import (
    DigestFrequency,
    EmailDelivery,
    Invitation,
    Membership,
    Organisation,
    Stakeholder,
    Team,
    User,
)
from orgs.roles import Role
from orgs.unsubscribe import Topic, unsubscribe_token
from reporting.digests import (
    member_digest,
    member_digest_email,
    member_digest_period,
    stakeholder_digest,
    stakeholder_digest_email,
    stakeholder_digest_period,
)
from reporting.reports import report_publish
from reporting.tasks import sweep_digests, sweep_reminders
from tests.conftest import server_error
from tests.factories import (
    AlignmentFactory,
    GoalFactory,
    IdeaFactory,
    InvitationFactory,
    MembershipFactory,
    MetricFactory,
    MilestoneFactory,
    MissionFactory,
    ResourceFactory,
    StakeholderFactory,
    StakeholderLinkFactory,
    TeamFactory,
    TeamMemberFactory,
    UserFactory,
)
from tests.security.forms import Field, Form, post_forms, scan_page
from tests.security.url_access import all_patterns
from tests.security.xss_corpus import BREAKOUTS, FORM_PAYLOADS, MARKER, ODD_TEXT, XSS

TODAY = "2026-04-02 10:00Z"  # a Thursday
MONDAY_AFTER = "2026-04-06 10:00Z"  # when the weekly digests of the posts' week go out

# Posting to these ends a session, removes what other forms work on or moves the
# organisation's address: each of their posts is rolled back once it has been checked.
ONE_WAY = re.compile(
    r"remove|revoke|archive|logout|publish|supersede|password|settings|account_email|usersessions|delete"
)
# Every form gets these, and a turn of the rest: every payload reaches many forms, and
# the suite stays quick.
ALWAYS = [XSS[0], BREAKOUTS[0], ODD_TEXT[0], ODD_TEXT[6]]
ROTATING = [p for p in FORM_PAYLOADS if p not in ALWAYS]
PER_FORM = 4
WRITE = re.compile(r'^(INSERT|UPDATE|DELETE)\b.*"(orgs|missions|metrics)_', re.DOTALL)
# An edit's optimistic claim (missions.models.Versioned.save_edit): a conditional UPDATE
# that matches no row when the form is out of date, which is why it was refused.
VERSION_CLAIM = re.compile(r'^UPDATE "\w+" SET "version" = \("\w+"\."version" \+ 1\)')

GARBAGE_PER_FIELD = 3  # and a post without the field; the garbage lists take turns
GARBAGE_NUMBERS = [
    "abc",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "-1",
    "1.5",
    "99999999999999999999999999",
    "-99999999999999999999999999",
    "0x10",
    "\uff11\uff12",  # fullwidth digits, which int() accepts
    "1_000",
    "1,5",
    " ",
    "\x00",
]
GARBAGE_DATES = [
    "2026-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "-2026-01-01",
    "2026-13-01",
    "1-1-1",
    "yesterday",
    "2026-04-02T25:00",
    "\x00",
]
# What people type that is not an attack: a name of nothing visible, text one character
# past the limit the page gave, a decimal comma in a point organisation.
INVISIBLE = "\u200b\u200d\ufeff\u2060\u202e\u3164"
DECIMAL_COMMA = "1,5"
DJANGOS_OWN_FORMS = {"login", "password_reset", "password_reset_confirm", "password_change"}
GARBAGE_CHOICES = [f"{MARKER}-unknown", " ", "\x00", "-1", "99999999999", XSS[0]]
REFUSALS = (400, 403, 404, 405, 409, 422, 429)
ERROR_SIGNS = ('role="alert"', "errorlist", "field-invalid", "form-errors", "message-error")


@dataclass
class Tally:
    forms: int = 0
    posts: int = 0
    payload_fields: int = 0
    garbage_posts: int = 0
    typing_posts: int = 0
    hypothesis_examples: int = 0
    payloads: set[str] = field(default_factory=set)  # those posted to at least one form
    pages: int = 0
    documents: dict[str, int] = field(default_factory=dict)  # downloads and emails, by kind
    queries: int = 0  # pages requested with hostile query strings
    query_parameters: dict[str, list[str]] = field(default_factory=dict)  # by view
    forms_by_role: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def drew(self, kind: str) -> None:
        self.documents[kind] = self.documents.get(kind, 0) + 1


# ---- The world the forms work on ----------------------------------------------------------


@pytest.fixture(autouse=True)
def sessions_in_the_database_alone(settings):
    # These tests roll the database back after posts, and the cache takes no part in a
    # transaction: a session created inside one would outlive its rolled-back row in the
    # cache, and its next save would find no row (Django's "session was deleted" 400). In
    # production a session's row is committed before the response that caches it.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


@pytest.fixture(autouse=True)
def no_rate_limits(settings):
    # Every form is posted many times from one address: the account pages' rate limits
    # (tested in tests/orgs/test_login_throttling.py) would answer most of them with 429.
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def world(cast):
    """One of everything, its text already hostile, so every page has something to show."""
    with time_machine.travel(TODAY, tick=False):
        org = cast.org
        org.name = f"Acme {XSS[4]}"  # its settings form is rolled back, so set here
        # A second owner, so that the owner is offered the form that deletes their account
        # (the cast's admin stays an admin: the fuzz posts as every role).
        MembershipFactory(organisation=org, user=UserFactory(), role=Role.OWNER)
        org.public_page = True
        org.save()
        team = TeamFactory(organisation=org, name=f"Team {XSS[1]}", description=BREAKOUTS[0])
        TeamMemberFactory(team=team, user=cast.member)
        mission = MissionFactory(
            organisation=org,
            title=f"Mission {BREAKOUTS[1]}",
            slug="fuzzed",
            purpose=XSS[0],
            problem=XSS[10],
            beneficiaries=BREAKOUTS[5],
            owner=cast.owner,
            visibility=Visibility.SHAREABLE,
        )
        goal = GoalFactory(mission=mission, title=f"Goal {XSS[2]}", description=BREAKOUTS[7])
        metric = MetricFactory(
            goal=goal, name=f"Metric {BREAKOUTS[3]}", unit="<b>", owner=cast.owner
        )
        checkin = checkin_record(
            metric,
            value=Decimal("12"),
            for_date=datetime.date(2026, 3, 1),
            author=cast.owner,
            confidence="on_track",
            note=XSS[11],
        )
        stakeholder = StakeholderFactory(
            organisation=org, name=f"Supplier {XSS[5]}", kind="supplier", notes=BREAKOUTS[2]
        )
        link = StakeholderLinkFactory(
            mission=mission, stakeholder=stakeholder, interest=BREAKOUTS[6], commitment=XSS[1]
        )
        ideas = [
            IdeaFactory(mission=mission, title=f"Idea {n} {XSS[n]}", author=cast.member)
            for n in range(3)
        ]
        draft = Report.objects.create(
            organisation=org,
            author=cast.owner,
            title=f"Draft {BREAKOUTS[4]}",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 3, 31),
            narrative="\n\n".join(XSS + BREAKOUTS),
        )
        draft.missions.add(mission)
        published = Report.objects.create(
            organisation=org,
            author=cast.owner,
            title=f"Published {XSS[0]}",
            period_start=datetime.date(2026, 1, 1),
            period_end=datetime.date(2026, 3, 31),
            narrative="\n\n".join(XSS + BREAKOUTS),
        )
        published.missions.add(mission)
        report_publish(published, cast.owner)
        shares = [
            ShareLink.objects.create(
                organisation=org, target=ShareTarget.MISSION, mission=mission, label=XSS[3]
            ),
            ShareLink.objects.create(organisation=org, target=ShareTarget.ORGANISATION),
            ShareLink.objects.create(organisation=org, target=ShareTarget.REPORT, report=published),
        ]
        invitation = InvitationFactory(organisation=org, email="invitee@acme.example")
        # A stakeholder asked to confirm digests, and one who has: the confirmation page
        # in both states.
        consenting = [
            StakeholderFactory(
                organisation=org,
                name=f"Asked {XSS[8]}",
                email="asked@partner.example",
                consent_to_email=True,
                email_confirmed_at=None,
            ),
            StakeholderFactory(
                organisation=org,
                name=f"Confirmed {XSS[9]}",
                email="confirmed@partner.example",
                consent_to_email=True,
            ),
        ]
        endpoint = WebhookEndpoint.objects.create(
            organisation=org,
            url="https://hooks.example/fuzz",
            description=f"Endpoint {XSS[10]}",
            events=["checkin.recorded"],
        )
        event = WebhookEvent.objects.create(
            uid=uuid.uuid4(),
            organisation=org,
            name="checkin.recorded",
            payload={"note": XSS[11]},
            happened_at=timezone.now(),
        )
        integrations = {
            "endpoint": endpoint.pk,
            "delivery": WebhookDelivery.objects.create(event=event, endpoint=endpoint).pk,
            "channel": Channel.objects.create(
                organisation=org, kind="teams", name=f"Channel {XSS[12]}", url="https://t.example/"
            ).pk,
        }
        MetricFeed.objects.create(
            metric=metric, url="https://sheets.example/f.csv", selector=f"Column {XSS[13]}"
        )
        api_token = ApiToken.objects.create(
            organisation=org, owner=cast.owner, name=f"Token {XSS[0]}", scopes=["read"]
        )
        return integrations | {
            "org": org.pk,
            "owner": cast.owner,
            "api_token": api_token.pk,
            "member": cast.membership(cast.member).pk,
            "invitation": invitation.pk,
            # Only digests are stored: the tokens, as their links would carry them.
            "invitation_token": invitation.token,
            "consenting": [s.pk for s in consenting],
            "share_tokens": {s.pk: s.token for s in shares},
            "team": team.pk,
            "mission": mission.pk,
            "goal": goal.pk,
            "metric": metric.pk,
            "checkin": checkin.pk,
            "milestone": MilestoneFactory(mission=mission, title=f"Milestone {XSS[6]}").pk,
            "alignment": AlignmentFactory(mission=mission, team=team, note=BREAKOUTS[8]).pk,
            "resource": ResourceFactory(mission=mission, name=f"Budget {XSS[7]}").pk,
            "stakeholder": stakeholder.pk,
            "link": link.pk,
            "idea": ideas[0].pk,
            "draft": draft.pk,
            "published": published.pk,
            "shares": [s.pk for s in shares],
        }


def page_urls(world) -> list[str]:
    """Every page of the URL configuration, filled in with the world's current rows."""
    org = Organisation.objects.get(pk=world["org"])
    mission = Mission.objects.get(pk=world["mission"])
    member = Membership.objects.get(pk=world["member"])
    invitation = Invitation.objects.get(pk=world["invitation"])
    arguments = {
        "org_slug": org.slug,
        "membership_uid": member.uid,
        "invitation_uid": invitation.uid,
        "team_slug": Team.objects.get(pk=world["team"]).slug,
        "mission_slug": mission.slug,
        "goal_uid": Goal.objects.get(pk=world["goal"]).uid,
        "metric_uid": Metric.objects.get(pk=world["metric"]).uid,
        "checkin_uid": CheckIn.objects.get(pk=world["checkin"]).uid,
        "milestone_uid": Milestone.objects.get(pk=world["milestone"]).uid,
        "alignment_uid": Alignment.objects.get(pk=world["alignment"]).uid,
        "resource_uid": Resource.objects.get(pk=world["resource"]).uid,
        "stakeholder_uid": StakeholderLink.objects.get(pk=world["link"]).stakeholder.uid,
        "link_uid": StakeholderLink.objects.get(pk=world["link"]).uid,
        "idea_uid": Idea.objects.get(pk=world["idea"]).uid,
        "template_key": "net-zero-operations",
        "chart_key": "chart-1",
        "public_slug": org.slug,
        "org": org.slug,  # the API's routes
        "rest": "no-such-address",
        "token_uid": ApiToken.objects.get(pk=world["api_token"]).uid,
        "uidb64": "MQ",
        "token": "set-password",
        "uidb36": "1",
        "key": "not-a-valid-key",
        "provider_id": "no-such-provider",
        "pk": 999999,
        "endpoint_uid": WebhookEndpoint.objects.get(pk=world["endpoint"]).uid,
        "delivery_uid": WebhookDelivery.objects.get(pk=world["delivery"]).uid,
        "channel_uid": Channel.objects.get(pk=world["channel"]).uid,
    }
    shares = list(ShareLink.objects.filter(pk__in=world["shares"]))
    several = {
        "report_uid": [r.uid for r in Report.objects.filter(organisation=org)],
        "share_uid": [s.uid for s in shares],
    }
    tokens = {
        "share_page": [world["share_tokens"][s.pk] for s in shares],
        "share_badge": [
            world["share_tokens"][s.pk] for s in shares if s.target == ShareTarget.MISSION
        ],
        "share_chart": [
            world["share_tokens"][s.pk] for s in shares if s.target == ShareTarget.REPORT
        ],
        "invitation_accept": [world["invitation_token"]],
        "unsubscribe": [unsubscribe_token(Topic.DIGEST, member)],
        "stakeholder_confirm": [
            confirmation_token(s) for s in Stakeholder.objects.filter(pk__in=world["consenting"])
        ],
    }
    urls = []
    # Every named pattern but the admin's (Django's own forms).
    for pattern in (p for p in all_patterns() if not p.key.startswith(("admin:", "/"))):
        kwargs_list = [dict.fromkeys(())]
        for argument in pattern.arguments:
            if argument == "token" and pattern.key in tokens:
                values = tokens[pattern.key]
            elif argument in several:
                values = several[argument]
            else:
                assert argument in arguments, f"teach the fuzz a value for {argument}"
                values = [arguments[argument]]
            kwargs_list = [kw | {argument: v} for kw in kwargs_list for v in values]
        if pattern.key.endswith("share_revoke"):  # the mission's own link, the org's others
            target = "mission" if pattern.key.startswith("reporting:share") else "organisation"
            uids = {
                s.uid for s in shares if (s.target == ShareTarget.MISSION) == (target == "mission")
            }
            kwargs_list = [kw for kw in kwargs_list if kw["share_uid"] in uids]
        urls += [reverse(pattern.key, kwargs=kw) for kw in kwargs_list]
    return urls


# ---- Posting ----------------------------------------------------------------------------


def baseline(form: Form, serial: int) -> dict[str, object]:
    """Values the form would accept, as far as a reader of the page can tell."""
    data: dict[str, object] = {}
    for f in form.fields.values():
        if f.name == "csrfmiddlewaretoken":
            continue
        if f.kind == "file":
            data[f.name] = csv_upload(f"date,value,comment\n2026-03-15,{serial},fine\n")
        elif f.kind == "checkbox":
            if f.multiple:
                data[f.name] = [o for o in f.options if o][:2]
            elif f.value:
                data[f.name] = f.value
        elif f.kind in ("select", "radio", "submit"):
            chosen = f.value or next((o for o in f.options if o), "")
            data[f.name] = [chosen] if f.multiple else chosen
        elif f.value:
            data[f.name] = f.value
        elif f.kind == "email":
            data[f.name] = f"fuzz{serial}@acme.example"
        elif f.kind == "url":
            data[f.name] = "https://example.com/"
        elif f.is_number:
            data[f.name] = "1"
        elif f.kind == "date":
            data[f.name] = "2026-06-30"
        elif f.kind == "password":
            data[f.name] = "correct horse battery staple"
        elif f.kind != "hidden":
            data[f.name] = f"Fuzz {serial}"
    return data


def csv_upload(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("upload.csv", text.encode("utf-8", "surrogatepass"), "text/csv")


def garbage_for(f: Field) -> list[object]:
    if f.is_number:
        return GARBAGE_NUMBERS
    if f.kind == "date":
        return GARBAGE_DATES
    if f.kind in ("select", "radio", "checkbox", "submit"):
        return GARBAGE_CHOICES
    if f.kind == "file":
        return [
            csv_upload(""),
            csv_upload(
                "date,value\n"
                + "\n".join(f"2026-0{n % 9 + 1}-01,{x}" for n, x in enumerate(GARBAGE_NUMBERS))
            ),
            csv_upload("date,value\n" + "\n".join(f"{d},1" for d in GARBAGE_DATES)),
            SimpleUploadedFile("x.csv", b"\xff\xfe\x00\x00binary\x00", "text/csv"),
            csv_upload(f"{XSS[0]},{BREAKOUTS[0]}\n"),
        ]
    if f.kind == "hidden":
        return [BREAKOUTS[0], "", "\x00", "9" * 40, XSS[0]]
    return ["\x00", f"{MARKER}@", "a" * 400, "https://x", "-"]  # text-like fields


class Poster:
    """Posts to forms and checks each answer."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        # Forms with text fields take turns through the rotating payloads, so every payload
        # reaches a form whatever order the forms were found in.
        self.text_forms = 0
        self.last_writes: list[str] = []

    def post(self, client: Client, form: Form, data: dict[str, object], what: str, *, htmx=False):
        headers = {"HX-Request": "true"} if htmx else {}
        # The query log holds 9,000 queries, and this test makes more: once it is full, a
        # capture would see nothing.
        reset_queries()
        # A savepoint per post: after a database error the test can carry on and report it.
        with transaction.atomic(), CaptureQueriesContext(connection) as queries:
            response = client.post(form.action, data, headers=headers)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        self.last_writes = [q["sql"] for q in queries if WRITE.match(q["sql"])]
        self.tally.posts += 1
        self.tally.statuses[response.status_code] = (
            self.tally.statuses.get(response.status_code, 0) + 1
        )
        where = f"POST {form.action} ({what})"
        if response.status_code >= 500:
            self.tally.problems.append(f"{where} answered {response.status_code}")
            return response
        if response.status_code in REFUSALS:
            writes = [
                q["sql"][:120]
                for q in queries
                if WRITE.match(q["sql"]) and not VERSION_CLAIM.match(q["sql"])
            ]
            # A service that claims a row and then refuses rolls its savepoint back.
            undone = any(q["sql"].startswith("ROLLBACK TO SAVEPOINT") for q in queries)
            if writes and not undone:
                self.tally.problems.append(f"{where} was refused but wrote {writes}")
            body = response.content.decode(errors="replace")
            if response.status_code in (400, 422) and not any(s in body for s in ERROR_SIGNS):
                self.tally.problems.append(f"{where} was refused without saying why")
        self.scan(response, where)
        return response

    def scan(self, response, where: str) -> None:
        kind = response.get("Content-Type", "")
        if not kind.startswith(("text/html", "image/svg")):
            return
        for problem in scan_page(response.content.decode(errors="replace")):
            self.tally.problems.append(f"{where}: {problem}")

    def read_document(self, response, where: str) -> None:
        """A download opens as what it says it is, and none of its cells is a formula."""
        kind = response.get("Content-Type", "").split(";")[0]
        if response.status_code != 200 or kind not in DOCUMENTS:
            return
        body = b"".join(response.streaming_content) if response.streaming else response.content
        self.tally.drew(kind)
        try:
            problems = DOCUMENTS[kind](body)
        except Exception as error:  # what fails to open is the finding
            problems = [f"does not open: {error!r}"]
        self.tally.problems += [f"{where}: {problem}" for problem in problems]

    def one_way(self, form: Form) -> bool:
        return bool(ONE_WAY.search(view_name(form.action)))

    def fuzz(
        self, client: Client, form: Form, serial: int, *, anonymous: bool = False, again=False
    ) -> None:
        """`again`: another role was offered the same form and it had the whole fuzz; this
        role posts one payload, which is what its permissions change."""
        if self.one_way(form):
            # The browser's cookies are rolled back with the database: a logout's cleared
            # session cookie must not turn the forms after it into an anonymous visitor's.
            cookies = copy.deepcopy(client.cookies)
            with transaction.atomic():
                self._fuzz(client, form, serial, anonymous, again)
                transaction.set_rollback(True)
            client.cookies = cookies
        else:
            self._fuzz(client, form, serial, anonymous, again)

    def _fuzz(self, client: Client, form: Form, serial: int, anonymous: bool, again: bool) -> None:
        # First, while the form's rows are as its page showed them. A visitor without an
        # account comes fresh: an earlier sign-up may have logged the shared one in.
        if not again:
            self.fuzz_typing(
                Client(raise_request_exception=False) if anonymous else client, form, serial
            )
        text = [f for f in form.fields.values() if f.is_text and f.kind not in ("email", "url")]
        start = self.text_forms * PER_FORM % len(ROTATING)
        turn = [] if again else (ROTATING * 2)[start : start + PER_FORM]
        self.text_forms += bool(text) and not again
        payloads = ALWAYS[:1] if again else ALWAYS + turn
        for n, payload in enumerate(payloads if text else []):
            data = baseline(form, serial * 1000 + n) | {f.name: f"{payload} {n}" for f in text}
            self.tally.payload_fields += len(text)
            self.tally.payloads.add(payload)
            response = self.post(client, form, data, f"payload {n}", htmx=n % 2 == 1)
            refused = invalid_fields(response)
            if response.status_code in (400, 422) and refused:
                # Keep the payload where it was taken, so it reaches the pages.
                retry = data | {
                    name: value
                    for name, value in baseline(form, serial * 1000 + n).items()
                    if name in refused
                }
                self.post(client, form, retry, f"payload {n}, refused fields reset")
        if again:
            return
        for i, f in enumerate(form.fields.values()):
            if f.name == "csrfmiddlewaretoken":
                continue
            garbage = garbage_for(f)
            start = (serial + i) * GARBAGE_PER_FIELD % len(garbage)
            for value in [*(garbage * 2)[start : start + GARBAGE_PER_FIELD], None]:
                data = baseline(form, serial * 1000 + 999)
                if value is None:
                    data.pop(f.name, None)
                else:
                    data[f.name] = value
                self.tally.garbage_posts += 1
                self.post(client, form, data, f"{f.name}={value!r:.40}")
        self.tally.garbage_posts += 1
        self.post(client, form, {}, "nothing at all")

    def fuzz_typing(self, client: Client, form: Form, serial: int) -> None:
        """A required name of invisible characters, text one past its limit and a decimal
        comma (the organisation writes points) are each refused, on their own field, with
        the reason on the page."""
        base = baseline(form, serial * 1000 + 500)
        # Ours: Django's own account forms (log in, passwords) check what Django checks.
        if view_name(form.action) in DJANGOS_OWN_FORMS:
            return
        for f in form.fields.values():
            checks: list[tuple[str, str, str]] = []
            if f.kind in ("email", "password"):
                continue  # an address and a password are checked as such, not as text
            if f.is_text and f.required:
                checks.append((INVISIBLE, "nothing visible", "Enter at least one visible"))
            if f.is_text and f.maxlength:
                limit = f"Keep this to {f.maxlength:,} characters or fewer"
                checks.append(("x" * (f.maxlength + 1), "one past its limit", limit))
            if f.is_number:
                checks.append((DECIMAL_COMMA, "a decimal comma", "Use a point for decimals"))
            for value, what, reason in checks:
                self.tally.typing_posts += 1
                where = f"POST {form.action} ({f.name}: {what})"
                response = self.post(client, form, base | {f.name: value}, f"{f.name}: {what}")
                body = html.unescape(response.content.decode(errors="replace"))
                # Refused for another reason first (deleting the only owner's account), the
                # page may not draw the form: only a page that draws the field must say why.
                drawn = f'name="{f.name}"' in body
                marked = f.name in invalid_fields(response) or not drawn
                if any(value in sql for sql in self.last_writes):
                    self.tally.problems.append(f"{where} was stored")
                elif response.status_code in (200, 400, 409, 422) and not (
                    reason in body or marked
                ):
                    self.tally.problems.append(f"{where} was not refused with “{reason}”")
                elif response.status_code not in (200, 302, 400, 409, 422):
                    self.tally.problems.append(f"{where} answered {response.status_code}")


def pdf_problems(body: bytes) -> list[str]:
    return [] if body.startswith(b"%PDF-") and b"%%EOF" in body[-64:] else ["not a whole PDF"]


def csv_problems(body: bytes) -> list[str]:
    rows = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    cells = (cell for row in rows for cell in row)
    return [f"a formula cell {cell[:60]!r}" for cell in cells if csv_safe(cell) != cell]


def zip_problems(body: bytes) -> list[str]:
    problems = []
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        for name in archive.namelist():
            if name.endswith(".csv"):
                problems += [f"{name}: {p}" for p in csv_problems(archive.read(name))]
            elif name.endswith(".json"):
                json.loads(archive.read(name))
    return problems


def json_problems(body: bytes) -> list[str]:
    json.loads(body)
    return []


def scanned_as_pages(body: bytes) -> list[str]:
    return []  # a chart or a badge: Poster.scan reads it as it reads a page


# What a download must be, by its content type.
DOCUMENTS = {
    "image/svg+xml": scanned_as_pages,
    "application/pdf": pdf_problems,
    "text/csv": csv_problems,
    "application/zip": zip_problems,
    "application/json": json_problems,
}


def view_name(url: str) -> str:
    try:
        return resolve(urlparse(url).path).view_name
    except Resolver404:
        return url


def invalid_fields(response) -> set[str]:
    body = response.content.decode(errors="replace")
    return set(re.findall(r'name="([^"]+)"[^>]*aria-invalid="true"', body)) | set(
        re.findall(r'aria-invalid="true"[^>]*name="([^"]+)"', body)
    )


# ---- Walking -----------------------------------------------------------------------------

ROLES = ("owner", "admin", "member", "viewer")


def walk(clients: dict[str, Client], urls: list[str], tally: Tally, poster: Poster, *, turns=False):
    """GET every page as each visitor; the post forms found, by visitor.

    `turns`: every page as the first visitor, and as one of the others in turn."""
    found: dict[tuple, tuple[str, Form]] = {}
    first, *others = clients
    visits = [
        (who, url)
        for n, url in enumerate(urls)
        for who in (
            clients
            if not turns
            # A download is the same file for everyone who may have it.
            else [first]
            if view_name(url) in DOWNLOADS
            else [first, others[n % len(others)]]
        )
    ]
    for who, url in sorted(visits, key=lambda visit: list(clients).index(visit[0])):
        client = clients[who]
        response = client.get(url)
        tally.pages += 1
        if server_error(response):
            tally.problems.append(f"GET {url} as {who} answered {response.status_code}")
        poster.scan(response, f"GET {url} as {who}")
        poster.read_document(response, f"GET {url} as {who}")
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            for form in post_forms(url, response.content.decode()):
                # One of each: the same view for another row adds time, not cover.
                view = view_name(form.action)
                found.setdefault((who, view, tuple(sorted(form.fields))), (who, form))
    return list(found.values())


# Files, not pages.
DOWNLOADS = {
    "reporting:report_pdf",
    "metrics:export",
    "metrics:mission_export",
    "orgs:export",
    "account_data",
}


def every_row_urls(world) -> list[str]:
    """The pages of each mission and metric the posts made, besides the world's own: what
    was posted into a new row is drawn on that row's pages."""
    org = Organisation.objects.get(pk=world["org"])
    urls = []
    for mission in Mission.objects.filter(organisation=org).exclude(pk=world["mission"]):
        urls += [
            reverse("reporting:mission", args=[org.slug, mission.slug]),
            reverse("metrics:mission_export", args=[org.slug, mission.slug]),
        ]
    for metric in Metric.objects.filter(mission__organisation=org).exclude(pk=world["metric"]):
        for name in ("metrics:detail", "metrics:export"):
            urls.append(reverse(name, args=[org.slug, metric.mission.slug, metric.uid]))
    return urls


def share_everything(world) -> None:
    """Every mission shareable, with a link, and a link to every published report: the
    share pages, badges and the public page draw whatever the posts left."""
    org = Organisation.objects.get(pk=world["org"])
    shared = set(ShareLink.objects.filter(pk__in=world["shares"]).values_list("pk", flat=True))
    links = []
    for mission in Mission.objects.filter(organisation=org):
        mission.visibility = Visibility.SHAREABLE
        mission.save(update_fields=["visibility"])
        if not ShareLink.objects.filter(pk__in=shared, mission=mission).exists():
            links.append(ShareLink(organisation=org, target=ShareTarget.MISSION, mission=mission))
    for report in Report.objects.filter(organisation=org, published_at__isnull=False):
        if not ShareLink.objects.filter(pk__in=shared, report=report).exists():
            links.append(ShareLink(organisation=org, target=ShareTarget.REPORT, report=report))
    for link in links:
        link.save()  # issues the token, which only this instance holds
        world["shares"].append(link.pk)
        world["share_tokens"][link.pk] = link.token


def send_the_mail(world, tally: Tally, poster: Poster) -> None:
    """The digests and reminders as the sweeps send them the Monday after the posts, and
    every digest as its preview draws it (a quiet week's too, which is not sent)."""
    org = Organisation.objects.get(pk=world["org"])
    people = User.objects.filter(memberships__organisation=org)
    people.update(receive_digest=True, receive_reminders=True, digest_weekday=None)
    Stakeholder.objects.filter(organisation=org).update(digest_frequency=DigestFrequency.WEEKLY)
    with time_machine.travel(MONDAY_AFTER, tick=False):
        now = timezone.now()
        Metric.objects.filter(mission__organisation=org).update(
            next_due_on=now.date() - datetime.timedelta(days=1)
        )
        sent = sweep_reminders() + sweep_digests(organisation_id=org.pk)
        emails = list(mail.outbox)
        for membership in Membership.objects.filter(organisation=org).select_related("user"):
            period = member_digest_period(membership, now, upcoming=True)
            emails.append(member_digest_email(member_digest(membership, period, now), preview=True))
        for stakeholder in Stakeholder.objects.filter(organisation=org):
            period = stakeholder_digest_period(stakeholder, now)
            assert period is not None
            emails.append(stakeholder_digest_email(stakeholder_digest(stakeholder, period, now)))
    for email in emails:
        tally.drew("email")
        where = f"email to {email.to} “{email.subject[:60]}”"
        email.message()  # the whole MIME message, headers and all
        for content, kind in email.alternatives:
            if kind == "text/html":
                tally.problems += [f"{where}: {p}" for p in scan_page(str(content))]
    failed = EmailDelivery.objects.filter(state=DeliveryState.FAILED)
    tally.problems += [f"{d.kind} to {d.recipient} failed: {d.error}" for d in failed]
    assert sent >= 4 and len(mail.outbox) >= 4, (sent, [m.subject for m in mail.outbox])


# ---- Query strings --------------------------------------------------------------------------

# How the app reads a query parameter; a read in another shape fails the test below, so
# that a new parameter is never missed.
GET_READ = re.compile(
    r"""request\.GET(?:\.get\(|\[|\.getlist\()\s*["'](\w+)["']|["'](\w+)["'] in request\.GET"""
)
# Where the app's own views live: their sources are read for the parameters they take.
APPS = ("core.", "orgs.", "audit.", "missions.", "metrics.", "reporting.", "config.")
QUERY_VALUES = [
    *XSS[:6],
    *BREAKOUTS[:6],
    "9" * 400,
    "99999999999999999999",
    "-1",
    "0",
    "1e999",
    "NaN",
    "0001-01-01",
    "9999-12-31",
    "10000-01-01",
    "2026-02-30",
    "\u202ezq.x \U0001f680 e\u0301 \u4e2d",
    "zq.x\x00",
    "zq.x" + "A" * 10_000,
    "//evil.example/zq.x",
    "https://evil.example/zq.x",
    "/\\evil.example",
    "",
]


QUERIES_PER_PAGE = 10  # and the repeated one; the values take turns, every one is sent


@functools.cache
def reads_of(module: ModuleType) -> dict[str, set[str]]:
    """The query parameters each function of a module reads, itself or through a function
    of the module it calls: found in the source, so a new read is fuzzed the day it is
    written."""
    source = inspect.getsource(module)
    bodies = {
        node.name: ast.get_source_segment(source, node) or ""
        for node in ast.parse(source).body
        if isinstance(node, ast.FunctionDef)
    }
    own = {name: {a or b for a, b in GET_READ.findall(body)} for name, body in bodies.items()}
    found = sum(len(GET_READ.findall(body)) for body in bodies.values())
    assert found == source.count("request.GET"), f"teach GET_READ how {module} reads"
    return {
        name: set().union(*(own[f] for f in own if f == name or f"{f}(" in body))
        for name, body in bodies.items()
    }


def query_parameters(view) -> set[str]:
    if view_class := getattr(view, "view_class", None):
        # django-allauth's and Django's pages: those that send a person on read where to.
        name = getattr(view_class, "redirect_field_name", None)
        return {name} if name else set()
    view = inspect.unwrap(view)
    module = inspect.getmodule(view)
    if module is None or not module.__name__.startswith(APPS):
        return set()
    return reads_of(module).get(view.__name__, set())


def fuzz_query_strings(world, clients: dict[str, Client], tally: Tally, poster: Poster) -> None:
    """Each page that reads query parameters, with hostile values in all of them, and
    each repeated, as each visitor in turn. No 500, no markup made of them, and no
    redirect off the site."""
    who = list(clients)
    names: set[str] = set()
    sent: set[str] = set()
    pages = {view_name(url): url for url in page_urls(world)}  # one row of each
    reading = {
        view: (url, read)
        for view, url in pages.items()
        if (read := query_parameters(resolve(url).func))
    }
    for n, (url, read) in enumerate(reading.values()):
        names.update(read)
        start = n * QUERIES_PER_PAGE % len(QUERY_VALUES)
        values = (QUERY_VALUES * 2)[start : start + QUERIES_PER_PAGE]
        sent.update(values)
        queries: list[dict[str, object]] = [dict.fromkeys(read, v) for v in values]
        queries.append({name: ["1", XSS[0], "all"] for name in read})
        for m, query in enumerate(queries):
            visitor = who[(n + m) % len(who)]
            response = clients[visitor].get(url, query)
            tally.queries += 1
            where = f"GET {url}?{response.request['QUERY_STRING'][:100]} as {visitor}"
            if response.status_code >= 500:
                tally.problems.append(f"{where} answered {response.status_code}")
            poster.scan(response, where)
            location = urlparse(response.get("Location", ""))
            if location.netloc not in ("", "testserver") or location.path.startswith("//"):
                tally.problems.append(f"{where} sent the visitor to {response['Location']}")
    tally.query_parameters = {view: sorted(read) for view, (_, read) in reading.items()}
    assert sent == set(QUERY_VALUES), "some values reached no page"


@pytest.fixture
def clients(world, cast, client):
    """A client logged in as each role, and one without an account. A 500 is counted and
    reported with the others, not raised at the first one."""
    clients = {"owner": client} | {role: Client() for role in ROLES[1:]} | {"anonymous": Client()}
    for who, visitor in clients.items():
        if who != "anonymous":
            visitor.force_login(getattr(cast, who))
        visitor.raise_request_exception = False
    return clients


def test_every_form_takes_hostile_input_without_breaking_or_injecting(
    world, cast, clients, django_capture_on_commit_callbacks
):
    tally = Tally()
    poster = Poster(tally)
    with time_machine.travel(TODAY, tick=False):
        forms = walk(clients, page_urls(world), tally, poster)
        tally.forms = len(forms)
        # Forms that create and edit go first; one-way forms are rolled back anyway.
        forms.sort(key=lambda pair: poster.one_way(pair[1]))
        fuzzed = set()
        # What the commits would do (emails, the page cache's versions) is done once the
        # posts are made: the test's transaction never commits.
        with django_capture_on_commit_callbacks(execute=True):
            for serial, (who, form) in enumerate(forms):
                tally.forms_by_role[who] = tally.forms_by_role.get(who, 0) + 1
                again = form.key in fuzzed
                fuzzed.add(form.key)
                poster.fuzz(clients[who], form, serial, anonymous=who == "anonymous", again=again)

        # What was posted and kept, on every page again, with the draft published, every
        # mission and published report shared, as each role (logged in again: the posts
        # included logging out and changing passwords), then in the emails.
        with django_capture_on_commit_callbacks(execute=True):
            report_publish(Report.objects.get(pk=world["draft"]), world["owner"])
            share_everything(world)
        for role in ROLES:
            clients[role].force_login(getattr(cast, role))
        walk(clients, page_urls(world) + every_row_urls(world), tally, poster, turns=True)
        undrawn = missions_not_on_the_public_page(world, clients["anonymous"])
        send_the_mail(world, tally, poster)
        fuzz_query_strings(world, clients, tally, poster)
    print(
        f"\nforms: {tally.forms} {tally.forms_by_role}, posts: {tally.posts} "
        f"(payload x field: {tally.payload_fields}, garbage: {tally.garbage_posts}, "
        f"invisible, over-long and comma: {tally.typing_posts}), "
        f"pages scanned: {tally.pages}, documents and emails drawn: {tally.documents}, "
        f"query strings: {tally.queries} to {tally.query_parameters}, "
        f"statuses: {sorted(tally.statuses.items())}"
    )
    assert tally.forms >= 40, [f.action for _, f in forms]
    assert set(tally.forms_by_role) == {*ROLES, "anonymous"}, tally.forms_by_role
    actions = {view_name(form.action) for _, form in forms}
    assert {"account_delete", "stakeholder_confirm"} <= actions, actions
    assert tally.payloads == set(FORM_PAYLOADS), "some payloads reached no form"
    assert tally.typing_posts >= 100, tally.typing_posts
    read = tally.query_parameters
    assert {"account_login", "metrics:detail", "metrics:correct", "reporting:report_pdf"} <= {*read}
    assert {p for v in read.values() for p in v} >= {"archived", "kind", "next", "value", "paper"}
    drawn = {kind for kind, n in tally.documents.items() if n}
    assert drawn >= {*DOCUMENTS, "email"}, tally.documents
    assert not undrawn, f"the public page does not show what was posted: {undrawn}"
    assert not tally.problems, "\n".join(tally.problems[:80])


def missions_not_on_the_public_page(world, visitor: Client) -> list[str]:
    """The pages were drawn from what was posted, not from a cache of what was there
    before: every mission the posts made is on the organisation's public page."""
    org = Organisation.objects.get(pk=world["org"])
    page = visitor.get(reverse("public_page", args=[org.slug])).content.decode()
    missions = Mission.objects.filter(organisation=org, archived_at__isnull=True)
    assert missions.count() > 2
    return [m.title for m in missions if f">{escape(m.title)}</h2>" not in page]


# Any character but lone surrogates, which no browser can send: controls, NUL, RTL marks.
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)
TYPED = st.one_of(ANY_TEXT, st.sampled_from(FORM_PAYLOADS), st.from_regex(r"-?\d{1,30}(\.\d+)?"))


def test_whatever_hypothesis_types_into_any_form_is_refused_or_kept_safely(world, clients):
    tally = Tally()
    poster = Poster(tally)
    with time_machine.travel(TODAY, tick=False):
        forms = walk(
            {who: clients[who] for who in ("owner", "anonymous")}, page_urls(world), tally, poster
        )
    assert not tally.problems, "\n".join(tally.problems[:40])

    @settings(
        max_examples=100,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(st.data())
    def post_anything(data):
        who, form = data.draw(st.sampled_from(forms), label="form")
        values = baseline(form, 7)
        for f in form.fields.values():
            if f.name != "csrfmiddlewaretoken" and f.kind != "file" and data.draw(st.booleans()):
                values[f.name] = data.draw(TYPED, label=f.name)
        tally.hypothesis_examples += 1
        with transaction.atomic():
            poster.post(clients[who], form, values, "hypothesis", htmx=data.draw(st.booleans()))
            transaction.set_rollback(True)
        assert not tally.problems, "\n".join(tally.problems)

    post_anything()
    print(f"\nhypothesis examples: {tally.hypothesis_examples} over {len(forms)} forms")
