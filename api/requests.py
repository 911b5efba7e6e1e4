"""What every route reads from its request: the caller, the list's query, today."""

from datetime import UTC, date, datetime

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Schema

from api.access import Caller
from api.pagination import DEFAULT_LIMIT, MOST, Order, page
from orgs.models import Organisation


class ListQuery(Schema):
    updated_since: datetime | None = Field(
        None, description="Only what changed at or after this moment (ISO 8601; UTC if no zone)."
    )
    cursor: str | None = Field(None, description="The `next` of the previous page.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MOST, description=f"At most {MOST}.")

    def since(self) -> datetime | None:
        moment = self.updated_since
        if moment is not None and timezone.is_naive(moment):
            return moment.replace(tzinfo=UTC)
        return moment

    def page[M: Model](self, rows: QuerySet[M], order: Order) -> tuple[list[M], str | None]:
        """The page of `rows` this query asks for, and the cursor of the next."""
        return page(rows, order, cursor=self.cursor, limit=self.limit, updated_since=self.since())


def caller(request: HttpRequest) -> Caller:
    found = getattr(request, "auth", None)
    assert isinstance(found, Caller)
    return found


def today_in(org: Organisation) -> date:
    """The organisation's today: "due", "late" and expected progress mean its day."""
    return timezone.localtime(timezone.now(), org.zone()).date()


def answer(body: Schema) -> HttpResponse:
    """The body as JSON. It was checked against its schema when it was made; handed back
    as a model, ninja would check it again through its Django getter, field by field,
    which was most of a list's time. The route's declared `response` still documents it."""
    return HttpResponse(body.model_dump_json(), content_type="application/json")
