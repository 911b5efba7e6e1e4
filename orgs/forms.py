import re
from typing import Any

from allauth.account import forms as allauth_forms
from allauth.account.models import EmailAddress
from allauth.core import ratelimit
from django import forms
from django.contrib.auth.forms import BaseUserCreationForm
from django.forms.utils import flatatt
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from core.text import CleanTextField
from orgs import policy
from orgs.models import (
    TIME_ZONE_CHOICES,
    Membership,
    Organisation,
    OrganisationSlug,
    Team,
    User,
    Weekday,
    email_domain,
    sso_required_by,
)
from orgs.roles import Role

DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


class SignupForm(allauth_forms.SignupForm):
    """allauth's sign-up with the person's name first, then the fields in the order shown."""

    name = CleanTextField(max_length=150, label="Your name", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["email"].label = "Email address"
        self.fields["email"].widget.attrs.pop("placeholder", None)
        for name in ("password1", "password2"):
            self.fields[name].widget.attrs.pop("placeholder", None)
        self.fields["password2"].label = "Password confirmation"
        self.order_fields(["name", "email", "password1", "password2"])

    def try_save(self, request: HttpRequest) -> tuple[Any, HttpResponse | None]:
        # Per address, whether or not it has an account (the answer must not say which):
        # sign-ups for one address cannot flood its inbox.
        if not ratelimit.consume(request, action="signup_by_email", key=self.cleaned_data["email"]):
            return None, ratelimit.respond_429(request)
        return super().try_save(request)


# The address the next login is for, when a signed link (a reminder's check-in link) said
# whose it is: the login page then asks only for their password.
LOGIN_EMAIL_KEY = "login_email"


def remember_login_email(request: HttpRequest, email: str) -> None:
    request.session[LOGIN_EMAIL_KEY] = email


class LoginForm(allauth_forms.LoginForm):
    """allauth's login, refusing a password for an address its organisation signs in by SSO.

    The rule is the domain's, checked before the password, so the answer says nothing
    about whether an account exists or whether the password was right.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
        self.fixed_email = self._fixed_email()
        self.sso_required = False
        if self.fixed_email:
            # Whose password it asks for is known: a signed link sent to them said so.
            self.fields["login"].widget = forms.HiddenInput()
            self.fields["login"].initial = self.fixed_email
            self.fields["password"].widget.attrs["autofocus"] = True
            self.sso_required = sso_required_by(self.fixed_email) is not None
            if self.sso_required:
                del self.fields["password"]

    def _fixed_email(self) -> str:
        session = getattr(self.request, "session", None)
        if session is None:
            return ""
        if self.request is not None and self.request.GET.get("another"):
            session.pop(LOGIN_EMAIL_KEY, None)  # "Not you?"
        return str(session.get(LOGIN_EMAIL_KEY, ""))

    def login(self, request: HttpRequest, redirect_url: str | None = None) -> HttpResponse:
        request.session.pop(LOGIN_EMAIL_KEY, None)
        return super().login(request, redirect_url)

    def clean(self) -> dict[str, Any]:
        login = (self.cleaned_data.get("login") or "").strip()
        if login and "password" in self.fields:
            organisation = sso_required_by(login)
            if organisation is not None:
                raise forms.ValidationError(
                    f"{organisation.name} signs in with single sign-on. Use the "
                    "single sign-on button below instead of a password.",
                    code="sso_required",
                )
        return super().clean()


class InvitedSignupForm(BaseUserCreationForm):
    """Sign-up from an invitation: the organisation already exists, the email is fixed.

    The invitation's link reached the address, so the address counts as verified.
    """

    class Meta:
        model = User
        fields = ("name", "email")
        labels = {"name": "Your name"}

    def __init__(self, *args: Any, invited_email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invited_email = invited_email
        self.fields["email"].disabled = True
        self.fields["email"].initial = invited_email

    def clean_email(self) -> str:
        email = self.invited_email.strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("An account with this email already exists. Log in.")
        return email


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = (
            "name",
            "slug",
            "time_zone",
            "week_starts_on",
            "number_format",
            "public_page",
            "sso_domains",
            "sso_required",
            "two_factor_required",
        )
        labels = {"week_starts_on": "Weeks start on"}
        widgets = {"number_format": forms.RadioSelect}

    def __init__(self, *args: Any, editor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editor = editor
        # Left out of a post, the number format stays as it is.
        self.fields["number_format"].required = False

    def clean_number_format(self) -> str:
        chosen: str = self.cleaned_data.get("number_format") or ""
        return chosen or self.instance.number_format

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"].lower()
        taken = Organisation.objects.filter(slug=slug).exclude(pk=self.instance.pk).exists()
        if taken or OrganisationSlug.reserved(slug, apart_from=self.instance):
            # An address another organisation gave up stays its own: its old links and
            # public page must never show someone else.
            raise forms.ValidationError(
                "That address is taken, or was used by another organisation. Try another."
            )
        return slug

    def clean_sso_domains(self) -> str:
        """Each domain once, in lower case; a new one only if it is the editor's own.

        Otherwise any organisation could claim gmail.com and stop everyone there
        signing in with a password.
        """
        domains = list(
            dict.fromkeys(self.cleaned_data["sso_domains"].lower().replace(",", " ").split())
        )
        already = set(self.instance.sso_domain_list()) if self.instance.pk else set()
        own = {
            email_domain(email)
            for email in EmailAddress.objects.filter(user=self.editor, verified=True).values_list(
                "email", flat=True
            )
        }
        for domain in domains:
            if not DOMAIN.fullmatch(domain):
                raise forms.ValidationError(f"“{domain}” is not a domain, such as acme.example.")
            if domain not in already and domain not in own:
                raise forms.ValidationError(
                    f"You can add {domain} only from a verified address at {domain}."
                )
        return " ".join(domains)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("sso_required") and not data.get("sso_domains"):
            self.add_error("sso_domains", "Name the domains that must use single sign-on.")
        return data


class NewOrganisationForm(forms.Form):
    name = CleanTextField(
        max_length=Organisation._meta.get_field("name").max_length, label="Organisation name"
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(choices=Role.choices, initial=Role.MEMBER)

    def __init__(self, *args: Any, inviter: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role = self.fields["role"]
        assert isinstance(role, forms.ChoiceField)
        role.choices = [(r.value, r.label) for r in policy.roles_granted_by(inviter)]


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PeopleSelect(forms.Select):
    """A select of an organisation's people, its options joined in Python.

    Django renders every option through the widget templates; with a couple of hundred
    members that was most of the time a page with a quick-add form took to render.
    """

    def render(
        self,
        name: str,
        value: Any,
        attrs: dict[str, Any] | None = None,
        renderer: Any = None,
    ) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _ in widget["optgroups"]:
            html = format_html_join(
                "",
                "<option value=\"{}\"{}>{}</option>",
                (("" if o["value"] is None else o["value"], flatatt(o["attrs"]), o["label"])
                 for o in options),
            )  # fmt: skip
            groups.append(
                format_html('<optgroup label="{}">{}</optgroup>', group_name, html)
                if group_name
                else html
            )
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(groups)),  # noqa: S308 -- each part built by format_html
        )


def show_stored_choice(form: forms.ModelForm, name: str) -> None:
    """Pre-select the stored row in a select that names rows by email or slug, not id.

    A model form's initial value for a foreign key is the id, which matches none of the
    options once `to_field_name` is set: the edit page would show the empty choice, and
    saving it unchanged would clear the field.
    """
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField) and field.to_field_name
    related = getattr(form.instance, name, None)
    if related is not None:
        form.initial[name] = getattr(related, field.to_field_name)


class TeamForm(forms.ModelForm):
    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        lead = self.fields["lead"]
        assert isinstance(lead, forms.ModelChoiceField)
        lead.widget = PeopleSelect(attrs=lead.widget.attrs)  # given its choices just below
        lead.queryset = User.objects.filter(memberships__organisation=organisation)
        lead.to_field_name = "email"  # no sequential ids in the page
        lead.required = False
        show_stored_choice(self, "lead")

    class Meta:
        model = Team
        fields = ("name", "description", "lead")
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Team.objects.filter(organisation=self.organisation, name__iexact=name)
        if clash.exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("There is already a team with this name.")
        return name


class TeamMemberForm(forms.Form):
    user = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Person", to_field_name="email"
    )

    def __init__(self, *args: Any, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = User.objects.filter(memberships__organisation=team.organisation).exclude(
            team_memberships__team=team
        )


class ProfileForm(forms.ModelForm):
    """The name people see. The email address, which is also the login, changes on the
    email page, where the new address is verified before it takes over."""

    class Meta:
        model = User
        fields = ("name",)
        labels = {"name": "Your name"}


HOUR_CHOICES = [(hour, f"{hour:02d}:00") for hour in range(24)]


class EmailPreferencesForm(forms.ModelForm):
    class Meta:
        model = User
        fields = (
            "receive_reminders",
            "receive_digest",
            "digest_weekday",
            "reminder_hour",
            "time_zone",
        )
        widgets = {"reminder_hour": forms.Select(choices=HOUR_CHOICES)}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        weekday = self.fields["digest_weekday"]
        zone = self.fields["time_zone"]
        assert isinstance(weekday, forms.TypedChoiceField) and isinstance(zone, forms.ChoiceField)
        weekday.choices = [("", "The first day of each organisation’s week"), *Weekday.choices]
        zone.choices = [("", "Each organisation’s time zone"), *TIME_ZONE_CHOICES]


class AccountDeleteForm(forms.Form):
    """Deleting one's own account asks for the password (a session left open is not enough)
    and for the email address typed out (a click in passing is not enough)."""

    email = CleanTextField(
        label="Your email address",
        max_length=254,
        help_text="Type it to confirm that this is the account to delete.",
    )
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_email(self) -> str:
        email: str = self.cleaned_data["email"].strip()
        if email.lower() != self.user.email.lower():
            raise forms.ValidationError(f"Type {self.user.email} to confirm.")
        return email

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
