"""Communities and memberships: every change goes through these functions.

Each function checks that the acting member may do what they ask, on the
object itself, and keeps the rules of the model: one membership per member
and community, and at least one owner in every community.
"""

import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import ratelimit
from core.slugs import unique_slug

from .models import RESERVED_COMMUNITY_SLUGS, Community, Invitation, Membership, MembershipEvent, User

# Slugs that would hide a community behind another page of /communities/.

Role = Membership.Role
Status = Membership.Status
Event = MembershipEvent.Action


def _record(
    action: str,
    *,
    community: Community,
    actor,
    member=None,
    before: tuple[str, str] = ("", ""),
    after: tuple[str, str] = ("", ""),
) -> MembershipEvent:
    """Write the audit record of a membership change: ``before``/``after`` are (role, status)."""
    return MembershipEvent.objects.create(
        action=action,
        community=community,
        community_name=community.name[:120],
        actor=actor if actor is not None and actor.is_authenticated else None,
        member=member,
        old_role=before[0],
        old_status=before[1],
        new_role=after[0],
        new_status=after[1],
    )


def _state(membership: Membership | None) -> tuple[str, str]:
    return ("", "") if membership is None else (membership.role, membership.status)


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


@transaction.atomic
def community_create(*, creator, name: str, **fields) -> Community:
    if not may_create_community(creator):
        raise PermissionDenied(_("Only editors can create communities on this site."))
    community = Community(name=name, created_by=creator, **fields)
    if not community.slug:
        community.slug = unique_slug(
            Community, slugify(name) or "community", max_length=120, unavailable=RESERVED_COMMUNITY_SLUGS
        )
    community.full_clean()
    community.save()
    membership = Membership.objects.create(
        community=community, member=creator, role=Role.OWNER, status=Status.ACTIVE, joined=timezone.now()
    )
    _record(Event.CREATED, community=community, actor=creator, member=creator, after=_state(membership))
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
    # A policy its visibility does not allow (a private community saved as open before the rule)
    # is read as invitation only.
    if policy == Community.JoinPolicy.INVITATION or policy not in community.join_policies_for(
        community.visibility
    ):
        raise PermissionDenied(_("This community is by invitation only."))
    status = Status.ACTIVE if policy == Community.JoinPolicy.OPEN else Status.REQUESTED
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                community=community,
                member=member,
                role=Role.MEMBER,
                status=status,
                joined=timezone.now() if status == Status.ACTIVE else None,
            )
    except IntegrityError:  # a double click: the first request won
        return Membership.objects.get(community=community, member=member)
    action = Event.JOINED if status == Status.ACTIVE else Event.REQUESTED
    _record(action, community=community, actor=member, member=member, after=_state(membership))
    return membership


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
    before = _state(membership)
    membership.delete()
    _record(Event.LEFT, community=community, actor=member, member=member, before=before)


@transaction.atomic
def membership_approve(*, membership: Membership, actor) -> Membership:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.status == Status.REQUESTED:
        before = _state(membership)
        membership.status = Status.ACTIVE
        membership.joined = timezone.now()
        membership.approved_by = actor
        membership.save(update_fields=["status", "joined", "approved_by"])
        _record(
            Event.APPROVED,
            community=membership.community,
            actor=actor,
            member=membership.member,
            before=before,
            after=_state(membership),
        )
    return membership


@transaction.atomic
def membership_decline(*, membership: Membership, actor) -> None:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.status == Status.REQUESTED:
        before = _state(membership)
        membership.delete()
        _record(
            Event.DECLINED,
            community=membership.community,
            actor=actor,
            member=membership.member,
            before=before,
        )


@transaction.atomic
def invite(*, community: Community, inviter, username_or_email: str) -> Membership | Invitation:
    """Invite an existing member by username or email, or an unknown email address to sign up."""
    if not can_manage(community, inviter):
        raise PermissionDenied
    target = username_or_email.strip()
    if not target:
        raise ValidationError(_("Give a username or an email address."))
    # Invitations send email: settings.PORTAL_RATE_LIMITS["invite"] an hour per inviter, in every community.
    if not ratelimit.hit("invite", f"user:{inviter.pk}"):
        raise ValidationError(
            _("You have sent %(count)d invitations in the last hour, the most allowed. Try again later.")
            % {"count": ratelimit.limit("invite")[0]},
            code="rate_limited",
        )
    user = (
        User.objects.filter(email__iexact=target, is_active=True).first()
        if "@" in target
        else User.objects.filter(username__iexact=target, is_active=True).first()
    )
    if user is None and "@" not in target:
        raise ValidationError(_("No member is called “%(name)s”.") % {"name": target})
    if user is None:
        try:
            validate_email(target)
        except ValidationError:
            raise ValidationError(
                _("“%(address)s” is not a valid email address.") % {"address": target}, code="invalid"
            ) from None
    if user is not None:
        existing = membership_of(community, user)
        if existing is not None:
            if existing.status == Status.REQUESTED:
                return membership_approve(membership=existing, actor=inviter)
            raise ValidationError(
                _("%(name)s is already in this community or invited.") % {"name": user.public_name}
            )
        membership = Membership.objects.create(
            community=community, member=user, role=Role.MEMBER, status=Status.INVITED, invited_by=inviter
        )
        _record(Event.INVITED, community=community, actor=inviter, member=user, after=_state(membership))
        _send_invitation(membership_id=membership.pk)
        return membership
    email = User.objects.normalize_email(target)
    invitation = Invitation.objects.filter(
        community=community, email__iexact=email, accepted_at__isnull=True
    ).first()
    if invitation is None:
        invitation = Invitation.objects.create(
            community=community, email=email, invited_by=inviter, token=secrets.token_urlsafe(32)
        )
        # The address itself is not recorded: it belongs to someone who has no account.
        _record(Event.INVITED_EMAIL, community=community, actor=inviter)
    _send_invitation(invitation_id=invitation.pk)
    return invitation


@dataclass(frozen=True)
class InviteOutcome:
    """What became of one invitee: ``invited`` (as ``invite`` returns it), or ``error``, why not."""

    target: str
    invited: Membership | Invitation | None = None
    error: str = ""


def invite_many(*, community: Community, inviter, targets) -> list[InviteOutcome]:
    """``invite`` each of ``targets`` on its own: one refused (unknown, already in) leaves the others invited.

    Once the inviter's hourly limit is reached, the remaining targets are
    refused with its message, without being tried. An inviter who may not
    manage the community gets ``PermissionDenied`` from the first ``invite``.
    """
    outcomes, limit_reached = [], ""
    for target in targets:
        if limit_reached:
            outcomes.append(InviteOutcome(target, error=limit_reached))
            continue
        try:
            invited = invite(community=community, inviter=inviter, username_or_email=target)
        except ValidationError as error:
            message = " ".join(error.messages)
            if getattr(error, "code", None) == "rate_limited":
                limit_reached = message
            outcomes.append(InviteOutcome(target, error=message))
        else:
            outcomes.append(InviteOutcome(target, invited))
    return outcomes


def _send_invitation(**ids):
    """Enqueue the invitation's email inside the caller's transaction: it commits with the invitation.

    ``invited_at`` names this sending (inviting an address again sends again):
    the email's Message-ID is made from it, so a task run again after its
    worker died does not send it twice.
    """
    from .tasks import send_invitation

    # The inviter's language now: an invitation to an address without an account is written in it.
    send_invitation.enqueue(**ids, language=translation.get_language(), invited_at=timezone.now().isoformat())


# --- The link of a member's invitation email -------------------------------------------

MEMBER_INVITATION_SALT = "accounts.member-invitation"


def member_invitation_token(membership: Membership) -> str:
    """The signed token of the link in a member's invitation email: the membership and its member.

    The link works for a signed-out reader (a phone's mail app): it explains the
    invitation and signs them in back to the community's page. It answers only
    while the membership it names exists, for that member.
    """
    return signing.dumps([membership.pk, membership.member_id], salt=MEMBER_INVITATION_SALT)


def membership_from_invitation_token(token: str) -> Membership | None:
    """The membership a ``member_invitation_token`` names, whatever its status now; ``None`` if it is
    gone (refused, withdrawn, left). Raises ``signing.BadSignature`` if the token is not one of ours."""
    try:
        pk, member_id = signing.loads(token, salt=MEMBER_INVITATION_SALT)
    except (ValueError, TypeError):
        raise signing.BadSignature("Not an invitation token.") from None
    if not (isinstance(pk, int) and isinstance(member_id, int)):
        raise signing.BadSignature("Not an invitation token.")
    return (
        Membership.objects.select_related("community", "member", "invited_by")
        .filter(pk=pk, member_id=member_id)
        .first()
    )


@transaction.atomic
def invitation_accept(*, membership: Membership, member) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.member_id != member.pk:
        raise PermissionDenied
    if membership.status == Status.INVITED:
        before = _state(membership)
        membership.status = Status.ACTIVE
        membership.joined = timezone.now()
        membership.save(update_fields=["status", "joined"])
        _record(
            Event.ACCEPTED,
            community=membership.community,
            actor=member,
            member=member,
            before=before,
            after=_state(membership),
        )
    return membership


@transaction.atomic
def invitation_decline(*, membership: Membership, member) -> None:
    if membership.member_id != member.pk:
        raise PermissionDenied
    deleted, _counts = Membership.objects.filter(pk=membership.pk, status=Status.INVITED).delete()
    if deleted:
        _record(
            Event.INVITATION_DECLINED,
            community=membership.community,
            actor=member,
            member=member,
            before=(membership.role, Status.INVITED),
        )


@transaction.atomic
def invitations_claim(*, user, email: str) -> list[Membership]:
    """A new member confirmed ``email``: the open invitations to it make them a member."""
    joined = []
    for invitation in Invitation.objects.select_for_update().filter(
        email__iexact=email, accepted_at__isnull=True
    ):
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
        before = ("", "") if created else _state(membership)
        if not created and membership.status != Status.ACTIVE:
            membership.status, membership.joined = Status.ACTIVE, timezone.now()
            membership.save(update_fields=["status", "joined"])
        if before != _state(membership):
            _record(
                Event.ACCEPTED,
                community=invitation.community,
                actor=user,
                member=user,
                before=before,
                after=_state(membership),
            )
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
    if membership.role == role:
        return membership
    before = _state(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    _record(
        Event.ROLE_CHANGED,
        community=membership.community,
        actor=actor,
        member=membership.member,
        before=before,
        after=_state(membership),
    )
    return membership


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation, actor) -> None:
    """Withdraw an invitation to sign up that has not been used: its link stops working."""
    if not can_manage(invitation.community, actor):
        raise PermissionDenied
    deleted, _per_model = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True).delete()
    if deleted:
        _record(Event.INVITATION_WITHDRAWN, community=invitation.community, actor=actor)


@transaction.atomic
def membership_remove(*, membership: Membership, actor) -> None:
    membership = Membership.objects.select_for_update().select_related("community").get(pk=membership.pk)
    if not can_manage(membership.community, actor):
        raise PermissionDenied
    if membership.is_owner and not _other_owners(membership):
        raise ValidationError(_("A community needs at least one owner: make someone else an owner first."))
    before = _state(membership)
    membership.delete()
    _record(
        Event.REMOVED, community=membership.community, actor=actor, member=membership.member, before=before
    )


@transaction.atomic
def community_update(*, community: Community, actor, **fields) -> Community:
    if not can_manage(community, actor):
        raise PermissionDenied
    for name, value in fields.items():
        setattr(community, name, value)
    community.full_clean()
    community.save()
    return community


# --- Deleting an account --------------------------------------------------


def sole_owned_communities(user) -> list[Community]:
    """The communities ``user`` is the only active owner of: they must hand them over before leaving."""
    other_owner = Membership.objects.active().filter(role=Role.OWNER).exclude(member=user)
    return list(
        Community.objects.filter(
            memberships__member=user, memberships__status=Status.ACTIVE, memberships__role=Role.OWNER
        )
        .exclude(pk__in=other_owner.values("community"))
        .order_by("name")
    )


def _delete_avatar_files(user) -> None:
    """The avatar and any earlier upload left in the member's folder."""
    if user.avatar:
        user.avatar.delete(save=False)
    folder = f"avatars/{user.pk}"
    try:
        _dirs, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotImplementedError):
        return
    for name in files:
        default_storage.delete(f"{folder}/{name}")


@transaction.atomic
def account_delete(*, user) -> User:
    """Delete a member's account: their personal data goes, their words stay under "deleted member".

    The ``User`` row is kept, anonymized in place, so that comments and posts
    keep their place in threads and lists: inactive, an unusable password (so
    every session of theirs ends at its next request: Django checks a hash of
    the password in each session), a random username (the profile page is a
    404), every personal field blank, the avatar files deleted, staff rights
    and groups dropped. Each app then erases what it keeps about the member
    (``accounts.privacy``: email addresses, memberships, invitations to their
    addresses, follows, drafts, subscriptions, notification settings, the
    name and email copied onto comments).

    Refused (ValidationError naming them) while the member is the only owner
    of a community: they must make someone else an owner first.
    """
    from core.page_cache import bump_content_version

    from .privacy import erase_member_data

    user = User.objects.select_for_update().get(pk=user.pk)
    if user.deleted_at is not None:
        return user
    sole = sole_owned_communities(user)
    if sole:
        raise ValidationError(
            _(
                "You are the only owner of %(communities)s. Make another member an owner "
                "before you delete your account."
            )
            % {"communities": ", ".join(f"“{community.name}”" for community in sole)},
            code="sole_owner",
        )
    MembershipEvent.objects.bulk_create(
        MembershipEvent(
            action=Event.ACCOUNT_DELETED,
            community=membership.community,
            community_name=membership.community.name[:120],
            actor=user,
            member=user,
            old_role=membership.role,
            old_status=membership.status,
        )
        for membership in Membership.objects.filter(member=user).select_related("community")
    )
    erase_member_data(user)
    _delete_avatar_files(user)

    user.username = f"deleted-{secrets.token_hex(8)}"
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.first_name = user.last_name = user.email = ""
    user.display_name = user.bio = user.website = ""
    user.avatar = ""
    user.digest, user.digest_sent_at = User.Digest.NONE, None
    user.last_login = None
    user.deleted_at = timezone.now()
    user.save()
    user.groups.clear()
    user.user_permissions.clear()
    bump_content_version()  # their name and links change on public pages
    return user
