"""Forms render through Jinja2 with the markup Django's own templates give, and the admin,
whose widgets only Django's engine has, still renders."""

import re

import pytest
from django.forms.renderers import DjangoTemplates
from django.template.loader import render_to_string

from metrics.forms import CheckInForm
from missions.forms import GoalForm, MissionForm
from orgs.forms import FormRenderer
from tests.factories import MetricFactory, MissionFactory


def squeezed(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def both_ways(make_form) -> tuple[str, str]:
    return tuple(
        squeezed(render_to_string("includes/form.html", {"form": make_form(renderer)}))
        for renderer in (FormRenderer(), DjangoTemplates())
    )


@pytest.mark.parametrize("data", [None, {"title": "", "weight": "500", "due_on": "soon"}])
def test_mission_and_goal_forms_read_as_django_renders_them(cast, data):
    for form_class in (MissionForm, GoalForm):
        fast, django = both_ways(
            lambda renderer, form_class=form_class: form_class(
                data, organisation=cast.org, renderer=renderer
            )
        )
        assert fast == django
        assert "<select" in fast and ("aria-invalid" in fast) == (data is not None)


def test_the_check_in_form_reads_as_django_renders_it(cast):
    import datetime

    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    fast, django = both_ways(
        lambda renderer: CheckInForm(
            {"value": "abc"}, metric=metric, today=datetime.date(2026, 3, 1), renderer=renderer
        )
    )
    assert fast == django and "aria-invalid" in fast


@pytest.mark.parametrize("path", ["/admin/orgs/user/add/", "/admin/orgs/organisation/add/"])
def test_the_admin_still_renders_its_own_widgets(client, django_user_model, path):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 200
    assert "<input" in response.text


def test_admin_widget_templates_come_from_the_django_engine():
    from django.forms.renderers import Jinja2
    from django.template import TemplateDoesNotExist

    name = "admin/widgets/related_widget_wrapper.html"
    with pytest.raises(TemplateDoesNotExist):
        Jinja2().get_template(name)
    assert FormRenderer().get_template(name) is not None
