"""Signed, login-free unsubscribe links: what each email's footer and List-Unsubscribe
header point at.

The link carries who and what, signed with the secret key; it does not expire, because
an unsubscribe link has to work whenever the email is read. Members are named by their
membership's UUID (the email was about that organisation); the switch it flips is the
person's own, so they stop getting that kind of email from every organisation.
"""

from dataclasses import dataclass
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from orgs.models import DigestFrequency, Membership, Stakeholder

SALT = "waymark.unsubscribe"


class Topic(StrEnum):
    REMINDERS = "reminders"
    DIGEST = "digest"
    STAKEHOLDER_DIGEST = "stakeholder_digest"

    @property
    def label(self) -> str:
        return {
            Topic.REMINDERS: "check-in reminders",
            Topic.DIGEST: "the weekly digest",
            Topic.STAKEHOLDER_DIGEST: "progress digests",
        }[self]


def unsubscribe_token(topic: Topic, subject: Membership | Stakeholder) -> str:
    kind = "m" if isinstance(subject, Membership) else "s"
    return signing.dumps([kind, subject.uid.hex, str(topic)], salt=SALT, compress=False)


def unsubscribe_url(topic: Topic, subject: Membership | Stakeholder) -> str:
    return settings.SITE_URL + reverse("unsubscribe", args=[unsubscribe_token(topic, subject)])


@dataclass
class Subscription:
    """One person's (or stakeholder's) subscription to one kind of email."""

    topic: Topic
    membership: Membership | None = None
    stakeholder: Stakeholder | None = None

    @property
    def email(self) -> str:
        if self.membership is not None:
            return self.membership.user.email
        assert self.stakeholder is not None
        return self.stakeholder.email

    @property
    def organisation_name(self) -> str:
        subject = self.membership or self.stakeholder
        assert subject is not None
        return subject.organisation.name

    @property
    def is_on(self) -> bool:
        if self.topic == Topic.STAKEHOLDER_DIGEST:
            assert self.stakeholder is not None
            return self.stakeholder.digest_frequency != DigestFrequency.NONE
        assert self.membership is not None
        user = self.membership.user
        return user.receive_reminders if self.topic == Topic.REMINDERS else user.receive_digest

    def switch(self, on: bool, frequency: str = DigestFrequency.MONTHLY) -> None:
        """Turn this kind of email off (or back on, for an undo)."""
        if self.topic == Topic.STAKEHOLDER_DIGEST:
            assert self.stakeholder is not None
            if frequency not in (DigestFrequency.WEEKLY, DigestFrequency.MONTHLY):
                frequency = DigestFrequency.MONTHLY
            self.stakeholder.digest_frequency = frequency if on else DigestFrequency.NONE
            self.stakeholder.save(update_fields=["digest_frequency"])
            return
        assert self.membership is not None
        user = self.membership.user
        field = "receive_reminders" if self.topic == Topic.REMINDERS else "receive_digest"
        setattr(user, field, on)
        user.save(update_fields=[field])


def subscription_for(token: str) -> Subscription | None:
    """The subscription a link names, or None when its person or stakeholder is gone.

    Raises `signing.BadSignature` for a link that was not made here, or was changed.
    """
    payload = signing.loads(token, salt=SALT)
    if not (isinstance(payload, list) and len(payload) == 3):
        raise signing.BadSignature("unexpected payload")
    kind, uid, topic_name = payload
    try:
        topic = Topic(topic_name)
    except ValueError as error:
        raise signing.BadSignature("unknown topic") from error
    if kind == "m" and topic != Topic.STAKEHOLDER_DIGEST:
        membership = (
            Membership.objects.select_related("user", "organisation").filter(uid=uid).first()
        )
        return Subscription(topic, membership=membership) if membership else None
    if kind == "s" and topic == Topic.STAKEHOLDER_DIGEST:
        stakeholder = Stakeholder.objects.select_related("organisation").filter(uid=uid).first()
        return Subscription(topic, stakeholder=stakeholder) if stakeholder else None
    raise signing.BadSignature("unexpected payload")
