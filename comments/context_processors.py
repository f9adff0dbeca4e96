from django.utils.functional import SimpleLazyObject

from .services import may_moderate
from .views.moderation import queue_counts


def moderation_counts(request):
    """``moderation_counts`` (held, flagged, total) for the navigation: the comments the member may moderate.

    Lazy, and one query (``Comment.objects.moderatable_by``) when a template reads it.

    Staff are asked whether they may moderate (editors, or staff who lead a
    community): their pages load permissions anyway. Other members cost no
    query at all: the page budgets leave none for a link most members never
    see. On the queue's own pages the counts are already there, so community
    owners and moderators see them in the navigation too.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return {}
    if hasattr(request, "_moderation_counts"):  # set by the queue for whoever may use it
        return {"moderation_counts": request._moderation_counts}
    if not user.is_staff:
        return {}

    def counts():
        return queue_counts(request) if may_moderate(user) else {}

    return {"moderation_counts": SimpleLazyObject(counts)}
