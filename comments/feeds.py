# Being written: the RSS feed of a post's comments.
from django.http import Http404


class PostCommentsFeed:
    def __call__(self, *args, **kwargs):
        raise Http404
