"""The search page (/search/): posts and comments, highlights, filters, pagination, leaks, bad input.

Runs on SQLite (FTS5) and on PostgreSQL (DATABASE_URL=postgres://...); the
post-side functions are tested in blog/tests/test_search.py.
"""

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, Membership
from blog.models import Post
from comments.models import Comment
from comments.services import comment_edit, comment_remove
from core.hostile_input import MAX_QUERY_STRING
from testing.clients import client_for
from testing.factories import (
    CommentFactory,
    CommunityFactory,
    PostFactory,
    UserFactory,
    individual_learning,
    organizational_learning,
)
from testing.queries import assert_same_count, count_queries

pytestmark = pytest.mark.django_db

SEARCH = reverse("search")


def page(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return response.content.decode()


def counts(html):
    """The two tabs' counts, {"posts": n, "comments": m}, or {} when nothing was searched."""
    return {tab: int(n) for tab, n in re.findall(r'data-count="(\w+)">(\d+)<', html)}


def hit_titles(html):
    return [
        re.sub(r"</?mark>", "", t)
        for t in re.findall(r'<h2 class="h5 mb-1"><a href="[^"]+">(.*?)</a></h2>', html)
    ]


# --- The header box and the page ---------------------------------------------------


def test_every_page_has_the_search_box_in_the_header(client):
    home = client.get(reverse("blog:home")).content.decode()
    assert f'action="{SEARCH}"' in home
    assert re.search(r'<label class="visually-hidden" for="navbar-search-q">', home)
    assert 'id="navbar-search-q" name="q"' in home


def test_an_empty_search_is_a_prompt(client):
    PostFactory(title="Anything")
    html = page(client)
    assert counts(html) == {}
    assert "Type a few words" in html
    html = page(client, q='  "" - * ')
    assert counts(html) == {} and "Type at least one word" in html


def test_finds_posts_and_comments_with_highlights(client):
    post = PostFactory(title="Mentoring apprentices", body="How we pair newcomers with seniors.")
    CommentFactory(post=post, body="Our *mentoring* scheme started last year.")
    CommentFactory(post=post, body="Unrelated remark.")

    html = page(client, q="mentoring")
    assert counts(html) == {"posts": 1, "comments": 1}
    assert f'<a href="{post.get_absolute_url()}"><mark>Mentoring</mark> apprentices</a>' in html
    assert 'value="mentoring"' in html  # the box keeps the query

    comments = page(client, q="mentoring", type="comments")
    assert counts(comments) == {"posts": 1, "comments": 1}
    assert "Our <mark>mentoring</mark> scheme started last year." in comments
    assert "Unrelated remark" not in comments


def test_accents_do_not_matter_and_highlights_keep_them(client):
    PostFactory(title="Educación y aprendizaje", body="Herzliche Grüße aus Köln.")
    for query in ("educacion", "EDUCACIÓN", "grusse", "Grüße", "gruße"):
        assert counts(page(client, q=query))["posts"] == 1, query
    html = page(client, q="educacion grusse")
    assert "<mark>Educación</mark> y aprendizaje" in html
    assert "Herzliche <mark>Grüße</mark> aus Köln." in html


def test_titles_and_text_are_escaped(client):
    post = PostFactory(
        title='<script>alert("t")</script> Reflection', body="<img src=x onerror=alert(1)> reflection"
    )
    CommentFactory(post=post, body="<script>alert('c')</script> reflection too")

    for tab in ("posts", "comments"):
        html = page(client, q="reflection script", type=tab)
        assert "<script>alert" not in html
        assert "<img src=x" not in html
    html = page(client, q="reflection script")
    assert (
        "&lt;<mark>script</mark>&gt;alert(&quot;t&quot;)&lt;/<mark>script</mark>&gt; <mark>Reflection</mark>"
        in html
    )


@pytest.mark.parametrize(
    "query",
    [
        "",
        " ",
        "x" * 5000,
        '"',
        '"unbalanced',
        "'",
        "OR AND NOT",
        "OR",
        "NOT",
        "-",
        "--",
        "*",
        "learning*",
        "%",
        "_",
        "%_%",
        "\\",
        "\x00",
        "nul\x00byte",
        "🙂",
        "learning 🙂",
        "\u202eecnegilletni",
        "<script>alert('x')</script>",
        "' OR 1=1 --",
        "NEAR(learning notes)",
        "title:learning",
        "learning AND",
        "(learning",
        "a" * 300,
    ],
    ids=lambda q: repr(q[:20]),
)
@pytest.mark.parametrize("tab", ["posts", "comments"])
def test_hostile_input_is_a_page_never_an_error(client, query, tab):
    post = PostFactory(title="Learning notes", body="Learning, notes and more.")
    CommentFactory(post=post, body="Learning in the open.")

    every_parameter = {"q": query, "type": tab, "page": query, "category": query, "tag": query}
    every_parameter.update(author=query, start=query)
    for params in (every_parameter, {"q": query, "type": tab, "page": query}):
        assert "<script>alert" not in page_or_too_long(client, params)


def page_or_too_long(client, params):
    """The results page, or the "Address too long" page when the query string is over the limit."""
    if len(urlencode(params)) <= MAX_QUERY_STRING:
        return page(client, **params)
    response = client.get(SEARCH, params)
    assert response.status_code == 414
    return response.content.decode()


def test_a_nul_byte_is_dropped_from_every_parameter(client):
    PostFactory(title="Learning notes", tags=["reflection"])
    html = page(client, q="lear\x00ning", tag="reflec\x00tion")
    assert counts(html)["posts"] == 1


# --- Who sees what ------------------------------------------------------------


@pytest.fixture
def private_world():
    community = Community.objects.create(name="Ward seven", slug="ward-7", visibility="private")
    insider = UserFactory(username="insider")
    Membership.objects.create(community=community, member=insider, status="active", joined=timezone.now())
    secret = PostFactory(title="Zanzibar handover", community=community, visibility=Post.Visibility.MEMBERS)
    CommentFactory(post=secret, body="Zanzibar protocol skipped twice")
    open_community = CommunityFactory(name="Open circle", slug="open-circle")
    members_only = PostFactory(
        title="Zanzibar budget", community=open_community, visibility=Post.Visibility.MEMBERS
    )
    CommentFactory(post=members_only, body="Zanzibar figures stay between us")
    public = PostFactory(title="Zanzibar in public")
    CommentFactory(post=public, body="Zanzibar answered in the open")
    return {"community": community, "insider": insider, "open_community": open_community}


def test_members_only_posts_and_comments_never_reach_non_members(client, private_world):
    outsider = client_for(UserFactory(username="outsider"))
    for reader in (client, outsider):
        posts = page(reader, q="zanzibar")
        comments = page(reader, q="zanzibar", type="comments")
        assert counts(posts) == {"posts": 1, "comments": 1}
        assert hit_titles(posts) == ["Zanzibar in public"]
        for html in (posts, comments):
            for secret in ("handover", "budget", "protocol", "figures", "stay between"):
                assert secret not in html.lower()
        assert "answered in the open" in comments


def test_members_find_their_communitys_posts_and_comments(private_world):
    member = client_for(private_world["insider"])
    html = page(member, q="zanzibar")
    assert counts(html) == {"posts": 2, "comments": 2}
    assert set(hit_titles(html)) == {"Zanzibar handover", "Zanzibar in public"}
    assert "protocol skipped twice" in page(member, q="zanzibar", type="comments")


def test_a_community_the_reader_cannot_see_is_not_a_filter(client, private_world):
    html = page(client, q="zanzibar", community="ward-7")
    assert counts(html) == {}
    assert "Select a valid choice" in html
    assert "Ward seven" not in html
    # Members see it in the list and may filter on it.
    member = client_for(private_world["insider"])
    html = page(member, q="zanzibar", community="ward-7")
    assert counts(html) == {"posts": 1, "comments": 1}
    assert "Ward seven" in html


def test_held_and_removed_comments_are_not_found(client):
    post = PostFactory(title="Plain")
    CommentFactory(post=post, body="Quokka pending", status=Comment.Status.PENDING)
    CommentFactory(post=post, body="Quokka spam", status=Comment.Status.SPAM)
    removed = CommentFactory(post=post, body="Quokka removed")
    comment_remove(comment=removed, actor=removed.author, reason="")
    assert counts(page(client, q="quokka"))["comments"] == 0


def test_an_edited_comment_is_found_by_its_new_words(client):
    author = UserFactory()
    comment = CommentFactory(body="Original wording", author=author)
    comment_edit(comment=comment, editor=author, body="Improved phrasing")
    assert counts(page(client, q="improved"))["comments"] == 1
    assert counts(page(client, q="original"))["comments"] == 0


def test_a_deleted_post_takes_its_comments_out_of_the_results(client):
    post = PostFactory(title="Temporary zebra")
    CommentFactory(post=post, body="Zebra crossing")
    assert counts(page(client, q="zebra")) == {"posts": 1, "comments": 1}
    post.delete()
    assert counts(page(client, q="zebra")) == {"posts": 0, "comments": 0}


# --- Filters ------------------------------------------------------------------


@pytest.fixture
def library():
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    circle = CommunityFactory(name="Reading circle", slug="reading-circle")
    old = timezone.now() - timedelta(days=400)
    posts = {
        "individual": PostFactory(
            title="Garden one", author=alice, categories=[individual_learning()], tags=["soil"]
        ),
        "organizational": PostFactory(
            title="Garden two",
            author=bob,
            categories=[organizational_learning()],
            tags=["roots"],
            community=circle,
        ),
        "old": PostFactory(title="Garden three", author=alice, publish_at=old, tags=["soil"]),
    }
    CommentFactory(post=posts["individual"], author=bob, body="Garden comment by bob")
    CommentFactory(post=posts["organizational"], author=alice, body="Garden comment by alice")
    return posts


@pytest.mark.parametrize(
    ("filters", "post_titles", "comment_count"),
    [
        ({}, {"Garden one", "Garden two", "Garden three"}, 2),
        ({"category": "organizational-learning"}, {"Garden two"}, 1),
        ({"tag": "soil"}, {"Garden one", "Garden three"}, 1),
        ({"tag": "SOIL"}, {"Garden one", "Garden three"}, 1),
        ({"community": "reading-circle"}, {"Garden two"}, 1),
        ({"author": "alice"}, {"Garden one", "Garden three"}, 1),  # alice wrote one of the comments
        ({"start": "2000-01-01", "end": "2100-01-01"}, {"Garden one", "Garden two", "Garden three"}, 2),
        ({"end": (timezone.localdate() - timedelta(days=100)).isoformat()}, {"Garden three"}, 0),
        (
            {"start": (timezone.localdate() - timedelta(days=100)).isoformat()},
            {"Garden one", "Garden two"},
            2,
        ),
    ],
    ids=["none", "category", "tag", "tag-case", "community", "author", "wide-dates", "until", "since"],
)
def test_each_filter_narrows_the_results(client, library, filters, post_titles, comment_count):
    html = page(client, q="garden", **filters)
    assert set(hit_titles(html)) == post_titles
    assert counts(html) == {"posts": len(post_titles), "comments": comment_count}


def test_filters_alone_list_the_newest_posts(client, library):
    html = page(client, author="alice")
    assert hit_titles(html) == ["Garden one", "Garden three"]


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"start": "2024-13-45"}, "Enter a valid date."),
        ({"end": "yesterday"}, "Enter a valid date."),
        ({"start": "0001-01-01"}, "Ensure this value is greater than or equal to"),
        ({"end": "9999-12-31"}, "Ensure this value is less than or equal to"),
        ({"start": "2024-05-02", "end": "2024-05-01"}, "The end date is before the start date."),
        ({"category": "no-such-category"}, "Select a valid choice"),
        ({"author": "x" * 500}, "Ensure this value has at most 150 characters"),
    ],
)
def test_bad_filters_are_form_errors_not_errors(client, library, params, error):
    html = page(client, q="garden", **params)
    assert error in html
    assert counts(html) == {}


# --- Pagination ---------------------------------------------------------------


def test_pagination_keeps_the_query_and_survives_bad_page_numbers(client, settings):
    for n in range(13):
        PostFactory(title=f"Orchard note {n:02d}", publish_at=timezone.now() - timedelta(days=n + 1))

    first = page(client, q="orchard")
    assert len(hit_titles(first)) == 10
    assert re.search(r'href="\?q=orchard&amp;page=2"', first), first
    second = page(client, q="orchard", page="2")
    assert len(hit_titles(second)) == 3
    assert set(hit_titles(first)).isdisjoint(hit_titles(second))
    assert hit_titles(page(client, q="orchard", page="abc")) == hit_titles(first)
    # Before the first page or past the last: the last page.
    assert hit_titles(page(client, q="orchard", page="-1")) == hit_titles(second)
    assert hit_titles(page(client, q="orchard", page="999")) == hit_titles(second)


def test_tabs_link_to_each_other_keeping_the_query(client):
    PostFactory(title="Orchard")
    html = page(client, q="orchard", tag="x", page="1")
    assert 'href="?q=orchard&amp;tag=x&amp;type=comments"' in html
    assert 'href="?q=orchard&amp;tag=x&amp;type=posts"' in html


def current_tab(html):
    """The name of the tab marked as the current one ("Posts" or "Comments")."""
    found = re.findall(r'<a class="nav-link active" aria-current="page" href="[^"]*">\s*(\w+)', html)
    assert len(found) == 1, found
    return found[0]


def test_a_word_found_only_in_a_comment_opens_the_comments_tab(client):
    post = PostFactory(title="Garden notes", body="Beds and paths.")
    CommentFactory(post=post, body="We tried hugelkultur last spring.")

    html = page(client, q="hugelkultur")

    assert current_tab(html) == "Comments"
    assert "1 comment found." in html and "0 posts found." not in html
    assert "We tried <mark>hugelkultur</mark> last spring." in html
    # The empty Posts tab still opens when the reader asks for it.
    posts = page(client, q="hugelkultur", type="posts")
    assert current_tab(posts) == "Posts" and "0 posts found." in posts


def test_a_search_sent_from_a_tab_stays_there_unless_only_the_other_tab_has_results(client):
    post = PostFactory(title="Garden notes", body="Beds and paths.")
    CommentFactory(post=post, body="Garden beds need compost.")
    html = page(client, q="garden", type="comments")
    assert current_tab(html) == "Comments"
    assert '<input type="hidden" name="prefer" value="comments">' in html

    assert current_tab(page(client, q="compost", prefer="comments")) == "Comments"
    assert current_tab(page(client, q="paths", prefer="comments")) == "Posts"  # only a post has it
    assert current_tab(page(client, q="garden", prefer="comments")) == "Comments"  # both have it


def test_posts_open_first_when_they_match(client):
    post = PostFactory(title="Hugelkultur beds")
    CommentFactory(post=post, body="Hugelkultur works.")
    PostFactory(title="Compost")

    assert current_tab(page(client, q="hugelkultur")) == "Posts"
    assert current_tab(page(client, q="compost")) == "Posts"  # posts only
    nothing = page(client, q="zzyzx")
    assert current_tab(nothing) == "Posts" and "0 posts found." in nothing
    assert current_tab(page(client, q="hugelkultur", type="comments")) == "Comments"
    assert '<input type="hidden" name="prefer"' not in page(client, q="hugelkultur")


# --- Query budget ---------------------------------------------------------------


def make_matches(n):
    for i in range(n):
        post = PostFactory(title=f"Compost {i}", tags=[f"tag{i % 3}", "compost"])
        CommentFactory(post=post, body=f"Compost comment {i}")


@pytest.mark.parametrize("tab", ["posts", "comments"])
@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_the_results_page_runs_the_same_queries_whatever_the_data(client, tab, signed_in):
    """Guards an N+1 per result: authors, communities, categories and tags of posts, posts of comments."""
    if signed_in:
        client.force_login(UserFactory())
    make_matches(3)
    small = count_queries(client, SEARCH, q="compost", type=tab)
    make_matches(30)
    large = count_queries(client, SEARCH, q="compost", type=tab)
    assert_same_count(small, large)
    assert large.count <= 10
