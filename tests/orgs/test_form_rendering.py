"""Forms render through Django's own form templates (its default form renderer): each
field with its label and errors on our pages, and the admin's widgets in the admin."""

import datetime

import pytest
from django.template.loader import render_to_string

from metrics.forms import CheckInForm
from missions.forms import GoalForm, MissionForm
from tests.factories import MetricFactory, MissionFactory, with_two_factor
from tests.html import parse


def fields_of(form) -> list[tuple[str, str, bool]]:
    """Each visible field as includes/form.html writes it: its label, the id its control
    carries, and whether it is marked invalid."""
    page = parse(render_to_string("includes/form.html", {"form": form}))
    labels = {label["for"]: label.text for label in page.all("label")}
    written = []
    for field in form.visible_fields():
        # (a choice of radio buttons numbers its controls: id_confidence_0, ...)
        control = next(
            node
            for tag in ("input", "select", "textarea")
            for node in page.all(tag)
            if node.get("id") in (field.auto_id, f"{field.auto_id}_0")
        )
        invalid = control.get("aria-invalid") == "true"
        if invalid:
            errors = page.one("ul", id=f"{field.auto_id}_error")
            assert [li.text for li in errors.all("li")] == list(field.errors)
        written.append((labels.get(field.auto_id, ""), field.auto_id, invalid))
    return written


@pytest.mark.parametrize("data", [None, {"title": "", "weight": "500", "due_on": "soon"}])
def test_mission_and_goal_forms_show_each_field_with_its_label_and_errors(cast, data):
    for form_class in (MissionForm, GoalForm):
        form = form_class(data, organisation=cast.org)
        written = fields_of(form)
        assert [label for label, _, _ in written] == [f"{f.label}:" for f in form.visible_fields()]
        assert [name for _, name, invalid in written if invalid] == [
            form[name].auto_id for name in form.errors
        ]
        assert any(invalid for _, _, invalid in written) == (data is not None)


def test_the_check_in_form_says_what_is_wrong(cast):
    metric = MetricFactory(goal__mission=MissionFactory(organisation=cast.org))
    form = CheckInForm({"value": "abc"}, metric=metric, today=datetime.date(2026, 3, 1))

    invalid = [name for _, name, is_invalid in fields_of(form) if is_invalid]

    assert "id_value" in invalid


@pytest.mark.parametrize("path", ["/admin/orgs/user/add/", "/admin/orgs/organisation/add/"])
def test_the_admin_renders_its_own_widgets(client, django_user_model, path):
    admin = django_user_model.objects.create_superuser(email="root@example.com", password="x")
    with_two_factor(admin)  # the admin requires it
    client.force_login(admin)
    response = client.get(path)
    assert response.status_code == 200
    assert "<input" in response.text
