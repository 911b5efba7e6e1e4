"""API tokens, and the answers kept for retried requests (Idempotency-Key)."""

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from core import text
from core.tokens import new_token, token_digest, unknown_token_digest
from orgs.models import Organisation
from orgs.roles import ROLE_RANK, Role

# What every token starts with, so secret scanners (GitHub's, gitleaks) can recognise one
# pasted where it should not be.
PREFIX = "wmk_"


class Scope(models.TextChoices):
    READ = "read", "Read"
    CHECK_IN = "check-in", "Check in"
    WRITE = "write", "Write"


class Kind(models.TextChoices):
    # Made by an admin in the organisation's settings, for a script or another system.
    ORGANISATION = "organisation", "Organisation"
    # Made by a person for themselves, on their account page.
    PERSONAL = "personal", "Personal"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> "ApiTokenQuerySet":
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now())
        )


class ApiToken(models.Model):
    """A secret that lets a program use the API as its owner, within one organisation.

    What it may do is what its owner may do there (orgs.policy), at most at `role` (a
    personal token is never above its owner's role, and follows them down if they are
    demoted), and only the kinds of request its scopes name. Only the token's digest
    is stored (core.tokens); the token itself is shown once, when it is made.
    """

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_tokens"
    )
    # Whom the token acts as: a check-in it records is theirs.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.PERSONAL)
    name = text.CharField(max_length=80, help_text="What uses it, e.g. “Finance dashboard”.")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    scopes = models.JSONField(default=list)
    token_hash = models.CharField(max_length=64, unique=True, default=unknown_token_digest)
    # The first characters, shown in lists so people can tell their tokens apart.
    hint = models.CharField(max_length=12, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="apitoken_role_is_known"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="apitoken_kind_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.hint}…)"

    def issue(self) -> str:
        """A new secret for this token: its digest is kept, the secret returned to be
        shown once."""
        secret = PREFIX + new_token()
        self.token_hash = token_digest(secret)
        self.hint = secret[: len(PREFIX) + 4]
        return secret

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    def is_expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired()

    def acting_role(self, membership_role: str) -> str:
        """The role the token acts with: its own, never above its owner's now, and a
        viewer's when it may only read (a read token records nothing, whoever made it)."""
        role = min(Role(self.role), Role(membership_role), key=ROLE_RANK.__getitem__)
        if not (self.has_scope(Scope.CHECK_IN) or self.has_scope(Scope.WRITE)):
            return Role.VIEWER
        return role

    def scope_labels(self) -> list[str]:
        return [Scope(scope).label for scope in Scope.values if scope in self.scopes]


class IdempotentRequest(models.Model):
    """A POST made with an Idempotency-Key, and the answer it got: the same key from the
    same token gets the same answer again instead of recording a second check-in.

    The row is inserted first, in the transaction that does the work, so a second request
    with the key waits on the unique constraint and then replays the first's answer."""

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # A digest of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="idempotent_one_per_token_key")
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"
