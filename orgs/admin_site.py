"""The Django admin, for staff who sign in with two-factor authentication.

Its own login page is replaced by the site's (allauth's, with its two-factor step), and
a staff member without an authenticator app or passkey is sent to set one up first.
"""

from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme


def _has_two_factor(request: HttpRequest) -> bool:
    user = request.user
    return user.is_authenticated and user.has_two_factor()


class TwoFactorAdminSite(admin.AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _has_two_factor(request)


def admin_login(request: HttpRequest) -> HttpResponse:
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(next_url)
    if request.user.is_staff and not _has_two_factor(request):
        messages.warning(
            request, "The admin needs two-factor authentication. Set it up here, then go back."
        )
        return redirect("mfa_index")
    if request.user.is_staff:
        return redirect(next_url)
    messages.error(request, "The admin is for Waymark's staff.")
    return redirect("home")
