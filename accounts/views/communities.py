"""Community pages that need only the accounts app: create, edit, membership actions, members.

The directory and the community page show posts, so they live in
``blog/views/communities.py``; ``portal/community_urls.py`` puts both under
``/communities/``. Every change goes through ``accounts.services``; the views
look the objects up, check who may see them (a private community is a 404 to
outsiders, as if it did not exist) and turn the services' refusals into
messages.
"""

from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import services
from ..forms import CommunityForm, InviteForm
from ..models import Community, Invitation, Membership

MEMBERS_PER_PAGE = 50

# Owners first, then moderators, then members; a stable order within each role.
LEADERS_FIRST = Case(
    When(role=Membership.Role.OWNER, then=Value(0)),
    When(role=Membership.Role.MODERATOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


# --- Who sees what -------------------------------------------------------------


def may_see(community: Community, user, membership: Membership | None) -> bool:
    """A public community is for everyone; a private one for staff and the people it knows.

    "Knows" means any membership row: active members, but also a member who was
    invited (the invitation names the community and is accepted on its page) or
    who asked to join before it became private. Everyone else gets a 404. This is
    ``Community.objects.visible_to`` for a membership already loaded (no query).
    """
    if not community.is_private or services.is_site_staff(user):
        return True
    return membership is not None


def viewer_rights(community: Community, user, membership: Membership | None) -> dict:
    """What the viewer may do, from the membership already loaded (no further query)."""
    staff = services.is_site_staff(user)
    return {
        "is_member": membership is not None and membership.is_active,
        "can_manage": staff or (membership is not None and services.can_manage(community, user, membership)),
        "can_lead": staff or (membership is not None and services.can_lead(community, user, membership)),
        "may_see_inside": not community.is_private
        or staff
        or (membership is not None and membership.is_active),
    }


def community_for_viewer(request, slug) -> tuple[Community, Membership | None]:
    """The community at ``slug`` and the viewer's membership, or a 404 if they may not see it."""
    community = Community.objects.select_related("parent").filter(slug=slug).first()
    if community is None:
        raise Http404("No such community.")
    membership = services.membership_of(community, request.user)
    if not may_see(community, request.user, membership):
        raise Http404("No such community.")
    return community, membership


def managed_community(request, slug) -> Community:
    """A community the viewer manages: 404 if they may not see it, 403 if they may see but not manage it."""
    community, membership = community_for_viewer(request, slug)
    if not viewer_rights(community, request.user, membership)["can_manage"]:
        raise PermissionDenied
    return community


def managed_membership(request, pk) -> Membership:
    """A membership in a community the viewer manages (404 / 403 as for ``managed_community``)."""
    membership = get_object_or_404(Membership.objects.select_related("community", "member"), pk=pk)
    _require_manager(request, membership.community)
    return membership


def managed_invitation(request, pk) -> Invitation:
    """An invitation to an address, in a community the viewer manages (404 / 403 likewise)."""
    invitation = get_object_or_404(Invitation.objects.select_related("community"), pk=pk)
    _require_manager(request, invitation.community)
    return invitation


def _require_manager(request, community: Community) -> None:
    own = services.membership_of(community, request.user)
    if not may_see(community, request.user, own):
        raise Http404("Nothing here.")
    if not viewer_rights(community, request.user, own)["can_manage"]:
        raise PermissionDenied


def _error_messages(request, error: ValidationError):
    for text in error.messages:
        messages.error(request, text)


def _after_leaving(request, community: Community):
    """Back to the community page, or to the directory when the page is now a 404 for them."""
    if community.is_private and not services.is_site_staff(request.user):
        return redirect("communities:directory")
    return redirect(community)


# --- Create and edit -------------------------------------------------------------


def _drop_file_later(field_file, name: str):
    if name:
        storage = field_file.storage
        transaction.on_commit(lambda: storage.delete(name))


def created_message(community: Community) -> str:
    """What its owner reads once ``community`` is created: who sees it and how people join it."""
    Visibility, Policy = Community.Visibility, Community.JoinPolicy
    texts = {
        (Visibility.PUBLIC, Policy.OPEN): _(
            "%(name)s is created. Anyone can see it and join it. You are its owner."
        ),
        (Visibility.PUBLIC, Policy.REQUEST): _(
            "%(name)s is created. Anyone can see it and ask to join; you approve the requests. "
            "You are its owner."
        ),
        (Visibility.PUBLIC, Policy.INVITATION): _(
            "%(name)s is created. Anyone can see it; people join when you invite them. You are its owner."
        ),
        (Visibility.PRIVATE, Policy.REQUEST): _(
            "%(name)s is created. Only its members see it; you approve the requests to join. "
            "You are its owner."
        ),
        (Visibility.PRIVATE, Policy.INVITATION): _(
            "%(name)s is created. Only its members see it; people join when you invite them. "
            "You are its owner."
        ),
    }
    text = texts.get(
        (community.visibility, community.join_policy), _("%(name)s is created. You are its owner.")
    )
    return text % {"name": community.name}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create_community(request):
    if not services.may_create_community(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = CommunityForm(request.POST, request.FILES, actor=request.user)
        if form.is_valid():
            fields = form.community_fields()
            try:
                community = services.community_create(creator=request.user, **fields)
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(request, created_message(community))
                return redirect(community)
    else:
        form = CommunityForm(actor=request.user)
    return render(request, "communities/form.html", {"form": form, "community": None})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_community(request, slug):
    community = managed_community(request, slug)
    # The form works on its own copy, so a form with errors leaves the page header as saved.
    copy = Community.objects.get(pk=community.pk)
    if request.method == "POST":
        form = CommunityForm(request.POST, request.FILES, instance=copy, actor=request.user)
        if form.is_valid():
            fields = form.community_fields()
            old_logo, old_thumbnail = community.logo.name, community.logo_thumbnail.name
            try:
                with transaction.atomic():
                    community = services.community_update(community=community, actor=request.user, **fields)
                    if "logo" in fields:
                        _drop_file_later(community.logo, old_logo)
                        _drop_file_later(community.logo_thumbnail, old_thumbnail)
            except ValidationError as error:
                community.refresh_from_db()
                form.add_error(None, error.messages)
            else:
                messages.success(request, _("The community has been updated."))
                return redirect(community)
    else:
        form = CommunityForm(instance=copy, actor=request.user)
    return render(request, "communities/form.html", {"form": form, "community": community})


# --- The members page (owners and staff) -------------------------------------------


def _members_page(request, community: Community, invite_form=None, status=200):
    base = Membership.objects.filter(community=community).select_related("member")
    members = Paginator(
        base.filter(status=Membership.Status.ACTIVE).order_by(LEADERS_FIRST, "member__username"),
        MEMBERS_PER_PAGE,
    ).get_page(request.GET.get("page"))
    context = {
        "community": community,
        "requests": base.filter(status=Membership.Status.REQUESTED).order_by("created"),
        "invited": base.filter(status=Membership.Status.INVITED)
        .select_related("invited_by")
        .order_by("created"),
        "email_invitations": Invitation.objects.filter(community=community, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-created"),
        "members": members,
        "page_obj": members,
        "roles": Membership.Role.choices,
        "invite_form": invite_form or InviteForm(),
    }
    return render(request, "communities/members.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD"])
def community_members(request, slug):
    return _members_page(request, managed_community(request, slug))


@login_required
@require_POST
def invite_to_community(request, slug):
    community = managed_community(request, slug)
    form = InviteForm(request.POST)
    if not form.is_valid():
        return _members_page(request, community, invite_form=form)
    outcomes = services.invite_many(
        community=community, inviter=request.user, targets=form.cleaned_data["invitees"]
    )
    invited = [outcome.invited for outcome in outcomes if outcome.invited is not None]
    if invited:
        messages.success(request, _invited_message(invited))
    refused = [outcome for outcome in outcomes if outcome.error]
    if not refused:
        return redirect("communities:members", slug=community.slug)
    if invited:
        # The ones that were not invited stay in the box, with why, to correct or send later;
        # when none was, the box keeps the text as typed.
        form = InviteForm({"invitees": "\n".join(outcome.target for outcome in refused)})
        form.is_valid()
    for text in dict.fromkeys(outcome.error for outcome in refused):
        form.add_error("invitees", text)
    return _members_page(request, community, invite_form=form)


def _invited_message(invited):
    if len(invited) == 1:
        [one] = invited
        if isinstance(one, Invitation):
            return _("An invitation to sign up has been sent to %(email)s.") % {"email": one.email}
        if one.is_active:
            return _("%(name)s had asked to join and is now a member.") % {"name": one.member.public_name}
        return _("%(name)s has been invited.") % {"name": one.member.public_name}
    by_email = sum(isinstance(one, Invitation) for one in invited)
    joined = sum(isinstance(one, Membership) and one.is_active for one in invited)
    members = len(invited) - by_email - joined
    parts = [
        ngettext("%(count)d member invited.", "%(count)d members invited.", members) % {"count": members},
        ngettext("%(count)d invitation to sign up sent.", "%(count)d invitations to sign up sent.", by_email)
        % {"count": by_email},
        ngettext(
            "%(count)d who had asked to join is now a member.",
            "%(count)d who had asked to join are now members.",
            joined,
        )
        % {"count": joined},
    ]
    return " ".join(part for part, count in zip(parts, (members, by_email, joined), strict=True) if count)


@login_required
@require_POST
def approve_membership(request, pk):
    membership = managed_membership(request, pk)
    if membership.status != Membership.Status.REQUESTED:
        messages.info(request, _("There is no pending request to approve."))
    else:
        services.membership_approve(membership=membership, actor=request.user)
        messages.success(request, _("%(name)s is now a member.") % {"name": membership.member.public_name})
    return redirect("communities:members", slug=membership.community.slug)


@login_required
@require_POST
def decline_membership(request, pk):
    membership = managed_membership(request, pk)
    if membership.status != Membership.Status.REQUESTED:
        messages.info(request, _("There is no pending request to decline."))
    else:
        services.membership_decline(membership=membership, actor=request.user)
        messages.success(
            request, _("The request of %(name)s was declined.") % {"name": membership.member.public_name}
        )
    return redirect("communities:members", slug=membership.community.slug)


# One sentence per role, not "is now %(role)s": English needs its article, and other
# languages may word each role their own way (a verb rather than a gendered noun).
ROLE_CHANGED = {
    Membership.Role.OWNER: pgettext_lazy("new role", "%(name)s is now an owner."),
    Membership.Role.MODERATOR: pgettext_lazy("new role", "%(name)s is now a moderator."),
    Membership.Role.MEMBER: pgettext_lazy("new role", "%(name)s is now a member."),
}


@login_required
@require_POST
def change_membership_role(request, pk):
    membership = managed_membership(request, pk)
    role = request.POST.get("role", "")
    try:
        services.membership_change_role(membership=membership, role=role, actor=request.user)
    except ValidationError as error:
        _error_messages(request, error)
    else:
        messages.success(request, ROLE_CHANGED[role] % {"name": membership.member.public_name})
    return redirect("communities:members", slug=membership.community.slug)


@login_required
@require_POST
def remove_membership(request, pk):
    membership = managed_membership(request, pk)
    community = membership.community
    try:
        services.membership_remove(membership=membership, actor=request.user)
    except ValidationError as error:
        _error_messages(request, error)
        return redirect("communities:members", slug=community.slug)
    if membership.status == Membership.Status.INVITED:
        text = _("The invitation of %(name)s was withdrawn.")
    else:
        text = _("%(name)s is no longer in this community.")
    messages.success(request, text % {"name": membership.member.public_name})
    if membership.member_id == request.user.pk and not services.is_site_staff(request.user):
        return _after_leaving(request, community)  # An owner who removed themselves.
    return redirect("communities:members", slug=community.slug)


@login_required
@require_POST
def withdraw_invitation(request, pk):
    invitation = managed_invitation(request, pk)
    services.invitation_withdraw(invitation=invitation, actor=request.user)
    messages.success(request, _("The invitation of %(name)s was withdrawn.") % {"name": invitation.email})
    return redirect("communities:members", slug=invitation.community.slug)


# --- The viewer's own membership ---------------------------------------------------


@login_required
@require_POST
def join_community(request, slug):
    community, _membership = community_for_viewer(request, slug)
    try:
        membership = services.membership_join(community=community, member=request.user)
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You cannot join this community."))
        return redirect(community)
    if membership.is_active:
        messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
    else:
        messages.info(request, _("Your request to join has been sent to the owners."))
    return redirect(community)


@login_required
@require_POST
def leave_community(request, slug):
    community, membership = community_for_viewer(request, slug)
    if membership is None:
        messages.info(request, _("You are not in this community."))
        return redirect(community)
    try:
        services.membership_leave(community=community, member=request.user)
    except ValidationError as error:
        _error_messages(request, error)
        return redirect(community)
    if membership.status == Membership.Status.REQUESTED:
        messages.success(request, _("Your request to join has been withdrawn."))
    elif membership.status == Membership.Status.INVITED:
        messages.success(request, _("You declined the invitation."))
    else:
        messages.success(request, _("You have left %(name)s.") % {"name": community.name})
    return _after_leaving(request, community)


def _own_invited_membership(request, pk) -> Membership:
    """The viewer's own membership by id: anyone else's is a 404."""
    return get_object_or_404(Membership.objects.select_related("community"), pk=pk, member=request.user)


@login_required
@require_POST
def accept_invitation(request, pk):
    membership = _own_invited_membership(request, pk)
    if membership.status != Membership.Status.INVITED:
        messages.info(request, _("There is no pending invitation to accept."))
    else:
        services.invitation_accept(membership=membership, member=request.user)
        messages.success(request, _("Welcome to %(name)s!") % {"name": membership.community.name})
    return redirect(membership.community)


@login_required
@require_POST
def refuse_invitation(request, pk):
    membership = _own_invited_membership(request, pk)
    if membership.status != Membership.Status.INVITED:
        messages.info(request, _("There is no pending invitation to decline."))
        return redirect(membership.community)
    services.invitation_decline(membership=membership, member=request.user)
    messages.success(request, _("You declined the invitation."))
    return _after_leaving(request, membership.community)


# --- An emailed invitation for someone without an account ---------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_landing(request, token):
    """Explain the invitation; sign up with the address, sign in, or accept with a matching verified one."""
    invitation = get_object_or_404(Invitation.objects.select_related("community", "invited_by"), token=token)
    community = invitation.community
    user = request.user
    email_matches = (
        user.is_authenticated
        and EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()
    )
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if invitation.accepted_at is not None:
            messages.info(request, _("This invitation has already been used."))
            return redirect(request.path)
        if not email_matches:
            messages.error(
                request,
                _("This invitation was sent to another address: add and confirm it in your account first."),
            )
            return redirect(request.path)
        services.invitations_claim(user=user, email=invitation.email)
        messages.success(request, _("Welcome to %(name)s!") % {"name": community.name})
        return redirect(community)
    membership = services.membership_of(community, user)
    context = {
        "invitation": invitation,
        "community": community,
        "email_matches": email_matches,
        "is_member": membership is not None and membership.is_active,
        "signup_url": f"{reverse('account_signup')}?{urlencode({'email': invitation.email})}",
        "login_url": f"{reverse('account_login')}?{urlencode({'next': request.path})}",
    }
    return render(request, "communities/invitation.html", context)


# --- The link of a member's invitation email -------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def member_invitation_landing(request, token):
    """Where a member's invitation email leads: the invitation, explained to a signed-out reader.

    The invited member, signed in, goes straight to the community's page, which
    shows the invitation with Accept and Refuse. Anyone else holding the link (the
    member on a phone's mail app, not signed in) reads who invites them to what and
    signs in, back to the community's page. A forged token is a 404; an invitation
    answered or withdrawn since says so.
    """
    try:
        membership = services.membership_from_invitation_token(token)
    except signing.BadSignature:
        raise Http404("No such invitation.") from None
    user = request.user
    if membership is not None and user.is_authenticated and user.pk == membership.member_id:
        return redirect(membership.community)
    community = membership.community if membership is not None else None
    context = {
        "membership": membership,
        "community": community,
        "is_open": membership is not None and membership.status == Membership.Status.INVITED,
        "login_url": (
            f"{reverse('account_login')}?{urlencode({'next': community.get_absolute_url()})}"
            if community is not None
            else reverse("account_login")
        ),
    }
    return render(request, "communities/member_invitation.html", context)
