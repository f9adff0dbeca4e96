"""The sitemap (django.contrib.sitemaps): posts, categories, tags, public communities and profiles.

``/sitemap.xml`` is an index of one sitemap per section (``/sitemap-posts.xml``,
…); a section longer than ``SITEMAP_LIMIT`` is split into pages
(``?p=2``…) that the index lists. Like feeds, sitemaps are anonymous: they
list what a visitor who is not signed in may open, whoever asks. So no
members-only post, no post of a private community, no draft or scheduled
post; no private community; no tag used only on such posts; no profile of a
deactivated member (their profile is a 404).

Profiles are accounts', but which members have something public to show
(posts here, approved comments in the comments app) is known by the apps
above accounts: ``ProfileSitemap`` takes the comments app's part from the
project's URLconf, so that blog does not depend on comments.
"""

from django.contrib.auth import get_user_model
from django.contrib.sitemaps import Sitemap
from django.db.models import Max, Q
from django.db.models.functions import Greatest
from django.urls import reverse
from taggit.models import Tag

from accounts.models import Community

from .models import Category, Post

SITEMAP_LIMIT = 5_000  # URLs per sitemap page; the protocol allows 50,000, but each page is one response


def last_change(prefix=""):
    """A post's last change: its last save, or its publish date if it was scheduled and came out later."""
    return Greatest(f"{prefix}updated", f"{prefix}publish_at")


def latest_post_change(relation):
    """The last change of the readable posts reached through ``relation``, for an annotation."""
    readable = Post.objects.visible_to(None).published()
    return Max(last_change(f"{relation}__"), filter=Q(**{f"{relation}__in": readable}))


class PortalSitemap(Sitemap):
    limit = SITEMAP_LIMIT

    def lastmod(self, item):
        return item.last_change

    def get_latest_lastmod(self):
        # The index's <lastmod> per section. Django's default evaluates every
        # item; only the posts' section has a cheap and exact answer.
        return None


class PostSitemap(PortalSitemap):
    def items(self):
        return (
            Post.objects.visible_to(None)
            .published()
            .annotate(last_change=last_change())
            .only("slug", "publish_at", "updated")
            .order_by("-publish_at", "-id")
        )

    def get_latest_lastmod(self):
        return Post.objects.visible_to(None).published().aggregate(latest=Max(last_change()))["latest"]


class CategorySitemap(PortalSitemap):
    """Every category (they are the site's editorial topics), dated by their latest readable post."""

    def items(self):
        return Category.objects.annotate(last_change=latest_post_change("posts")).order_by("name", "pk")


class TagSitemap(PortalSitemap):
    """The tags of readable posts only: a tag used only on members-only posts may itself tell too much."""

    def items(self):
        return (
            Tag.objects.filter(
                blog_taggedpost_items__content_object__in=Post.objects.visible_to(None).published()
            )
            .annotate(last_change=Max(last_change("blog_taggedpost_items__content_object__")))
            .order_by("name", "pk")
        )

    def location(self, tag):
        return reverse("blog:tag", kwargs={"slug": tag.slug})


class CommunitySitemap(PortalSitemap):
    """Public communities, dated by their latest readable post (or their creation)."""

    def items(self):
        return (
            Community.objects.public()
            .annotate(last_post_change=latest_post_change("posts"))
            .order_by("name", "pk")
        )

    def lastmod(self, community):
        return max(filter(None, [community.last_post_change, community.created]))


class ProfileSitemap(PortalSitemap):
    """Profiles of active members who published a readable post, or did something else public.

    ``contributors`` are callables that return a queryset of member ids, such
    as the authors of approved comments on readable posts (see portal/urls.py).
    A profile is dated by its member's latest readable post; members without
    one have no <lastmod>.
    """

    def __init__(self, contributors=()):
        self.contributors = contributors

    def items(self):
        has_public_work = Q(pk__in=Post.objects.visible_to(None).published().values("author"))
        for members in self.contributors:
            has_public_work |= Q(pk__in=members())
        return (
            get_user_model()
            .objects.filter(has_public_work, is_active=True)
            .annotate(last_change=latest_post_change("posts"))
            .only("username")
            .order_by("username", "pk")
        )


SITEMAPS = {
    "posts": PostSitemap,
    "categories": CategorySitemap,
    "tags": TagSitemap,
    "communities": CommunitySitemap,
    "members": ProfileSitemap,
}
