from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib import messages
from django.utils.translation import gettext as _

from . import services


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter: the portal's name in emails, and community invitations claimed on confirmation."""

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        domain = request.get_host() if request is not None else "localhost"
        site = SimpleNamespace(name=settings.PORTAL_NAME, domain=domain)
        super().send_mail(template_prefix, email, {"current_site": site, **context})

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
