"""The signed link a reminder carries: one metric's check-in, for one person, for a while.

The link names the metric (its uid, public in its page's URL already) and a mark of the
address it was sent to, signed with the site's key: it opens nothing by itself. Signed in
as that person, it is the check-in form, filled in; signed out, it tells the login page
whose password to ask for. Anyone else signed in is refused, and after LINK_DAYS the link
has expired.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.urls import reverse

from metrics.models import Metric
from orgs.models import User

# Long enough for a fortnightly reminder read late; short enough that an old email
# forwarded on is not a standing way in.
LINK_DAYS = 14
SALT = "metrics.checkin_links"


class LinkExpired(Exception):
    """The link was good, once."""


def person_mark(email: str) -> str:
    """Who a link is for, without their address or id in the URL."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def quick_checkin_url(metric: Metric, person: User) -> str:
    """The signed link to check in on `metric` as `person`, in full (for an email)."""
    token = signing.dumps([metric.uid.hex, person_mark(person.email)], salt=SALT)
    organisation = metric.mission.organisation
    return settings.SITE_URL + reverse("metrics:quick_checkin", args=[organisation.slug, token])


@dataclass(frozen=True, slots=True)
class QuickLink:
    metric_uid: UUID
    mark: str

    def is_for(self, user: User) -> bool:
        return person_mark(user.email) == self.mark


def quick_link(token: str) -> QuickLink | None:
    """What a link's token says, if the site signed it; LinkExpired once it is too old."""
    try:
        uid, mark = signing.loads(token, salt=SALT, max_age=timedelta(days=LINK_DAYS))
        return QuickLink(UUID(hex=uid), str(mark))
    except signing.SignatureExpired as expired:
        raise LinkExpired from expired
    except (signing.BadSignature, ValueError, TypeError):
        return None


def prefill_value(metric: Metric) -> str:
    """The value the check-in form opens with: the latest reading (else the baseline),
    so that "no change" is one tap."""
    value: Decimal | None = metric.latest_value
    if value is None:
        value = metric.baseline_value
    if value is None:
        return ""
    return f"{value.normalize():f}"
