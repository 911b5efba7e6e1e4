"""Logging out anywhere signs a person out everywhere.

A receiver rather than a view of our own: the admin's logout, and any other way out
that Django offers, must end the other sessions too.
"""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from orgs.models import User


@receiver(user_logged_out)
def end_other_sessions(sender: Any, user: User | None, **kwargs: Any) -> None:
    # Sent before Django flushes this session; the others fail their hash check at
    # their next request and are sent to the login page.
    if user is not None:
        user.end_all_sessions()
