"""RSS 2.0 and Atom 1.0 feeds of posts: the latest, and per category, tag, author and public community.

Feeds are anonymous: a feed reader has no session, and a feed URL is shared,
cached and pasted around, so every feed lists ``Post.objects.visible_to(None)``
whatever cookie the request carries. Members-only posts and the posts of
private communities never appear in a feed, and a private community has no
feed at all (404).

Each kind of feed comes in four variants (see ``feed_paths``):

=====================  ========  ===============================================
path suffix            format    item text
=====================  ========  ===============================================
``feed/``              RSS 2.0   summary (the excerpt, or the first 50 words)
``feed/full/``         RSS 2.0   summary, and the whole post in content:encoded
``feed/atom/``         Atom 1.0  summary
``feed/atom/full/``    Atom 1.0  summary, and the whole post in <content>
=====================  ========  ===============================================

A feed runs a constant number of queries: the feed's object, the posts (with
their author), and one prefetch each for categories and tags.
"""

import html
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.syndication.views import Feed
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import feedgenerator
from django.utils.html import escape, format_html, strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from accounts.models import Community

from .models import Category, Post
from .views.posts import TagMoved, tag_or_redirect

FEED_LENGTH = 20
SUMMARY_WORDS = 50

CONTENT_NS = "http://purl.org/rss/1.0/modules/content/"


# Characters XML 1.0 cannot hold: Django refuses to write them (a 500), so they are dropped.
XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_safe(value):
    if isinstance(value, str):
        return XML_UNSAFE.sub("", value)
    if isinstance(value, (list, tuple)):
        return type(value)(_xml_safe(part) for part in value)
    return value


class XmlSafeFeedMixin:
    """A title or text with control characters (from an import, the admin, a form) never breaks a feed."""

    def write(self, outfile, encoding):
        self.feed = {key: _xml_safe(value) for key, value in self.feed.items()}
        self.items = [{key: _xml_safe(value) for key, value in item.items()} for item in self.items]
        super().write(outfile, encoding)


class RssFeed(XmlSafeFeedMixin, feedgenerator.Rss201rev2Feed):
    """RSS 2.0, with the whole post in ``content:encoded`` when the item has ``content``."""

    def rss_attributes(self):
        return {**super().rss_attributes(), "xmlns:content": CONTENT_NS}

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class AtomFeed(XmlSafeFeedMixin, feedgenerator.Atom1Feed):
    """Atom 1.0, with the whole post in ``<content type="html">`` when the item has ``content``."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


def summary_html(post):
    """The post's summary as HTML: its excerpt, or the first words of its body as a paragraph."""
    if post.excerpt_html.strip():
        return post.excerpt_html
    text = html.unescape(strip_tags(post.body_html)).strip()
    return format_html("<p>{}</p>", Truncator(text).words(SUMMARY_WORDS)) if text else ""


class PortalFeed(Feed):
    """What every feed of the site shares, posts' and comments' alike.

    * The Atom ``<id>`` of a feed is its own address, so that the summary and
      full variants of a feed are two feeds, not one.
    * Titles: RSS readers usually read ``<title>`` as HTML, so RSS titles are
      escaped (Django's default, see its ticket #6533); an Atom ``<title>``
      without a type is plain text, so Atom titles are not.
    * Each item's guid is its permalink (``isPermaLink="true"``).
    """

    feed_type = RssFeed
    item_guid_is_permalink = True

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        feed.feed["id"] = feed.feed["feed_url"]
        return feed

    def plain_title(self, item):
        return str(item)

    def item_title(self, item):
        title = self.plain_title(item)
        return title if issubclass(self.feed_type, feedgenerator.Atom1Feed) else escape(title)

    def subtitle(self, obj):
        # Atom's <subtitle>; RSS has <description>.
        return self._get_dynamic_attr("description", obj)


class PostsFeed(PortalFeed):
    """The latest published posts anyone may read. Subclasses narrow ``posts``."""

    full = False

    def title(self, obj):
        return settings.PORTAL_NAME

    def link(self, obj):
        return reverse("blog:home")

    def description(self, obj):
        return str(settings.PORTAL_TAGLINE)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        for item in feed.items:  # RSS <comments>: the discussion under the post, absolute like its link
            item["comments"] = f"{item['link']}#comments"
        return feed

    def posts(self, obj):
        return Post.objects.visible_to(None).published()

    def items(self, obj):
        return (
            self.posts(obj)
            .select_related("author")
            .prefetch_related("categories", "tags")
            .order_by("-publish_at", "-id")[:FEED_LENGTH]
        )

    def plain_title(self, post):
        return post.title

    def item_description(self, post):
        return summary_html(post)

    def item_extra_kwargs(self, post):
        return {"content": post.body_html} if self.full else {}

    def item_pubdate(self, post):
        return post.publish_at

    def item_updateddate(self, post):
        # A post scheduled before its publish date was last saved before it came out.
        return max(post.updated, post.publish_at)

    def item_author_name(self, post):
        return post.author.public_name

    def item_categories(self, post):
        names = [category.name for category in post.categories.all()] + [tag.name for tag in post.tags.all()]
        return list(dict.fromkeys(names))


class LatestPostsFeed(PostsFeed):
    pass


class CategoryPostsFeed(PostsFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, category):
        return f"{category.name} · {settings.PORTAL_NAME}"

    def link(self, category):
        return category.get_absolute_url()

    def description(self, category):
        return category.description or _("Posts in %(category)s.") % {"category": category.name}

    def posts(self, category):
        return super().posts(category).filter(categories=category)


class TagPostsFeed(PostsFeed):
    def __call__(self, request, *args, **kwargs):
        try:
            return super().__call__(request, *args, **kwargs)
        except TagMoved as moved:  # the feed of a merged tag: the same feed of the kept one
            match = request.resolver_match
            return HttpResponsePermanentRedirect(
                reverse(match.view_name, kwargs={**match.kwargs, "slug": moved.tag.slug})
            )

    def get_object(self, request, slug):
        return tag_or_redirect(slug)

    def title(self, tag):
        return _("Posts tagged “%(tag)s”") % {"tag": tag.name} + f" · {settings.PORTAL_NAME}"

    def link(self, tag):
        return reverse("blog:tag", kwargs={"slug": tag.slug})

    def description(self, tag):
        return _("The latest posts tagged “%(tag)s”.") % {"tag": tag.name}

    def posts(self, tag):
        return super().posts(tag).filter(tagged_items__tag=tag)


class AuthorPostsFeed(PostsFeed):
    def get_object(self, request, username):
        return get_object_or_404(get_user_model(), username=username, is_active=True)

    def title(self, author):
        return _("Posts by %(name)s") % {"name": author.public_name} + f" · {settings.PORTAL_NAME}"

    def link(self, author):
        return reverse("blog:author", kwargs={"username": author.username})

    def description(self, author):
        return _("The latest posts by %(name)s.") % {"name": author.public_name}

    def posts(self, author):
        return super().posts(author).filter(author=author)


class CommunityPostsFeed(PostsFeed):
    """A public community's posts for everyone; a private community has no feed."""

    def get_object(self, request, slug):
        return get_object_or_404(Community.objects.public(), slug=slug)

    def title(self, community):
        return f"{community.name} · {settings.PORTAL_NAME}"

    def link(self, community):
        return community.get_absolute_url()

    def description(self, community):
        text = html.unescape(strip_tags(community.description_html)).strip()
        return Truncator(text).chars(300) or _("The latest posts of %(name)s.") % {"name": community.name}

    def posts(self, community):
        return super().posts(community).filter(community=community)


VARIANTS = (
    # (path suffix, name suffix, Atom rather than RSS, full content)
    ("", "", False, False),
    ("full/", "_full", False, True),
    ("atom/", "_atom", True, False),
    ("atom/full/", "_atom_full", True, True),
)


def feed_variant(feed_class, *, atom=False, full=False):
    """``feed_class`` as Atom and/or with full content: a subclass setting ``feed_type`` and ``full``."""
    attrs = {"feed_type": AtomFeed if atom else RssFeed, "full": full, "__module__": feed_class.__module__}
    name = f"{'Atom' if atom else 'Rss'}{'Full' if full else ''}{feed_class.__name__}"
    return type(name, (feed_class,), attrs)


def feed_paths(route, name, feed_class):
    """A feed's four URL patterns: ``<route>``, ``<route>full/``, ``<route>atom/``, ``<route>atom/full/``.

    Named ``<name>``, ``<name>_full``, ``<name>_atom`` and ``<name>_atom_full``.
    """
    return [
        path(
            route + suffix,
            require_safe(feed_variant(feed_class, atom=atom, full=full)()),
            name=name + name_suffix,
        )
        for suffix, name_suffix, atom, full in VARIANTS
    ]
