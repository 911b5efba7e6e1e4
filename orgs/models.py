"""People, organisations, their roles, teams and invitations."""

import logging
import uuid
import zoneinfo
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core import numbers, text
from core.deliveries import Delivery, DeliveryState
from core.tokens import new_token, token_digest, unknown_token_digest
from orgs import policy
from orgs.roles import Role

INVITATION_LIFETIME = timedelta(days=7)

logger = logging.getLogger(__name__)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> "User":
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> "User":
        # Emails are stored lower-cased; logging in as Ada@Example.com must still work.
        return self.get(email__iexact=username or "")


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


TIME_ZONE_CHOICES = [
    (name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())
]


def zone_named(name: str) -> zoneinfo.ZoneInfo | None:
    """The time zone called `name`, or None when there is no such zone (or no name)."""
    if not name:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class User(AbstractBaseUser, PermissionsMixin):
    """A person. They log in with their email address."""

    email = models.EmailField("email address", unique=True)
    name = text.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # What email they get, and when (orgs.views.email_preferences). A blank time zone or digest day
    # means each organisation's own.
    time_zone = models.CharField(
        max_length=64,
        choices=TIME_ZONE_CHOICES,
        blank=True,
        help_text="Leave blank to use each organisation’s time zone.",
    )
    reminder_hour = models.PositiveSmallIntegerField(
        "hour for emails",
        default=9,
        help_text="Reminders and your digest arrive at this hour of your day.",
    )
    receive_reminders = models.BooleanField(
        "check-in reminders",
        default=True,
        help_text="Before a check-in is due, on the day, and now and then while it is late.",
    )
    receive_digest = models.BooleanField(
        "weekly digest",
        default=True,
        help_text="Your missions’ week: status changes, new check-ins, what is late, ideas.",
    )
    digest_weekday = models.PositiveSmallIntegerField(
        "digest day",
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text="Leave blank for the first day of each organisation’s week.",
    )
    # Mixed into the hash every session of theirs carries (see _get_session_auth_hash):
    # raising it signs them out of every browser at once. Logging out raises it.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["email"]
        constraints = [
            models.CheckConstraint(
                condition=Q(reminder_hour__gte=0, reminder_hour__lte=23),
                name="user_reminder_hour_is_an_hour",
            ),
            models.CheckConstraint(
                condition=Q(digest_weekday__isnull=True)
                | Q(digest_weekday__gte=0, digest_weekday__lte=6),
                name="user_digest_weekday_is_a_weekday",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        # Django checks this hash on every request and ends a session whose hash no
        # longer matches: a new password (Django's own rule) or a new generation ends
        # every session begun before it. Generation 0 gives Django's own hash, so
        # sessions begun before this field existed carry on.
        key_salt = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
        value = self.password
        if self.session_generation:
            value = f"{value}:{self.session_generation}"
        return salted_hmac(key_salt, value, secret=secret, algorithm="sha256").hexdigest()

    def end_all_sessions(self) -> None:
        """Sign them out of every browser and device, this one included."""
        User.objects.filter(pk=self.pk).update(session_generation=F("session_generation") + 1)
        self.refresh_from_db(fields=["session_generation"])

    def zone_in(self, organisation: "Organisation") -> zoneinfo.ZoneInfo:
        """Their own time zone, or the organisation's when they have none (or a bad one)."""
        zone = zone_named(self.time_zone)
        if zone is None:
            if self.time_zone:
                # Stored before the zone database dropped it, or written around the form.
                logger.warning(
                    "User %s has an unknown time zone %r; using %s's",
                    self.pk,
                    self.time_zone,
                    organisation.slug,
                )
            return organisation.zone()
        return zone

    def digest_day_in(self, organisation: "Organisation") -> int:
        """The weekday their digest comes, 0 for Monday."""
        if self.digest_weekday is None:
            return organisation.week_starts_on
        return self.digest_weekday

    def has_verified_email(self) -> bool:
        """Whether they have shown they read their address (the verification link, an
        invitation, a password reset or a provider that vouches for it)."""
        from allauth.account.models import EmailAddress

        return EmailAddress.objects.filter(user=self, verified=True).exists()

    def has_two_factor(self) -> bool:
        """An authenticator app or a passkey (recovery codes alone are not a second factor)."""
        from allauth.mfa.models import Authenticator

        return Authenticator.objects.filter(
            user=self, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
        ).exists()

    @property
    def display_name(self) -> str:
        return self.name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name


class TwoFactorRule(models.TextChoices):
    NOBODY = "", "Not required"
    MANAGERS = "managers", "Required for owners and admins"
    EVERYONE = "everyone", "Required for everyone"


def email_domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


class Organisation(models.Model):
    name = text.CharField(max_length=120)
    slug = models.SlugField(
        max_length=60,
        unique=True,
        help_text="Part of every page’s address, as in /o/acme-ltd/. Letters, numbers and hyphens.",
    )
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="Europe/London")
    week_starts_on = models.PositiveSmallIntegerField(
        choices=Weekday.choices,
        default=Weekday.MONDAY,
        help_text="The day weekly check-ins and digests count from.",
    )
    public_page = models.BooleanField(
        "public progress page",
        default=False,
        help_text="Show the shareable missions' progress at a public address, like a status page.",
    )
    # Single sign-on: addresses at these domains (lower case, one space between) sign
    # in through the identity provider when it is required, never with a password.
    sso_domains = text.CharField(
        "single sign-on domains",
        max_length=500,
        blank=True,
        help_text="Email domains your people sign in from, such as acme.example, separated "
        "by spaces. You can only add the domain of your own verified address.",
    )
    sso_required = models.BooleanField(
        "require single sign-on",
        default=False,
        help_text="Addresses at these domains must sign in with single sign-on, not a password.",
    )
    two_factor_required = models.CharField(
        "two-factor authentication",
        max_length=10,
        choices=TwoFactorRule.choices,
        default=TwoFactorRule.NOBODY,
        blank=True,
        help_text="People it applies to set up an authenticator app or a passkey before "
        "they can use this organisation.",
    )
    number_format = models.CharField(
        "numbers",
        max_length=5,
        choices=numbers.NumberFormat.choices,
        default=numbers.NumberFormat.POINT,
        help_text="How people here write decimals when they type a number.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(week_starts_on__gte=0, week_starts_on__lte=6),
                name="organisation_week_starts_on_is_a_weekday",
            ),
            models.CheckConstraint(
                condition=Q(two_factor_required__in=TwoFactorRule.values),
                name="organisation_two_factor_rule_is_known",
            ),
            models.CheckConstraint(
                condition=Q(number_format__in=numbers.NumberFormat.values),
                name="organisation_number_format_is_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        with transaction.atomic():
            super().save(*args, **kwargs)
            # Its address joins those it has had; one another organisation has had is
            # refused by the database, whatever form or command got this far.
            held, _ = OrganisationSlug.objects.get_or_create(
                slug=self.slug, defaults={"organisation": self}
            )
            if held.organisation_id != self.pk:
                raise SlugReserved(f"The address {self.slug} belongs to another organisation.")

    def get_absolute_url(self) -> str:
        return reverse("reporting:dashboard", args=[self.slug])

    def sso_domain_list(self) -> list[str]:
        return self.sso_domains.split()

    def owner_count(self) -> int:
        return self.memberships.filter(role=Role.OWNER).count()

    def zone(self) -> zoneinfo.ZoneInfo:
        zone = zone_named(self.time_zone)
        if zone is None:
            logger.warning(
                "Organisation %s has an unknown time zone %r; using UTC", self.slug, self.time_zone
            )
            return zoneinfo.ZoneInfo("UTC")
        return zone


class SlugReserved(IntegrityError):
    """The slug is, or was, another organisation's."""


class OrganisationSlug(models.Model):
    """Every address an organisation has had, its current one included.

    A slug is unique here, so one an organisation gives up stays its own: the old
    addresses (/p/<slug>/, /o/<slug>/...) lead to it, and never to an organisation that
    took the name after it.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="slugs")
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.slug} ({self.organisation})"

    @classmethod
    def reserved(cls, slug: str, *, apart_from: Organisation | None = None) -> bool:
        """Whether `slug` is, or was, the address of an organisation other than `apart_from`."""
        held = cls.objects.filter(slug=slug)
        if apart_from is not None and apart_from.pk is not None:
            held = held.exclude(organisation=apart_from)
        return held.exists()


def sso_required_by(email: str) -> Organisation | None:
    """The organisation that requires single sign-on for this address, if one does."""
    domain = email_domain(email)
    if not domain:
        return None
    candidates = Organisation.objects.filter(sso_required=True, sso_domains__icontains=domain)
    return next((o for o in candidates if domain in o.sso_domain_list()), None)


class Membership(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="membership_one_per_user_and_organisation"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organisation} ({self.role})"

    def has_role(self, minimum: str) -> bool:
        return Role.at_least(self.role, minimum)

    # For templates; the rules are the policy's.
    @property
    def can_manage(self) -> bool:
        return policy.can_manage(self)

    @property
    def can_contribute(self) -> bool:
        return policy.can_contribute(self)


class Team(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="teams")
    name = text.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    description = text.TextField(max_length=1000, blank=True)
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMember", related_name="teams"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # When it last changed: what the API's updated_since reads.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "slug"], name="team_slug_unique_in_organisation"
            ),
            models.UniqueConstraint(
                fields=["organisation", "name"], name="team_name_unique_in_organisation"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("orgs:team_detail", args=[self.organisation.slug, self.slug])


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_once_per_team"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team}"


def new_invitation_token() -> str:
    # Named by the migration that made the plain token column (0001_initial).
    return new_token()


def invitation_expiry() -> Any:
    return timezone.now() + INVITATION_LIFETIME


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> "InvitationQuerySet":
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    # The digest of the secret in the emailed link (core.tokens): the token itself is
    # made when the email is sent and exists only there.
    token_hash = models.CharField(max_length=64, unique=True, default=unknown_token_digest)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=invitation_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Claimed before the email goes out, so a task run twice sends once.
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    # The plain token: only on the instance that issued it (issue_token), never stored.
    token: str | None = None

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="invitation_expires_after_it_is_made",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="invitation_role_is_known"
            ),
            # One open invitation per address and organisation; used or revoked ones stay
            # as history.
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organisation}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self._state.adding and self.token is None:
            self.issue_token()
        super().save(*args, **kwargs)

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired

    def inviter_membership(self, *, lock: bool = False) -> "Membership | None":
        """The membership of whoever sent it, as it is now; None once they have left."""
        if self.invited_by_id is None:
            return None
        found = Membership.objects.filter(
            organisation_id=self.organisation_id, user_id=self.invited_by_id
        )
        return (found.select_for_update() if lock else found).first()

    @property
    def is_backed(self) -> bool:
        """Whether whoever sent it may still invite at its role (policy.can_invite)."""
        return policy.can_invite(self.inviter_membership(), self.role)

    @classmethod
    def by_token(cls, token: str) -> "Invitation | None":
        return (
            cls.objects.select_related("organisation", "invited_by")
            .filter(token_hash=token_digest(token))
            .first()
        )

    def issue_token(self) -> str:
        """A new secret for its link (the old one stops working); stored only as a digest,
        so the caller sends it on or it is lost."""
        self.token = new_token()
        self.token_hash = token_digest(self.token)
        return self.token

    def promised(self) -> Q:
        """A filter on rows given to the invited address before they join (their
        `owner_invitation`): any of its invitations to this organisation, since a renewal
        revokes one and sends another, and the work stays promised to the address."""
        return Q(
            owner_invitation__organisation_id=self.organisation_id,
            owner_invitation__email__iexact=self.email,
        )

    def get_accept_url(self) -> str:
        """The link to accept it; only on the instance that was just issued its token."""
        assert self.token is not None, "the token is known only when it is issued"
        return reverse("invitation_accept", args=[self.token])


class StakeholderKind(models.TextChoices):
    EMPLOYEE_GROUP = "employee_group", "Employee group"
    CUSTOMER = "customer", "Customer"
    SUPPLIER = "supplier", "Supplier"
    COMMUNITY_PARTNER = "community_partner", "Community partner"
    INVESTOR = "investor", "Investor"
    FUNDER = "funder", "Funder"
    PUBLIC_BODY = "public_body", "Public body"


class DigestFrequency(models.TextChoices):
    NONE = "none", "No digest"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class Stakeholder(models.Model):
    """Someone outside the team who cares how the missions go. They need no account."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="stakeholders"
    )
    name = text.CharField(max_length=160)
    kind = models.CharField(max_length=20, choices=StakeholderKind.choices)
    contact_name = text.CharField(max_length=160, blank=True)
    email = models.EmailField(blank=True)
    consent_to_email = models.BooleanField(
        "consents to email",
        default=False,
        help_text="Only stakeholders who have agreed are sent digests. Ticking this emails "
        "them to confirm; digests go once they have.",
    )
    digest_frequency = models.CharField(
        "digest",
        max_length=8,
        choices=DigestFrequency.choices,
        default=DigestFrequency.MONTHLY,
        help_text="How often a consenting stakeholder hears how their shareable missions go.",
    )
    notes = text.TextField(max_length=2000, blank=True)
    # Off unless they agreed: a supplier whose commitment slipped is named outside the
    # organisation only with its consent (shared reports and pages say "a supplier").
    is_public = models.BooleanField(
        "named on shared pages",
        default=False,
        help_text="Tick if they agree to be named on share links and shared reports, for "
        "example beside a commitment. Otherwise those say only what kind of stakeholder it is.",
    )
    # Double opt-in: ticking consent asks the stakeholder, by email, to confirm; digests go
    # only once they have (orgs.services.stakeholder_save). A new address asks again.
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    email_confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "name"], name="stakeholder_name_unique_in_organisation"
            ),
            models.CheckConstraint(
                condition=Q(consent_to_email=False) | ~Q(email=""),
                name="stakeholder_consent_needs_an_email",
            ),
            models.CheckConstraint(
                condition=Q(digest_frequency__in=DigestFrequency.values),
                name="stakeholder_digest_frequency_is_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def awaits_confirmation(self) -> bool:
        """Consent is recorded, but the stakeholder has not confirmed it by email yet."""
        return self.consent_to_email and self.email_confirmed_at is None


class EmailKind(models.TextChoices):
    REMINDER = "reminder", "Check-in reminder"
    ESCALATION = "escalation", "Late check-in, to the mission owner"
    DIGEST = "digest", "Weekly digest"
    STAKEHOLDER_DIGEST = "stakeholder_digest", "Stakeholder digest"


class EmailDelivery(Delivery):
    """One email (or one part of one) to one recipient for one period, from an
    organisation: the claim that makes it go once (core.deliveries)."""

    OWNER = "organisation"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    kind = models.CharField(max_length=20, choices=EmailKind.choices)

    class Meta:
        ordering = ["-claimed_at"]
        verbose_name_plural = "email deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "period_key"],
                name="email_delivery_once_per_kind_recipient_period",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EmailKind.values), name="email_delivery_kind_is_known"
            ),
            models.CheckConstraint(
                condition=Q(state__in=DeliveryState.values),
                name="email_delivery_state_is_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient} ({self.period_key}): {self.state}"
