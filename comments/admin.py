"""Comment moderation in the admin, and the pending-comments column of the post list.

Every status change goes through ``comments.services`` so that the moderator,
the moderation time and ``Post.comment_count`` stay right.
"""

from django.contrib import admin
from django.contrib.auth import get_permission_codename, get_user_model
from django.db import transaction
from django.db.models import Count, Q
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
from blog.admin import PostAdmin
from blog.models import Post

from .models import Comment
from .services import comment_moderate, comments_moderate, refresh_comment_counts


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["author_name", "excerpt", "post_link", "status", "created", "moderated_by"]
    list_select_related = ["post", "moderated_by"]
    # Only posts that have comments, not every post on the site.
    list_filter = ["status", ("post", admin.RelatedOnlyFieldListFilter), "created"]
    search_fields = ["author_name", "author_email", "body", "post__title"]
    date_hierarchy = "created"
    autocomplete_fields = ["post"]
    raw_id_fields = ["author"]
    readonly_fields = ["created", "moderated_by", "moderated_at"]
    fieldsets = [
        (None, {"fields": ["post", "body", "status"]}),
        (_("Author"), {"fields": ["author", "author_name", "author_email", "author_url"]}),
        (_("Moderation"), {"fields": ["created", "moderated_by", "moderated_at"]}),
    ]
    actions = ["approve", "reject", "mark_spam"]

    # Editors may not open the user admin: for them, members are shown as plain
    # names rather than as a raw-id lookup or links that would answer 403.
    member_displays = {"author": "author_member", "moderated_by": "moderator"}

    def may_view_members(self, request):
        opts = get_user_model()._meta
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('view', opts)}")

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

    @admin.display(description=_("comment"))
    def excerpt(self, comment):
        return Truncator(comment.body).chars(80)

    @admin.display(description=_("post"), ordering="post__title")
    def post_link(self, comment):
        url = reverse("admin:blog_post_change", args=[comment.post_id])
        return format_html('<a href="{}">{}</a>', url, comment.post.title)

    # --- Moderation actions -------------------------------------------------

    def _moderate(self, request, queryset, status, message):
        changed = comments_moderate(comments=queryset, status=status, moderator=request.user)
        self.message_user(request, message(changed) % {"count": changed})

    @admin.action(description=_("Approve selected comments"), permissions=["change"])
    def approve(self, request, queryset):
        self._moderate(
            request,
            queryset,
            Comment.Status.APPROVED,
            lambda n: ngettext("%(count)d comment was approved.", "%(count)d comments were approved.", n),
        )

    @admin.action(description=_("Reject selected comments"), permissions=["change"])
    def reject(self, request, queryset):
        self._moderate(
            request,
            queryset,
            Comment.Status.REJECTED,
            lambda n: ngettext("%(count)d comment was rejected.", "%(count)d comments were rejected.", n),
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
