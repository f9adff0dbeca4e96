"""Following discussions, email preferences, and the unsubscribe link of every comment email."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from blog.models import Post
from blog.views.posts import post_or_404

from ..models import NotificationPreference, ThreadSubscription
from ..notifications import BadUnsubscribeToken, read_unsubscribe_token, unsubscribe_apply
from ..services import may_moderate_all, thread_follow, thread_unfollow


def _back_to_post(request, post):
    """Where a follow button sends the member back to: ``next`` if it is on this site, else the post."""
    target = request.POST.get("next", "")
    # A local path only: redirect() would try to reverse any other text as a view name (a 500).
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(f"{post.get_absolute_url()}#comments")


@require_POST
@login_required
def follow_thread(request, post_id):
    post = post_or_404(request, post_id)
    thread_follow(post=post, member=request.user)
    messages.success(request, _("You follow this discussion: we will email you about new comments."))
    return _back_to_post(request, post)


@require_POST
@login_required
def unfollow_thread(request, post_id):
    post = post_or_404(request, post_id)
    thread_unfollow(post=post, member=request.user)
    messages.success(
        request, _("You no longer follow the discussion of “%(title)s”.") % {"title": post.title}
    )
    return _back_to_post(request, post)


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["replies_to_me", "comments_on_my_posts", "my_comment_moderated", "moderation_digest"]
        labels = {
            "replies_to_me": gettext_lazy("Replies to my comments"),
            "comments_on_my_posts": gettext_lazy("New comments on my posts"),
            "my_comment_moderated": gettext_lazy("When an editor approves my comment or sends it back to me"),
            "moderation_digest": gettext_lazy("Digests of new held comments and flags (editors)"),
        }


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request):
    """Which comment emails the member gets, and the discussions they follow."""
    member = request.user
    preference = NotificationPreference.objects.filter(member=member).first() or NotificationPreference(
        member=member
    )
    form = NotificationPreferenceForm(request.POST if request.method == "POST" else None, instance=preference)
    if not may_moderate_all(member):
        del form.fields["moderation_digest"]  # only editors get digests
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your email settings are saved."))
        return redirect("comments:preferences")
    followed = (
        ThreadSubscription.objects.filter(member=member, post__in=Post.objects.visible_to(member))
        .select_related("post")
        .order_by("-created")
    )
    return render(request, "comments/preferences.html", {"form": form, "followed": followed})


@csrf_exempt  # the signed token is the proof; mail clients' one-click POST (RFC 8058) has no CSRF token
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    """The link in every comment email: GET asks for confirmation, POST switches the emails off.

    No sign-in needed: the token names the member and what to switch off.
    GET changes nothing, so link checkers that open links do no harm.
    """
    try:
        unsubscription = read_unsubscribe_token(token)
    except BadUnsubscribeToken:
        return render(request, "comments/unsubscribe_invalid.html", status=400)
    context = {"unsubscription": unsubscription, "token": token}
    if request.method == "POST":
        unsubscribe_apply(unsubscription=unsubscription)
        return render(request, "comments/unsubscribed.html", context)
    return render(request, "comments/unsubscribe_confirm.html", context)
