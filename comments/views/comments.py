"""Members' comments: posting, the permalink, editing and removing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from blog.views.posts import PostDetailView, post_or_404

from .. import rules
from ..forms import CommentEditForm, CommentForm, RemoveForm
from ..models import Comment, DiscussionSettings
from ..services import (
    comment_edit,
    comment_remove,
    comment_submit,
    may_edit,
    may_moderate_comment,
    may_remove,
)
from ..threads import BESIDE_COMMENT_TAG, comment_page_url


@require_POST
@login_required
def post_comment(request, post_id):
    post = post_or_404(request, post_id)
    discussion = DiscussionSettings.load()
    form = CommentForm(request.POST, author=request.user, discussion=discussion)
    if not form.is_valid():
        return render_post_with_form(request, post, _form_shown_again(form))
    parent = None
    if parent_id := form.cleaned_data["parent"]:
        parent = Comment.objects.filter(pk=parent_id, post=post).first()
        if parent is None:
            form.add_error(None, _("You can only reply to a published comment on this post."))
            return render_post_with_form(request, post, _form_shown_again(form, drop_parent=True))
    try:
        comment = comment_submit(
            post=post,
            author=request.user,
            body=form.cleaned_data["body"],
            parent=parent,
            follow=form.cleaned_data["follow"],
            language=form.cleaned_data["language"],
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        drop_parent = getattr(error, "code", None) == "bad_parent"
        return render_post_with_form(request, post, _form_shown_again(form, drop_parent=drop_parent))
    if comment.is_approved:
        tell_beside(request, comment, messages.SUCCESS, _("Thanks, your comment is published."))
    else:
        tell_beside(
            request,
            comment,
            messages.INFO,
            _("Thanks! Your comment is awaiting moderation. ") + rules.hold_explanation(comment, discussion),
        )
    return redirect(_back_to(comment, request.user))


def tell_beside(request, comment, level, text):
    """A message shown beside ``comment`` on the post page the member is sent back to.

    The page lands on the comment (``#comment-<id>``), far below the messages at
    the top: the comment section shows this one next to the comment, in a
    ``role="status"`` box that the page's script focuses, so it is seen and read
    out (``comments.templatetags.comment_tags``). Any other page shows it with
    the other messages.
    """
    messages.add_message(request, level, text, extra_tags=f"{BESIDE_COMMENT_TAG} comment-{comment.pk}")


def _form_shown_again(form, *, drop_parent=False):
    """The bound form, ready to be shown again: a fresh 'started' stamp, an empty honeypot."""
    form.data = form.data.copy()
    form.data["started"] = form.refreshed_started()
    form.data["website"] = ""
    if drop_parent or "parent" in form.errors:
        form.data["parent"] = ""
    return form


def render_post_with_form(request, post, form):
    """The post page again, with the member's comment and its errors in the form.

    The page answers a POST at an address that only takes POSTs; its address
    for a GET (``page_address``: the language switcher's ``next``) is the post's
    page, at the form. The form's own action ends in ``#respond``, so the browser
    lands on the form, where the errors are; the page's script focuses the first.
    """
    view = PostDetailView()
    view.setup(request, slug=post.slug)
    view.object = view.get_object()
    context = view.get_context_data(
        object=view.object, comment_form=form, page_address=post.get_absolute_url() + "#respond"
    )
    return view.render_to_response(context, status=400)


def _back_to(comment, user):
    """The comment's place in its discussion when the member may see it there, else the discussion."""
    if Comment.objects.shown_to(user).filter(pk=comment.pk).exists():
        return comment.get_absolute_url()
    return comment.post.get_absolute_url() + "#comments"


def permalink(request, comment_id):
    """Redirect to the page of the post's discussion that holds the comment.

    A signed-out reader who may not see the comment (a link in an email opened
    on a phone: a comment sent back, one on a members-only post) is sent to sign
    in and then back here, whatever the id, so the answer tells nothing of what
    exists; a signed-in reader who may not see it gets a 404.
    """
    user = request.user
    comment = (
        Comment.objects.shown_to(user)
        .on_visible_posts(user)
        .select_related("post", "thread_root")
        .filter(pk=comment_id)
        .first()
    )
    if comment is None:
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        raise Http404("No such comment.")
    return redirect(comment_page_url(comment, user))


def _own_comment_or_404(request, comment_id):
    return get_object_or_404(
        Comment.objects.on_visible_posts(request.user).select_related("post"),
        pk=comment_id,
        author=request.user,
    )


@login_required
def edit_comment(request, comment_id):
    """The author revises their comment, within the edit window or while it is sent back to them."""
    comment = _own_comment_or_404(request, comment_id)
    discussion = DiscussionSettings.load()
    if not may_edit(comment, request.user, discussion):
        raise PermissionDenied(_("You can no longer edit this comment."))
    if request.method == "POST":
        form = CommentEditForm(request.POST)
        if form.is_valid():
            comment = comment_edit(comment=comment, editor=request.user, body=form.cleaned_data["body"])
            if comment.is_approved:
                tell_beside(request, comment, messages.SUCCESS, _("Your comment is updated."))
            else:
                tell_beside(
                    request,
                    comment,
                    messages.INFO,
                    _("Your comment is updated and awaits moderation. ")
                    + rules.hold_explanation(comment, discussion),
                )
            return redirect(_back_to(comment, request.user))
        status = 400
    else:
        form = CommentEditForm(initial={"body": comment.body})
        status = 200
    context = {
        "comment": comment,
        "post": comment.post,
        "form": form,
        "hold_explanation": rules.hold_explanation(comment, discussion) if comment.is_pending else "",
    }
    return render(request, "comments/edit.html", context, status=status)


@require_POST
@login_required
def remove_comment(request, comment_id):
    """Remove a comment: its author at any time, a moderator with a reason readers will see.

    A moderator here is whoever may moderate the comment (``Comment.objects.moderatable_by``):
    an editor, or an owner or moderator of the post's community. Anyone else gets a 404.
    """
    user = request.user
    comment = get_object_or_404(Comment.objects.on_visible_posts(user).select_related("post"), pk=comment_id)
    if comment.is_removed and (comment.author_id == user.pk or may_moderate_comment(comment, user)):
        messages.info(request, _("This comment was already removed."))
        return redirect(_back_to(comment, user))
    if not may_remove(comment, user):
        raise Http404("No such comment.")
    form = RemoveForm(request.POST)
    if form.is_valid():
        try:
            comment = comment_remove(comment=comment, actor=user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            if comment.author_id == user.pk:
                tell_beside(request, comment, messages.SUCCESS, _("Your comment is removed."))
            else:
                tell_beside(
                    request,
                    comment,
                    messages.SUCCESS,
                    _("The comment is removed; readers see your reason in its place."),
                )
            return redirect(_back_to(comment, user))
    return render(
        request, "comments/remove.html", {"comment": comment, "post": comment.post, "form": form}, status=400
    )
