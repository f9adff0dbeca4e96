"""Communities and memberships: every change goes through these functions.

Each function checks that the acting member may do what they ask, on the
object itself, and keeps the rules of the model: one membership per member
and community, and at least one owner in every community.
"""

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import Community, Invitation, Membership, User

# Slugs that would hide a community behind another page of /communities/.
RESERVED_SLUGS = {"new", "membership", "invitation"}

Role = Membership.Role
Status = Membership.Status


def membership_of(community: Community, user) -> Membership | None:
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.filter(community=community, member=user).first()


def is_site_staff(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active and user.is_staff


def can_manage(community: Community, user, membership: Membership | None = None) -> bool:
    """Owners manage their community's members and settings; so do editors (staff)."""
    if is_site_staff(user):
        return True
    membership = membership if membership is not None else membership_of(community, user)
    return membership is not None and membership.is_owner


def can_lead(community: Community, user, membership: Membership | None = None) -> bool:
    """Owners and moderators write posts into the community and moderate its comments."""
    if is_site_staff(user):
        return True
    membership = membership if membership is not None else membership_of(community, user)
    return membership is not None and membership.is_leader


def may_create_community(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    return user.is_staff or not settings.COMMUNITY_CREATION_STAFF_ONLY


def unique_community_slug(name: str) -> str:
    base = slugify(name)[:100].strip("-") or "community"
    slug, number = base, 2
    while slug in RESERVED_SLUGS or Community.objects.filter(slug=slug).exists():
        slug, number = f"{base}-{number}", number + 1
    return slug


@transaction.atomic
def community_create(*, creator, name: str, **fields) -> Community:
    if not may_create_community(creator):
        raise PermissionDenied(_("Only editors can create communities on this site."))
    community = Community(name=name, created_by=creator, **fields)
    if not community.slug:
        community.slug = unique_community_slug(name)
    community.full_clean()
    community.save()
    Membership.objects.create(
        community=community, member=creator, role=Role.OWNER, status=Status.ACTIVE, joined=timezone.now()
    )
    return community


@transaction.atomic
def membership_join(*, community: Community, member) -> Membership:
    """Join an open community, ask to join one by request, or accept a pending invitation."""
    existing = membership_of(community, member)
    if existing is not None:
        if existing.status == Status.INVITED:
            return invitation_accept(membership=existing, member=member)
        return existing
    policy = community.join_policy
    if policy == Community.JoinPolicy.INVITATION:
        raise PermissionDenied(_("This community is by invitation only."))
    if community.is_private and policy == Community.JoinPolicy.OPEN:
        raise PermissionDenied(_("This community is by invitation only."))
    status = Status.ACTIVE if policy == Community.JoinPolicy.OPEN else Status.REQUESTED
    try:
        with transaction.atomic():
            return Membership.objects.create(
                community=community,
                member=member,
                role=Role.MEMBER,
                status=status,
                joined=timezone.now() if status == Status.ACTIVE else None,
            )
    except IntegrityError:  # a double click: the first request won
        return Membership.objects.get(community=community, member=member)


def _other_owners(membership: Membership) -> bool:
    return (
        Membership.objects.active()
        .filter(community_id=membership.community_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_leave(*, community: Community, member) -> None:
    membership = Membership.objects.select_for_update().filter(community=community, member=member).first()
    if membership is None:
        return
    if membership.is_owner and not _other_owners(membership):
        raise ValidationError(_("You are the only owner: make someone else an owner before you leave."))
    membership.delete()


@transaction.atomic
def membership_approve(*, membership: Membership, actor) -> Membership:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.status == Status.REQUESTED:
        membership.status = Status.ACTIVE
        membership.joined = timezone.now()
        membership.approved_by = actor
        membership.save(update_fields=["status", "joined", "approved_by"])
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, actor) -> None:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.status == Status.REQUESTED:
        membership.delete()


@transaction.atomic
def invite(*, community: Community, inviter, username_or_email: str) -> Membership | Invitation:
    """Invite an existing member by username or email, or an unknown email address to sign up."""
    if not can_manage(community, inviter):
        raise PermissionDenied
    target = username_or_email.strip()
    if not target:
        raise ValidationError(_("Give a username or an email address."))
    user = (
        User.objects.filter(email__iexact=target, is_active=True).first()
        if "@" in target
        else User.objects.filter(username__iexact=target, is_active=True).first()
    )
    if user is None and "@" not in target:
        raise ValidationError(_("No member is called “%(name)s”.") % {"name": target})
    if user is not None:
        existing = membership_of(community, user)
        if existing is not None:
            if existing.status == Status.REQUESTED:
                return membership_approve(membership=existing, actor=inviter)
            raise ValidationError(_("%(name)s is already in this community or invited.") % {"name": user.public_name})
        membership = Membership.objects.create(
            community=community, member=user, role=Role.MEMBER, status=Status.INVITED, invited_by=inviter
        )
        transaction.on_commit(lambda: _send_invitation(membership_id=membership.pk))
        return membership
    email = User.objects.normalize_email(target)
    invitation = Invitation.objects.filter(community=community, email__iexact=email, accepted_at__isnull=True).first()
    if invitation is None:
        invitation = Invitation.objects.create(
            community=community, email=email, invited_by=inviter, token=secrets.token_urlsafe(32)
        )
    transaction.on_commit(lambda: _send_invitation(invitation_id=invitation.pk))
    return invitation


def _send_invitation(**ids):
    from .tasks import send_invitation

    send_invitation.enqueue(**ids)


@transaction.atomic
def invitation_accept(*, membership: Membership, member) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.member_id != member.pk:
        raise PermissionDenied
    if membership.status == Status.INVITED:
        membership.status = Status.ACTIVE
        membership.joined = timezone.now()
        membership.save(update_fields=["status", "joined"])
    return membership


@transaction.atomic
def invitation_decline(*, membership: Membership, member) -> None:
    if membership.member_id != member.pk:
        raise PermissionDenied
    Membership.objects.filter(pk=membership.pk, status=Status.INVITED).delete()


@transaction.atomic
def invitations_claim(*, user, email: str) -> list[Membership]:
    """A new member confirmed ``email``: the open invitations to it make them a member."""
    joined = []
    for invitation in Invitation.objects.select_for_update().filter(email__iexact=email, accepted_at__isnull=True):
        membership, created = Membership.objects.get_or_create(
            community=invitation.community,
            member=user,
            defaults={
                "role": Role.MEMBER,
                "status": Status.ACTIVE,
                "joined": timezone.now(),
                "invited_by": invitation.invited_by,
            },
        )
        if not created and membership.status != Status.ACTIVE:
            membership.status, membership.joined = Status.ACTIVE, timezone.now()
            membership.save(update_fields=["status", "joined"])
        invitation.accepted_at, invitation.accepted_by = timezone.now(), user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        joined.append(membership)
    return joined


@transaction.atomic
def membership_change_role(*, membership: Membership, role: str, actor) -> Membership:
    if role not in Role.values:
        raise ValidationError(_("Unknown role."))
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if not membership.is_active:
        raise ValidationError(_("Only active members have a role."))
    if membership.role == Role.OWNER and role != Role.OWNER and not _other_owners(membership):
        raise ValidationError(_("A community needs at least one owner: make someone else an owner first."))
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.is_owner and not _other_owners(membership):
        raise ValidationError(_("A community needs at least one owner: make someone else an owner first."))
    membership.delete()


@transaction.atomic
def community_update(*, community: Community, actor, **fields) -> Community:
    if not can_manage(community, actor):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(community, name, value)
    community.full_clean()
    community.save()
    return community
