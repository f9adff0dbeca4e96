"""Members' flags, and the moderation queue on the site.

Editors moderate every comment; the owners and moderators of a community
moderate the comments on its posts. What a moderator sees and acts on is
``Comment.objects.moderatable_by(moderator)``: the queue, its counts, the bulk
and per-item actions. Every change goes through ``comments.services``, which
checks the same rule on the objects themselves; this module only decides who
may ask for it, reads the queue, and says what happened.
"""

from functools import wraps
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from blog.search import plain_text

from ..forms import FlagForm
from ..models import IN_MODERATION_QUEUE, Comment, CommentFlag
from ..services import (
    author_mark_spam,
    comment_flag,
    comment_return,
    comments_moderate,
    flags_dismiss,
    may_moderate,
    may_moderate_all,
)

Status = Comment.Status
QUEUE_PAGE_SIZE = 25
TABS = ("held", "flagged")


# --- What the queue holds ---------------------------------------------------------


def open_flags():
    return CommentFlag.objects.filter(dismissed_at__isnull=True)


# Held: the rule of ``CommentQuerySet.in_moderation_queue``, for the counts.
HELD = IN_MODERATION_QUEUE
# Flagged: comments with open flags that an editor can still act on — approved
# ones below the threshold and pending ones hidden by flags. Comments sent back
# to their author or removed are out of the editors' hands.
FLAGGED = Q(
    pk__in=open_flags().values("comment_id"),
    status__in=[Status.APPROVED, Status.PENDING],
    returned_at__isnull=True,
    removed_at__isnull=True,
)


def held_comments(moderator):
    return Comment.objects.moderatable_by(moderator).in_moderation_queue()


def flagged_comments(moderator):
    return Comment.objects.moderatable_by(moderator).filter(FLAGGED)


def queue_counts(request) -> dict:
    """Held, flagged and all comments waiting for the signed-in moderator, in one query, once per request.

    A comment hidden by flags is both held and flagged; ``total`` counts it once.
    """
    if not hasattr(request, "_moderation_counts"):
        mine = Comment.objects.moderatable_by(request.user)
        request._moderation_counts = mine.filter(HELD | FLAGGED).aggregate(
            held=Count("pk", filter=HELD),
            flagged=Count("pk", filter=FLAGGED),
            total=Count("pk", filter=HELD | FLAGGED),
        )
    return request._moderation_counts


HISTORY_KEYS = ("approved", "rejected", "spam", "pending")


def author_history(author_ids, moderator) -> dict:
    """Each author's comments by status, for every author on a page of the queue: one query.

    Counted among the comments ``moderator`` may moderate: a community's moderators
    learn nothing about comments elsewhere.
    """
    if not author_ids:
        return {}
    rows = (
        Comment.objects.moderatable_by(moderator)
        .filter(author_id__in=author_ids)
        .values("author_id")
        .annotate(
            approved=Count("pk", filter=Q(status=Status.APPROVED)),
            rejected=Count("pk", filter=Q(status=Status.REJECTED)),
            spam=Count("pk", filter=Q(status=Status.SPAM)),
            pending=Count("pk", filter=Q(status=Status.PENDING)),
        )
        .order_by()
    )
    return {row.pop("author_id"): row for row in rows}


REPLY_EXCERPT_CHARACTERS = 120


def answered_comment(comment) -> dict | None:
    """What a reply in the queue answers: its author's name, the start of its text, and its address.

    From the parent loaded with the page (no query). A removed comment shows no text; only a
    published one has an address a moderator can open.
    """
    parent = comment.parent if comment.parent_id else None
    if parent is None:
        return None
    removed = parent.is_removed
    text = "" if removed else " ".join(plain_text(parent.body_html).split())
    return {
        "name": parent.author_name,
        "removed": removed,
        "excerpt": Truncator(text).chars(REPLY_EXCERPT_CHARACTERS),
        "url": parent.get_absolute_url() if parent.is_approved and not removed else "",
    }


# --- Access ------------------------------------------------------------------------


def moderator_required(view):
    """Signed-out visitors go to the sign-in page; members who may moderate nothing get a 403."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not may_moderate(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def safe_next(request, default=None) -> str:
    """The page to go back to: ``next`` if it is on this site, else the queue."""
    target = request.POST.get("next") or request.GET.get("next")
    # A local path only: redirect() would try to reverse any other text as a view name (a 500).
    if (
        target
        and target.startswith("/")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return default or reverse("comments:queue")


def comment_on_post_url(comment) -> str:
    return f"{comment.post.get_absolute_url()}#comment-{comment.pk}"


# --- Flagging ----------------------------------------------------------------------


def flag_refusal(comment, member) -> str | None:
    """Why ``member`` may not flag ``comment``, or None. ``comment_flag`` checks the same, atomically."""
    if comment.author_id == member.pk:
        return _("You cannot flag your own comment.")
    if not comment.is_approved or comment.is_removed:
        return _("This comment is already hidden.")
    if CommentFlag.objects.filter(comment=comment, flagged_by=member).exists():
        return _("You have already flagged this comment.")
    return None


@require_http_methods(["GET", "POST"])
@login_required
def flag_comment(request, comment_id):
    comment = get_object_or_404(
        Comment.objects.on_visible_posts(request.user).select_related("post", "author"), pk=comment_id
    )
    back = comment_on_post_url(comment)
    if request.method == "POST":
        form = FlagForm(request.POST)
        if form.is_valid():
            try:
                comment_flag(
                    comment=comment,
                    member=request.user,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Thanks — an editor will look at it."))
            return redirect(back)
    else:
        refusal = flag_refusal(comment, request.user)
        if refusal:
            messages.info(request, refusal)
            return redirect(back)
        form = FlagForm()
    return render(
        request,
        "comments/flag.html",
        {"comment": comment, "post": comment.post, "form": form, "back": back},
        status=400 if form.is_bound else 200,
    )


# --- The queue ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@moderator_required
def queue(request):
    """Held or flagged comments, newest first, with what a moderator needs to decide at a glance.

    Only the comments the moderator may moderate. A page is a fixed number of
    queries: the counts, the page, its open flags and its authors' histories.
    """
    user = request.user
    tab = request.GET.get("tab")
    if tab not in TABS:
        tab = TABS[0]
    if tab == "flagged":
        latest_flag = open_flags().filter(comment=OuterRef("pk")).order_by("-created").values("created")[:1]
        comments = (
            flagged_comments(user)
            .annotate(last_flagged=Subquery(latest_flag))
            .order_by("-last_flagged", "-pk")
        )
    else:
        comments = held_comments(user).order_by("-created", "-pk")
    # The answered comment comes in the same query: a reply says which comment it answers.
    comments = comments.select_related("post", "author", "parent").prefetch_related(
        Prefetch(
            "flags",
            queryset=open_flags().select_related("flagged_by").order_by("created", "pk"),
            to_attr="open_flags",
        )
    )
    page_obj = Paginator(comments, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    items = list(page_obj.object_list)
    histories = author_history({c.author_id for c in items if c.author_id}, user)
    for comment in items:
        comment.author_history = histories.get(comment.author_id)
        comment.answers = answered_comment(comment)
    return render(
        request,
        "comments/moderation/queue.html",
        {
            "tab": tab,
            "tabs": [("held", _("Held")), ("flagged", _("Flagged"))],
            "counts": queue_counts(request),
            "page_obj": page_obj,
            "items": items,
            "here": request.get_full_path(),
            "moderates_all": may_moderate_all(user),
            # Editors also work in the Django admin; a community's moderators are not staff.
            "admin_links": user.is_staff and may_moderate_all(user),
        },
    )


ACTIONS = {
    "approve": {
        "status": Status.APPROVED,
        "done": lambda n: ngettext("%(count)d comment approved.", "%(count)d comments approved.", n),
        "already": lambda n: ngettext(
            "%(count)d was already approved.", "%(count)d were already approved.", n
        ),
    },
    "reject": {
        "status": Status.REJECTED,
        "done": lambda n: ngettext("%(count)d comment rejected.", "%(count)d comments rejected.", n),
        "already": lambda n: ngettext(
            "%(count)d was already rejected.", "%(count)d were already rejected.", n
        ),
    },
    "spam": {
        "status": Status.SPAM,
        "done": lambda n: ngettext(
            "%(count)d comment marked as spam.", "%(count)d comments marked as spam.", n
        ),
        "already": lambda n: ngettext("%(count)d was already spam.", "%(count)d were already spam.", n),
    },
    "dismiss": {
        "status": None,
        "done": lambda n: ngettext(
            "Flags dismissed on %(count)d comment.", "Flags dismissed on %(count)d comments.", n
        ),
        "already": lambda n: ngettext("%(count)d had no open flags.", "%(count)d had no open flags.", n),
    },
}


def selected_ids(request) -> list[int]:
    return [int(value) for value in request.POST.getlist("ids") if value.isascii() and value.isdecimal()]


@require_POST
@moderator_required
def moderate(request):
    """Approve, reject, mark as spam or dismiss the flags of the ticked comments, then go back."""
    back = safe_next(request)
    action = ACTIONS.get(request.POST.get("action", ""))
    if action is None:
        messages.error(request, _("Choose what to do with the selected comments."))
        return redirect(back)
    ids = selected_ids(request)
    if not ids:
        messages.warning(request, _("Select at least one comment first."))
        return redirect(back)

    # Comments that no longer exist, or that the moderator may not moderate, are ignored.
    selected = Comment.objects.moderatable_by(request.user).filter(pk__in=ids)
    found = list(selected.values_list("pk", "author_id"))
    if action["status"] is None:
        changed = flags_dismiss(comments=selected, moderator=request.user)
    else:
        changed = comments_moderate(comments=selected, status=action["status"], moderator=request.user)
    text = action["done"](changed) % {"count": changed}
    if len(found) > changed:
        text = f"{text} {action['already'](len(found) - changed) % {'count': len(found) - changed}}"
    (messages.success if changed else messages.info)(request, text)

    if action["status"] == Status.SPAM:
        offer_spam_sweep(request, {author_id for _pk, author_id in found}, back)
    return redirect(back)


def offer_spam_sweep(request, author_ids, back):
    """After spam from one member, offer an editor to treat the rest of their pending comments alike."""
    if len(author_ids) != 1 or None in author_ids or not may_moderate_all(request.user):
        return
    author = get_user_model().objects.filter(pk=next(iter(author_ids))).first()
    if author is None or author.pk == request.user.pk or author.is_superuser:
        return
    pending = Comment.objects.pending().filter(author=author).count()
    if not pending:
        return
    url = f"{reverse('comments:spam_author', kwargs={'user_id': author.pk})}?{urlencode({'next': back})}"
    messages.warning(
        request,
        format_html(
            '{} <a href="{}" class="alert-link">{}</a>',
            ngettext(
                "%(name)s has %(count)d more pending comment.",
                "%(name)s has %(count)d more pending comments.",
                pending,
            )
            % {"name": author.public_name, "count": pending},
            url,
            _("Mark them all as spam, or deactivate the account…"),
        ),
        extra_tags="spam-sweep",
    )


# --- Sending back and spammers -------------------------------------------------------


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note to the author"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Say what to change; the author sees this note and can revise the comment."),
        error_messages={"required": gettext_lazy("Write a note telling the author what to change.")},
    )


@require_http_methods(["GET", "POST"])
@moderator_required
def return_comment(request, comment_id):
    """Send a comment back to its author with a note. GET shows the form on a page of its own."""
    comment = get_object_or_404(
        Comment.objects.moderatable_by(request.user).select_related("post", "author"), pk=comment_id
    )
    back = safe_next(request)
    if comment.author_id is None:
        messages.error(request, _("A guest's comment cannot be sent back."))
        return redirect(back)
    if comment.is_returned:
        messages.info(request, _("This comment has already been sent back to its author."))
        return redirect(back)
    form = ReturnForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            comment_return(comment=comment, moderator=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error("note", error)
        else:
            messages.success(
                request, _("Sent back to %(name)s with your note.") % {"name": comment.author_name}
            )
            return redirect(back)
    return render(
        request,
        "comments/moderation/return.html",
        {"comment": comment, "form": form, "back": back},
        status=400 if form.is_bound else 200,
    )


class SpamAuthorForm(forms.Form):
    mark_spam = forms.BooleanField(
        label=gettext_lazy("Mark all their pending comments as spam"),
        initial=True,
        error_messages={"required": gettext_lazy("Tick this box to confirm.")},
    )
    deactivate = forms.BooleanField(
        label=gettext_lazy("Deactivate the account: they can no longer sign in"), required=False
    )


@require_http_methods(["GET", "POST"])
@moderator_required
def spam_author(request, user_id):
    """Treat a member as a spammer: a confirmation page with counts, then ``author_mark_spam`` (editors)."""
    if not may_moderate_all(request.user):
        raise PermissionDenied
    author = get_object_or_404(get_user_model(), pk=user_id)
    if author.pk == request.user.pk or author.is_superuser:
        raise PermissionDenied
    back = safe_next(request)
    form = SpamAuthorForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        deactivate = form.cleaned_data["deactivate"]
        changed = author_mark_spam(author=author, moderator=request.user, deactivate=deactivate)
        text = ngettext(
            "%(count)d comment by %(name)s marked as spam.",
            "%(count)d comments by %(name)s marked as spam.",
            changed,
        ) % {"count": changed, "name": author.public_name}
        if deactivate:
            text = f"{text} {_('The account is deactivated.')}"
        messages.success(request, text)
        return redirect(back)
    history = author_history([author.pk], request.user).get(author.pk) or dict.fromkeys(HISTORY_KEYS, 0)
    return render(
        request,
        "comments/moderation/spam_author.html",
        {"author": author, "history": history, "form": form, "back": back},
        status=400 if form.is_bound else 200,
    )
