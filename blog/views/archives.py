"""Date archives: ``/archive/`` (months with post counts), ``/<yyyy>/`` and ``/<yyyy>/<mm>/``.

Every archive lists, and counts, only what the reader may see:
``Post.objects.visible_to(request.user).published()`` (so drafts and
scheduled posts are never in an archive, even for their author or an editor,
and members-only posts only for members). Months are the site's time zone's
months (``TruncMonth`` and the date-based views use the current time zone,
like the dates in post addresses), and an empty year or month is a 404.
"""

from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.views.generic import MonthArchiveView, TemplateView, YearArchiveView

from ..models import Post
from .posts import PostListMixin


class ArchiveMixin(PostListMixin):
    """Date-based lists of post cards: paginated, with their card data, 404 when empty.

    Queries: whether the period has posts, its months (or days), the previous
    and next periods, then the page of cards (count, posts with their authors
    and communities, categories, tags): eight, whatever the number of posts.
    """

    date_field = "publish_at"
    allow_empty = False
    allow_future = False

    def get_queryset(self):
        # Also what the previous/next month and year links look in: no card data there.
        return Post.objects.visible_to(self.request.user).published().order_by("-publish_at", "-id")

    def get_dated_items(self):
        date_list, posts, extra_context = super().get_dated_items()
        return date_list, posts.with_list_data(), extra_context


class PostYearArchiveView(ArchiveMixin, YearArchiveView):
    """A year's posts, newest first, and the months of that year that have posts."""

    template_name = "blog/archive_year.html"
    make_object_list = True


class PostMonthArchiveView(ArchiveMixin, MonthArchiveView):
    """A month's posts, newest first, with links to the previous and next months that have posts."""

    template_name = "blog/archive_month.html"
    month_format = "%m"  # the ``mm`` converter gives an int; 1 to 12, anything else is a 404


class ArchiveIndexView(TemplateView):
    """Every month that has posts the reader may see, newest first, with its count: one query."""

    template_name = "blog/archive.html"

    def get_context_data(self, **kwargs):
        months = (
            Post.objects.visible_to(self.request.user)
            .published()
            .annotate(month=TruncMonth("publish_at"))
            .values("month")
            .annotate(count=Count("pk"))
            .order_by("-month")
        )
        return super().get_context_data(months=list(months), **kwargs)
