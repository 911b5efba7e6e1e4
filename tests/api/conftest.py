"""The API's cast: the organisation's people with tokens, and a mission with a metric."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
import requests

from api.models import ApiToken, Kind, Scope
from metrics.models import Metric
from metrics.services import checkin_record
from missions.models import Mission, Visibility
from orgs.models import Organisation, User
from tests.conftest import Cast
from tests.factories import GoalFactory, MetricFactory, MissionFactory


def make_token(
    org: Organisation,
    owner: User,
    *,
    role: str = "owner",
    scopes: tuple[str, ...] = (Scope.READ, Scope.CHECK_IN, Scope.WRITE),
    kind: str = Kind.PERSONAL,
    **fields,
) -> str:
    token = ApiToken(
        organisation=org, owner=owner, kind=kind, name="Test", role=role, scopes=list(scopes)
    )
    for name, value in fields.items():
        setattr(token, name, value)
    secret = token.issue()
    token.save()
    return secret


@dataclass
class World:
    cast: Cast
    mission: Mission
    metric: Metric
    private: Mission


@pytest.fixture
def world(cast) -> World:
    mission = MissionFactory(organisation=cast.org, title="Cut emissions", owner=cast.owner)
    metric = MetricFactory(goal=GoalFactory(mission=mission), name="Tonnes", owner=cast.member)
    checkin_record(
        metric,
        value=Decimal(20),
        for_date=datetime.date(2026, 1, 5),
        author=cast.member,
        confidence="on_track",
    )
    private = MissionFactory(
        organisation=cast.org,
        title="Secret acquisition",
        owner=cast.owner,
        visibility=Visibility.PRIVATE,
    )
    MetricFactory(goal=GoalFactory(mission=private), name="Private metric", owner=cast.member)
    return World(cast, mission, metric, private)


class Api:
    """requests against the live server, with a token."""

    def __init__(self, base: str, token: str | None) -> None:
        self.base = base + "/api/v1"
        self.session = requests.Session()
        if token is not None:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.session.get(self.base + path, timeout=10, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.session.post(self.base + path, timeout=10, **kwargs)

    def patch(self, path: str, **kwargs) -> requests.Response:
        return self.session.patch(self.base + path, timeout=10, **kwargs)


@pytest.fixture
def api(live_server):
    def with_token(token: str | None) -> Api:
        return Api(live_server.url, token)

    return with_token
