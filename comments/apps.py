from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = _("Discussions")

    def ready(self):
        from core.page_cache import FRESH_INPUTS

        from . import privacy  # noqa: F401 (registers the exporters and erasers of the member's data)
        from .forms import fresh_started_stamp

        # A member's cached page must not carry an old "shown at" stamp: the form's
        # too-fast check would pass for a bot that sends it at once.
        FRESH_INPUTS["started"] = fresh_started_stamp
