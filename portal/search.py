"""The search page (``/search/``): posts and comments, with highlights, filters and pagination.

A page of the site layer: it shows posts (``blog.search``) and comments
(``comments.search``, the comment index), whose modules say how text is
folded, matched on PostgreSQL, SQLite FTS5 or the ``LIKE`` fallback, and
highlighted.

What a reader finds is what they may read: posts through
``Post.objects.visible_to(user).published()`` (``blog.search.search_posts``),
comments through ``Comment.objects.on_visible_posts(user).counted()``
(approved, not removed, on a post the reader may open). Counts come from the
same querysets, so members-only posts never show up in a count either.

Any input is a page, never an error: the query is parsed by
``blog.search.parse_query`` (NUL characters dropped, length capped, every
word quoted for the database); NUL characters are dropped from every other
parameter too; a bad filter (an unknown category, a community the reader
cannot see, a date that is not one, a start after the end) is a form error
and no results; a page number that is not one is the first page, one past
the end the last.

The page runs a constant number of queries whatever the data: the filters'
categories and communities, one count per tab, one page of rows, and for
posts the categories and tags of the page (prefetched).

The tabs' links name their tab (``type``), and that tab opens. A search sent
from the form opens the tab it was sent from (``prefer``; Posts by default),
unless that tab has no result and the other has some: a hit is never hidden
behind "0 posts found".
"""

from dataclasses import dataclass
from datetime import date

from django import forms
from django.conf import settings
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import Community
from blog.models import Category
from blog.search import (
    SNIPPET_LENGTH,
    SearchFilters,
    highlight,
    parse_query,
    plain_text,
    post_highlights,
    search_posts,
)
from comments.search import search_comments
from core import ratelimit

RESULTS_PER_PAGE = settings.POSTS_PER_PAGE
TABS = ("posts", "comments")
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


# --- The page ---------------------------------------------------------------


class SearchFilterForm(forms.Form):
    """The filters under the search box. The query itself (``q``) is read by ``parse_query``."""

    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.order_by("name"),
        to_field_name="slug",
        required=False,
        empty_label=_("Any category"),
    )
    tag = forms.CharField(label=_("Tag"), max_length=100, required=False)
    community = forms.ModelChoiceField(
        label=_("Community"), queryset=Community.objects.none(), to_field_name="slug", required=False,
        empty_label=_("Any community"),
    )  # fmt: skip
    author = forms.CharField(label=_("Author (username)"), max_length=150, required=False)
    start = forms.DateField(
        label=_("From"),
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        validators=[MinValueValidator(FIRST_DAY), MaxValueValidator(LAST_DAY)],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Only communities the reader may see: a hidden one is "not a valid choice", like a missing one.
        self.fields["community"].queryset = Community.objects.visible_to(user).order_by("name")
        for field in self.fields.values():
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field, forms.ModelChoiceField) else "form-control"
            )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> SearchFilters:
        data = self.cleaned_data
        return SearchFilters(
            category=data["category"],
            tag=data["tag"],
            community=data["community"],
            author=data["author"],
            start=data["start"],
            end=data["end"],
        )


@dataclass
class Hit:
    """One result: the post or comment, and its highlighted title and snippet (escaped, with <mark>)."""

    object: object
    title: SafeString
    snippet: SafeString


def _params(request) -> dict[str, str]:
    """The first value of each parameter, without NUL characters (no database stores them)."""
    return {key: value.replace("\x00", "") for key, value in request.GET.items()}


@require_safe
def search(request):
    params = _params(request)
    user = request.user
    query = params.get("q", "")[:500]
    terms = parse_query(query)
    # The tab the reader chose (the Posts and Comments links name theirs: ``type``). Without
    # one, the tab the search was sent from (``prefer``, from the search form) or Posts,
    # unless it has no result and the other tab has some: a word found only in a comment
    # opens Comments.
    chosen_tab = params.get("type") if params.get("type") in TABS else None
    preferred_tab = params.get("prefer") if params.get("prefer") in TABS else TABS[0]
    tab = chosen_tab or preferred_tab
    form = SearchFilterForm({k: v for k, v in params.items() if k != "q"}, user=user)
    context = {
        "query": query,
        "terms": terms,
        "tab": tab,
        "form": form,
        "searched": False,
        "filtered": any(params.get(name) for name in SearchFilterForm.base_fields),
    }
    if form.is_valid() and (terms or form.filters()):
        # Each search ranks matches in the database: a member or address gets
        # settings.PORTAL_RATE_LIMITS["search"] a minute, then a 429 page.
        if not ratelimit.hit("search", ratelimit.who(request)):
            return ratelimit.too_many_requests(request, "search")
        filters = form.filters()
        posts = Paginator(search_posts(user, terms, filters).with_list_data(), RESULTS_PER_PAGE)
        comments = Paginator(
            search_comments(user, terms, filters).select_related("post", "author"), RESULTS_PER_PAGE
        )
        counts = {"posts": posts.count, "comments": comments.count}
        other = TABS[1] if tab == TABS[0] else TABS[0]
        if chosen_tab is None and not counts[tab] and counts[other]:
            tab = other
        paginator = posts if tab == "posts" else comments
        page = paginator.get_page(params.get("page"))
        context.update(
            tab=tab,
            searched=True,
            post_count=counts["posts"],
            comment_count=counts["comments"],
            page_obj=page,
            hits=_hits(page, tab, terms.words),
        )
    return render(request, "search/results.html", context)


def _hits(page, tab, wanted) -> list[Hit]:
    if tab == "posts":
        return [Hit(post, *post_highlights(post, wanted)) for post in page]
    return [
        Hit(
            comment,
            highlight(comment.post.title, frozenset()),  # the match is in the comment, not the title
            highlight(plain_text(comment.body_html), wanted, length=SNIPPET_LENGTH),
        )
        for comment in page
    ]
