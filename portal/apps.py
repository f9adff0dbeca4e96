from django.apps import AppConfig, apps
from django.db.models.signals import m2m_changed, post_delete, post_save

# Models whose rows no public page shows: saving them leaves cached pages valid.
UNSHOWN_MODELS = {
    "comments.moderationevent",
    "comments.threadsubscription",
    "comments.notificationpreference",
    "accounts.invitation",
}
# Bookkeeping columns that no page shows: a save of only these keeps the cache.
UNSHOWN_FIELDS = frozenset({"last_login", "digest_sent_at", "moderators_notified_at"})
SHOWN_APPS = ("accounts", "blog", "comments", "taggit")


def _content_saved(sender, update_fields=None, **kwargs):
    if update_fields and UNSHOWN_FIELDS.issuperset(update_fields):
        return
    _content_changed()


def _content_changed(**kwargs):
    from portal.page_cache import bump_content_version

    bump_content_version()


class PortalConfig(AppConfig):
    """The project package as an app: site-wide static files and commands that span all apps."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Whatever the three apps (and taggit) save or delete may be on a cached
        # public page: it invalidates them all (portal/page_cache.py).
        for label in SHOWN_APPS:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                if model._meta.label_lower in UNSHOWN_MODELS or model.__name__.startswith("Historical"):
                    continue
                post_save.connect(_content_saved, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}")
                post_delete.connect(_content_changed, sender=model, dispatch_uid=f"page-cache-del-{model._meta.label}")
                m2m_changed.connect(_content_changed, sender=model, dispatch_uid=f"page-cache-m2m-{model._meta.label}")
