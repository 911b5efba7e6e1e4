"""The organisation a token belongs to, and its teams."""

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from api.pagination import Order
from api.requests import ListQuery, answer, caller
from api.schemas import OrganisationOut, TeamPage, organisation_out, team_out
from orgs.models import Team, User

router = Router(tags=["organisations"])


@router.get("/orgs", response=list[OrganisationOut], url_name="organisations")
def organisations(request: HttpRequest) -> list[OrganisationOut]:
    """The organisations this token can see: the one it was made in."""
    you = caller(request)
    return [organisation_out(you.organisation, you.membership.role, you.token.scopes)]


@router.get("/orgs/{org}", response=OrganisationOut, url_name="organisation")
def organisation(request: HttpRequest, org: str) -> OrganisationOut:
    you = caller(request)
    organisation = you.organisation_for(org)
    return organisation_out(organisation, you.membership.role, you.token.scopes)


@router.get("/orgs/{org}/teams", response=TeamPage, url_name="teams")
def teams(request: HttpRequest, org: str, query: Query[ListQuery]) -> HttpResponse:
    """The organisation's teams, with their lead and members (everyone in it reads them)."""
    you = caller(request)
    organisation = you.organisation_for(org)
    rows = (
        Team.objects.filter(organisation=organisation)
        .select_related("lead")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("name", "pk")))
    )
    found, after = query.page(rows, Order("updated_at", "slug"))
    return answer(TeamPage(items=[team_out(team) for team in found], next=after))
