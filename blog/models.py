import os
import secrets

from django.conf import settings
from django.db import models
from django.db.models import (
    F,
    Func,
    IntegerField,
    Q,
    Subquery,
)
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager
from taggit.models import TaggedItemBase

from accounts.models import Community, Membership
from core.images import ImageUploadValidator, reencode_with_thumbnail
from core.markup import render_markdown
from core.page_cache import NO_SCHEDULED_POST
from core.slugs import unique_slug


def cover_upload_to(post, filename):
    """covers/<year>/<month>/<random>-<name>: an address nobody can guess.

    A members-only post's cover is served only to its readers (``blog.media``);
    where an object store serves media instead, the unguessable name is what
    keeps it from others.
    """
    stem, extension = os.path.splitext(os.path.basename(filename))
    name = slugify(stem)[:40] or "cover"
    return timezone.now().strftime("covers/%Y/%m/") + f"{secrets.token_urlsafe(12)}-{name}{extension.lower()}"


cover_validator = ImageUploadValidator(
    max_bytes=settings.COVER_MAX_UPLOAD_BYTES, max_pixels=settings.COVER_MAX_PIXELS
)


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent category"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["name"]

    def __str__(self):
        # The two topics the site ships with have Spanish names in the catalog; the
        # names editors give are shown as written. Form choices and the admin use this.
        return gettext(self.name)

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(
                Category, slugify(self.name) or "untitled", exclude_pk=self.pk, max_length=100
            )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:category", kwargs={"slug": self.slug})


class TaggedPost(TaggedItemBase):
    content_object = models.ForeignKey("Post", on_delete=models.CASCADE, related_name="tagged_items")

    class Meta:
        verbose_name = _("post tag")
        verbose_name_plural = _("post tags")
        constraints = [
            models.UniqueConstraint(
                fields=["content_object", "tag"], name="blog_taggedpost_unique_tag_per_post"
            )
        ]


class PostQuerySet(models.QuerySet):
    def published(self):
        """Posts anyone may read: published, with a publish date that has come."""
        return self.filter(status=Post.Status.PUBLISHED, publish_at__lte=timezone.now())

    def readable_by(self, user):
        """Posts whose community rules let ``user`` read them, whatever their status.

        A post outside any community, or a public post of a public community,
        is for everyone; any other community post only for the community's
        active members.
        """
        open_to_all = Q(community__isnull=True) | Q(
            visibility=Post.Visibility.PUBLIC, community__visibility=Community.Visibility.PUBLIC
        )
        if user is None or not user.is_authenticated:
            return self.filter(open_to_all)
        return self.filter(
            open_to_all | Q(community__in=Membership.objects.active().filter(member=user).values("community"))
        )

    def visible_to(self, user):
        """Everything ``user`` may open. The one rule every page, feed and count goes through.

        Readers see published posts they may read; authors also see their own
        drafts; editors (staff) see everything, drafts and members-only posts
        included.
        """
        if user is not None and user.is_authenticated:
            if user.is_staff:
                return self.all()
            return self.readable_by(user).filter(
                Q(status=Post.Status.PUBLISHED, publish_at__lte=timezone.now()) | Q(author=user)
            )
        return self.readable_by(user).published()

    def next_publication_time(self) -> float:
        """When the next scheduled post comes due, as a timestamp (``NO_SCHEDULED_POST`` if none)."""
        moment = (
            self.filter(status=Post.Status.PUBLISHED, publish_at__gt=timezone.now())
            .order_by("publish_at")
            .values_list("publish_at", flat=True)
            .first()
        )
        return moment.timestamp() if moment else NO_SCHEDULED_POST

    def with_list_data(self):
        """What a list of post cards shows: author, categories and tags, in three queries."""
        return self.select_related("author", "community").prefetch_related("categories", "tags")

    def _count(self):
        """``SELECT COUNT(*)`` of this queryset, as an uncorrelated scalar subquery.

        The database runs such a subquery once per statement, however many
        rows (or correlated subqueries) use its value.
        """
        counted = self.order_by().values(n=Func(F("pk"), function="COUNT", output_field=IntegerField()))
        return Subquery(counted, output_field=IntegerField())


def reading_scope(user) -> str:
    """A key for the published posts ``user`` may read: equal keys, equal ``visible_to(user).published()``.

    Visitors share "public" and editors "all"; a member's scope is the set of
    communities they are active in (one query, remembered on the user object
    for the rest of the request). Cached fragments that depend on what the
    reader may see (previous/next and related posts) are keyed by it.
    """
    if user is None or not user.is_authenticated:
        return "public"
    if user.is_staff:
        return "all"
    ids = getattr(user, "_active_community_ids", None)
    if ids is None:
        ids = sorted(Membership.objects.active().filter(member=user).values_list("community_id", flat=True))
        user._active_community_ids = ids
    return "member:" + ",".join(map(str, ids))


class Post(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        PUBLISHED = "published", _("Published")

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Everyone")
        MEMBERS = "members", _("Community members only")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"),
        max_length=200,
        unique=True,
        blank=True,
        help_text=_("The last part of the post's address. Left empty, it is made from the title."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.PROTECT,
        related_name="posts",
    )
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), related_name="posts")
    tags = TaggableManager(_("tags"), through=TaggedPost, blank=True)
    excerpt = models.TextField(
        _("excerpt"), blank=True, help_text=_("A short summary shown in lists, in Markdown.")
    )
    excerpt_html = models.TextField(editable=False, blank=True)
    body = models.TextField(_("body"), help_text=_("The post itself, in Markdown."))
    body_html = models.TextField(editable=False, blank=True)
    cover = models.ImageField(
        _("cover image"), upload_to=cover_upload_to, blank=True, validators=[cover_validator], db_index=True
    )
    cover_thumbnail = models.ImageField(
        upload_to="covers/thumbnails/%Y/%m/", blank=True, editable=False, db_index=True
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    publish_at = models.DateTimeField(
        _("publish date"),
        default=timezone.now,
        db_index=True,
        help_text=_("A date in the future schedules the post: it stays hidden until then."),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="posts",
        help_text=_("Leave empty for a post of the whole portal."),
    )
    visibility = models.CharField(
        _("who can read it"),
        max_length=10,
        choices=Visibility.choices,
        default=Visibility.PUBLIC,
        help_text=_("Members-only posts are seen only by the members of their community."),
    )
    language = models.CharField(
        _("language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        default="",
        help_text=_("The language it is written in; blank means the site's default language."),
    )
    comments_open = models.BooleanField(_("comments open"), default=True)
    featured = models.BooleanField(
        _("featured"), default=False, help_text=_("Featured posts are shown at the top of the home page.")
    )
    featured_order = models.PositiveSmallIntegerField(
        _("featured order"), default=0, help_text=_("Lower numbers come first among featured posts.")
    )
    wp_id = models.PositiveBigIntegerField(
        _("WordPress ID"),
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_("The post's ID in the WordPress blog it was imported from: ?p=<id> links redirect here."),
    )
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True, editable=False)
    comment_count = models.PositiveIntegerField(
        _("approved comments"),
        default=0,
        editable=False,
        help_text=_("Kept up to date by the comments app, like WordPress's comment_count."),
    )
    # Folded copies of the text for the search index (see blog/search.py): filled by
    # save() and, for the tags, whenever they change; the database indexes them.
    search_title = models.TextField(editable=False, blank=True, default="")
    search_tags = models.TextField(editable=False, blank=True, default="")
    search_excerpt = models.TextField(editable=False, blank=True, default="")
    search_body = models.TextField(editable=False, blank=True, default="")

    # Revision history (who changed what and when; revert from the admin). The
    # derived HTML, search and count fields are left out: they follow the source.
    history = HistoricalRecords(
        excluded_fields=[
            "body_html",
            "excerpt_html",
            "comment_count",
            "search_title",
            "search_tags",
            "search_excerpt",
            "search_body",
            "cover_thumbnail",
        ],
        # simple-history's own name ("historical post") is not translatable.
        verbose_name=_("post revision"),
        verbose_name_plural=_("post revisions"),
    )

    objects = PostQuerySet.as_manager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ["-publish_at", "-id"]
        # Editors publish; other staff authors may only submit posts for review.
        permissions = [("publish_post", _("Can publish posts"))]
        indexes = [
            models.Index(fields=["status", "-publish_at"], name="blog_post_status_publish"),
            # A community's page: its few posts among thousands, found without walking the date index.
            models.Index(fields=["community", "status", "-publish_at"], name="blog_post_community_list"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "review", "published"]), name="blog_post_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(visibility="public") | Q(community__isnull=False),
                name="blog_post_members_only_needs_community",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Post, slugify(self.title) or "untitled", exclude_pk=self.pk)
        self.render()
        self.fill_search_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"title", "excerpt", "body"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *SEARCH_FIELDS}
        reencode_with_thumbnail(
            self,
            "cover",
            "cover_thumbnail",
            size=1600,
            thumbnail_size=480,
            max_pixels=settings.COVER_MAX_PIXELS,
        )
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        local = timezone.localtime(self.publish_at)
        return reverse(
            "blog:post",
            kwargs={"year": local.year, "month": local.month, "day": local.day, "slug": self.slug},
        )

    @property
    def content_language(self) -> str:
        """The language it is written in: its own, or the site's default (LANGUAGE_CODE) when blank."""
        return self.language or settings.LANGUAGE_CODE

    @property
    def is_published(self):
        return self.status == self.Status.PUBLISHED and self.publish_at <= timezone.now()

    @property
    def is_scheduled(self):
        return self.status == self.Status.PUBLISHED and self.publish_at > timezone.now()

    @property
    def is_draft(self):
        return self.status == self.Status.DRAFT

    @property
    def is_in_review(self):
        return self.status == self.Status.REVIEW

    def render(self):
        self.body_html = render_markdown(self.body)
        self.excerpt_html = render_markdown(self.excerpt)

    def fill_search_fields(self):
        """Fold the title, tags, excerpt and body into the ``search_*`` fields the index reads.

        The tag names are read again for a saved post (one query), so that a
        save never writes back tags older than the ones in the database.
        """
        from .search import post_search_fields, post_tag_names  # blog.search imports this module

        fields = post_search_fields(
            title=self.title,
            excerpt_html=self.excerpt_html,
            body_html=self.body_html,
            tag_names=post_tag_names(self.pk) if self.pk else (),
        )
        for name, value in fields.items():
            setattr(self, name, value)

    def refresh_search_tags(self):
        """Fold the post's current tag names into ``search_tags``, in memory and in the database."""
        from .search import post_tag_names, tags_index_text

        self.search_tags = tags_index_text(post_tag_names(self.pk))
        Post.objects.filter(pk=self.pk).update(search_tags=self.search_tags)


SEARCH_FIELDS = ("search_title", "search_tags", "search_excerpt", "search_body")


def post_tags_changed(sender, instance, action, **kwargs):
    """Keep ``Post.search_tags`` in step with the post's tags, whoever sets them (forms, admin, code).

    Bulk inserts of ``TaggedPost`` send no signal: they fill ``search_tags`` themselves.
    """
    if action in {"post_add", "post_remove", "post_clear"} and isinstance(instance, Post):
        instance.refresh_search_tags()


models.signals.m2m_changed.connect(post_tags_changed, sender=TaggedPost, dispatch_uid="blog_post_search_tags")


class FollowQuerySet(models.QuerySet):
    def of(self, member):
        return self.filter(follower=member)


class Follow(models.Model):
    """A member following a category, a tag, another member or a community.

    One row per follow with a typed, nullable foreign key per kind of target
    (exactly one set, enforced by a check constraint) rather than a generic
    relation: the database keeps the references valid and deletes follows
    with their target, and "posts from what I follow" is a plain join on
    indexed columns.
    """

    follower = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("follower"), on_delete=models.CASCADE, related_name="follows"
    )
    category = models.ForeignKey(
        Category,
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    tag = models.ForeignKey(
        "taggit.Tag", verbose_name=_("tag"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="followers",
    )
    community = models.ForeignKey(
        Community,
        verbose_name=_("community"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FollowQuerySet.as_manager()

    TARGETS = ("category", "tag", "member", "community")

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(category__isnull=False, tag__isnull=True, member__isnull=True, community__isnull=True)
                    | Q(category__isnull=True, tag__isnull=False, member__isnull=True, community__isnull=True)
                    | Q(category__isnull=True, tag__isnull=True, member__isnull=False, community__isnull=True)
                    | Q(category__isnull=True, tag__isnull=True, member__isnull=True, community__isnull=False)
                ),
                name="blog_follow_exactly_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=["follower", target],
                    condition=Q(**{f"{target}__isnull": False}),
                    name=f"blog_follow_once_per_{target}",
                )
                for target in ("category", "tag", "member", "community")
            ),
        ]

    def __str__(self):
        return f"{self.follower} → {self.target}"

    @property
    def target(self):
        return self.category or self.tag or self.member or self.community


class TagRedirect(models.Model):
    """An old address of a tag: the slug of a tag merged into ``tag``, or ``tag``'s slug before a change.

    The tag page (and its feeds) at ``old_slug`` answers with a permanent
    redirect to ``tag``'s page, so links and bookmarks to a merged spelling
    keep working. A live tag with the same slug wins over the record. When
    ``tag`` is merged in turn its records move to the tag kept then
    (``blog.services.merge_tags``); when it is deleted they go with it.
    """

    old_slug = models.SlugField(_("old slug"), max_length=100, unique=True, allow_unicode=True)
    tag = models.ForeignKey(
        "taggit.Tag", verbose_name=_("tag"), on_delete=models.CASCADE, related_name="redirects"
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("tag redirect")
        verbose_name_plural = _("tag redirects")

    def __str__(self):
        return f"{self.old_slug} → {self.tag_id}"

    @classmethod
    def target_of(cls, slug):
        """The tag that ``slug`` is an old address of, or None."""
        moved = cls.objects.filter(old_slug=slug).select_related("tag").first()
        return moved.tag if moved is not None else None


class Page(models.Model):
    """A site page (About, Contact, …) at its own path, as WordPress pages are; pages nest under a parent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent page"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    path = models.CharField(_("path"), max_length=500, unique=True, editable=False)
    body = models.TextField(_("body"), blank=True, help_text=_("In Markdown (HTML is kept, sanitized)."))
    body_html = models.TextField(editable=False, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    menu_order = models.IntegerField(_("menu order"), default=0)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    wp_id = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("page")
        verbose_name_plural = _("pages")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "published"]), name="blog_page_status_valid"
            )
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.slug = self.slug or slugify(self.title)[:200] or "page"
        self.path = f"{self.parent.path}{self.slug}/" if self.parent_id else f"{self.slug}/"
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:page", kwargs={"path": self.path.rstrip("/")})


class LearningPath(models.Model):
    """An editor-curated, ordered sequence of posts, e.g. "From individual to organizational learning"."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    description = models.TextField(_("description"), blank=True, help_text=_("In Markdown."))
    description_html = models.TextField(editable=False, blank=True)
    published = models.BooleanField(_("published"), default=False)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("learning path")
        verbose_name_plural = _("learning paths")
        ordering = ["title"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.description_html = render_markdown(self.description)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("blog:learning_path", kwargs={"slug": self.slug})


class LearningPathStep(models.Model):
    class Stage(models.TextChoices):
        DEPENDENCE = "dependence", _("Dependence")
        INDEPENDENCE = "independence", _("Independence")
        INTERDEPENDENCE = "interdependence", _("Interdependence")

    path = models.ForeignKey(
        LearningPath, verbose_name=_("learning path"), on_delete=models.CASCADE, related_name="steps"
    )
    post = models.ForeignKey(
        Post, verbose_name=_("post"), on_delete=models.CASCADE, related_name="path_steps"
    )
    order = models.PositiveIntegerField(_("order"), default=0, db_index=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)
    note = models.CharField(
        _("note"), max_length=300, blank=True, help_text=_("Why this step, in a sentence.")
    )

    class Meta:
        verbose_name = _("step")
        verbose_name_plural = _("steps")
        ordering = ["path", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["path", "post"], name="blog_step_post_once_per_path")]

    def __str__(self):
        return f"{self.path}: {self.post}"


class StepCompletion(models.Model):
    """A member marked a step of a learning path as done."""

    step = models.ForeignKey(LearningPathStep, on_delete=models.CASCADE, related_name="completions")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="step_completions"
    )
    done_at = models.DateTimeField(_("done at"), auto_now_add=True)

    class Meta:
        verbose_name = _("completed step")
        verbose_name_plural = _("completed steps")
        ordering = ["-done_at"]
        constraints = [models.UniqueConstraint(fields=["step", "member"], name="blog_step_done_once")]

    def __str__(self):
        return f"{self.member} ✓ {self.step}"
