"""Comment moderation in the admin, and the pending-comments column of the post list.

Every status change goes through ``comments.services`` so that the moderator,
the moderation time and ``Post.comment_count`` stay right.
"""

from django.contrib import admin
from django.contrib.auth import get_permission_codename, get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

# Importing blog.admin registers blog's PostAdmin before it is replaced below,
# whatever order admin.autodiscover() visits the apps in. INSTALLED_APPS lists
# comments after blog all the same: comments depends on blog (never the
# reverse), so autodiscover imports blog.admin first and this module last,
# and the Post admin that ends up registered is PostWithCommentsAdmin.
from blog.admin import PostAdmin, log_bulk_change
from blog.models import Post

from .models import Comment, CommentFlag, DiscussionSettings, ModerationEvent
from .services import comment_moderate, comments_moderate, flags_dismiss, refresh_comment_counts


def member_name(member):
    """A member as a plain name: editors may not open the user admin."""
    return member.public_name if member is not None else None


class SentBackFilter(admin.SimpleListFilter):
    title = _("sent back to the author")
    parameter_name = "sent_back"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(returned_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(returned_at__isnull=True)
        return queryset


class OpenFlagsFilter(admin.SimpleListFilter):
    title = _("open flags")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        open_flags = Exists(CommentFlag.objects.filter(comment=OuterRef("pk"), dismissed_at__isnull=True))
        if self.value() == "yes":
            return queryset.filter(open_flags)
        if self.value() == "no":
            return queryset.filter(~open_flags)
        return queryset


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CommentFlagInline(ReadOnlyInline):
    """Members' flags on the comment; dismiss them from the site queue or the flags list."""

    model = CommentFlag
    fk_name = "comment"
    fields = ["created", "member", "reason", "note", "dismissed_at", "dismissed_by_name"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("flagged_by", "dismissed_by")

    @admin.display(description=_("flagged by"))
    def member(self, flag):
        return member_name(flag.flagged_by)

    @admin.display(description=_("dismissed by"))
    def dismissed_by_name(self, flag):
        return member_name(flag.dismissed_by)


class ModerationEventInline(ReadOnlyInline):
    """The audit trail: who did what to the comment, and when. It cannot be edited."""

    model = ModerationEvent
    fields = ["created", "actor_name", "action", "status_change", "note"]
    readonly_fields = fields
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("by"))
    def actor_name(self, event):
        return member_name(event.actor) or "—"

    @admin.display(description=_("status"))
    def status_change(self, event):
        if not (event.from_status or event.to_status):
            return ""
        labels = dict(Comment.Status.choices)

        def label(status):
            return labels.get(status, status) or "—"

        return f"{label(event.from_status)} → {label(event.to_status)}"


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = [
        "author_name",
        "excerpt",
        "post_link",
        "status",
        "hold_reason",
        "sent_back",
        "created",
        "moderated_by",
    ]
    list_select_related = ["post", "moderated_by"]
    # Only posts that have comments, not every post on the site.
    list_filter = [
        "status",
        "hold_reason",
        SentBackFilter,
        OpenFlagsFilter,
        ("post", admin.RelatedOnlyFieldListFilter),
        "created",
    ]
    search_fields = ["author_name", "author_email", "body", "post__title"]
    date_hierarchy = "created"
    autocomplete_fields = ["post"]
    raw_id_fields = ["author"]
    readonly_fields = [
        "created",
        "moderated_by",
        "moderated_at",
        "hold_reason",
        "hold_detail",
        "returned_at",
        "returned_note",
        "removed_at",
        "removed_by",
        "removal_reason",
    ]
    fieldsets = [
        (None, {"fields": ["post", "body", "language", "status"]}),
        (_("Author"), {"fields": ["author", "author_name", "author_email", "author_url"]}),
        (
            _("Moderation"),
            {
                "fields": [
                    "created",
                    "moderated_by",
                    "moderated_at",
                    "hold_reason",
                    "hold_detail",
                    "returned_at",
                    "returned_note",
                    "removed_at",
                    "removed_by",
                    "removal_reason",
                ]
            },
        ),
    ]
    inlines = [CommentFlagInline, ModerationEventInline]
    actions = ["approve", "reject", "mark_spam"]
    # Adds a link to the moderation queue on the site above the list.
    change_list_template = "comments/moderation/admin_comment_change_list.html"

    # Editors may not open the user admin: for them, members are shown as plain
    # names rather than as a raw-id lookup or links that would answer 403.
    member_displays = {"author": "author_member", "moderated_by": "moderator", "removed_by": "remover"}

    def may_view_members(self, request):
        opts = get_user_model()._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('view', opts)}")

    def get_inlines(self, request, obj):
        # A comment being added has no flags or history yet.
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if self.may_view_members(request):
            return fieldsets
        return [
            (name, {**options, "fields": [self.member_displays.get(f, f) for f in options["fields"]]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if self.may_view_members(request):
            return fields
        return [*(self.member_displays.get(f, f) for f in fields), "author_member"]

    @admin.display(description=_("author"))
    def author_member(self, comment):
        return comment.author.public_name if comment.author_id else None

    @admin.display(description=_("moderated by"))
    def moderator(self, comment):
        return comment.moderated_by.public_name if comment.moderated_by_id else None

    @admin.display(description=_("removed by"))
    def remover(self, comment):
        return comment.removed_by.public_name if comment.removed_by_id else None

    @admin.display(description=_("sent back"), boolean=True, ordering="returned_at")
    def sent_back(self, comment):
        return comment.returned_at is not None

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        return Truncator(comment.body).chars(80)

    @admin.display(description=_("post"), ordering="post__title")
    def post_link(self, comment):
        url = reverse("admin:blog_post_change", args=[comment.post_id])
        return format_html('<a href="{}">{}</a>', url, comment.post.title)

    # --- Moderation actions -------------------------------------------------

    def _moderate(self, request, queryset, status, message, action):
        candidates = list(queryset.exclude(status=status).values_list("pk", flat=True))
        changed = comments_moderate(comments=queryset, status=status, moderator=request.user)
        if changed:
            # The service records a ModerationEvent per comment; the admin's own history gets a LogEntry.
            log_bulk_change(
                request,
                Comment.objects.filter(
                    pk__in=candidates, status=status, moderated_by=request.user
                ).select_related("post"),
                action=action.short_description,
                fields=["status"],
            )
        self.message_user(request, message(changed) % {"count": changed})

    @admin.action(description=_("Approve selected comments"), permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(
            request,
            queryset,
            Comment.Status.APPROVED,
            lambda n: ngettext("%(count)d comment was approved.", "%(count)d comments were approved.", n),
            self.approve,
        )

    @admin.action(description=_("Reject selected comments"), permissions=["change"])
    def reject(self, request, queryset):
        self._moderate(
            request,
            queryset,
            Comment.Status.REJECTED,
            lambda n: ngettext("%(count)d comment was rejected.", "%(count)d comments were rejected.", n),
            self.reject,
        )

    @admin.action(description=_("Mark selected comments as spam"), permissions=["change"])
    def mark_spam(self, request, queryset):
        self._moderate(
            request,
            queryset,
            Comment.Status.SPAM,
            lambda n: ngettext(
                "%(count)d comment was marked as spam.", "%(count)d comments were marked as spam.", n
            ),
            self.mark_spam,
        )

    # --- Keeping moderation records and Post.comment_count right -------------

    def save_model(self, request, obj, form, change):
        if not change:
            if obj.status != Comment.Status.PENDING:
                obj.moderated_by, obj.moderated_at = request.user, timezone.now()
            super().save_model(request, obj, form, change)
            refresh_comment_counts(post_ids=[obj.post_id])
            return

        new_status = obj.status
        status_changed = "status" in form.changed_data
        if status_changed:
            # Save the other edits under the old status; the service then
            # changes it, recording the moderator and recounting the post.
            obj.status = form.initial["status"]
        super().save_model(request, obj, form, change)
        if status_changed:
            comment_moderate(comment=obj, status=new_status, moderator=request.user)
        if "post" in form.changed_data:
            # A comment moved to another post counts there, not on its old post.
            refresh_comment_counts(post_ids={form.initial["post"], obj.post_id})

    def delete_model(self, request, obj):
        post_id = obj.post_id
        with transaction.atomic():
            super().delete_model(request, obj)
            refresh_comment_counts(post_ids=[post_id])

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            post_ids = set(queryset.values_list("post_id", flat=True))
            super().delete_queryset(request, queryset)
            refresh_comment_counts(post_ids=post_ids)


class DismissedFilter(admin.SimpleListFilter):
    title = _("dismissed")
    parameter_name = "dismissed"

    def lookups(self, request, model_admin):
        return [("no", _("Open")), ("yes", _("Dismissed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(dismissed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(dismissed_at__isnull=True)
        return queryset


@admin.register(CommentFlag)
class CommentFlagAdmin(admin.ModelAdmin):
    """Members' flags. They are raised on the site, never added here; dismissing goes through the service."""

    list_display = ["comment_link", "member", "reason", "created", "dismissed"]
    list_filter = [DismissedFilter, "reason", "created"]
    search_fields = ["note", "comment__body", "comment__author_name"]
    date_hierarchy = "created"
    fields = ["comment_link", "member", "reason", "note", "created", "dismissed_at", "dismissed_by_name"]
    readonly_fields = fields
    actions = ["dismiss"]

    def get_queryset(self, request):
        # The changelist skips list_select_related when the queryset already selects related rows.
        return super().get_queryset(request).select_related("comment__post", "flagged_by", "dismissed_by")

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("comment"), ordering="comment__created")
    def comment_link(self, flag):
        return format_html(
            '<a href="{}">{}</a>', flag.comment.get_admin_url(), Truncator(flag.comment.body).chars(60) or "—"
        )

    @admin.display(description=_("flagged by"), ordering="flagged_by__username")
    def member(self, flag):
        return member_name(flag.flagged_by)

    @admin.display(description=_("dismissed by"))
    def dismissed_by_name(self, flag):
        return member_name(flag.dismissed_by)

    @admin.display(description=_("dismissed"), boolean=True, ordering="dismissed_at")
    def dismissed(self, flag):
        return flag.dismissed_at is not None

    @admin.action(description=_("Dismiss all open flags on these comments"), permissions=["change"])
    def dismiss(self, request, queryset):
        open_flags = list(
            CommentFlag.objects.filter(
                comment_id__in=queryset.values("comment_id"), dismissed_at__isnull=True
            ).values_list("pk", flat=True)
        )
        changed = flags_dismiss(
            comments=Comment.objects.filter(pk__in=queryset.values("comment_id")), moderator=request.user
        )
        if changed:
            log_bulk_change(
                request,
                CommentFlag.objects.filter(
                    pk__in=open_flags, dismissed_by=request.user, dismissed_at__isnull=False
                ),
                action=self.dismiss.short_description,
                fields=["dismissed_at"],
            )
        self.message_user(
            request,
            ngettext(
                "Flags dismissed on %(count)d comment.", "Flags dismissed on %(count)d comments.", changed
            )
            % {"count": changed},
        )


@admin.register(DiscussionSettings)
class DiscussionSettingsAdmin(admin.ModelAdmin):
    """The one row of discussion rules: the list opens it, and it can be neither added twice nor deleted."""

    fieldsets = [
        (
            _("Holding comments"),
            {"fields": ["hold_first_comment", "max_links", "moderation_words", "disallowed_words"]},
        ),
        (_("Flags"), {"fields": ["flags_to_hide"]}),
        (
            _("Discussions"),
            {
                "fields": [
                    "close_after_days",
                    "edit_window_minutes",
                    "thread_depth",
                    "comments_per_page",
                    "newest_first",
                ]
            },
        ),
        (_("Limits"), {"fields": ["rate_per_minute", "rate_per_day", "min_seconds_to_post"]}),
        (_("Editors' email"), {"fields": ["digest_minutes"]}),
    ]

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not DiscussionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        settings_row = DiscussionSettings.load()
        return redirect(reverse("admin:comments_discussionsettings_change", args=[settings_row.pk]))


if admin.site.is_registered(Post):
    admin.site.unregister(Post)


@admin.register(Post)
class PostWithCommentsAdmin(PostAdmin):
    """Blog's post admin plus a column of comments awaiting moderation, linked to the queue."""

    list_display = [*PostAdmin.list_display, "pending_comments"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_comment_count=Count(
                    "comments", filter=Q(comments__status=Comment.Status.PENDING), distinct=True
                )
            )
        )

    @admin.display(description=_("pending"), ordering="pending_comment_count")
    def pending_comments(self, post):
        if not post.pending_comment_count:
            return 0
        url = reverse("admin:comments_comment_changelist") + (
            f"?post__id__exact={post.pk}&status__exact={Comment.Status.PENDING}"
        )
        return format_html('<a href="{}">{}</a>', url, post.pending_comment_count)
