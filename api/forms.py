"""Making an API token: for the organisation (admins) or for oneself (anyone in it)."""

from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone

from api.models import ApiToken, Kind, Scope
from core.text import CleanTextField
from orgs import policy
from orgs.models import Membership, User
from orgs.roles import ROLE_RANK, Role

LIFETIMES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "A year"),
    ("", "Never (revoke it when it is no longer needed)"),
]


class ApiTokenForm(forms.Form):
    name = CleanTextField(
        max_length=80, help_text="What will use it, so you can tell your tokens apart."
    )
    role = forms.ChoiceField(
        help_text="It acts with this role at most, and never above its owner’s role."
    )
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[Scope.READ],
        help_text="Read: every GET. Check in: record readings. Write: change missions.",
    )
    expires_in = forms.ChoiceField(label="Expires", choices=LIFETIMES, initial="90", required=False)

    def __init__(self, *args: Any, memberships: list[Membership], kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.memberships = {str(m.organisation.slug): m for m in memberships}
        if kind == Kind.PERSONAL:
            # One's own token, in any organisation one belongs to.
            self.fields["organisation"] = forms.ChoiceField(
                choices=[(slug, m.organisation.name) for slug, m in self.memberships.items()]
            )
            self.order_fields(["organisation", "name"])
            highest = max((m.role for m in memberships), key=lambda r: ROLE_RANK[Role(r)])
            roles = [role for role in Role if ROLE_RANK[role] <= ROLE_RANK[Role(highest)]]
        else:
            (membership,) = memberships
            roles = policy.roles_granted_by(membership)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [(each.value, each.label) for each in reversed(roles)]
        role.initial = Role.VIEWER

    def membership(self) -> Membership:
        if self.kind == Kind.PERSONAL:
            return self.memberships[self.cleaned_data["organisation"]]
        (membership,) = self.memberships.values()
        return membership

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if "role" in cleaned and (self.kind != Kind.PERSONAL or "organisation" in cleaned):
            membership = self.membership()
            # Nobody makes a token that can do more than they can.
            if not Role.at_least(membership.role, cleaned["role"]):
                self.add_error(
                    "role", f"Your role in {membership.organisation.name} is {membership.role}."
                )
        return cleaned

    def save(self, owner: User, created_by: User) -> tuple[ApiToken, str]:
        """The token, saved, and its secret: shown once, and never stored."""
        days = self.cleaned_data["expires_in"]
        token = ApiToken(
            organisation=self.membership().organisation,
            owner=owner,
            kind=self.kind,
            name=self.cleaned_data["name"],
            role=self.cleaned_data["role"],
            scopes=[scope for scope in Scope.values if scope in self.cleaned_data["scopes"]],
            created_by=created_by,
            expires_at=timezone.now() + timedelta(days=int(days)) if days else None,
        )
        secret = token.issue()
        token.save()
        return token, secret
