"""Links in emails: every one starts with SITE_URL (the default in tests)."""

import re

SITE_URL = "http://127.0.0.1:8000"
RESET = "/accounts/password/reset/key/"
CONFIRM = "/accounts/confirm-email/"


def link_path(message, starts_with: str) -> str:
    """The path of the first link in `message` that starts with SITE_URL + `starts_with`."""
    match = re.search(re.escape(SITE_URL + starts_with) + r"\S*", message.body)
    assert match, f"no {starts_with} link in:\n{message.body}"
    return match[0].removeprefix(SITE_URL)
