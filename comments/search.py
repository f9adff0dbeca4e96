"""The comment index: what the search page (``portal.search``) finds among comments.

A reader finds only comments they may read: approved, not removed, on a post
they may open (``Comment.objects.on_visible_posts(user).counted()``). How text
is folded and matched on each database is in ``blog.search``.
"""

from blog.search import SearchFilters, SearchIndex, SearchTerms, match

from .models import Comment

COMMENT_INDEX = SearchIndex(
    table="comments_comment", columns=(("search_body", 1.0),), newest_first=("-created", "-pk")
)


def search_comments(user, terms: SearchTerms, filters: SearchFilters | None = None):
    """Approved, not removed comments on posts ``user`` may read, matching ``terms``, best first."""
    filters = filters if filters is not None else SearchFilters()
    comments = (
        Comment.objects.on_visible_posts(user)
        .counted()
        .filter(filters.post_q(prefix="post__"))
        .filter(filters.row_q(author="author", date_field="created"))
    )
    return match(comments, terms, COMMENT_INDEX)
