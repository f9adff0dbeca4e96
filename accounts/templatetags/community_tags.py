from django import template
from django.db.models import Case, Count, Exists, IntegerField, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts import services
from accounts.models import Membership

register = template.Library()

MENU_LIMIT = 10

INVITED_FIRST = Case(When(status=Membership.Status.INVITED, then=Value(0)), default=Value(1))


def header_memberships(request, limit=MENU_LIMIT):
    """The signed-in member's memberships for the header: one query per request.

    The pending invitations first, then the active memberships, each by community
    name; at most ``limit`` rows. Each row carries ``leads_any`` (whether the member
    is an owner or moderator of any community, also one past ``limit``) and
    ``invitation_count`` (all their pending invitations, also past ``limit``). The
    list is kept on the request, so the communities menu, its count in the header
    and the user menu's "Write a post" share the one query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    kept = request.__dict__.setdefault("_header_memberships", {})
    if limit not in kept:
        invited = Membership.objects.invited().filter(member=user).order_by().values("member")
        kept[limit] = list(
            Membership.objects.filter(
                member=user, status__in=[Membership.Status.ACTIVE, Membership.Status.INVITED]
            )
            .select_related("community", "invited_by")
            .annotate(
                leads_any=Exists(Membership.objects.leaders().filter(member=user)),
                invitation_count=Coalesce(
                    Subquery(invited.annotate(n=Count("pk")).values("n"), output_field=IntegerField()),
                    Value(0),
                ),
            )
            .order_by(INVITED_FIRST, "community__name")[:limit]
        )
    return kept[limit]


def _pending_invitations(memberships) -> int:
    return memberships[0].invitation_count if memberships else 0


@register.simple_tag(takes_context=True)
def leads_a_community(context):
    """Whether the signed-in member owns or moderates a community (``{% leads_a_community as leads %}``).

    No query of its own once the communities menu has run (see ``header_memberships``).
    """
    request = context.get("request")
    memberships = header_memberships(request) if request is not None else []
    return bool(memberships) and memberships[0].leads_any


@register.simple_tag(takes_context=True)
def pending_invitation_count(context):
    """How many invitations wait for the signed-in member's answer (``{% pending_invitation_count as n %}``).

    The header's one memberships query (``header_memberships``), shared with the communities menu.
    """
    request = context.get("request")
    return _pending_invitations(header_memberships(request) if request is not None else [])


@register.inclusion_tag("accounts/includes/_community_menu.html", takes_context=True)
def my_communities_menu(context, limit=MENU_LIMIT):
    """Dropdown items: the invitations waiting for an answer (Accept / Refuse in place), the signed-in
    member's communities (one query, shared: ``header_memberships``), all communities, create one.

    Renders ``<li>`` items for a Bootstrap ``.dropdown-menu``; place it inside one.
    """
    request = context["request"]
    user = request.user
    rows = header_memberships(request, limit)
    memberships = [m for m in rows if m.status == Membership.Status.ACTIVE]
    return {
        "invitations": [m for m in rows if m.status == Membership.Status.INVITED],
        "invitation_count": _pending_invitations(rows),
        "memberships": memberships,
        "username": user.username,
        "may_create": services.may_create_community(user),
        # Owners and moderators moderate their communities' comments on the site's queue.
        "leads_a_community": not user.is_staff and bool(rows) and rows[0].leads_any,
    }
