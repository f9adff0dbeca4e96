from django import template
from django.db.models import Exists

from accounts import services
from accounts.models import Membership

register = template.Library()

MENU_LIMIT = 10


def header_memberships(request, limit=MENU_LIMIT):
    """The signed-in member's active memberships for the header, by community name: one query per request.

    Each carries ``leads_any``: whether the member is an owner or moderator of any
    community, also one past ``limit``. The list is kept on the request, so the
    communities menu and the user menu's "Write a post" share the one query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    kept = request.__dict__.setdefault("_header_memberships", {})
    if limit not in kept:
        kept[limit] = list(
            Membership.objects.active()
            .filter(member=user)
            .select_related("community")
            .annotate(leads_any=Exists(Membership.objects.leaders().filter(member=user)))
            .order_by("community__name")[:limit]
        )
    return kept[limit]


@register.simple_tag(takes_context=True)
def leads_a_community(context):
    """Whether the signed-in member owns or moderates a community (``{% leads_a_community as leads %}``).

    No query of its own once the communities menu has run (see ``header_memberships``).
    """
    request = context.get("request")
    memberships = header_memberships(request) if request is not None else []
    return bool(memberships) and memberships[0].leads_any


@register.inclusion_tag("accounts/includes/_community_menu.html", takes_context=True)
def my_communities_menu(context, limit=MENU_LIMIT):
    """Dropdown items: the signed-in member's communities (one query), all communities, create one.

    Renders ``<li>`` items for a Bootstrap ``.dropdown-menu``; place it inside one.
    """
    request = context["request"]
    user = request.user
    memberships = header_memberships(request, limit)
    return {
        "memberships": memberships,
        "may_create": services.may_create_community(user),
        # Owners and moderators moderate their communities' comments on the site's queue.
        "leads_a_community": not user.is_staff and bool(memberships) and memberships[0].leads_any,
    }
