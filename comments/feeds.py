"""The RSS feed of a post's discussion: its latest published comments."""

from django.contrib.syndication.views import Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from blog.views import post_or_404

from .models import Comment

FEED_LENGTH = 50


class PostCommentsFeed(Feed):
    """RSS 2.0: the newest approved, not removed comments on a post the reader may see."""

    def get_object(self, request, post_id):
        return post_or_404(request, post_id)

    def title(self, post):
        return _("Comments on “%(title)s”") % {"title": post.title}

    def link(self, post):
        return post.get_absolute_url()

    def description(self, post):
        return _("The latest comments on “%(title)s”.") % {"title": post.title}

    def items(self, post):
        return Comment.objects.counted().filter(post=post).order_by("-created", "-id")[:FEED_LENGTH]

    def item_title(self, comment):
        # Escaped like Django's default item_title: many readers show titles as HTML.
        return escape(_("Comment by %(name)s") % {"name": comment.author_name})

    def item_description(self, comment):
        return comment.body_html  # sanitized when the comment was saved (portal.markup)

    def item_link(self, comment):
        return comment.get_absolute_url()

    def item_pubdate(self, comment):
        return comment.created

    def item_author_name(self, comment):
        return comment.author_name
