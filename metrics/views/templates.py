"""The template library: a leader starts a mission, its goals and their metrics from one."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from metrics import catalogue
from metrics.services import mission_create_from_template
from missions.forms import TemplateUseForm
from missions.models import Mission
from orgs.access import get_org_for_user
from orgs.models import User
from orgs.roles import Role


@login_required
@require_GET
def template_library(request: HttpRequest, org_slug: str) -> HttpResponse:
    org, membership = get_org_for_user(request, org_slug)
    return render(
        request,
        "metrics/mission_templates.html",
        {"org": org, "membership": membership, "categories": catalogue.by_category()},
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_use(request: HttpRequest, org_slug: str, template_key: str) -> HttpResponse:
    min_role = Role.ADMIN if request.method == "POST" else Role.VIEWER
    org, membership = get_org_for_user(request, org_slug, min_role=min_role)
    template = catalogue.get_template(template_key)
    if template is None:
        raise Http404
    error = ""
    if request.method == "POST":
        form = TemplateUseForm(request.POST)
        title = (form.cleaned_data["title"] if form.is_valid() else "") or template.title
        if form.errors:
            error = " ".join(str(message) for message in form.errors["title"])
        elif Mission.objects.title_taken(org, title):
            error = "Another mission already has this title. Choose a different one."
        else:
            assert isinstance(request.user, User)
            mission = mission_create_from_template(org, template, request.user, title=title)
            messages.success(
                request,
                f"“{mission.title}” is drafted from the template. Make it yours: "
                "record baselines, align a lead team and link stakeholders.",
            )
            return redirect(mission)
    return render(
        request,
        "metrics/mission_template.html",
        {
            "org": org,
            "membership": membership,
            "template": template,
            "error": error,
            "title_field": TemplateUseForm.base_fields["title"],
        },
        status=400 if error else 200,
    )
