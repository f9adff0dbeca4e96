"""Following categories, tags, members and communities; "My feed"; the digest's unsubscribe link.

Follow and unfollow are POST-only (CSRF-checked, signed-in members only) and
send the member back to a ``next`` address on this site with a message. The
target is looked up by kind and id; a private community the member may not
see, or an inactive member, is a 404 as everywhere else.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from django.views.generic import ListView
from taggit.models import Tag

from accounts.models import Community

from .. import services
from ..models import Category, Follow
from .posts import PostListMixin


def target_url(kind: str, target) -> str:
    """The page of a followed thing (taggit's Tag has no address of ours)."""
    if kind == "tag":
        return reverse("blog:tag", kwargs={"slug": target.slug})
    return target.get_absolute_url()


def target_name(kind: str, target) -> str:
    return target.public_name if kind == "member" else target.name


def _target_or_404(request, kind: str, pk: int):
    if kind == "category":
        return get_object_or_404(Category, pk=pk)
    if kind == "tag":
        return get_object_or_404(Tag, pk=pk)
    if kind == "member":
        return get_object_or_404(get_user_model(), pk=pk, is_active=True)
    if kind == "community":
        return get_object_or_404(Community.objects.inside_visible_to(request.user), pk=pk)
    raise Http404("Nothing of that kind can be followed.")


def _back_to_target(request, kind: str, target):
    """``next`` if it is an address on this site, else the followed thing's page."""
    next_url = request.POST.get("next", "")
    # A local path only: redirect() would try to reverse any other text as a view name (a 500).
    if next_url.startswith("/") and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
    return redirect(target_url(kind, target))


@require_POST
@login_required
def follow_target(request, kind, pk):
    target = _target_or_404(request, kind, pk)
    try:
        services.follow(follower=request.user, target=target)
    except services.FollowTargetHidden:
        raise Http404("No such thing to follow.") from None
    except services.FollowRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request,
            _("You follow %(name)s. New posts appear in My feed.") % {"name": target_name(kind, target)},
        )
    return _back_to_target(request, kind, target)


@require_POST
@login_required
def unfollow_target(request, kind, pk):
    if kind not in Follow.TARGETS:
        raise Http404("Nothing of that kind can be followed.")
    # Whatever the member follows may be unfollowed, even a community they can no longer see;
    # unfollowing again finds the target as follow does, and changes nothing.
    followed = Follow.objects.select_related(kind).filter(follower=request.user, **{f"{kind}_id": pk}).first()
    target = getattr(followed, kind) if followed is not None else _target_or_404(request, kind, pk)
    services.unfollow(follower=request.user, target=target)
    messages.success(request, _("You no longer follow %(name)s.") % {"name": target_name(kind, target)})
    return _back_to_target(request, kind, target)


class MyFeedView(LoginRequiredMixin, PostListMixin, ListView):
    """Posts from what the member follows, newest first, and the list of what they follow.

    Constant queries: the post list's three (count, page, categories and tags
    prefetches) and one for the follows with their targets.
    """

    template_name = "blog/my_feed.html"

    def get_queryset(self):
        return services.followed_posts(self.request.user, posts=self.posts().published())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        following = {kind: [] for kind in Follow.TARGETS}
        follows = Follow.objects.filter(follower=self.request.user).select_related(*Follow.TARGETS)
        for followed in follows:
            kind = next(kind for kind in Follow.TARGETS if getattr(followed, f"{kind}_id") is not None)
            target = getattr(followed, kind)
            following[kind].append(
                {
                    "kind": kind,
                    "pk": target.pk,
                    "name": target_name(kind, target),
                    "url": target_url(kind, target),
                }
            )
        for targets in following.values():
            targets.sort(key=lambda target: target["name"].casefold())
        context["following"] = [
            (label, following[kind])
            for kind, label in (
                ("category", _("Topics")),
                ("tag", _("Tags")),
                ("member", _("Members")),
                ("community", _("Communities")),
            )
            if following[kind]
        ]
        context["follows_anything"] = any(following.values())
        if not context["follows_anything"]:
            context["categories"] = Category.objects.all()  # the empty state links the topics
        return context


@csrf_exempt  # the signed token is the proof; mail clients' one-click POST (RFC 8058) has no CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe(request, token):
    """The link in every digest: GET asks for confirmation, POST switches the digest off.

    No sign-in needed: the token names the member. GET changes nothing, so
    link checkers that open links do no harm.
    """
    try:
        member = services.member_for_digest_token(token)
    except services.BadDigestToken:
        return render(request, "blog/digest_unsubscribe_invalid.html", status=400)
    context = {"member": member, "token": token}
    if request.method == "POST":
        services.digest_stop(member=member)
        return render(request, "blog/digest_unsubscribe_done.html", context)
    return render(request, "blog/digest_unsubscribe.html", context)
