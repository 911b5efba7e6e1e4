"""Writes that span several of the orgs models, or send email."""

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.enqueue import enqueue_on_commit
from core.slugs import unique_slug
from orgs import policy
from orgs.models import (
    Invitation,
    Membership,
    Organisation,
    User,
    invitation_expiry,
    new_invitation_token,
)
from orgs.roles import Role
from orgs.signals import member_leaving


class RuleBroken(Exception):
    """A change the organisation's rules do not allow; the message is shown to the user."""


def unique_org_slug(name: str) -> str:
    return unique_slug(Organisation.objects.all(), name, fallback="organisation")


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


def invitation_send(
    organisation: Organisation, email: str, role: str, invited_by: User
) -> Invitation:
    """Invite `email`; inviting the same address again renews the link and resends it."""
    from orgs.tasks import send_invitation_email

    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise RuleBroken(f"{email} is already a member of {organisation.name}.")
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(
                organisation=organisation,
                email__iexact=email,
                accepted_at__isnull=True,
                revoked_at__isnull=True,
            )
            .first()
        )
        if invitation is None:
            try:
                with transaction.atomic():
                    invitation = Invitation.objects.create(
                        organisation=organisation, email=email, role=role, invited_by=invited_by
                    )
            except IntegrityError as error:  # the same invitation, sent twice at once
                raise RuleBroken(f"An invitation to {email} has just been sent.") from error
        else:
            # The old link stops working: a renewed invitation has a fresh token.
            invitation.role = role
            invitation.invited_by = invited_by
            invitation.token = new_invitation_token()
            invitation.expires_at = invitation_expiry()
            invitation.sent_at = None
            invitation.save()
        # A Redis outage must not lose the invitation: it is saved, and can be re-sent.
        enqueue_on_commit(send_invitation_email, invitation.pk)
    return invitation


def invitation_accept(invitation: Invitation, user: User) -> Membership:
    """Bring `user` into the organisation; the link works once, for the address it went to."""
    if user.email.lower() != invitation.email.lower():
        # A forwarded link must not make a stranger a member (or an admin).
        raise RuleBroken(
            f"This invitation is for {invitation.email}, and you are logged in as {user.email}. "
            f"Log out, then log in or sign up as {invitation.email} to accept it."
        )
    with transaction.atomic():
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
    return membership


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
