"""The editors' desk for posts and categories.

Editors (the "Editors" group) may change blog, taggit and comments objects and
nothing else: no widget here may depend on the user admin (no autocomplete or
raw-id lookups on ``author``), since editors cannot view members there.

The comments app extends ``PostAdmin`` with a pending-comments column (see
``comments/admin.py``); this module must not import comments.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import Category, Post


class PublicationFilter(admin.SimpleListFilter):
    """Status as readers see it: a published post with a future date is scheduled, not live."""

    title = _("status")
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("draft", _("Draft")),
            ("published", _("Published")),
            ("scheduled", _("Scheduled")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft":
                return queryset.filter(status=Post.Status.DRAFT)
            case "published":
                return queryset.filter(status=Post.Status.PUBLISHED, publish_at__lte=now)
            case "scheduled":
                return queryset.filter(status=Post.Status.PUBLISHED, publish_at__gt=now)
        return queryset


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "author",
        "category_names",
        "publication_status",
        "publish_at",
        "approved_comments",
    ]
    list_select_related = ["author"]
    list_filter = [
        PublicationFilter,
        "categories",
        ("tagged_items__tag", admin.RelatedOnlyFieldListFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "body", "excerpt", "author__username", "author__display_name"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "updated", "comment_count", "body_preview"]
    actions = ["publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author"]}),
        (_("Content"), {"fields": ["excerpt", "body", "cover"]}),
        (_("Topics"), {"fields": ["categories", "tags"]}),
        (
            _("Publishing"),
            {
                "fields": ["status", "publish_at", "comments_open"],
                "description": _(
                    "A published post with a publish date in the future is scheduled: "
                    "it appears on the site at that date."
                ),
            },
        ),
    ]
    change_fieldsets = [
        (_("Preview and record"), {"fields": ["body_preview", "comment_count", "created", "updated"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("categories")

    def get_fieldsets(self, request, obj=None):
        # The record (created, counts, rendered body) only exists once the post does.
        if obj is None:
            return self.fieldsets
        return [*self.fieldsets, *self.change_fieldsets]

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "author" in form.base_fields:
            # A plain select of active members (editors may not browse the user
            # admin), keeping the current author even if they have left.
            active = Q(is_active=True)
            if obj is not None:
                active |= Q(pk=obj.author_id)
            form.base_fields["author"].queryset = (
                get_user_model()._default_manager.filter(active).order_by("username")
            )
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "categories":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("categories"))
    def category_names(self, post):
        # Prefetched in get_queryset: .all() reads the cache, no query per row.
        return ", ".join(category.name for category in post.categories.all())

    @admin.display(description=_("status"), ordering="status")
    def publication_status(self, post):
        if post.is_scheduled:
            return _("Scheduled")
        return post.get_status_display()

    @admin.display(description=_("approved comments"), ordering="comment_count")
    def approved_comments(self, post):
        return post.comment_count

    @admin.display(description=_("rendered body"))
    def body_preview(self, post):
        # body_html is the sanitizer's output (see portal.markup), the only HTML we mark safe.
        return mark_safe(post.body_html)  # noqa: S308

    @admin.action(description=_("Publish selected posts"), permissions=["change"])
    def publish(self, request, queryset):
        """Publish drafts, keeping their publish dates: a future date stays scheduled."""
        now = timezone.now()
        drafts = queryset.filter(status=Post.Status.DRAFT)
        scheduled = drafts.filter(publish_at__gt=now).count()
        changed = drafts.update(status=Post.Status.PUBLISHED, updated=now)
        message = ngettext("%(count)d post was published.", "%(count)d posts were published.", changed)
        message %= {"count": changed}
        if scheduled:
            message += " " + ngettext(
                "%(count)d of them has a publish date in the future and stays scheduled until then.",
                "%(count)d of them have a publish date in the future and stay scheduled until then.",
                scheduled,
            ) % {"count": scheduled}
        self.message_user(request, message)

    @admin.action(description=_("Unpublish selected posts (back to draft)"), permissions=["change"])
    def unpublish(self, request, queryset):
        changed = queryset.filter(status=Post.Status.PUBLISHED).update(
            status=Post.Status.DRAFT, updated=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d post was moved back to draft.",
                "%(count)d posts were moved back to draft.",
                changed,
            )
            % {"count": changed},
        )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "posts"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts", distinct=True))

    @admin.display(description=_("posts"), ordering="post_count")
    def posts(self, category):
        url = reverse("admin:blog_post_changelist") + f"?categories__id__exact={category.pk}"
        return format_html('<a href="{}">{}</a>', url, category.post_count)
