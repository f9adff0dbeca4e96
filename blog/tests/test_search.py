"""Post search (blog.search): folding, the query language, matching on each database, highlights.

Most tests run twice: with the database's own full-text index (PostgreSQL's
GIN-indexed tsvector, or SQLite's FTS5 table) and with the LIKE fallback, so
the three ways of matching find the same posts. The suite runs on SQLite and
on PostgreSQL (DATABASE_URL=postgres://...).
"""

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from accounts.models import Community, Membership
from blog import search
from blog.models import Post
from blog.search import SearchTerms, fold, highlight, index_text, parse_query, search_posts
from testing.factories import EditorFactory, PostFactory, StaffFactory, UserFactory, individual_learning

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["index", "like"])
def engine(request, monkeypatch):
    """The database's full-text index, then the LIKE fallback (SQLite without FTS5, other databases)."""
    if request.param == "like":
        monkeypatch.setattr(search, "engine", lambda alias: "like")
    return request.param


def found(query, user=None):
    return list(search_posts(user, parse_query(query)))


def titles(query, user=None):
    return [post.title for post in found(query, user)]


# --- Folding and parsing (no database) ----------------------------------------


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Educación", "educacion"),
        ("Grüße", "grusse"),  # ü loses its mark, ß folds to ss
        ("GRÜSSE", "grusse"),
        ("Straße", "strasse"),
        ("Ærø Łódź", "aero lodz"),
        ("naïve café", "naive cafe"),
        ("Cafe\u0301", "cafe"),  # already decomposed
        ("ﬁnance", "finance"),  # ligature
        ("İstanbul", "istanbul"),
    ],
)
def test_folding_drops_accents_and_case(text, folded):
    assert index_text(text) == folded
    assert fold(text).split() == folded.split()


def test_index_text_keeps_only_words():
    assert index_text("e-learning, 2.0 & <b>bold</b>_under") == "e learning 2 0 b bold b under"
    assert index_text("🙂 \u202e ‽") == ""


def test_the_query_language():
    terms = parse_query('Grüße "communities of practice" -spam NOT junk a OR b')
    assert terms.groups == ((("grusse",),), (("communities", "of", "practice"),), (("a",), ("b",)))
    assert terms.excluded == (("spam",), ("junk",))
    assert terms.words == {"grusse", "communities", "of", "practice", "a", "b"}
    assert terms.fts5() == '(("grusse" AND "communities of practice" AND ("a" OR "b")) NOT "spam") NOT "junk"'
    assert terms.tsquery() == (
        "(('grusse')) & (('communities' <-> 'of' <-> 'practice')) & (('a') | ('b')) & !('spam') & !('junk')"
    )
    # OR only joins two wanted phrases; a repeated word counts once.
    assert parse_query("a -b OR c a").groups == ((("a",),), (("c",),))
    assert parse_query("OR a OR OR b").groups == ((("a",), ("b",)),)


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "\x00", "-", "*", "%", "_", '"', '""', "OR AND NOT", "-learning", "🙂🙂", "\u202e", "'; --"],
)
def test_queries_without_a_wanted_word_are_no_search(raw):
    assert not parse_query(raw)
    assert parse_query(raw) == SearchTerms()


@pytest.mark.parametrize(
    "raw",
    [
        '"unbalanced',
        "a' OR '1'='1",
        'x" OR "y',
        "NEAR(a b)",
        "a:b",
        "col:word",
        "^a",
        "a*",
        "a\\b",
        "{a b}",
        "50%_off",
    ],
)
def test_hostile_queries_become_quoted_words_only(raw):
    terms = parse_query(raw)
    assert terms
    assert all(word.isalnum() for word in terms.words)
    # Only our own quotes and operators reach the database, around words of letters and digits.
    fts5, tsquery = terms.fts5(), terms.tsquery()
    assert all(part.replace(" ", "").isalnum() for part in re.findall(r'"([^"]*)"', fts5))
    assert set(re.sub(r"AND|OR|NOT", "", re.sub(r'"[^"]*"', "", fts5))) <= set("() ")
    assert all(part.isalnum() for part in re.findall(r"'([^']*)'", tsquery))
    assert set(re.sub(r"'[^']*'", "", tsquery)) <= set("()&|!<-> ")


def test_long_queries_are_cut():
    terms = parse_query("word " * 2000)
    assert terms.groups == ((("word",),),)
    many = parse_query(" ".join(f"w{n}" for n in range(100)))
    assert sum(len(p) for g in many.groups for p in g) == search.MAX_QUERY_WORDS


# --- Finding posts ------------------------------------------------------------------


def test_finds_by_title_excerpt_body_and_tag(engine):
    PostFactory(title="Mentoring apprentices", excerpt="Short", body="Nothing here.")
    PostFactory(title="Other", excerpt="A note on *apprenticeship*", body="Nothing.")
    PostFactory(title="Third", body="We pair newcomers with **seniors** every week.")
    PostFactory(title="Tagged", body="Plain.", tags=["Knowledge Garden"])

    assert titles("mentoring") == ["Mentoring apprentices"]
    assert titles("apprenticeship") == ["Other"]
    assert titles("seniors") == ["Third"]
    assert titles("garden") == ["Tagged"]
    assert titles("knowledge garden") == ["Tagged"]
    assert titles("nowhere") == []


def test_all_words_must_appear_and_phrases_keep_their_order(engine):
    PostFactory(title="One", body="Communities of practice grow slowly.")
    PostFactory(title="Two", body="Practice in communities grows slowly.")

    assert set(titles("communities practice")) == {"One", "Two"}
    assert titles('"communities of practice"') == ["One"]
    assert titles("communities -grows") == ["One"]
    assert set(titles("grow OR grows")) == {"One", "Two"}
    assert titles("communities missingword") == []


def test_a_title_match_ranks_above_a_body_match(engine):
    body_only = PostFactory(title="Weekly notes", body="Some thoughts on reflection and more reflection.")
    in_title = PostFactory(title="Reflection", body="Some thoughts.")
    in_excerpt = PostFactory(title="Monthly notes", excerpt="On reflection.", body="Some thoughts.")

    assert found("reflection") == [in_title, in_excerpt, body_only]


@pytest.mark.parametrize(
    ("written", "typed"),
    [
        ("Educación para todos", "educacion"),
        ("Educacion para todos", "educación"),
        ("EDUCACIÓN PARA TODOS", "Educación"),
        ("Herzliche Grüße aus Köln", "grüsse"),
        ("Herzliche Grüße aus Köln", "grusse"),
        ("Herzliche Grüße aus Köln", "GRÜSSE"),
        ("Herzliche Grüße aus Köln", "koln"),
        ("Herzliche Grusse aus Koln", "Grüße"),
        ("Müller über Straßen", "muller uber strassen"),
        ("Leçons d'élèves à Montréal", "lecons eleves montreal"),
    ],
)
def test_accents_and_case_do_not_matter(engine, written, typed):
    PostFactory(title="Multilingual", body=written)
    PostFactory(title="Unrelated", body="Nothing in common.")

    assert titles(typed) == ["Multilingual"]


def test_umlauts_are_not_transliterated():
    """Documented limit: "ü" folds to "u", not to "ue", so "Mueller" does not find "Müller"."""
    PostFactory(title="Müller")
    assert titles("muller") == ["Müller"]
    assert titles("mueller") == []


def test_a_phrase_inside_a_word_with_punctuation(engine):
    PostFactory(title="E-learning for nurses", body="Plain.")
    assert titles("e-learning") == ["E-learning for nurses"]
    assert titles('"e learning"') == ["E-learning for nurses"]


def test_only_published_posts_are_searched(engine):
    author = UserFactory()
    PostFactory(title="Draft about gardens", status=Post.Status.DRAFT, author=author)
    PostFactory(title="Scheduled gardens", publish_at=timezone.now() + timedelta(days=3))
    PostFactory(title="Public gardens")

    assert titles("gardens") == ["Public gardens"]
    assert titles("gardens", author) == ["Public gardens"]
    assert titles("gardens", StaffFactory()) == ["Public gardens"]


def test_members_only_posts_are_found_by_members_only(engine):
    community = Community.objects.create(name="Ward seven", slug="ward-7", visibility="private")
    member = UserFactory()
    Membership.objects.create(community=community, member=member, status="active")
    PostFactory(title="Handover zanzibar", community=community, visibility=Post.Visibility.MEMBERS)
    public_community = Community.objects.create(name="Open circle", slug="open", visibility="public")
    PostFactory(title="Budget zanzibar", community=public_community, visibility=Post.Visibility.MEMBERS)
    PostFactory(title="Open zanzibar")

    assert titles("zanzibar") == ["Open zanzibar"]
    assert titles("zanzibar", UserFactory()) == ["Open zanzibar"]
    assert set(titles("zanzibar", member)) == {"Open zanzibar", "Handover zanzibar"}
    assert search_posts(None, parse_query("zanzibar")).count() == 1


# --- The index follows every change ------------------------------------------------


def test_an_edited_post_is_found_by_its_new_words_only(engine):
    post = PostFactory(title="Old headline", body="Original paragraph.")
    post.title = "Fresh headline"
    post.body = "Rewritten paragraph."
    post.save()

    assert titles("fresh") == ["Fresh headline"]
    assert titles("rewritten") == ["Fresh headline"]
    assert titles("old") == []
    assert titles("original") == []


def test_saving_with_update_fields_updates_the_index(engine):
    post = PostFactory(title="Old headline")
    post.title = "Renamed headline"
    post.save(update_fields=["title"])

    assert titles("renamed") == ["Renamed headline"]
    assert titles("old") == []


def test_a_deleted_post_leaves_the_index(engine):
    post = PostFactory(title="Ephemeral thoughts")
    assert titles("ephemeral") == ["Ephemeral thoughts"]
    post.delete()
    assert titles("ephemeral") == []


def test_tags_are_indexed_when_they_change(engine):
    post = PostFactory(title="Plain", tags=["gardening"])
    assert titles("gardening") == ["Plain"]

    post.tags.set(["Pédagogie"])
    assert titles("gardening") == []
    assert titles("pedagogie") == ["Plain"]

    post.tags.clear()
    assert titles("pedagogie") == []

    post.tags.add("Networks")
    post.refresh_from_db()
    assert post.search_tags == "networks"
    post.title = "Still plain"
    post.save()  # a save keeps the tags the database has
    assert titles("networks") == ["Still plain"]


def test_a_post_written_on_the_site_is_found_by_its_tags(client, engine):
    """The write form saves the post, then its tags (ModelForm.save_m2m): both reach the index."""
    client.force_login(EditorFactory())
    response = client.post(
        reverse("blog:post_create"),
        {
            "title": "Apuntes de la semana",
            "visibility": "public",
            "categories": [individual_learning().pk],
            "tags": "Pedagogía, weekly",
            "excerpt": "",
            "body": "Aprendimos *juntos*.",
            "status": "published",
            "publish_at": (timezone.localtime() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M"),
            "comments_open": "on",
        },
    )
    assert response.status_code == 302
    assert titles("pedagogia") == ["Apuntes de la semana"]
    assert titles("juntos apuntes") == ["Apuntes de la semana"]


def test_a_stale_copy_does_not_overwrite_newer_tags(engine):
    post = PostFactory(title="Plain")
    stale = Post.objects.get(pk=post.pk)
    post.tags.add("orchards")
    stale.save()
    assert titles("orchards") == ["Plain"]


def test_bulk_created_posts_and_comments_are_found(engine):
    """seed_demo --posts inserts with bulk_create, bypassing save(): it fills the folded fields itself."""
    call_command("seed_demo", force=True, posts=3, comments_per_post=2, stdout=StringIO(), stderr=StringIO())

    benchmark = titles("benchmark post")
    assert sorted(benchmark) == ["Benchmark post 1", "Benchmark post 2", "Benchmark post 3"]
    assert titles('"benchmark post 2"') == ["Benchmark post 2"]
    # Their tags, excerpt and body are indexed too.
    bulk = Post.objects.get(slug="benchmark-post-1")
    tag = bulk.tags.order_by("name").first().name
    assert "Benchmark post 1" in titles(f'"{tag}" benchmark')
    assert "Benchmark post 1" in titles("generated benchmarks heading")

    from comments.search import search_comments

    assert search_comments(None, parse_query("benchmark")).count() == 0
    assert (
        search_comments(None, parse_query('"tried something similar"'))
        .filter(post__slug__startswith="benchmark")
        .exists()
    )


# --- The database side ----------------------------------------------------------


def installed_triggers(table):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
        )
        return {name: " ".join(sql.split()) for name, sql in cursor.fetchall()}


def expected_triggers(index):
    """What blog.search.sqlite_triggers creates, as SQLite stores it (without IF NOT EXISTS)."""
    return {
        sql.split()[5]: " ".join(sql.replace("IF NOT EXISTS ", "").split())
        for sql in search.sqlite_triggers(index)
    }


needs_fts5 = pytest.mark.skipif(
    connection.vendor != "sqlite" or not search.fts5_available(), reason="SQLite's FTS5 tables"
)


@needs_fts5
def test_sqlite_fts_triggers_are_installed():
    """A later migration that makes Django rebuild blog_post or comments_comment drops these triggers.

    If this fails after a new migration, end that migration with
    ``blog.search.restore_sqlite_index`` (see its docstring) for the table it rebuilt.
    """
    from comments.search import COMMENT_INDEX

    assert installed_triggers("blog_post") == expected_triggers(search.POST_INDEX)
    assert installed_triggers("comments_comment") == expected_triggers(COMMENT_INDEX)
    PostFactory(title="Integrity")
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO blog_post_fts(blog_post_fts) VALUES ('integrity-check')")
        cursor.execute("INSERT INTO comments_comment_fts(comments_comment_fts) VALUES ('integrity-check')")


@needs_fts5
def test_restore_sqlite_index_after_a_table_rebuild():
    PostFactory(title="Before the rebuild")
    with connection.cursor() as cursor:
        for name in expected_triggers(search.POST_INDEX):
            cursor.execute(f"DROP TRIGGER {name}")
    PostFactory(title="Written while the triggers were gone")
    assert titles("written") == []

    search.restore_sqlite_index(connection, search.POST_INDEX)

    assert installed_triggers("blog_post") == expected_triggers(search.POST_INDEX)
    assert titles("written") == ["Written while the triggers were gone"]
    assert titles("before") == ["Before the rebuild"]
    PostFactory(title="After the rebuild")
    assert titles("after") == ["After the rebuild"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN index")
def test_postgresql_search_can_use_the_gin_index():
    for n in range(30):
        PostFactory(title=f"Filler {n}")
    PostFactory(title="Needle in the haystack")
    # The text condition alone (the visibility rule brings other indexes into play on tiny tables;
    # bench_search shows the plan of the whole query on 10,000 posts).
    posts = search.match(Post.objects.all(), parse_query("needle"), search.POST_INDEX)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = posts.explain()
    assert "blog_post_search_gin" in plan, plan
    assert [p.title for p in posts] == ["Needle in the haystack"]


def test_the_engine_matches_the_database():
    expected = {"postgresql": "postgresql", "sqlite": "fts5" if search.fts5_available() else "like"}
    assert search.engine("default") == expected.get(connection.vendor, "like")


# --- Highlights -------------------------------------------------------------------


def test_highlight_marks_words_whatever_their_accents():
    html = highlight("Herzliche Grüße, educación & <b>more</b>", parse_query("grusse EDUCACION more").words)
    assert html == (
        "Herzliche <mark>Grüße</mark>, <mark>educación</mark> &amp; &lt;b&gt;<mark>more</mark>&lt;/b&gt;"
    )


def test_highlight_escapes_everything_it_does_not_mark():
    html = highlight('<script>alert("x")</script> learning', frozenset({"learning"}))
    assert html == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; <mark>learning</mark>"
    assert highlight("<i>no match</i>", frozenset()) == "&lt;i&gt;no match&lt;/i&gt;"


def test_highlight_cuts_a_window_around_the_first_match():
    text = " ".join(f"word{n}" for n in range(200)) + " needle " + " ".join(f"tail{n}" for n in range(200))
    html = highlight(text, frozenset({"needle"}), length=120)
    assert html.startswith("… ") and html.endswith(" …")
    assert "<mark>needle</mark>" in html
    assert len(html) < 200
    start = highlight(text, frozenset({"absent"}), length=120)
    assert start.startswith("word0 ") and start.endswith(" …")
