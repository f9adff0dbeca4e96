"""Learning paths (the list, a path's page, marking steps done) and site pages at their own path.

A path shows only the steps whose post the reader may open
(``Post.objects.visible_to(user).published()``): a members-only post never
reaches a non-member, not even as a title in a path, and "3 of 7" counts the
steps the reader can see. Marking a step done is POST-only, for signed-in
members, idempotent, and sends the member back to a ``next`` address on this
site (else the path's page).
"""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from ..models import LearningPath, LearningPathStep, Page, Post, StepCompletion


def _paths_for(user):
    """Published paths; editors (staff) also see unpublished ones, to preview them."""
    paths = LearningPath.objects.all()
    if not (user.is_authenticated and user.is_staff):
        paths = paths.filter(published=True)
    return paths


@require_safe
def path_list(request):
    """The published learning paths, each with the number of steps the reader can see."""
    paths = LearningPath.objects.filter(published=True).annotate(
        step_count=Count("steps", filter=Q(steps__post__in=Post.objects.visible_to(request.user).published()))
    )
    return render(request, "blog/paths.html", {"paths": paths})


@require_safe
def path_detail(request, slug):
    """A path's description and its steps in order, with the member's check marks: three queries."""
    user = request.user
    learning_path = get_object_or_404(_paths_for(user), slug=slug)
    readable = Post.objects.visible_to(user).published()
    steps = list(
        LearningPathStep.objects.filter(path=learning_path, post__in=readable)
        .select_related("post")
        .order_by("order", "id")
    )
    done_ids = set()
    if user.is_authenticated:
        done_ids = set(
            StepCompletion.objects.filter(member=user, step__path=learning_path).values_list(
                "step_id", flat=True
            )
        )
    for number, step in enumerate(steps, 1):
        step.number = number
        step.done = step.pk in done_ids
    done_count = sum(step.done for step in steps)
    context = {
        "learning_path": learning_path,
        "steps": steps,
        "done_count": done_count,
        "total": len(steps),
        "percent": round(100 * done_count / len(steps)) if steps else 0,
    }
    return render(request, "blog/path_detail.html", context)


def _step_or_404(request, slug, step_id):
    """A step of a published path whose post the member may read."""
    return get_object_or_404(
        LearningPathStep.objects.select_related("path"),
        pk=step_id,
        path__slug=slug,
        path__published=True,
        post__in=Post.objects.visible_to(request.user).published(),
    )


def _back_to_path(request, step):
    next_url = request.POST.get("next", "")
    # A local path only: redirect() would try to reverse any other text as a view name (a 500).
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(step.path.get_absolute_url())


@require_POST
@login_required
def step_done(request, slug, step_id):
    step = _step_or_404(request, slug, step_id)
    StepCompletion.objects.get_or_create(step=step, member=request.user)
    return _back_to_path(request, step)


@require_POST
@login_required
def step_undone(request, slug, step_id):
    step = _step_or_404(request, slug, step_id)
    StepCompletion.objects.filter(step=step, member=request.user).delete()
    return _back_to_path(request, step)


@require_safe
def page_detail(request, path):
    """A site page at its (WordPress) path, e.g. /about/team/; editors also see drafts, with a badge."""
    pages = Page.objects.all()
    if not (request.user.is_authenticated and request.user.is_staff):
        pages = pages.filter(status=Page.Status.PUBLISHED)
    page = pages.filter(path=f"{path}/").first()
    if page is None:
        raise Http404("No page at this address.")
    staff = request.user.is_authenticated and request.user.is_staff
    children = page.children.all() if staff else page.children.filter(status=Page.Status.PUBLISHED)
    # The breadcrumbs: the ancestors' paths are the prefixes of this page's path.
    parts = page.path.strip("/").split("/")
    prefixes = ["/".join(parts[:n]) + "/" for n in range(1, len(parts))]
    ancestors = Page.objects.filter(path__in=prefixes) if prefixes else Page.objects.none()
    if not staff:
        ancestors = ancestors.filter(status=Page.Status.PUBLISHED)
    context = {
        "page": page,
        "children": children.order_by("menu_order", "title"),
        "ancestors": sorted(ancestors, key=lambda ancestor: len(ancestor.path)),
    }
    return render(request, "blog/page.html", context)
