"""The editors' desk for posts and categories.

Editors (the "Editors" group) may change blog, taggit and comments objects and
nothing else: no widget here may depend on the user admin (no autocomplete or
raw-id lookups on ``author``), since editors cannot view members there.

The comments app extends ``PostAdmin`` with a pending-comments column (see
``comments/admin.py``); this module must not import comments.

Publishing needs ``blog.publish_post`` (the Editors group has it): other staff
authors may save drafts and submit them for review, never publish. Every post
keeps a revision history (django-simple-history): who changed what and when,
with a revert from the history page.
"""

from django import forms
from django.contrib import admin
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from core.page_cache import bump_content_version

from .models import Category, Post


class TagFilter(admin.RelatedOnlyFieldListFilter):
    """The tags of the listed posts, under a translated title (taggit's foreign key has no verbose name)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("tag")


class PublicationFilter(admin.SimpleListFilter):
    """Status as readers see it: a published post with a future date is scheduled, not live."""

    title = _("status")
    parameter_name = "publication"

    def lookups(self, request, model_admin):
        return [
            ("draft", _("Draft")),
            ("review", _("In review")),
            ("published", _("Published")),
            ("scheduled", _("Scheduled")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        match self.value():
            case "draft":
                return queryset.filter(status=Post.Status.DRAFT)
            case "review":
                return queryset.filter(status=Post.Status.REVIEW)
            case "published":
                return queryset.filter(status=Post.Status.PUBLISHED, publish_at__lte=now)
            case "scheduled":
                return queryset.filter(status=Post.Status.PUBLISHED, publish_at__gt=now)
        return queryset


PUBLISH_PERMISSION = "blog.publish_post"


def log_bulk_change(request, objects, *, action, fields) -> None:
    """Record one admin ``LogEntry`` per object a bulk action changed.

    ``QuerySet.update()`` (and services that use it) write no history, so the
    actions call this, the way the change form calls ``ModelAdmin.log_change``:
    the objects' History pages and the audit log (``/comments/audit/``) then
    show who changed what, and when.
    """
    objects = list(objects)
    if not objects:
        return
    model = type(objects[0])
    labels = ", ".join(str(capfirst(model._meta.get_field(name).verbose_name)) for name in fields)
    message = _("Changed %(fields)s with the action “%(action)s”.") % {"fields": labels, "action": action}
    LogEntry.objects.log_actions(
        user_id=request.user.pk, queryset=objects, action_flag=CHANGE, change_message=str(message)
    )


def may_publish(user):
    return user.has_perm(PUBLISH_PERMISSION)


class PostChangeList(ChangeList):
    """The post list: only authors who may publish edit featured posts in place."""

    def __init__(self, request, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if not may_publish(request.user):
            self.list_editable = ()


class PostAdminForm(forms.ModelForm):
    """Refuses publishing for authors without ``blog.publish_post``, whatever the POST says.

    ``PostAdmin.get_form`` sets ``may_publish`` and leaves "Published" out of
    the status choices; this check also covers a status that is not in the
    form (read-only) and a revert to a published revision from the history.
    """

    may_publish = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "featured_order" in self.fields:
            self.fields["featured_order"].required = False

    def clean_featured_order(self):
        return self.cleaned_data.get("featured_order") or 0

    def clean(self):
        cleaned_data = super().clean()
        if self.may_publish:
            return cleaned_data
        status = cleaned_data.get("status", self.instance.status)
        if status == Post.Status.PUBLISHED:
            stored = None
            if self.instance.pk is not None:
                stored = Post.objects.filter(pk=self.instance.pk).values_list("status", flat=True).first()
            if stored != Post.Status.PUBLISHED:
                message = _("You may not publish posts: save it as a draft or submit it for review.")
                if "status" in self.fields:
                    self.add_error("status", message)
                else:
                    raise forms.ValidationError(message)
        return cleaned_data


@admin.register(Post)
class PostAdmin(SimpleHistoryAdmin):
    form = PostAdminForm
    # The "Preview on site" link beside History (see the template).
    change_form_template = "admin/blog/post/change_form.html"
    list_display = [
        "title",
        "author",
        "category_names",
        "publication_status",
        "publish_at",
        "approved_comments",
        "featured",
        "featured_order",
    ]
    list_editable = ["featured", "featured_order"]
    history_list_display = ["status"]
    list_select_related = ["author"]
    list_filter = [
        PublicationFilter,
        "categories",
        ("tagged_items__tag", TagFilter),
        ("author", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["title", "body", "excerpt", "author__username", "author__display_name"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created", "updated", "comment_count", "body_preview"]
    actions = ["publish", "submit_for_review", "unpublish", "feature", "unfeature"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "author"]}),
        (_("Content"), {"fields": ["excerpt", "body", "language", "cover"]}),
        (_("Topics"), {"fields": ["categories", "tags"]}),
        (
            _("Publishing"),
            {
                "fields": ["status", "publish_at", "comments_open", "featured", "featured_order"],
                "description": _(
                    "A published post with a publish date in the future is scheduled: "
                    "it appears on the site at that date. Authors who are not editors "
                    "submit their posts for review; an editor publishes them. Featured "
                    "posts are shown at the top of the home page, lowest order first."
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

    def has_publish_permission(self, request):
        # Actions pass with any one of their permissions: this one implies "change".
        return self.has_change_permission(request) and may_publish(request.user)

    def get_changelist(self, request, **kwargs):
        return PostChangeList

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not may_publish(request.user):
            # Choosing what the home page features is the editors' call, and a post
            # already live (or scheduled) stays so until an editor changes it.
            fields += ["featured", "featured_order"]
            if obj is not None and obj.status == Post.Status.PUBLISHED:
                fields += ["status", "publish_at"]
        return fields

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.may_publish = may_publish(request.user)
        if not form.may_publish and "status" in form.base_fields:
            form.base_fields["status"].choices = [
                choice for choice in form.base_fields["status"].choices if choice[0] != Post.Status.PUBLISHED
            ]
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
        return ", ".join(str(category) for category in post.categories.all())  # the default topics translated

    @admin.display(description=_("status"))
    def status(self, post):
        """The status's label, not its stored value: the history page's column (history_list_display
        names admin methods first) and the read-only field."""
        return post.get_status_display()

    @admin.display(description=_("status"), ordering="status")
    def publication_status(self, post):
        # "In review" and "Draft" come from the status's label.
        if post.is_scheduled:
            return _("Scheduled")
        return post.get_status_display()

    @admin.display(description=_("approved comments"), ordering="comment_count")
    def approved_comments(self, post):
        return post.comment_count

    @admin.display(description=_("rendered body"))
    def body_preview(self, post):
        # body_html is the sanitizer's output (see core.markup), the only HTML we mark safe.
        return mark_safe(post.body_html)  # noqa: S308

    def _update_and_log(self, request, queryset, action, **values) -> int:
        """``queryset.update(**values)``, recorded as the change form would record it.

        One LogEntry per post changed (``log_bulk_change``: History in the
        admin, and the audit log) and one revision in the post's history
        (django-simple-history, which ``update()`` bypasses), and cached pages
        invalidated (``update()`` sends no signal: core/page_cache.py).
        """
        ids = list(queryset.values_list("pk", flat=True))
        changed = Post.objects.filter(pk__in=ids).update(**values)
        bump_content_version()
        posts = list(Post.objects.filter(pk__in=ids))
        log_bulk_change(
            request,
            posts,
            action=action.short_description,
            fields=[name for name in values if name != "updated"],
        )
        if posts:
            Post.history.bulk_history_create(
                posts,
                update=True,
                default_user=request.user,
                default_change_reason=str(action.short_description),
            )
        return changed

    @admin.action(description=_("Publish selected posts"), permissions=["publish"])
    def publish(self, request, queryset):
        """Publish drafts and posts in review, keeping their publish dates: a future date stays scheduled."""
        now = timezone.now()
        drafts = queryset.filter(status__in=[Post.Status.DRAFT, Post.Status.REVIEW])
        scheduled = drafts.filter(publish_at__gt=now).count()
        changed = self._update_and_log(
            request, drafts, self.publish, status=Post.Status.PUBLISHED, updated=now
        )
        message = ngettext("%(count)d post was published.", "%(count)d posts were published.", changed)
        message %= {"count": changed}
        if scheduled:
            message += " " + ngettext(
                "%(count)d of them has a publish date in the future and stays scheduled until then.",
                "%(count)d of them have a publish date in the future and stay scheduled until then.",
                scheduled,
            ) % {"count": scheduled}
        self.message_user(request, message)

    @admin.action(description=_("Submit selected drafts for review"), permissions=["change"])
    def submit_for_review(self, request, queryset):
        changed = self._update_and_log(
            request,
            queryset.filter(status=Post.Status.DRAFT),
            self.submit_for_review,
            status=Post.Status.REVIEW,
            updated=timezone.now(),
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d post was submitted for review.",
                "%(count)d posts were submitted for review.",
                changed,
            )
            % {"count": changed},
        )

    @admin.action(description=_("Feature selected posts on the home page"), permissions=["publish"])
    def feature(self, request, queryset):
        changed = self._update_and_log(
            request, queryset.filter(featured=False), self.feature, featured=True, updated=timezone.now()
        )
        self.message_user(
            request,
            ngettext("%(count)d post is now featured.", "%(count)d posts are now featured.", changed)
            % {"count": changed},
        )

    @admin.action(description=_("Stop featuring selected posts"), permissions=["publish"])
    def unfeature(self, request, queryset):
        changed = self._update_and_log(
            request, queryset.filter(featured=True), self.unfeature, featured=False, updated=timezone.now()
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d post is no longer featured.", "%(count)d posts are no longer featured.", changed
            )
            % {"count": changed},
        )

    @admin.action(description=_("Unpublish selected posts (back to draft)"), permissions=["publish"])
    def unpublish(self, request, queryset):
        changed = self._update_and_log(
            request,
            queryset.filter(status=Post.Status.PUBLISHED),
            self.unpublish,
            status=Post.Status.DRAFT,
            updated=timezone.now(),
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
    # Not "posts": a list_display name that is also a relation of the model shows the relation.
    list_display = ["category_name", "slug", "post_count_link"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(post_count=Count("posts", distinct=True))

    @admin.display(description=_("name"), ordering="name")
    def category_name(self, category):
        return str(category)  # the default topics in the reader's language (Category.__str__)

    @admin.display(description=_("posts"), ordering="post_count")
    def post_count_link(self, category):
        url = reverse("admin:blog_post_changelist") + f"?categories__id__exact={category.pk}"
        return format_html('<a href="{}">{}</a>', url, category.post_count)


from . import admin_paths, admin_tags  # noqa: E402,F401
