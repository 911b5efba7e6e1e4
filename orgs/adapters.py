"""How django-allauth fits Waymark: links from SITE_URL, the person's name, and SSO rules.

Every link an account email carries is built from SITE_URL, never from the request's
Host header: a Host an attacker chose (any port on an allowed host) must not end up in
a reset link sent to someone else.
"""

from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.stages import EmailVerificationStage
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.conf import settings
from django.core.mail import EmailMessage
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse

from core import request_ids
from core.client_addresses import client_address
from orgs.models import User


def site_link(path: str) -> str:
    return settings.SITE_URL + path


# What allauth's email templates call the "current site", from SITE_URL alone.
SITE = SimpleNamespace(name="Waymark", domain=urlsplit(settings.SITE_URL).netloc)


class SignupVerificationStage(EmailVerificationStage):
    """A new account waits for its link before it is signed in; a later login does not.

    Sign-up then ends the same way ("check your email") whether or not the address was
    taken, which is how allauth's enumeration prevention hides it. An unverified account
    may log in afterwards: creating an organisation and inviting check verification
    themselves, and offer to send the link again.
    """

    def handle(self) -> tuple[Any, bool]:
        if self.login.signup:
            return super().handle()
        return None, True


class AccountAdapter(DefaultAccountAdapter):
    error_messages = DefaultAccountAdapter.error_messages | {
        "email_password_mismatch": "Your email and password didn’t match. Check them and "
        "try again.",
        "too_many_login_attempts": "Too many wrong passwords for this address. To keep the "
        "account safe, logging in is paused for 15 minutes. You can reset the password by "
        "email straight away.",
    }

    def get_client_ip(self, request: HttpRequest) -> str:
        """The same address the request log shows (core.client_addresses): the rate limits
        count it and user sessions record it, so a forged X-Forwarded-For moves neither."""
        return client_address(request) or super().get_client_ip(request)

    def get_login_stages(self) -> list[str]:
        return [
            f"{__name__}.SignupVerificationStage"
            if stage == "allauth.account.stages.EmailVerificationStage"
            else stage
            for stage in super().get_login_stages()
        ]

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        super().send_mail(
            template_prefix, email, {"current_site": SITE, "site_url": settings.SITE_URL, **context}
        )

    def render_mail(
        self,
        template_prefix: str,
        email: str | list[str],
        context: dict[str, Any],
        headers: dict[str, str] | None = None,
    ) -> EmailMessage:
        return request_ids.stamp(super().render_mail(template_prefix, email, context, headers))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        return site_link(reverse("account_confirm_email", args=[emailconfirmation.key]))

    def get_reset_password_from_key_url(self, key: str) -> str:
        # allauth's key is "<uid>-<token>", one URL argument split in two by its pattern.
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return site_link(path.replace("UID-KEY", quote(key)))

    def save_user(
        self, request: HttpRequest, user: Any, form: BaseForm, commit: bool = True
    ) -> User:
        user = super().save_user(request, user, form, commit=False)
        user.name = form.cleaned_data.get("name", "")
        if commit:
            user.save()
        return user


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> User:
        user = super().populate_user(request, sociallogin, data)
        full = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.name = (full or "")[:150]
        return user
