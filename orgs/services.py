"""Writes that span several of the orgs models, or send email."""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import Count, OuterRef, Subquery
from django.utils import timezone

from core.enqueue import enqueue_on_commit
from core.slugs import unique_slug
from orgs import policy
from orgs.models import (
    Invitation,
    Membership,
    Organisation,
    OrganisationSlug,
    Stakeholder,
    User,
)
from orgs.roles import Role
from orgs.signals import invitation_accepted, member_leaving


class RuleBroken(Exception):
    """A change the organisation's rules do not allow; the message is shown to the user."""


def unique_org_slug(name: str) -> str:
    # Every address an organisation has had, not only the current ones.
    return unique_slug(OrganisationSlug.objects.all(), name, fallback="organisation")


@transaction.atomic
def organisation_create(owner: User, name: str, slug: str = "", **fields: object) -> Organisation:
    organisation = Organisation.objects.create(
        name=name, slug=slug or unique_org_slug(name), **fields
    )
    Membership.objects.create(organisation=organisation, user=owner, role=Role.OWNER)
    return organisation


@transaction.atomic
def user_create_from_invitation(invitation: Invitation, password: str, name: str) -> User:
    """A new account for the invited address, verified: the invitation's link reached it."""
    user = User.objects.create_user(email=invitation.email, password=password, name=name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


# Sending invitations is limited per hour, per account and per organisation: a new
# sign-up must not turn Waymark into a way of mailing strangers. Every send counts,
# a renewed one too (a renewal is a new invitation; the old one is revoked).
INVITATIONS_PER_HOUR_BY_ACCOUNT = 20
INVITATIONS_PER_HOUR_BY_ORGANISATION = 40
LIMIT_WINDOW = timedelta(hours=1)


def _invitation_limit_reached(organisation: Organisation, invited_by: User) -> str:
    """Why no more invitations may go out now, or "" when they may."""
    recent = Invitation.objects.filter(created_at__gt=timezone.now() - LIMIT_WINDOW)
    if recent.filter(organisation=organisation).count() >= INVITATIONS_PER_HOUR_BY_ORGANISATION:
        return (
            f"{organisation.name} has sent {INVITATIONS_PER_HOUR_BY_ORGANISATION} invitations "
            "in the last hour, which is as many as an organisation may. Please try again in "
            "an hour."
        )
    if recent.filter(invited_by=invited_by).count() >= INVITATIONS_PER_HOUR_BY_ACCOUNT:
        return (
            f"You have sent {INVITATIONS_PER_HOUR_BY_ACCOUNT} invitations in the last hour, "
            "which is as many as one person may. Please try again in an hour."
        )
    return ""


def invitation_send(
    organisation: Organisation, email: str, role: str, invited_by: User
) -> Invitation:
    """Invite `email`; inviting the same address again renews the link and resends it."""
    from orgs.tasks import send_invitation_email

    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise RuleBroken(f"{email} is already a member of {organisation.name}.")
    with transaction.atomic():
        # Counted with the organisation's row locked, so that two sends at once cannot
        # both squeeze under the limit.
        Organisation.objects.select_for_update().filter(pk=organisation.pk).first()
        refused = _invitation_limit_reached(organisation, invited_by)
        if refused:
            raise RuleBroken(refused)
        # The old link stops working: a renewal revokes it and sends a new invitation.
        Invitation.objects.filter(
            organisation=organisation,
            email__iexact=email,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
        ).update(revoked_at=timezone.now())
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    organisation=organisation, email=email, role=role, invited_by=invited_by
                )
        except IntegrityError as error:  # the same invitation, sent twice at once
            raise RuleBroken(f"An invitation to {email} has just been sent.") from error
        # A Redis outage must not lose the invitation: it is saved, and can be re-sent.
        enqueue_on_commit(send_invitation_email, invitation.pk)
    return invitation


def invitation_accept(invitation: Invitation, user: User) -> Membership:
    """Bring `user` into the organisation; the link works once, for the address it went to,
    and only while whoever sent it may still invite at its role."""
    if user.email.lower() != invitation.email.lower():
        # A forwarded link must not make a stranger a member (or an admin).
        raise RuleBroken(
            f"This invitation is for {invitation.email}, and you are logged in as {user.email}. "
            f"Log out, then log in or sign up as {invitation.email} to accept it."
        )
    with transaction.atomic():
        # The inviter's role as it is now, locked so a demotion cannot slip in between.
        if not policy.can_invite(invitation.inviter_membership(lock=True), invitation.role):
            raise RuleBroken(invitation_void_reason(invitation))
        # Claim the invitation first, so two clicks cannot both use it.
        claimed = Invitation.objects.filter(
            pk=invitation.pk,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        ).update(accepted_at=timezone.now(), accepted_by=user)
        if not claimed:
            raise RuleBroken("This invitation has already been used, revoked or has expired.")
        membership, created = Membership.objects.get_or_create(
            organisation=invitation.organisation, user=user, defaults={"role": invitation.role}
        )
        if not created and not membership.has_role(invitation.role):
            membership.role = invitation.role
            membership.save(update_fields=["role"])
        invitation_accepted.send(sender=Invitation, invitation=invitation, user=user)
    return membership


def invitation_void_reason(invitation: Invitation) -> str:
    """What an invitee is told when the person who invited them no longer may."""
    organisation = invitation.organisation.name
    return (
        f"This invitation to {organisation} is no longer valid: the person who sent it can no "
        f"longer invite people as {invitation.get_role_display().lower()}. Ask someone who "
        f"runs {organisation} to invite you again."
    )


# Adding stakeholders, and asking them to confirm digests, is limited too: their addresses
# are typed by whoever runs an organisation, and the confirmation goes to them.
STAKEHOLDERS_PER_HOUR_BY_ACCOUNT = 30
CONFIRMATIONS_PER_DAY_TO_ADDRESS = 3


def stakeholder_limit_reached(user: User) -> str:
    """Why this person may add no more stakeholders now, or "" when they may."""
    since = timezone.now() - LIMIT_WINDOW
    if (
        Stakeholder.objects.filter(created_by=user, created_at__gt=since).count()
        >= STAKEHOLDERS_PER_HOUR_BY_ACCOUNT
    ):
        return (
            f"You have added {STAKEHOLDERS_PER_HOUR_BY_ACCOUNT} stakeholders in the last hour, "
            "which is as many as one person may. Please try again in an hour."
        )
    return ""


def stakeholder_save(stakeholder: Stakeholder, *, by: User) -> str:
    """Save a stakeholder, new or changed, and ask them by email to confirm their consent
    to digests when it is newly recorded or their address changed (double opt-in).

    Returns "asked" when a confirmation email is on its way, "held" when the address has
    had CONFIRMATIONS_PER_DAY_TO_ADDRESS of them in the last day (saving later asks
    again), and "" otherwise. Raises RuleBroken when `by` has added too many.
    """
    from orgs.tasks import send_stakeholder_confirmation

    with transaction.atomic():
        before = (
            Stakeholder.objects.select_for_update()
            .filter(pk=stakeholder.pk)
            .values("email", "consent_to_email")
            .first()
            if stakeholder.pk
            else None
        )
        if before is None:
            refused = stakeholder_limit_reached(by)
            if refused:
                raise RuleBroken(refused)
            stakeholder.created_by = by
        moved = before is not None and before["email"].lower() != stakeholder.email.lower()
        if not stakeholder.consent_to_email or moved:
            # Consent withdrawn, or given for another address: the old confirmation is void.
            stakeholder.email_confirmed_at = None
            stakeholder.confirmation_sent_at = None
        outcome = ""
        if stakeholder.awaits_confirmation and stakeholder.confirmation_sent_at is None:
            recent = Stakeholder.objects.filter(
                email__iexact=stakeholder.email,
                confirmation_sent_at__gt=timezone.now() - timedelta(days=1),
            )
            if recent.count() >= CONFIRMATIONS_PER_DAY_TO_ADDRESS:
                outcome = "held"
            else:
                stakeholder.confirmation_sent_at = timezone.now()
                outcome = "asked"
        stakeholder.save()
        if outcome == "asked":
            enqueue_on_commit(send_stakeholder_confirmation, stakeholder.pk)
    return outcome


def _lock_owners(organisation: Organisation) -> list[Membership]:
    return list(
        Membership.objects.select_for_update().filter(organisation=organisation, role=Role.OWNER)
    )


@transaction.atomic
def membership_change_role(membership: Membership, role: str, changed_by: Membership) -> None:
    if role == membership.role:
        return
    if Role.OWNER in (role, membership.role) and not policy.can_change_owners(changed_by):
        raise RuleBroken("Only an owner can make someone an owner or change an owner's role.")
    owners = _lock_owners(membership.organisation)
    if membership.role == Role.OWNER and len(owners) <= 1:
        raise RuleBroken("The last owner cannot be demoted. Make someone else an owner first.")
    membership.role = role
    membership.save(update_fields=["role"])


@transaction.atomic
def membership_remove(membership: Membership, removed_by: Membership) -> None:
    if membership.role == Role.OWNER and not policy.can_change_owners(removed_by):
        raise RuleBroken("Only an owner can remove an owner.")
    owners = _lock_owners(membership.organisation)
    if membership.role == Role.OWNER and len(owners) <= 1:
        raise RuleBroken("The last owner cannot be removed. Make someone else an owner first.")
    # Leaving an organisation also leaves its teams.
    membership.user.team_memberships.filter(team__organisation=membership.organisation).delete()
    membership.organisation.teams.filter(lead=membership.user).update(lead=None)
    # What they owned is left for someone to take on, not owned by an outsider: each app
    # that has owners receives this inside the same transaction.
    member_leaving.send(
        sender=Membership,
        organisation=membership.organisation,
        user=membership.user,
        removed_by=removed_by.user,
    )
    membership.delete()


# --- Leaving Waymark ------------------------------------------------------------------------


def organisations_only_they_own(user: User) -> list[Organisation]:
    """The organisations `user` is the only owner of: they must hand each over (make
    someone else an owner) before they can delete their account."""
    owners = (
        Membership.objects.filter(organisation=OuterRef("pk"), role=Role.OWNER)
        .values("organisation")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return list(
        Organisation.objects.filter(memberships__user=user, memberships__role=Role.OWNER)
        .annotate(owners=Subquery(owners))
        .filter(owners=1)
        .order_by("name")
    )


@transaction.atomic
def account_delete(user: User) -> None:
    """Delete `user`'s account, leaving each organisation as a removed member leaves it.

    What they owned there (missions, goals, metrics) is left without an owner for an
    admin to take on; what they wrote (check-ins and their comments, ideas, reports,
    history) stays, by "a former member". Refused while they are an organisation's only
    owner.
    """
    for membership in (
        Membership.objects.select_related("organisation", "user")
        .filter(user=user)
        .order_by("organisation_id")
    ):
        # Refuses the last owner (membership_remove locks the owners to count them).
        membership_remove(membership, removed_by=membership)
    user.delete()
