from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.utils import translation
from django.utils.translation import gettext as _

from core.i18n import in_language_of, set_language_cookie, switch_to_member_language

from . import services


def _member_with_email(email):
    """The active member whose address ``email`` is, if any (allauth's notices name no user)."""
    if not email:
        return None
    return get_user_model().objects.filter(email__iexact=email, is_active=True).first()


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter: the portal's name in emails, and community invitations claimed on confirmation."""

    def send_mail(self, template_prefix, email, context):
        """Every account email (confirmation, password reset, notices) in its recipient's language.

        A member who chose a language (``User.language``) gets it; otherwise the
        email follows the language of the request that sends it (a visitor who
        signs up in Spanish is written to in Spanish).
        """
        request = allauth_context.request
        domain = request.get_host() if request is not None else "localhost"
        site = SimpleNamespace(name=settings.PORTAL_NAME, domain=domain)
        member = context.get("user") or _member_with_email(email)
        with in_language_of(member, fallback=translation.get_language()):
            super().send_mail(template_prefix, email, {"current_site": site, **context})

    def post_login(self, request, user, **kwargs):
        """Signing in switches the interface to the member's language, when they chose one."""
        chosen = switch_to_member_language(request, user)  # before allauth's "Signed in as …" message
        response = super().post_login(request, user, **kwargs)
        return set_language_cookie(response, chosen) if chosen else response

    def confirm_email(self, request, email_address):
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            # Only a confirmed address proves the member owns the invited email.
            joined = services.invitations_claim(user=email_address.user, email=email_address.email)
            for membership in joined:
                messages.success(
                    request, _("Welcome to %(community)s!") % {"community": membership.community.name}
                )
            if joined:
                request.session["post_confirmation_redirect"] = joined[0].community.get_absolute_url()
        return confirmed

    def get_email_verification_redirect_url(self, email_address):
        request = allauth_context.request
        target = request.session.pop("post_confirmation_redirect", None) if request is not None else None
        return target or super().get_email_verification_redirect_url(email_address)

    def get_login_redirect_url(self, request):
        target = request.session.pop("post_confirmation_redirect", None)
        return target or super().get_login_redirect_url(request)

    def get_signup_redirect_url(self, request):
        target = request.session.pop("post_confirmation_redirect", None)
        return target or super().get_signup_redirect_url(request)
