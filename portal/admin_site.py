"""The admin site: Django's, except that signing in switches the interface to the member's language.

Members who chose a language (``User.language``) get it when they sign in on
the site (``accounts.adapter.AccountAdapter.post_login``) and, through this
site, when they sign in on the admin's own sign-in page.
"""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

from core.i18n import set_language_cookie, switch_to_member_language


class PortalAdminSite(admin.AdminSite):
    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:
            chosen = switch_to_member_language(request, request.user)
            if chosen:
                set_language_cookie(response, chosen)
        return response


class PortalAdminConfig(AdminConfig):
    default_site = "portal.admin_site.PortalAdminSite"
