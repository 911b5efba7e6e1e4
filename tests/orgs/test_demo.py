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


def test_the_demo_shows_its_owner_every_capability(db, client):
    """A published report with its PDF kept, an active link to it, the public page on with
    its badges, ideas, stakeholders and suppliers' commitments: each there to be found."""
    import re

    from django.core.files.storage import default_storage
    from django.urls import reverse

    from missions.models import Idea, Report, StakeholderLink
    from reporting.pdf import stored_pdf_name

    out = StringIO()
    call_command("load_demo", stdout=out)
    org = Organisation.objects.get()
    report = Report.objects.published().get(organisation=org)
    assert report.share_links.active().count() == 1
    assert default_storage.exists(stored_pdf_name(report, internal=False, paper="a4"))
    assert Idea.objects.filter(mission__organisation=org).count() >= 3
    assert StakeholderLink.objects.filter(mission__organisation=org).exclude(commitment="").exists()

    client.force_login(User.objects.get(email="owner@demo.waymark.example"))
    listing = client.get(reverse("reporting:reports", args=[org.slug])).text
    assert report.title in listing
    page = client.get(reverse("reporting:report_detail", args=[org.slug, report.uid])).text
    assert f"/o/{org.slug}/share/?share={report.uid}" in page  # its Share button
    download = client.get(reverse("reporting:report_pdf", args=[org.slug, report.uid]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    sharing = client.get(reverse("reporting:org_share", args=[org.slug])).text
    # Each shown, and in its embed code.
    badges = set(re.findall(r'<img src="http://testserver(/p/[^"]+/badge\.svg)"', sharing))
    assert len(badges) == 2  # the two shareable missions
    assert sharing.count("/badge.svg") == 4
    for badge in badges:
        assert client.get(badge)["Content-Type"].startswith("image/svg+xml")
    assert client.get(reverse("public_page", args=[org.slug])).status_code == 200

    # The link printed for the newcomer shows the report as stakeholders read it: the
    # supplier that agreed is named, the one that didn't is "a supplier".
    (token,) = re.findall(r"/s/([A-Za-z0-9_-]+)/", out.getvalue())
    shared = client.get(reverse("share_page", args=[token])).text
    assert report.title in shared
    assert "Greenfold Packaging" not in shared and "A supplier" in shared

    call_command("load_demo", stdout=StringIO())
    assert Report.objects.filter(organisation=org).count() == 1
    assert report.share_links.count() == 1
