from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .forms import AdminPasswordChangeForm, AdminUserChangeForm, CommunityAdminForm
from .models import Community, Invitation, Membership, User

# Django stores the names of the built-in permissions in English ("Can add post"), at
# migrate time; these are what the permission pickers show instead, in the reader's language.
BUILT_IN_PERMISSIONS = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission) -> str:
    """ "Discussions | comment | Can add comment", translated: app, model and what it allows."""
    model = permission.content_type.model_class()
    if model is None:  # the model is gone; its rows wait for remove_stale_contenttypes
        return str(permission)
    opts = model._meta
    action, _separator, model_name = permission.codename.partition("_")
    if action in BUILT_IN_PERMISSIONS and model_name == opts.model_name:
        name = BUILT_IN_PERMISSIONS[action] % {"model": opts.verbose_name}
    else:  # a model's own Meta.permissions, whose names are marked for translation
        name = dict(opts.permissions).get(permission.codename) or gettext(permission.name)
    return f"{opts.app_config.verbose_name} | {opts.verbose_name} | {name}"


class PermissionMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return permission_label(obj)


class TranslatedPermissionsMixin:
    """The permission pickers of the user and group forms, in the reader's language."""

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name in ("permissions", "user_permissions"):
            kwargs["form_class"] = PermissionMultipleChoiceField
            kwargs["queryset"] = db_field.remote_field.model.objects.select_related("content_type")
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissionsMixin, BaseGroupAdmin):
    pass


@admin.register(User)
class UserAdmin(TranslatedPermissionsMixin, BaseUserAdmin):
    form = AdminUserChangeForm
    change_password_form = AdminPasswordChangeForm  # its help text translated
    fieldsets = (
        *BaseUserAdmin.fieldsets,
        (_("Public profile"), {"fields": ("display_name", "bio", "website", "avatar")}),
        (_("Preferences"), {"fields": ("language",)}),
    )
    list_display = ("username", "email", "display_name", "is_staff", "date_joined")
    search_fields = ("username", "email", "display_name", "first_name", "last_name")
    list_filter = (*BaseUserAdmin.list_filter, "date_joined")


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "community"
    fields = ("member", "role", "status", "joined", "invited_by", "approved_by")
    raw_id_fields = ("member", "invited_by", "approved_by")
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("member", "invited_by", "approved_by")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    """Communities for editors. Member changes here skip the services' rules (keep an owner)."""

    form = CommunityAdminForm
    list_display = ("name", "kind", "visibility", "join_policy", "member_count", "parent", "created")
    list_filter = ("kind", "visibility", "join_policy")
    search_fields = ("name", "slug", "description")
    prepopulated_fields = {"slug": ("name",)}
    list_select_related = ("parent",)
    raw_id_fields = ("created_by",)
    readonly_fields = ("created",)
    fields = (
        "name",
        "slug",
        "description",
        "logo",
        "kind",
        "visibility",
        "join_policy",
        "parent",
        "created_by",
        "created",
    )
    inlines = [MembershipInline]
    date_hierarchy = "created"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _member_count=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE))
            )
        )

    @admin.display(description=_("members"), ordering="_member_count")
    def member_count(self, community):
        return community._member_count

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            kwargs["queryset"] = Community.objects.filter(kind=Community.Kind.ORGANIZATION)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("member", "community", "role", "status", "joined", "created")
    list_filter = ("role", "status", "community")
    search_fields = ("member__username", "member__email", "community__name")
    list_select_related = ("member", "community")
    raw_id_fields = ("member", "community", "invited_by", "approved_by")
    readonly_fields = ("created",)
    date_hierarchy = "created"


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the community's members page; here they are only looked at or withdrawn."""

    list_display = ("email", "community", "invited_by", "created", "accepted_at", "accepted_by")
    list_filter = (("accepted_at", admin.EmptyFieldListFilter), "community")
    search_fields = ("email", "community__name")
    list_select_related = ("community", "invited_by", "accepted_by")
    fields = ("community", "email", "invited_by", "created", "accepted_at", "accepted_by")
    readonly_fields = fields
    date_hierarchy = "created"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
