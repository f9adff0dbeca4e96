"""Learning paths on other pages.

``{% path_navigation post %}`` — on a post page, "Step 3 of 7 in <path>" with
the previous and next steps, for each published path containing the post: one
query for all the paths, their steps (positions are counted in Python) and a
signed-in member's check marks. Only steps whose post the
reader may open count, as on the path's own page. Called from
templates/blog/post_detail.html, after the article; the query is part of the
post page's budget (portal/tests/test_page_budgets.py).

``{% member_paths member %}`` — on a member's profile, their progress on each
path they have started; shown to the member only (progress is personal), one
query. The accounts templates may load this library: template libraries are
found by name, so accounts' Python still never imports blog.
"""

from itertools import groupby

from django import template
from django.db.models import Count, Exists, OuterRef, Q

from blog.models import LearningPath, LearningPathStep, Post, StepCompletion

register = template.Library()


def _readable(user):
    return Post.objects.visible_to(user).published()


@register.inclusion_tag("blog/includes/_path_navigation.html", takes_context=True)
def path_navigation(context, post):
    request = context.get("request")
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    if getattr(post, "in_published_path", True) is False:  # annotated by the post page's view
        return {"entries": [], "signed_in": signed_in, "next_url": ""}
    steps = (
        LearningPathStep.objects.filter(
            path__published=True,
            path__steps__post=post,
            post__in=_readable(user),
        )
        .select_related("path", "post")
        .only(
            "id",
            "order",
            "stage",
            "note",
            "path_id",
            "post_id",
            "path__id",
            "path__title",
            "path__slug",
            "post__id",
            "post__title",
            "post__slug",
            "post__publish_at",
            "post__status",
        )
        .order_by("path__title", "path_id", "order", "id")
    )
    if signed_in:
        # The member's check marks come in the same query.
        steps = steps.annotate(done=Exists(StepCompletion.objects.filter(step=OuterRef("pk"), member=user)))
    entries = []
    for _path_id, group in groupby(steps, key=lambda step: step.path_id):
        group = list(group)
        index = next((i for i, step in enumerate(group) if step.post_id == post.pk), None)
        if index is None:
            continue
        entries.append(
            {
                "path": group[index].path,
                "step": group[index],
                "number": index + 1,
                "total": len(group),
                "previous": group[index - 1] if index > 0 else None,
                "next": group[index + 1] if index + 1 < len(group) else None,
                "done": getattr(group[index], "done", False),
            }
        )
    return {
        "entries": entries,
        "signed_in": signed_in,
        "next_url": request.get_full_path() if request else "",
    }


@register.inclusion_tag("blog/includes/_path_progress.html", takes_context=True)
def member_paths(context, member):
    request = context.get("request")
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.pk == member.pk):
        return {"show": False}
    readable = Q(steps__post__in=_readable(member))
    paths = list(
        LearningPath.objects.filter(published=True)
        .annotate(
            total=Count("steps", filter=readable, distinct=True),
            done=Count("steps", filter=readable & Q(steps__completions__member=member), distinct=True),
        )
        .filter(done__gt=0)
        .order_by("title")
    )
    for learning_path in paths:
        learning_path.percent = (
            round(100 * learning_path.done / learning_path.total) if learning_path.total else 0
        )
    return {"show": True, "paths": paths}
