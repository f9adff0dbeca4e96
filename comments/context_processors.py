from django.utils.functional import SimpleLazyObject

from .moderation_views import queue_counts
from .services import may_moderate


def moderation_counts(request):
    """``moderation_counts`` (held, flagged, total) for the navigation, for editors only.

    Lazy, and one query when a template reads it. Only staff are considered, so
    that members' pages run no permission queries for a link they never see.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return {}

    def counts():
        return queue_counts(request) if may_moderate(user) else {}

    return {"moderation_counts": SimpleLazyObject(counts)}
