# Being written: following discussions and email preferences.
from django.http import Http404


def _not_yet(*args, **kwargs):
    raise Http404


follow = unfollow = preferences = unsubscribe = _not_yet
