from django.apps import AppConfig, apps
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.page_cache import bump_content_version

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
# Rows that only their member sees: saving or deleting one invalidates that member's
# own cached pages (portal.middleware.MemberPageCacheMiddleware) and nobody else's.
MEMBER_OWN_MODELS = {
    "comments.threadsubscription": "member_id",
    "comments.notificationpreference": "member_id",
}


def _content_saved(sender, update_fields=None, **kwargs):
    if update_fields and UNSHOWN_FIELDS.issuperset(update_fields):
        return
    _content_changed()


def _content_changed(**kwargs):
    bump_content_version()


def _member_row_changed(sender, instance, **kwargs):
    from accounts.models import User

    member_id = getattr(instance, MEMBER_OWN_MODELS[sender._meta.label_lower])
    User.bump_page_version(member_id)
    # Again after the commit: a page rendered meanwhile from the old row is keyed under the old version.
    transaction.on_commit(lambda: User.bump_page_version(member_id), robust=True)


class PortalConfig(AppConfig):
    """The project package as an app: site-wide static files and commands that span all apps."""

    name = "portal"
    verbose_name = "Portal"

    def ready(self):
        # Whatever the three apps (and taggit) save or delete may be on a cached
        # public page: it invalidates them all (core/page_cache.py).
        for label in SHOWN_APPS:
            for model in apps.get_app_config(label).get_models(include_auto_created=True):
                if model._meta.label_lower in UNSHOWN_MODELS or model.__name__.startswith("Historical"):
                    continue
                post_save.connect(
                    _content_saved, sender=model, dispatch_uid=f"page-cache-save-{model._meta.label}"
                )
                post_delete.connect(
                    _content_changed, sender=model, dispatch_uid=f"page-cache-del-{model._meta.label}"
                )
                m2m_changed.connect(
                    _content_changed, sender=model, dispatch_uid=f"page-cache-m2m-{model._meta.label}"
                )
        for label in MEMBER_OWN_MODELS:
            model = apps.get_model(label)
            post_save.connect(_member_row_changed, sender=model, dispatch_uid=f"member-pages-save-{label}")
            post_delete.connect(_member_row_changed, sender=model, dispatch_uid=f"member-pages-del-{label}")
        # A group's permissions decide what its members' pages offer (moderation links, the admin).
        group_permissions = apps.get_model("auth", "Group").permissions.through
        m2m_changed.connect(_content_changed, sender=group_permissions, dispatch_uid="page-cache-group-perms")
