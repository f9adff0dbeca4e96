from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Members")

    def ready(self):
        from . import privacy  # noqa: F401 (registers the exporters and erasers of the member's data)
