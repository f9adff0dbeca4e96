from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView

from .forms import ProfileForm
from .models import Community, Membership, User


class ProfileView(DetailView):
    """A member's public profile page; unknown and deactivated members are a 404."""

    template_name = "accounts/profile.html"
    # Not "user": that name belongs to the signed-in visitor in every template.
    context_object_name = "member"
    slug_field = "username"
    slug_url_kwarg = "username"

    def get_queryset(self):
        return User.objects.filter(is_active=True)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["is_own_profile"] = self.request.user.pk == self.object.pk
        # The member's communities, as far as the visitor may see them (private ones
        # only to fellow members and staff): one query.
        context["memberships"] = (
            Membership.objects.active()
            .filter(member=self.object, community__in=Community.objects.visible_to(self.request.user))
            .select_related("community")
            .order_by("community__name")
        )
        return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_profile(request):
    # A separate copy of the member, so that a form with errors does not leave
    # unsaved values on request.user (shown in the navigation bar).
    member = get_object_or_404(User, pk=request.user.pk)
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, instance=member)
        if form.is_valid():
            member = form.save()
            messages.success(request, _("Your profile has been updated."))
            return redirect(member)
    else:
        form = ProfileForm(instance=member)
    return render(request, "accounts/edit_profile.html", {"form": form, "member": member})
