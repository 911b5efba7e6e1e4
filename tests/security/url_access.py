"""Every URL pattern, found from the URL configuration, and who may do what with it.

`ACCESS` is the declared rule for each pattern. A pattern the table does not name fails
the suite (tests/security/test_isolation_matrix.py), and so does an entry for a pattern
that no longer exists: nobody adds a page without saying who may use it.
"""

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

from orgs.roles import Role

ACTORS = ("anonymous", "outsider", "viewer", "member", "admin", "owner")
METHODS = ("get", "post", "htmx")  # htmx: a POST with the HX-Request header

# What an actor should get back.
OK = "ok"  # served: not refused for access (no 401/403/404/405), and never a 5xx
LOGIN = "login"  # sent to log in (htmx: told to go there with HX-Redirect)
NOT_FOUND = "404"  # as if it did not exist
UNAUTHORIZED = "401"  # a sign-in that failed, said so
FORBIDDEN = "403"  # a member, but below the role the action needs
NOT_ALLOWED = "405"  # the page does not take this method
ADMIN_LOGIN = "admin-login"  # the Django admin's own login: nobody in the cast is staff

RANK = {Role.VIEWER: 1, Role.MEMBER: 2, Role.ADMIN: 3, Role.OWNER: 4}

# The cast's victim mission belongs to the organisation's owner and its metric to the
# member (tests/security/conftest.py). So "admins and the mission's owner" is admin and
# up here, and "admins, the mission's owner and the metric's owner" is member and up.
EDITOR = Role.ADMIN
CHECKER = Role.MEMBER


@dataclass(frozen=True)
class Rule:
    """Who gets what: `expect(actor, method)` is one of the outcomes above."""

    kind: str
    read: str | None = None  # org pages: the least role that may GET; None: no GET
    write: str | None = None  # org pages: the least role that may POST; None: no POST
    exceptions: dict[tuple[str, str], str] = field(default_factory=dict)

    def expect(self, actor: str, method: str) -> str:
        verb = "get" if method == "get" else "post"
        if (actor, verb) in self.exceptions:
            return self.exceptions[(actor, verb)]
        if self.kind == "org":
            if actor == "anonymous":
                return LOGIN
            if actor == "outsider":
                return NOT_FOUND
            least = self.read if verb == "get" else self.write
            if least is None:
                return NOT_ALLOWED
            return OK if RANK[Role(actor)] >= RANK[Role(least)] else FORBIDDEN
        if self.kind == "public":
            allowed = self.read if verb == "get" else self.write
            return OK if allowed else NOT_ALLOWED
        if self.kind == "login":
            if actor == "anonymous":
                return LOGIN
            allowed = self.read if verb == "get" else self.write
            return OK if allowed else NOT_ALLOWED
        if self.kind == "staff":
            return ADMIN_LOGIN
        if self.kind == "token":
            allowed = self.read if verb == "get" else self.write
            return UNAUTHORIZED if allowed else NOT_ALLOWED
        raise AssertionError(self.kind)


def org(read: str | None = None, write: str | None = None, **exceptions: str) -> Rule:
    """An org-scoped page: anonymous visitors log in, outsiders get 404, members below
    the role get 403. `exceptions` as actor_verb=outcome, e.g. member_get=OK."""
    return Rule("org", read, write, _exceptions(exceptions))


def public(get: bool = True, post: bool = False, **exceptions: str) -> Rule:
    """Anyone at all, no account needed (what it shows is the token's or the page's)."""
    return Rule("public", "yes" if get else None, "yes" if post else None, _exceptions(exceptions))


def login_only(get: bool = True, post: bool = True, **exceptions: str) -> Rule:
    """Anyone logged in; about their own account, so no organisation decides."""
    return Rule("login", "yes" if get else None, "yes" if post else None, _exceptions(exceptions))


def token(get: bool = True, post: bool = False) -> Rule:
    """An API route: a token, never a session, says who is asking, so to every actor of
    this walk (signed in or not) it answers 401; a method it does not take is 405. What
    each token may do is walked by tests/security/test_api_token_matrix.py."""
    return Rule("token", "yes" if get else None, "yes" if post else None)


def _everyone(outcome: str, verbs: tuple[str, ...] = ("get", "post")) -> dict[str, str]:
    return {f"{actor}_{verb}": outcome for actor in ACTORS for verb in verbs}


def _logged_in(outcome: str, verbs: tuple[str, ...] = ("get", "post")) -> dict[str, str]:
    return {f"{actor}_{verb}": outcome for actor in ACTORS[1:] for verb in verbs}


def _exceptions(given: dict[str, str]) -> dict[tuple[str, str], str]:
    pairs = (key.rsplit("_", 1) for key in given)
    return {(actor, verb): given[f"{actor}_{verb}"] for actor, verb in pairs}


V, M, A = Role.VIEWER, Role.MEMBER, Role.ADMIN

ACCESS: dict[str, Rule] = {
    # --- Outside any organisation ---
    "home": public(),  # the landing page, or a redirect to the person's organisation
    "healthz": public(),
    "readyz": public(),
    "health_database": public(),
    "account_profile": login_only(),
    # One's own account: deleting it (with the password), and downloading one's own data.
    "account_delete": login_only(),
    "account_data": login_only(post=False),
    "email_preferences": login_only(),
    "org_create": login_only(),
    # The token is the authority; accepting checks the invitation's email (orgs.services).
    "invitation_accept": public(post=True),
    # The signed token is the authority, and mail clients' one-click POSTs have no CSRF token.
    "unsubscribe": public(post=True),
    # The signed token is the authority: a stakeholder confirms they want digests.
    "stakeholder_confirm": public(post=True),
    "share_page": public(),
    "share_badge": public(),
    # A chart of the published report a link shares; walked with a report link.
    "share_chart": public(),
    "public_page": public(),
    # A mission's badge on the public progress page: what that page already shows.
    "public_badge": public(),
    # --- Accounts (django-allauth) ---
    "account_login": public(post=True),  # logged-in people are sent home
    # Logging out ends at the login page, for everyone (htmx: with HX-Redirect); a GET
    # asks first, and someone not logged in is sent to log in.
    "account_logout": public(
        post=True, anonymous_get=LOGIN, **{f"{actor}_post": LOGIN for actor in ACTORS}
    ),
    "account_inactive": public(),
    "account_signup": public(post=True),
    "account_email_verification_sent": public(),
    # The walked key is not a valid one: the page says so; confirming it is not found.
    "account_confirm_email": public(post=True, **_everyone(NOT_FOUND, verbs=("post",))),
    "account_reset_password": public(post=True),
    "account_reset_password_done": public(),
    "account_reset_password_from_key": public(post=True),  # nor is this one
    "account_reset_password_from_key_done": public(),
    # Login by code is off: its page sends people home, or to log in.
    "account_confirm_login_code": login_only(),
    "account_request_reauthentication_code": login_only(),
    "account_confirm_reauthentication_code": login_only(),
    "account_reauthenticate": login_only(),
    "account_email": login_only(),
    "account_change_password": login_only(),
    "account_set_password": login_only(),
    "verification_resend": login_only(get=False),
    # The second step of a login in progress, and a passkey's login: without one in
    # progress, back to log in (or home, when logged in already).
    "mfa_authenticate": login_only(),
    "mfa_login_webauthn": login_only(),
    "mfa_index": login_only(post=False),
    "mfa_reauthenticate": login_only(),
    "mfa_activate_totp": login_only(),
    # Nobody in the cast has an authenticator app: nothing to turn off or read codes of.
    "mfa_deactivate_totp": login_only(**_logged_in(NOT_FOUND)),
    "mfa_view_recovery_codes": login_only(post=False, **_logged_in(NOT_FOUND, ("get",))),
    "mfa_generate_recovery_codes": login_only(),
    "mfa_download_recovery_codes": login_only(**_logged_in(NOT_FOUND)),
    "mfa_list_webauthn": login_only(post=False),
    "mfa_add_webauthn": login_only(),
    "mfa_reauthenticate_webauthn": login_only(),
    # Walked with a passkey that is nobody's: not found, for everyone.
    "mfa_remove_webauthn": login_only(),
    "mfa_edit_webauthn": login_only(),
    "usersessions_list": login_only(),
    # Signs out one of the person's own browsers: the walked post names none (404).
    "session_end": login_only(get=False, **_logged_in(NOT_FOUND, ("post",))),
    # Single sign-on. No provider is configured in the tests: the walked provider id
    # is unknown, and its pages are not found.
    "openid_connect_login": public(post=True, **_everyone(NOT_FOUND)),
    "openid_connect_callback": public(post=True, **_everyone(NOT_FOUND)),
    "socialaccount_login_cancelled": public(),
    # What went wrong with a provider's sign-in, said with allauth's 401.
    "socialaccount_login_error": public(**_everyone(UNAUTHORIZED, verbs=("get",))),
    # With no sign-up through a provider in progress, everyone is sent to log in.
    "socialaccount_signup": public(post=True, **_everyone(LOGIN)),
    "socialaccount_connections": login_only(),
    "/accounts/social/login/cancelled/": public(post=True),
    "/accounts/social/login/error/": public(post=True),
    "/accounts/social/signup/": public(post=True),
    "/accounts/social/connections/": public(post=True),
    # Addresses from before django-allauth, redirected for bookmarks and old emails.
    "/signup/": public(post=True),
    "/accounts/password_change/": public(post=True),
    "/accounts/password_change/done/": public(post=True),
    "/accounts/password_reset/": public(post=True),
    "/accounts/password_reset/done/": public(post=True),
    "/accounts/reset/<str:uidb64>/<str:token>/": public(post=True),
    "/accounts/reset/done/": public(post=True),
    # The admin's login is the site's; staff without two-factor are sent to set it up.
    "/admin/login/": public(post=True, anonymous_get=LOGIN, anonymous_post=LOGIN),
    # Django's admin decides for itself (is_staff); nobody in the cast is staff.
    "admin:*": Rule("staff"),
    # Its address is answered by the site's login first (config/urls.py, "/admin/login/").
    "admin:login": public(post=True, anonymous_get=LOGIN, anonymous_post=LOGIN),
    "admin:logout": public(post=True, **{f"{actor}_get": ADMIN_LOGIN for actor in ACTORS}),
    # --- The API (api/) ---
    "api:docs": public(),
    "api:openapi-json": public(),
    # Any other address under /api/v1/: a problem-details 404.
    "api:not_found": public(post=True, **_everyone(NOT_FOUND)),
    "api:api-root": public(post=True, **_everyone(NOT_FOUND)),  # /api/v1/ itself
    "api:organisations": token(),
    "api:organisation": token(),
    "api:teams": token(),
    "api:missions": token(),
    "api:mission": token(),  # and PATCH, walked by the token matrix
    "api:goals": token(),
    "api:goal": token(),  # and PATCH, walked by the token matrix
    "api:milestones": token(),
    "api:milestone": token(),
    "api:alignments": token(),
    "api:metrics": token(),
    "api:metric": token(),
    "api:checkins": token(),
    "api:checkin_create": token(get=False, post=True),
    "api:reports": token(),
    "api:report": token(),
    # API tokens: the organisation's for admins; one's own for oneself (the walked token
    # is the member's: to anyone else it is not theirs to revoke).
    "api_tokens:org": org(A, A),
    "api_tokens:org_revoke": org(write=A),
    "api_tokens:mine": login_only(),
    "api_tokens:revoke": login_only(
        get=False, **{f"{a}_post": NOT_FOUND for a in ("outsider", "viewer", "admin", "owner")}
    ),
    # --- orgs ---
    "orgs:settings": org(V, A),
    "orgs:export": org(A),  # everything the organisation holds, as a zip
    # --- Change history: admins read it; nobody writes it ---
    "reporting:mission_history": org(A),
    "reporting:metric_history": org(A),
    "orgs:members": org(V),
    "orgs:member_invite": org(write=A),
    "orgs:member_role": org(write=A),
    "orgs:member_remove": org(write=A),
    # The walked membership is the member's: people preview their own digest, admins anyone's.
    "reporting:member_digest": org(A, member_get=OK),
    "reporting:member_digest_html": org(A, member_get=OK),
    "orgs:invitation_revoke": org(write=A),
    "orgs:teams": org(V, A),
    "orgs:team_detail": org(V, A),
    "orgs:team_member_add": org(write=A),
    "orgs:team_member_remove": org(write=A),
    "missions:stakeholder_list": org(V, A),
    "missions:stakeholder_edit": org(A, A),
    # --- missions ---
    "missions:map": org(V),
    "missions:list": org(V),
    "missions:create": org(A, A),
    "metrics:templates": org(V),
    "metrics:template_use": org(V, A),
    "reporting:mission": org(V),
    "missions:edit": org(EDITOR, EDITOR),
    "missions:archive": org(write=EDITOR),
    "missions:activate": org(write=EDITOR),
    "reporting:goal_add": org(EDITOR, EDITOR),  # GET: the form, fetched when wanted
    "reporting:goal_edit": org(EDITOR, EDITOR),
    "reporting:goal_move": org(write=EDITOR),
    "reporting:milestone_add": org(EDITOR, EDITOR),
    "reporting:milestone_edit": org(EDITOR, EDITOR),
    "reporting:milestone_move": org(write=EDITOR),
    "reporting:milestone_done": org(write=EDITOR),
    "missions:alignment_overview": org(V),
    "missions:alignment": org(V),
    "missions:alignment_add": org(write=EDITOR),
    "missions:alignment_edit": org(EDITOR, EDITOR),
    "missions:alignment_remove": org(write=EDITOR),
    "missions:resource_add": org(write=EDITOR),
    "missions:resource_edit": org(EDITOR, EDITOR),
    "missions:resource_remove": org(write=EDITOR),
    "missions:stakeholders": org(V, EDITOR),
    "missions:stakeholder_add": org(write=A),  # the register is the admins'
    "missions:stakeholder_link_edit": org(EDITOR, EDITOR),
    "missions:stakeholder_link_remove": org(write=EDITOR),
    "missions:stakeholder_link_met": org(write=EDITOR),
    "missions:ideas": org(V, M),
    "missions:idea_support": org(write=M),
    "missions:idea_accept": org(write=EDITOR),
    "missions:idea_decline": org(write=EDITOR),
    "reporting:share": org(EDITOR, EDITOR),
    "reporting:share_revoke": org(write=EDITOR),
    "reporting:org_share": org(A, A),
    "reporting:org_share_revoke": org(write=A),
    "reporting:reports": org(V),
    # Admins, and members who own a live mission (the cast's member owns none).
    "reporting:report_create": org(A, A),
    # The walked report is the member's draft: a draft is for admins and its author, and
    # to anyone else it does not exist.
    "reporting:report_detail": org(M, viewer_get=NOT_FOUND),
    "reporting:report_edit": org(M, M, viewer_get=NOT_FOUND, viewer_post=NOT_FOUND),
    "reporting:report_pdf": org(M, viewer_get=NOT_FOUND),
    # A published report's chart (a draft has none): walked with a published report, which
    # everyone in the organisation reads.
    "reporting:report_chart": org(V),
    "reporting:report_publish": org(write=M, viewer_post=NOT_FOUND),
    "reporting:report_supersede": org(write=M, viewer_post=NOT_FOUND),
    # --- metrics ---
    "reporting:dashboard": org(V),
    "metrics:add": org(EDITOR, EDITOR),
    "metrics:add_to_mission": org(EDITOR, EDITOR),
    "metrics:detail": org(V),
    "metrics:edit": org(EDITOR, EDITOR),
    "metrics:check_in": org(CHECKER, CHECKER),
    "metrics:correct": org(CHECKER, CHECKER),
    "metrics:import": org(CHECKER, CHECKER),
    "metrics:export": org(V),
    "metrics:mission_export": org(V),
    "metrics:my_checkins": org(V),
    # A row of the person's own My check-ins: the walked metric is the member's, and to
    # anyone else it is not one of theirs (404), as the view says.
    "metrics:my_checkin": org(
        write=M, viewer_post=NOT_FOUND, admin_post=NOT_FOUND, owner_post=NOT_FOUND
    ),
    # --- integrations: webhooks and chat channels are the admins'; a metric's feed is
    # for whoever may edit its mission ---
    "integrations:index": org(A),
    "integrations:endpoint_add": org(A, A),
    "integrations:endpoint": org(A, A),
    "integrations:endpoint_remove": org(write=A),
    "integrations:delivery_resend": org(write=A),
    "integrations:channel_add": org(A, A),
    "integrations:channel": org(A, A),
    "integrations:channel_remove": org(write=A),
    "integrations:feed": org(EDITOR, EDITOR),
    "integrations:feed_run": org(write=EDITOR),
    "integrations:feed_remove": org(write=EDITOR),
    # A reminder's signed link, walked with the member's: it is theirs alone, and anyone
    # else in the organisation is told it is for someone else, even those who may check
    # in on the metric by its own page.
    "metrics:quick_checkin": org(
        M,
        M,
        admin_get=FORBIDDEN,
        admin_post=FORBIDDEN,
        owner_get=FORBIDDEN,
        owner_post=FORBIDDEN,
    ),
}

# Patterns that take a POST without a CSRF token, and why. Each is still walked above.
CSRF_EXEMPT = {
    # Mail clients' one-click unsubscribe (RFC 8058) POSTs without one; the signed token
    # in the address is what authorises it (orgs.views.unsubscribe).
    "unsubscribe",
    # The API's routes take no cookie: only an Authorization header says who is asking,
    # which a page on another site cannot make a browser send (api.v1.TokenAuth).
    *(key for key, rule in ACCESS.items() if rule.kind == "token"),
}


@dataclass(frozen=True)
class Pattern:
    key: str  # the name for reverse (namespaced), or the route for an unnamed pattern
    route: str  # the whole route, e.g. "o/<slug:org_slug>/members/"
    arguments: tuple[str, ...]
    is_regex: bool

    @property
    def org_scoped(self) -> bool:
        return "org_slug" in self.arguments

    def rule(self) -> Rule:
        if self.key in ACCESS:
            return ACCESS[self.key]
        namespace = self.key.split(":")[0] + ":*"
        return ACCESS[namespace]

    def path(self, values: dict[str, str]) -> str:
        """The URL with each argument filled from `values`."""
        if self.is_regex:
            filled = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values[m.group(1)], self.route)
            return "/" + filled.replace("^", "").replace("$", "")
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), self.route)


def all_patterns() -> list[Pattern]:
    found: list[Pattern] = []

    def walk(patterns: list, namespace: str, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, ns, route)
            elif isinstance(pattern, URLPattern):
                is_regex = "(?P<" in route
                arguments = tuple(
                    re.findall(r"\(\?P<(\w+)>", route)
                    if is_regex
                    else re.findall(r"<(?:\w+:)?(\w+)>", route)
                )
                key = namespace + pattern.name if pattern.name else f"{namespace}/{route}"
                found.append(Pattern(key, route, arguments, is_regex))

    walk(get_resolver().url_patterns, "", "")
    return found


def covered(key: str, keys: set[str]) -> bool:
    return key in keys or any(k.endswith(":*") and key.startswith(k[:-1]) for k in keys)
