"""Who a request's token acts as, and what it may reach: the same policy the pages ask.

A token acts as its owner within its one organisation, with the owner's membership at
the token's role at most (api.models.ApiToken.acting_role). Every lookup then goes
through the functions the pages use (Mission.objects.visible_to, mission_for_member,
metric_for_member, orgs.policy), so a private mission is as hidden here as there.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.http import Http404
from django.utils import timezone

from api.models import PREFIX, ApiToken, Scope
from api.problems import Problem, unauthenticated
from core.tokens import token_digest
from orgs import policy
from orgs.models import Membership, Organisation

# last_used_at is written at most this often: a busy token is not a write per request.
LAST_USED_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """The token of this request and the membership it acts with (its role capped)."""

    token: ApiToken
    membership: Membership

    @property
    def organisation(self) -> Organisation:
        return self.membership.organisation

    def organisation_for(self, org_slug: str) -> Organisation:
        """The token's organisation if that is the one asked for; 404 otherwise, the same
        as for an organisation that does not exist."""
        if org_slug != self.organisation.slug:
            raise Http404
        return self.organisation

    def require(self, scope: Scope) -> None:
        if not self.token.has_scope(scope):
            raise Problem(
                403,
                "insufficient_scope",
                f"This needs a token with the “{scope.value}” scope; this one has "
                f"{', '.join(self.token.scopes) or 'none'}.",
            )


def caller_for(secret: str) -> Caller:
    """The caller a presented token stands for, or a 401 saying why not."""
    token = None
    if secret.startswith(PREFIX):
        token = (
            ApiToken.objects.select_related("organisation", "owner")
            .filter(token_hash=token_digest(secret))
            .first()
        )
    if token is None:
        raise unauthenticated(
            "not_authenticated",
            "That is not a Waymark API token. Send one as “Authorization: Bearer wmk_…”.",
        )
    if token.revoked_at is not None:
        raise unauthenticated("token_revoked", "This token was revoked. Make a new one.")
    if token.is_expired():
        raise unauthenticated("token_expired", "This token has expired. Make a new one.")
    membership = (
        Membership.objects.filter(organisation_id=token.organisation_id, user_id=token.owner_id)
        .only("id", "uid", "role", "user_id", "organisation_id")
        .first()
    )
    if membership is None or not token.owner.is_active:
        raise unauthenticated(
            "owner_left", "The person this token belongs to is no longer in the organisation."
        )
    organisation = token.organisation
    if policy.needs_two_factor(membership, organisation.two_factor_required) and not (
        token.owner.has_two_factor()
    ):
        raise unauthenticated(
            "two_factor_required",
            f"{organisation.name} asks its token's owner to set up two-factor "
            "authentication before using it.",
        )
    membership.organisation = organisation
    membership.user = token.owner
    # Never saved: the membership as the token may use it.
    membership.role = token.acting_role(membership.role)
    _note_use(token)
    return Caller(token, membership)


def _note_use(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def uid_or_404(value: str) -> uuid.UUID:
    """A UUID from an address, or 404 like any other missing object."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise Http404 from None
