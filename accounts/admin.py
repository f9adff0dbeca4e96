from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from .forms import AdminPasswordChangeForm, AdminUserChangeForm, CommunityAdminForm
from .models import Community, Invitation, Membership, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
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
