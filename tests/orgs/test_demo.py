from io import StringIO

from django.core.management import call_command

from core.text import TextFieldMixin as LengthLimited
from metrics import catalogue
from metrics.figures import figures_recompute
from metrics.models import CheckIn, Metric
from metrics.services import mission_create_from_template
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


def test_the_demo_and_the_templates_fit_the_limits_people_are_held_to(db):
    """What Waymark writes itself can be edited and saved again without shortening."""
    from django.apps import apps

    call_command("load_demo", stdout=StringIO())
    for template in catalogue.TEMPLATES:
        mission_create_from_template(
            Organisation.objects.first(), template, User.objects.first(), title=template.key
        )
    checked = 0
    for model in apps.get_models():
        text_fields = [f for f in model._meta.concrete_fields if isinstance(f, LengthLimited)]
        for row in model._base_manager.all() if text_fields else []:
            for field in text_fields:
                field.run_validators(getattr(row, field.attname))
                checked += 1
    assert checked > 500
