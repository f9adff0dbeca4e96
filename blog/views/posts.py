import math
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, Func, IntegerField, OuterRef, Q, Subquery
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView, ListView
from taggit.models import Tag

from accounts.models import Community
from accounts.services import can_lead
from core.markup import render_markdown
from core.page_cache import content_version

from ..forms import PostForm
from ..models import Category, LearningPathStep, Post, TagRedirect, reading_scope
from ..related import related_posts

NEIGHBOURS_CACHE_SECONDS = 600


class PostListMixin:
    """Paginated lists of post cards: only posts the reader may see, with their card data."""

    paginate_by = settings.POSTS_PER_PAGE
    context_object_name = "posts"

    def posts(self):
        return Post.objects.visible_to(self.request.user).with_list_data()


# The home page's "Most discussed this month" and tag cloud: public data, cached for everyone.
HOME_CACHE_SECONDS = 10 * 60
MOST_DISCUSSED_DAYS = 30
MOST_DISCUSSED_COUNT = 5
TAG_CLOUD_SIZE = 30
# Font sizes of the tag cloud, least to most used (Bootstrap classes).
TAG_CLOUD_CLASSES = ("small", "fs-6", "fs-5", "fs-4", "fs-4 fw-semibold")


def most_discussed_posts(*, days=MOST_DISCUSSED_DAYS, limit=MOST_DISCUSSED_COUNT) -> list[dict]:
    """The public posts with the most comments written in the last ``days`` days, most first.

    "This month" is a sliding 30 days of discussion, whenever the post was
    published: an old post that people are talking about again belongs here.
    The comments counted are those ``Comment.objects.counted()`` counts
    (approved and not removed), written with string lookups through the
    reverse relation "comments" since blog does not import the comments app.
    Only public posts (``visible_to(None)``), so the cached list is safe to
    show to everyone.
    """
    since = timezone.now() - timedelta(days=days)
    posts = (
        Post.objects.visible_to(None)
        .published()
        # Filtering the join before annotating makes the count count only these comments.
        .filter(comments__created__gte=since, comments__status="approved", comments__removed_at__isnull=True)
        .annotate(recent_comments=Count("comments"))
        .order_by("-recent_comments", "-publish_at", "-pk")
        .only("title", "slug", "publish_at")[:limit]
    )
    return [
        {"title": post.title, "url": post.get_absolute_url(), "comments": post.recent_comments}
        for post in posts
    ]


def tag_cloud(*, size=TAG_CLOUD_SIZE) -> list[dict]:
    """The ``size`` tags on most public posts, alphabetically, each with a weight class.

    Weights spread the counts on a log scale over ``TAG_CLOUD_CLASSES``, so one
    very common tag does not flatten all the others to the smallest size.
    """
    public = Post.objects.visible_to(None).published()
    tags = list(
        Tag.objects.filter(blog_taggedpost_items__content_object__in=public)
        .annotate(post_count=Count("blog_taggedpost_items"))
        .order_by("-post_count", "name")[:size]
    )
    if not tags:
        return []
    low, high = math.log(tags[-1].post_count), math.log(tags[0].post_count)
    steps = len(TAG_CLOUD_CLASSES) - 1
    cloud = []
    for tag in sorted(tags, key=lambda tag: tag.name.casefold()):
        weight = round((math.log(tag.post_count) - low) / (high - low) * steps) if high > low else 0
        cloud.append(
            {
                "name": tag.name,
                "slug": tag.slug,
                "count": tag.post_count,
                "weight": weight + 1,
                "css_class": TAG_CLOUD_CLASSES[weight],
            }
        )
    return cloud


class HomeView(PostListMixin, ListView):
    """The latest posts, with the topics, the most discussed posts and the tag cloud beside them.

    The topics' counts follow the reader's visibility: they are cached per
    content version and reading scope (``blog.models.reading_scope``), so any
    change to posts shows at once. "Most discussed this month" and the tag
    cloud are the same for everyone (public posts only) and cached for
    ``HOME_CACHE_SECONDS``. The topics query also returns the number of public
    posts, which keys "Most discussed": a post published, scheduled into view
    or deleted shows there at once, while new comments wait for the timeout.
    The tag cloud is keyed by the content version, like the topics: a tag
    merged, renamed or deleted leaves the cloud at once. Cold, the page runs
    three queries more than warm.
    """

    template_name = "blog/home.html"

    def get_queryset(self):
        return self.posts().published()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        readable = Post.objects.visible_to(self.request.user).published()
        public_count = (
            Post.objects.visible_to(None)
            .published()
            .order_by()
            .values(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        )
        featured = readable.filter(featured=True)
        featured_count = featured.order_by().values(
            n=Func(F("pk"), function="COUNT", output_field=IntegerField())
        )
        # Counting reads every post: the counts are cached per content version and
        # reading scope (core/page_cache.py), so the page counts once per change.
        version = content_version()
        categories_key = f"blog:home:categories:{version}:{reading_scope(self.request.user)}"
        categories = cache.get(categories_key)
        if categories is None:
            categories = list(
                Category.objects.annotate(
                    post_count=Count("posts", filter=Q(posts__in=readable)),
                    public_posts=Subquery(public_count),
                    # Whether the featured band has anything to show, at no extra query.
                    featured_post_count=Subquery(featured_count),
                )
            )
            cache.set(categories_key, categories, HOME_CACHE_SECONDS)
        # "Most discussed" waits for its timeout after new comments, but not after a post
        # is published or deleted: its key is the number of public posts. The tag cloud
        # links to tag pages, so it follows every change at once (a tag merged, renamed
        # or deleted must not leave a link to a page that is gone): its key is the version.
        stamp = categories[0].public_posts if categories else "none"
        discussed_key = f"blog:home:most-discussed:{stamp}"
        most_discussed = cache.get(discussed_key)
        if most_discussed is None:
            most_discussed = most_discussed_posts()
            cache.set(discussed_key, most_discussed, HOME_CACHE_SECONDS)
        cloud_key = f"blog:home:tag-cloud:{version}"
        cloud = cache.get(cloud_key)
        if cloud is None:
            cloud = tag_cloud()
            cache.set(cloud_key, cloud, HOME_CACHE_SECONDS)
        # Featured posts, chosen and ordered by editors, in a band at the top of the
        # first page: one query when there are any (the topics query counts them),
        # and they stay in the list below as well.
        featured_posts, featured_limit = [], 3
        page = context.get("page_obj")
        any_featured = categories[0].featured_post_count if categories else True
        if any_featured and (page is None or page.number == 1):
            featured_posts = list(featured.order_by("featured_order", "-publish_at", "-pk")[:featured_limit])
        context.update(categories=categories, featured_posts=featured_posts)
        context.update(most_discussed=most_discussed, tag_cloud=cloud)
        return context


class CategoryPostsView(PostListMixin, ListView):
    template_name = "blog/category.html"

    def get_queryset(self):
        # WordPress's hierarchy: the page lists the category's subcategories and includes
        # the posts of all its descendants. One query loads every category (there are
        # few) and finds this one and its descendants in Python.
        categories = list(Category.objects.all())
        self.category = next((c for c in categories if c.slug == self.kwargs["slug"]), None)
        if self.category is None:
            raise Http404("No such category.")
        self.subcategories = [c for c in categories if c.parent_id == self.category.pk]
        ids = self.descendant_ids(self.category.pk, [(c.pk, c.parent_id) for c in categories])
        in_tree = Post.categories.through.objects.filter(category_id__in=ids).values("post_id")
        return self.posts().published().filter(pk__in=in_tree)

    @staticmethod
    def descendant_ids(root_id, pairs):
        """``root_id`` and the ids of all categories under it, from (id, parent_id) pairs; safe on cycles."""
        children = {}
        for pk, parent_id in pairs:
            children.setdefault(parent_id, []).append(pk)
        found, todo = {root_id}, [root_id]
        while todo:
            for child in children.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, subcategories=self.subcategories, **kwargs)


def tag_or_redirect(slug) -> Tag:
    """The tag at ``slug``; ``TagMoved`` when ``slug`` is an old address (``TagRedirect``); else a 404."""
    tag = Tag.objects.filter(slug=slug).first()
    if tag is not None:
        return tag
    kept = TagRedirect.target_of(slug)
    if kept is None:
        raise Http404("No such tag.")
    raise TagMoved(kept)


class TagMoved(Exception):
    """The address names a tag merged into another (or renamed): a 301 to ``tag``'s page."""

    def __init__(self, tag):
        super().__init__(tag.slug)
        self.tag = tag


class TagPostsView(PostListMixin, ListView):
    """A tag's posts. The address of a tag merged into another redirects (301) to the kept tag's page."""

    template_name = "blog/tag.html"

    def get(self, request, *args, **kwargs):
        try:
            return super().get(request, *args, **kwargs)
        except TagMoved as moved:
            url = reverse("blog:tag", kwargs={"slug": moved.tag.slug})
            query = request.META.get("QUERY_STRING", "")
            return HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)

    def get_queryset(self):
        self.tag = tag_or_redirect(self.kwargs["slug"])
        return self.posts().published().filter(tagged_items__tag=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorPostsView(PostListMixin, ListView):
    template_name = "blog/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(get_user_model(), username=self.kwargs["username"], is_active=True)
        return self.posts().published().filter(author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class PostDetailView(DetailView):
    """The classic blog post page. Its discussion is rendered by the comments app's template tags."""

    template_name = "blog/post_detail.html"
    context_object_name = "post"

    def get_queryset(self):
        return (
            Post.objects.visible_to(self.request.user)
            .select_related("author", "community")
            .prefetch_related("categories", "tags")
            # Most posts are in no learning path: {% path_navigation %} then skips its query.
            .annotate(
                in_published_path=Exists(
                    LearningPathStep.objects.filter(post=OuterRef("pk"), path__published=True)
                )
            )
        )

    def get_object(self, queryset=None):
        return get_object_or_404(self.get_queryset(), slug=self.kwargs["slug"])

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        local = timezone.localtime(self.object.publish_at)
        if (local.year, local.month, local.day) != (
            self.kwargs["year"],
            self.kwargs["month"],
            self.kwargs["day"],
        ):
            # A post moved to another date keeps working at its old address.
            return redirect(self.object, permanent=True)
        return self.render_to_response(self.get_context_data(object=self.object))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        post = self.object
        context.update(self.neighbours(post))
        context["can_edit"] = self.request.user.is_authenticated and may_edit_post(post, self.request.user)
        return context

    def neighbours(self, post):
        """The previous and next posts and the related posts the reader may open.

        The same for every reader with the same reading scope, so cached per
        post, content version (core/page_cache.py) and scope: three queries
        (the ranking the dearest) once, then none.
        """
        user = self.request.user
        key = f"blog:post-neighbours:{post.pk}:{content_version()}:{reading_scope(user)}"
        found = cache.get(key)
        if found is not None:
            return found
        published = Post.objects.visible_to(user).published().only("title", "slug", "publish_at")
        # The plain bound on publish_at lets the database walk its (status, publish_at) index.
        earlier = published.filter(publish_at__lte=post.publish_at).filter(
            Q(publish_at__lt=post.publish_at) | Q(pk__lt=post.pk)
        )
        later = published.filter(publish_at__gte=post.publish_at).filter(
            Q(publish_at__gt=post.publish_at) | Q(pk__gt=post.pk)
        )
        found = {
            "previous_post": earlier.exclude(pk=post.pk).order_by("-publish_at", "-pk").first(),
            "next_post": later.exclude(pk=post.pk).order_by("publish_at", "pk").first(),
            "related_posts": list(
                related_posts(
                    published,
                    post,
                    tag_ids=[tag.pk for tag in post.tags.all()],
                    category_ids=[category.pk for category in post.categories.all()],
                )[: settings.RELATED_POSTS_COUNT]
            ),
        }
        cache.set(key, found, NEIGHBOURS_CACHE_SECONDS)
        return found


def post_or_404(request, pk):
    """A post the requesting member may see, for views that act on a post by id."""
    post = Post.objects.visible_to(request.user).filter(pk=pk).first()
    if post is None:
        raise Http404("No such post.")
    return post


def may_write_posts(user) -> bool:
    """Editors, and the owners and moderators of at least one community."""
    if not user.is_authenticated or not user.is_active:
        return False
    return user.has_perm("blog.add_post") or user.memberships.leaders().exists()


def may_edit_post(post, user) -> bool:
    # Editors are staff: other members' pages skip loading permissions (two queries).
    if user.is_staff and user.has_perm("blog.change_post"):
        return True
    return post.community_id is not None and post.author_id == user.pk and can_lead(post.community, user)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def post_write(request, pk=None):
    """Write or edit a post on the site, with a Markdown preview that needs no JavaScript."""
    if pk is None:
        if not may_write_posts(request.user):
            raise PermissionDenied
        post = Post(author=request.user)
        community = Community.objects.filter(slug=request.GET.get("community", "")).first()
        initial = {"community": community, "visibility": Post.Visibility.MEMBERS} if community else {}
    else:
        post = get_object_or_404(Post.objects.visible_to(request.user), pk=pk)
        if not may_edit_post(post, request.user):
            raise PermissionDenied
        initial = {}
    form = PostForm(
        request.POST or None, request.FILES or None, instance=post, author=request.user, initial=initial
    )
    preview = None
    if request.method == "POST":
        if "preview" in request.POST:
            preview = render_markdown(request.POST.get("body", ""))
        elif form.is_valid():
            post = form.save()
            messages.success(
                request, _("The post is published.") if post.is_published else _("The post is saved.")
            )
            return redirect(post)
    return render(request, "blog/post_form.html", {"form": form, "post": post, "preview": preview})
