from io import StringIO

from django.core.management import call_command

from metrics.figures import figures_recompute
from metrics.models import CheckIn, Metric
from missions.models import Mission
from orgs.models import Membership, Organisation, Team, TeamMember, User


def counts() -> tuple[int, ...]:
    models = (Organisation, User, Membership, Team, TeamMember, Mission)
    return tuple(m.objects.count() for m in models)


def test_the_demo_loads_once_and_prints_its_logins(db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    first = counts()

    call_command("load_demo", stdout=StringIO())

    assert counts() == first == (1, 4, 4, 3, 3, 4)
    assert CheckIn.objects.filter(is_current=True).count() > 50
    assert Metric.objects.filter(latest_value__isnull=False).count() > 10
    assert figures_recompute(write=False) == []  # its figures as every change keeps them
    for role in ("owner", "member", "viewer"):
        assert f"{role}@demo.waymark.example" in out.getvalue()
    assert User.objects.get(email="member@demo.waymark.example").check_password("waymark-demo")
