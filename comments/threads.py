"""The discussion under a post as a page of threads, in a constant number of queries.

A page holds ``DiscussionSettings.comments_per_page`` top-level comments
(oldest first) and every reply in their threads:

1. the number of top-level comments (for the page links),
2. the page of top-level comments,
3. every reply of those threads (``thread_root`` in the page), with authors.

The nesting is built in Python from ``parent``. A comment the reader may not
see (rejected, spam, someone else's held comment) that has replies the reader
may see stays in the tree as a placeholder, "This comment is no longer
shown", so the replies keep their place and their context. Removed comments
are placeholders too, saying who removed them and why.
"""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import BooleanField, Exists, OuterRef, Q, Value
from django.utils import timezone

from core.page_cache import content_version

from . import rules
from .models import Comment, DiscussionSettings
from .services import may_edit, may_moderate_all

PAGE_PARAM = "cpage"
# The extra tag of a message that the comment section shows beside its comment
# (views.comments.tell_beside); the post page's list of messages leaves it out
# (templates/includes/_messages.html, with ``beside_comments``).
BESIDE_COMMENT_TAG = "beside-comment"
DISCUSSION_SETTINGS_CACHE_SECONDS = 600


def discussion_settings():
    """The discussion settings for pages that only read them: one query at most, and no write.

    Cached per content version (saving the settings bumps it, see
    core/page_cache.py). ``DiscussionSettings.load()`` creates the row when
    it is missing, which would make a GET write and its first request cost
    three more queries.
    """
    key = f"comments:discussion-settings:{content_version()}"
    found = cache.get(key)
    if found is None:
        found = DiscussionSettings.objects.filter(pk=1).first() or DiscussionSettings()
        cache.set(key, found, DISCUSSION_SETTINGS_CACHE_SECONDS)
    return found


@dataclass(eq=False)
class Node:
    """One comment in a thread, with what the reader may do with it."""

    comment: Comment
    shown: bool = True
    children: list["Node"] = field(default_factory=list)
    can_reply: bool = False
    can_edit: bool = False
    can_remove: bool = False
    hold_explanation: str = ""

    @property
    def pk(self):
        return self.comment.pk

    @property
    def placeholder(self):
        """Why only a placeholder stands in for the comment: "hidden", "author", "moderator"; or None."""
        comment = self.comment
        if not self.shown:
            return "hidden"
        if not comment.is_removed:
            return None
        if comment.removed_by_id is not None:
            by_author = comment.removed_by_id == comment.author_id
        else:  # the remover's account is gone: a moderator always gives a reason
            by_author = not comment.removal_reason
        return "author" if by_author else "moderator"


@dataclass(eq=False)
class ThreadPage:
    threads: list[Node]
    page: Page
    default_page: int
    nodes: dict[int, Node]

    @property
    def paginator(self):
        return self.page.paginator

    @property
    def is_default_page(self):
        return self.page.number == self.default_page

    @property
    def page_links(self):
        """Page numbers for the page links, with "…" for long runs."""
        return list(self.paginator.get_elided_page_range(self.page.number, on_each_side=2, on_ends=1))

    @property
    def query_prefix(self):
        """``cpage=N&`` to keep the reader on this page in links such as Reply; empty on the default page."""
        return "" if self.is_default_page else f"{PAGE_PARAM}={self.page.number}&"


def _shown_flag(user):
    """``shown``: whether the reader may see the row itself (the one rule, ``shown_to``)."""
    return Exists(Comment.objects.shown_to(user).filter(pk=OuterRef("pk")))


def _moderatable_flag(user):
    """``moderatable``: whether the reader may moderate the row (the one rule, ``moderatable_by``).

    A subquery of the page's own queries, so that showing the moderator's Remove
    button to a community's owners and moderators costs no query of its own.
    """
    if not user.is_authenticated or not user.is_active:
        return Value(False, output_field=BooleanField())
    if may_moderate_all(user):  # editors: staff, whose permissions the post page has already loaded
        return Value(True, output_field=BooleanField())
    return Exists(Comment.objects.moderatable_by(user).filter(pk=OuterRef("pk")))


def top_level(post, user):
    """The top-level comments of ``post`` that the reader's page lists, oldest first.

    Those shown to the reader, and those hidden from them that have a reply
    the reader may see (they appear as placeholders).
    """
    roots = Comment.objects.filter(post=post, parent__isnull=True)
    shown_replies = Comment.objects.filter(post=post, thread_root__isnull=False).shown_to(user)
    return (roots.shown_to(user) | roots.filter(pk__in=shown_replies.values("thread_root_id"))).order_by(
        "created", "id"
    )


def _paginator(comments, discussion):
    return Paginator(comments, max(discussion.comments_per_page, 1))


def default_page_number(paginator, discussion):
    return paginator.num_pages if discussion.newest_first else 1


def page_number(value, paginator, discussion):
    """The page asked for in ``?cpage=``, moved to the nearest page that exists; the default if unreadable."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default_page_number(paginator, discussion)
    return min(max(number, 1), paginator.num_pages)


def build_thread_page(post, user, *, page=None, discussion=None, now=None) -> ThreadPage:
    """The page ``page`` (the raw ``?cpage=`` value) of threads under ``post`` as ``user`` sees it."""
    discussion = discussion or discussion_settings()
    related = ("author", "removed_by")
    paginator = _paginator(
        top_level(post, user)
        .annotate(shown=_shown_flag(user), moderatable=_moderatable_flag(user))
        .select_related(*related),
        discussion,
    )
    page_obj = paginator.page(page_number(page, paginator, discussion))
    roots = list(page_obj.object_list)
    root_ids = [root.pk for root in roots]

    replies = []
    if root_ids:
        # Every comment of the page's threads, then in Python: the replies shown to the
        # reader and the hidden comments they answer (placeholders). Filtering on
        # ``thread_root`` alone keeps the database on that index; an OR of the two
        # conditions made SQLite scan every approved comment of the site.
        in_threads = list(
            Comment.objects.filter(thread_root_id__in=root_ids)
            .annotate(shown=_shown_flag(user), moderatable=_moderatable_flag(user))
            .select_related(*related)
            .order_by("created", "id")
        )
        answered = {comment.parent_id for comment in in_threads if comment.shown}
        replies = [comment for comment in in_threads if comment.shown or comment.pk in answered]

    open_for_replies = post.is_published and not rules.closed_for_comments(post, discussion)
    now = now or timezone.now()

    nodes = {}
    for comment in [*roots, *replies]:
        node = Node(comment=comment, shown=comment.shown)
        if node.shown:
            removed = comment.is_removed
            node.can_reply = (
                open_for_replies
                and user.is_authenticated
                and comment.is_approved
                and not removed
                and comment.depth + 1 < discussion.thread_depth
            )
            node.can_edit = may_edit(comment, user, discussion, now=now)
            node.can_remove = (
                user.is_authenticated
                and not removed
                and (comment.author_id == user.pk or comment.moderatable)
            )
            if comment.is_pending and not removed:
                node.hold_explanation = rules.hold_explanation(comment, discussion)
        nodes[comment.pk] = node

    for comment in replies:
        # A reply whose parent is not on the page (a hidden comment answering a hidden
        # one) joins its thread's top-level comment: the nearest ancestor we know.
        parent = nodes.get(comment.parent_id) or nodes.get(comment.thread_root_id)
        parent.children.append(nodes[comment.pk])

    return ThreadPage(
        threads=[nodes[pk] for pk in root_ids],
        page=page_obj,
        default_page=default_page_number(paginator, discussion),
        nodes=nodes,
    )


def comment_page_url(comment, user, *, discussion=None) -> str:
    """The address of ``comment`` on its post's page of threads: ``<post>?cpage=N#comment-<id>``.

    ``cpage`` is left out when the comment is on the page the post opens with.
    """
    discussion = discussion or discussion_settings()
    post = comment.post
    paginator = _paginator(top_level(post, user), discussion)
    root = comment.thread_root if comment.thread_root_id else comment
    before = (
        top_level(post, user)
        .filter(Q(created__lt=root.created) | Q(created=root.created, pk__lt=root.pk))
        .count()
    )
    number = min(before // paginator.per_page + 1, paginator.num_pages)
    query = (
        "" if number == default_page_number(paginator, discussion) else "?" + urlencode({PAGE_PARAM: number})
    )
    return f"{post.get_absolute_url()}{query}#comment-{comment.pk}"
