"""The editors' desk for learning paths, site pages and the category hierarchy.

Imported at the end of ``blog/admin.py``. Steps of a path are edited in a
table ordered by their ``order`` column; on save the steps are renumbered
10, 20, 30… so an editor can put a step between two others by giving it,
say, 15. The category admin of ``blog/admin.py`` is extended (not replaced)
with the parent category.
"""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.db.models import Count
from django.urls import Resolver404, resolve
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .admin import CategoryAdmin
from .models import Category, LearningPath, LearningPathStep, Page
from .views.posts import CategoryPostsView

STEP_SPACING = 10


class LearningPathStepInline(admin.TabularInline):
    model = LearningPathStep
    fields = ["order", "post", "stage", "note"]
    ordering = ["order", "id"]
    autocomplete_fields = ["post"]
    extra = 1


@admin.register(LearningPath)
class LearningPathAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "published", "step_count", "updated"]
    list_filter = ["published"]
    search_fields = ["title", "description"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "description", "published"]
    inlines = [LearningPathStepInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(step_total=Count("steps"))

    @admin.display(description=_("steps"), ordering="step_total")
    def step_count(self, learning_path):
        return learning_path.step_total

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        renumber_steps(form.instance)


def renumber_steps(learning_path):
    """Number the path's steps 10, 20, 30… in their current order (one UPDATE per moved step)."""
    with transaction.atomic():
        steps = list(learning_path.steps.order_by("order", "id"))
        moved = []
        for position, step in enumerate(steps, 1):
            if step.order != position * STEP_SPACING:
                step.order = position * STEP_SPACING
                moved.append(step)
        LearningPathStep.objects.bulk_update(moved, ["order"])


class PageAdminForm(forms.ModelForm):
    class Meta:
        model = Page
        fields = ["title", "slug", "parent", "body", "status", "menu_order"]

    def clean(self):
        cleaned = super().clean()
        slug, parent = cleaned.get("slug"), cleaned.get("parent")
        if not slug:
            return cleaned
        path = f"{parent.path}{slug}/" if parent else f"{slug}/"
        if Page.objects.filter(path=path).exclude(pk=self.instance.pk).exists():
            self.add_error("slug", _("Another page already has the address /%(path)s.") % {"path": path})
            return cleaned
        # A page at an address the site already uses (a year, category/, paths/…) could never be seen.
        try:
            match = resolve(f"/{path}")
        except Resolver404:
            match = None
        if match is None or match.url_name != "page":
            self.add_error("slug", _("The address /%(path)s is taken by the site itself.") % {"path": path})
        return cleaned


@admin.register(Page)
class PageAdmin(admin.ModelAdmin):
    form = PageAdminForm
    list_display = ["title", "path", "status", "menu_order", "preview"]
    list_filter = ["status"]
    search_fields = ["title", "body", "path"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["path", "preview"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "parent", "path"]}),
        (_("Content"), {"fields": ["body"]}),
        (_("Publishing"), {"fields": ["status", "menu_order", "preview"]}),
    ]

    @admin.display(description=_("preview"))
    def preview(self, page):
        if not page.pk:
            return "—"
        label = _("View") if page.status == Page.Status.PUBLISHED else _("Preview draft")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', page.get_absolute_url(), label
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "parent" in form.base_fields and obj is not None:
            # A page cannot go under itself or one of its own subpages.
            form.base_fields["parent"].queryset = Page.objects.exclude(path__startswith=obj.path)
        return form

    def save_model(self, request, obj, form, change):
        old_path = Page.objects.filter(pk=obj.pk).values_list("path", flat=True).first() if change else None
        super().save_model(request, obj, form, change)
        if old_path and old_path != obj.path:
            # The subpages move with their parent: re-save them, parents before children.
            for page in sorted(
                Page.objects.filter(path__startswith=old_path).exclude(pk=obj.pk), key=lambda p: len(p.path)
            ):
                page.save()


admin.site.unregister(Category)


@admin.register(Category)
class CategoryTreeAdmin(CategoryAdmin):
    """``blog.admin.CategoryAdmin`` with WordPress's hierarchy: an optional parent category."""

    list_display = [*CategoryAdmin.list_display[:2], "parent", *CategoryAdmin.list_display[2:]]
    list_select_related = ["parent"]
    list_filter = [("parent", admin.RelatedOnlyFieldListFilter)]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "parent" in form.base_fields and obj is not None:
            # Not under itself nor under one of its own subcategories.
            pairs = Category.objects.values_list("pk", "parent_id")
            form.base_fields["parent"].queryset = Category.objects.exclude(
                pk__in=CategoryPostsView.descendant_ids(obj.pk, pairs)
            )
        return form
