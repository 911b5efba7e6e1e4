from django.urls import reverse

from metrics.catalogue import get_template
from metrics.models import Metric
from missions.models import Mission
from tests.factories import MissionFactory


def test_the_library_lists_government_and_sme_templates(cast, login):
    response = login(cast.viewer).get(reverse("metrics:templates", args=["acme"]))
    assert "Net-zero" in response.text or "net-zero" in response.text.lower()
    assert response.text.count('class="card template-card"') >= 13


def test_creating_from_a_template_drafts_goals_metrics_and_milestones(cast, login):
    template = get_template("net-zero-operations")
    response = login(cast.admin).post(
        reverse("metrics:template_use", args=["acme", template.key]), {"title": ""}
    )
    mission = Mission.objects.get(organisation=cast.org)
    assert response["Location"] == mission.get_absolute_url()
    assert mission.status == "draft"
    assert mission.owner == cast.admin
    assert mission.template_key == "net-zero-operations"
    assert mission.goals.count() == len(template.goals)
    assert mission.milestones.count() == len(template.milestones)
    expected_metrics = sum(len(goal.metrics) for goal in template.goals)
    assert Metric.objects.filter(mission=mission).count() == expected_metrics
    # Baselines are the organisation's own to record; the health check asks for them.
    assert not Metric.objects.filter(mission=mission, baseline_value__isnull=False).exists()


def test_a_template_title_already_in_use_gets_a_message(cast, login):
    MissionFactory(organisation=cast.org, title="Net zero operations")
    response = login(cast.admin).post(
        reverse("metrics:template_use", args=["acme", "net-zero-operations"]),
        {"title": "net zero operations"},
    )
    assert response.status_code == 400
    assert "Another mission already has this title" in response.text
    assert Mission.objects.count() == 1


def test_an_unknown_template_is_404(cast, login):
    response = login(cast.admin).get(reverse("metrics:template_use", args=["acme", "nope"]))
    assert response.status_code == 404


def test_a_member_cannot_create_from_a_template(cast, login):
    response = login(cast.member).post(
        reverse("metrics:template_use", args=["acme", "net-zero-operations"])
    )
    assert response.status_code == 403
    assert not Mission.objects.exists()
