"""Logging out anywhere signs a person out everywhere; and what orgs tells the apps above it.

Receivers rather than a view of our own: the admin's logout, and any other way out
that Django offers, must end the other sessions too.
"""

from typing import Any

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import Signal, receiver
from django.http import HttpRequest

from orgs.models import User

# Sent with `organisation`, `user` and `removed_by` inside the transaction that removes a
# member, before the membership goes: the apps above orgs leave what the person owned
# there for someone else to take on (orgs knows nothing of missions or metrics).
member_leaving = Signal()
# Sent with `invitation` and `user` inside the transaction that accepts an invitation: what
# was given to the invited address before they joined (a metric, a goal, a milestone)
# becomes theirs, in each app that has owners.
invitation_accepted = Signal()


@receiver(user_logged_out)
def end_other_sessions(sender: Any, user: User | None, **kwargs: Any) -> None:
    # Sent before Django flushes this session; the others fail their hash check at
    # their next request and are sent to the login page.
    if user is not None:
        user.end_all_sessions()


@receiver(user_logged_in)
def hash_the_current_generation(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    # login() hashed the object it was given. One loaded before a logout elsewhere
    # carries the old generation, and the new session would end at its first request.
    current = User.objects.filter(pk=user.pk).values_list("session_generation", flat=True)
    generation = current.first()
    if request is not None and generation is not None and generation != user.session_generation:
        user.session_generation = generation
        request.session[HASH_SESSION_KEY] = user.get_session_auth_hash()


@receiver(password_reset)
def reset_link_verifies_the_address(sender: Any, user: User, **kwargs: Any) -> None:
    # The reset link was opened from the inbox it went to. This is also how imported
    # people, whose passwords are unusable, set one and become verified.
    updated = EmailAddress.objects.filter(user=user, email__iexact=user.email).update(verified=True)
    if not updated:
        EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
