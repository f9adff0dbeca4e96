"""``{% follow_toggle target %}``: the Follow / Unfollow button of a category, tag, member or community.

Visitors get a "Sign in to follow" link and cost no query. A signed-in member
costs one query per target (remembered on the request, so a second toggle
for the same target is free): whether they follow it, and for a community
whether they may see it, in the same query. Nothing is shown on the member's
own profile, nor on a private community they are not an active member of
(they could not follow it).

Pages outside blog (the member profile in accounts) may load this library in
their templates: template libraries are found by name, so accounts' Python
still never imports blog.
"""

from django import template
from django.db.models import Exists, OuterRef

from accounts.models import Community
from blog.models import Follow
from blog.services import follow_kind

register = template.Library()


def follow_state(request, kind: str, target) -> bool | None:
    """Whether the signed-in member follows ``target``; None if they may not follow it."""
    user = request.user
    if kind == "member" and (target.pk == user.pk or not target.is_active):
        return None
    memo = request.__dict__.setdefault("_follow_states", {})
    key = (kind, target.pk)
    if key not in memo:
        follows = Follow.objects.filter(follower=user, **{kind: target})
        if kind == "community":
            # One query: None when the member may not follow the community (a private one they are not
            # an active member of, if only invited), else whether they follow it.
            memo[key] = (
                Community.objects.inside_visible_to(user)
                .filter(pk=target.pk)
                .annotate(followed=Exists(follows.filter(community=OuterRef("pk"))))
                .values_list("followed", flat=True)
                .first()
            )
        else:
            memo[key] = follows.exists()
    return memo[key]


@register.inclusion_tag("blog/includes/_follow_toggle.html", takes_context=True)
def follow_toggle(context, target):
    request = context.get("request")
    if request is None or target is None:
        return {"show": False}
    kind = follow_kind(target)
    if not request.user.is_authenticated:
        return {"show": True, "signed_in": False, "next": request.get_full_path()}
    following = follow_state(request, kind, target)
    return {
        "show": following is not None,
        "signed_in": True,
        "following": following,
        "kind": kind,
        "target": target,
        # str() of a category: the default topics in the reader's language (Category.__str__).
        "name": target.public_name
        if kind == "member"
        else str(target)
        if kind == "category"
        else target.name,
        "next": request.get_full_path(),
    }
