from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, BaseUserCreationForm
from django.core.validators import MaxLengthValidator
from django.forms.utils import flatatt
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
)
from orgs.roles import Role


class SignupForm(BaseUserCreationForm):
    organisation_name = CleanTextField(
        max_length=Organisation._meta.get_field("name").max_length,
        label="Organisation name",
        help_text="You can rename it, and create or join others, later.",
    )

    class Meta:
        model = User
        fields = ("name", "email")
        labels = {"name": "Your name"}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in, or reset your password."
            )
        return email


class LoginForm(AuthenticationForm):
    """Django's login form, refusing an over-long email before anyone tries it.

    AuthenticationForm sets the field's max_length after the validators are made, so
    without this a 10,000-character "email" reaches authenticate(), and the lockout
    records (axes, 255 characters) fail to save it: a 500 on PostgreSQL.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        assert isinstance(username, forms.CharField) and username.max_length is not None
        username.validators.append(MaxLengthValidator(username.max_length))


class InvitedSignupForm(SignupForm):
    """Sign-up from an invitation: the organisation already exists, the email is fixed."""

    def __init__(self, *args: Any, invited_email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["organisation_name"]
        self.invited_email = invited_email
        self.fields["email"].disabled = True
        self.fields["email"].initial = invited_email

    def clean_email(self) -> str:
        self.cleaned_data["email"] = self.invited_email
        return super().clean_email()


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ("name", "slug", "time_zone", "week_starts_on", "number_format", "public_page")
        labels = {"week_starts_on": "Weeks start on"}
        widgets = {"number_format": forms.RadioSelect}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
    """Name and email. Changing the email, which is also the login, needs the password."""

    password = forms.CharField(
        label="Current password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Needed only to change your email address.",
    )

    class Meta:
        model = User
        fields = ("name", "email")
        labels = {"name": "Your name"}

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("Another account already uses this email address.")
        return email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        changing = data.get("email") and data["email"] != self.initial.get("email")
        if changing and not self.instance.check_password(data.get("password") or ""):
            self.add_error("password", "Enter your current password to change your email address.")
        return data


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
