"""The feeds of a post's discussion, RSS 2.0 and Atom 1.0: its latest published comments.

Like the post feeds (``blog.feeds``), comment feeds are anonymous: they exist
for posts anyone may read (``Post.objects.visible_to(None)``), whoever asks,
so a members-only post's discussion never reaches a feed reader, a shared
cache or a forwarded link. Other posts' feeds are a 404.
"""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from blog.feeds import AtomFeed, PortalFeed, RssFeed
from blog.models import Post

from .models import Comment

FEED_LENGTH = 50


class PostCommentsFeed(PortalFeed):
    """RSS 2.0: the newest approved, not removed comments on a post anyone may read."""

    feed_type = RssFeed

    def get_object(self, request, post_id):
        return get_object_or_404(Post.objects.visible_to(None), pk=post_id)

    def title(self, post):
        return _("Comments on “%(title)s”") % {"title": post.title}

    def link(self, post):
        return post.get_absolute_url()

    def description(self, post):
        return _("The latest comments on “%(title)s”.") % {"title": post.title}

    def items(self, post):
        return Comment.objects.counted().filter(post=post).order_by("-created", "-id")[:FEED_LENGTH]

    def plain_title(self, comment):
        # Escaped in RSS (many readers show titles as HTML), plain text in Atom: see PortalFeed.
        return _("Comment by %(name)s") % {"name": comment.author_name}

    def item_description(self, comment):
        return comment.body_html  # sanitized when the comment was saved (core.markup)

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created

    def item_updateddate(self, comment):
        return comment.edited_at or comment.created

    def item_author_name(self, comment):
        return comment.author_name


class PostCommentsAtomFeed(PostCommentsFeed):
    """The same comments as Atom 1.0."""

    feed_type = AtomFeed
