from types import SimpleNamespace

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings


class AccountAdapter(DefaultAccountAdapter):
    """allauth's adapter, with the portal's name in its emails instead of the host name."""

    def send_mail(self, template_prefix, email, context):
        request = allauth_context.request
        domain = request.get_host() if request is not None else "localhost"
        site = SimpleNamespace(name=settings.PORTAL_NAME, domain=domain)
        super().send_mail(template_prefix, email, {"current_site": site, **context})
