"""The editors' desk for tags: how many posts carry each, and merging two spellings of one topic.

Imported at the end of ``blog/admin.py``. It replaces taggit's own tag admin,
whose inline edits taggit's generic tagged items (the portal's posts use
``TaggedPost``) and whose merge view moved only those generic items and spoke
English only. Here, "Merge selected tags" asks which of the selected tags to
keep, on a confirmation page, then ``blog.services.merge_tags`` moves the
posts and the followers onto it; the merged tags' addresses redirect to it. A
tag whose slug is changed here keeps its old address as a redirect too.
"""

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from taggit.models import Tag

from .models import TagRedirect
from .services import merge_tags

admin.site.unregister(Tag)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "post_count_link"]
    ordering = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    actions = ["merge_selected_tags"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(post_count=Count("blog_taggedpost_items", distinct=True))
        )

    @admin.display(description=gettext_lazy("posts"), ordering="post_count")
    def post_count_link(self, tag):
        url = reverse("admin:blog_post_changelist") + f"?tagged_items__tag__id__exact={tag.pk}"
        return format_html('<a href="{}">{}</a>', url, tag.post_count)

    def save_model(self, request, obj, form, change):
        # A new slug is a new address: the old one leads to the tag (blog.models.TagRedirect).
        old_slug = form.initial.get("slug") if change else None
        super().save_model(request, obj, form, change)
        if old_slug and old_slug != obj.slug:
            TagRedirect.objects.update_or_create(old_slug=old_slug, defaults={"tag": obj})
            TagRedirect.objects.filter(old_slug=obj.slug).delete()

    def has_merge_permission(self, request):
        # An action's permissions are alternatives; a merge changes one tag and deletes the others.
        return self.has_change_permission(request) and self.has_delete_permission(request)

    @admin.action(description=gettext_lazy("Merge selected tags"), permissions=["merge"])
    def merge_selected_tags(self, request, queryset):
        tags = list(queryset.order_by("-post_count", "name"))
        if len(tags) < 2:
            self.message_user(request, _("Select at least two tags to merge."), messages.WARNING)
            return None
        chosen = request.POST.get("into", "")
        kept = next((tag for tag in tags if str(tag.pk) == chosen), None)
        error = ""
        if request.POST.get("post") == "yes":
            if kept is not None:
                merged = [tag for tag in tags if tag.pk != kept.pk]
                post_ids = merge_tags(into=kept, tags=merged)
                names = ", ".join(f"“{tag.name}”" for tag in merged)
                self.log_change(request, kept, _("Merged %(names)s into this tag.") % {"names": names})
                self.message_user(
                    request,
                    ngettext(
                        "%(names)s merged into “%(tag)s”: %(count)d post changed.",
                        "%(names)s merged into “%(tag)s”: %(count)d posts changed.",
                        len(post_ids),
                    )
                    % {"names": names, "tag": kept.name, "count": len(post_ids)},
                    messages.SUCCESS,
                )
                return None
            error = _("Choose the tag to keep.")
        return TemplateResponse(
            request,
            "admin/taggit/tag/merge_tags.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge tags"),
                "opts": self.model._meta,
                "tags": tags,
                "kept": kept or tags[0],
                "error": error,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
