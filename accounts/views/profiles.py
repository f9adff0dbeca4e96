import json

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from django.views.generic import DetailView

from core.i18n import set_language_cookie

from ..forms import AccountDeleteForm, ProfileForm
from ..models import Community, Membership, User
from ..privacy import export_member_data
from ..services import account_delete, sole_owned_communities


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
        own = context["is_own_profile"] = self.request.user.pk == self.object.pk
        # The member's communities, as far as the visitor may see inside them (private ones
        # only to fellow members and staff); on their own profile, also the invitations
        # waiting for their answer, with Accept and Refuse. One query.
        rows = Membership.objects.filter(member=self.object).select_related("community", "invited_by")
        if own:
            rows = rows.filter(status__in=[Membership.Status.ACTIVE, Membership.Status.INVITED])
        else:
            rows = rows.active().filter(community__in=Community.objects.inside_visible_to(self.request.user))
        rows = list(rows.order_by("community__name"))
        context["memberships"] = [m for m in rows if m.status == Membership.Status.ACTIVE]
        context["invitations"] = [m for m in rows if m.status == Membership.Status.INVITED]
        return context


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit_profile(request):
    # A separate copy of the member, so that a form with errors does not leave
    # unsaved values on request.user (shown in the navigation bar).
    member = get_object_or_404(User, pk=request.user.pk)
    if request.method == "POST":
        language_before = member.language
        form = ProfileForm(request.POST, request.FILES, instance=member)
        if form.is_valid():
            member = form.save()
            # Said in the language the member just chose: the next page is in it.
            with translation.override(member.language or translation.get_language()):
                messages.success(request, _("Your profile has been updated."))
            response = redirect(member)
            if member.language and member.language != language_before:
                set_language_cookie(response, member.language)  # the interface follows at once
            return response
    else:
        form = ProfileForm(instance=member)
    return render(request, "accounts/edit_profile.html", {"form": form, "member": member})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def my_data(request):
    """ "Your data": GET shows what the download holds; POST (CSRF) downloads it as a JSON file.

    Only ever the signed-in member's own data: there is no parameter to name anyone else.
    """
    if request.method != "POST":
        return render(request, "accounts/my_data.html")
    data = export_member_data(request.user)
    data["exported_at"] = timezone.now()
    filename = f"{request.user.username}-data-{timezone.now():%Y-%m-%d}.json"
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def delete_account(request):
    """Delete the signed-in member's account after they type their password again."""
    sole = sole_owned_communities(request.user)
    form = AccountDeleteForm(user=request.user)
    rate_limited = False
    if request.method == "POST" and not sole:
        # Guessing the password through this form is limited like allauth's re-authentication;
        # over the limit the password is not even checked.
        if not ratelimit.consume(request, action="reauthenticate", user=request.user):
            rate_limited = True
        else:
            form = AccountDeleteForm(request.POST, user=request.user)
            if form.is_valid():
                try:
                    account_delete(user=request.user)
                except ValidationError as error:  # became the only owner since the page was shown
                    form.add_error(None, error)
                else:
                    logout(request)
                    messages.success(request, _("Your account has been deleted. Thank you for taking part."))
                    return redirect(settings.LOGOUT_REDIRECT_URL)
    return render(
        request,
        "accounts/delete_account.html",
        {"form": form, "sole_owned": sole, "rate_limited": rate_limited},
    )
