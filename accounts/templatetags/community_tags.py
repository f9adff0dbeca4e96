from django import template

from accounts import services
from accounts.models import Membership

register = template.Library()

MENU_LIMIT = 10


@register.inclusion_tag("accounts/includes/_community_menu.html", takes_context=True)
def my_communities_menu(context, limit=MENU_LIMIT):
    """Dropdown items: the signed-in member's communities (one query), all communities, create one.

    Renders ``<li>`` items for a Bootstrap ``.dropdown-menu``; place it inside one.
    """
    request = context["request"]
    user = request.user
    memberships = []
    if user.is_authenticated:
        memberships = list(
            Membership.objects.active()
            .filter(member=user)
            .select_related("community")
            .order_by("community__name")[:limit]
        )
    return {
        "memberships": memberships,
        "may_create": services.may_create_community(user),
        # Owners and moderators moderate their communities' comments on the site's queue.
        "leads_a_community": not user.is_staff and any(m.is_leader for m in memberships),
    }
