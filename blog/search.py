"""Full-text search over posts, and the machinery ``comments.search`` reuses for comments.

The search page itself is a ``comments`` view (it lists posts and comments);
this module owns how a post is indexed and found, and the parts every index
shares: text folding, the query language, matching on each database and
highlighting. ``comments.search`` declares the comment index the same way.

Folded copies, kept by ``save()``
    ``Post.save()`` stores ``search_title``, ``search_tags``, ``search_excerpt``
    and ``search_body``: the text as words (Markdown rendered, HTML stripped),
    decomposed (NFKD), combining marks dropped, case-folded and joined by one
    space: ``"Grüße aus Málaga!"`` becomes ``"grusse aus malaga"``. A query is
    folded the same way, so accents and case never matter, on any database,
    without extensions (``unaccent``, ICU collations): "educación" finds
    "educacion" and the reverse, "Grüße" finds "grusse" and "GRÜSSE" (``ß``
    folds to ``ss``), and ``ø æ œ ł đ þ`` fold to ``o ae oe l d th``. Because the
    database only ever sees space-separated words, PostgreSQL and SQLite split
    the text into the same words. Tag names are folded into ``search_tags``
    whenever the post's tags change (taggit's manager sends ``m2m_changed``;
    forms and the admin set tags after saving the post) and on every save.
    Bulk inserts bypass ``save()`` and must fill the fields themselves with
    :func:`post_search_fields` (``seed_demo --posts`` does).

Words and limits
    A word is a run of letters and digits (Unicode), so "e-learning" is two
    words and a query for it is the phrase "e learning". There is no stemming
    and there are no stop words (the texts are in several languages), and no
    prefix search. Letters lose their marks but are not transliterated:
    "muller" finds "Müller", "mueller" does not. Scripts written without
    spaces (Chinese, Japanese) are indexed per run of characters, so only
    whole runs are found.

PostgreSQL
    Migration ``blog.0005`` adds ``blog_post.search_vector``, a ``tsvector
    GENERATED ALWAYS AS (...) STORED`` column that the database recomputes on
    every write: ``setweight`` A for the title, B for the tags and the excerpt,
    C for the body, over the folded columns with the ``simple`` configuration;
    and ``blog_post_search_gin``, a GIN index on it. The column is not a model
    field (it exists only on PostgreSQL; Django's model state and SQLite
    migrations stay the same everywhere): :class:`StoredColumn` refers to it.
    A query becomes ``search_vector @@ to_tsquery('simple', ...)``, ranked
    with ``ts_rank`` (``SearchRank``). The tsquery is built here from the
    parsed query, every word quoted, rather than with
    ``websearch_to_tsquery``, so that both databases read the same grammar
    (``websearch_to_tsquery`` cannot group ``a OR b`` inside an AND).
    Two small differences from SQLite: PostgreSQL recomputes the column on
    every update of the row (``comment_count`` included; one ``to_tsvector``
    of the post), and ``||`` puts the fields end to end, so a quoted phrase
    may run from the title into the tags, where FTS5 keeps columns apart.

SQLite
    FTS5 external-content tables (``blog_post_fts`` here,
    ``comments_comment_fts`` for comments) over the folded columns, kept in
    sync by triggers on insert, delete and update of those columns (so bulk
    inserts are indexed too), queried with ``MATCH`` and ranked with
    ``bm25()`` (title 10, tags and excerpt 4, body 1). Every word of the
    query goes to FTS5 inside double quotes, so no user input is ever read
    as an FTS5 operator. The query joins the FTS5 table so that SQLite runs
    the MATCH once and reads each match by id (see :func:`match`). Django
    rebuilds a SQLite table for most later
    ``AlterField``/``AddField`` operations, which drops the triggers: a
    migration that does so on ``blog_post`` or ``comments_comment`` must end
    with :func:`restore_sqlite_index`; ``blog/tests/test_search.py`` fails
    until it does.

Fallback
    Where FTS5 is missing (a SQLite build without it, checked once per
    process with a throw-away in-memory database; migrations then skip the
    virtual tables) and on other databases, words are matched with ``LIKE``
    on the folded columns: a word matches inside longer words too ("learn"
    finds "learning"), ranking is a weighted count of the columns that
    match, and every search scans the table. Fine for a small site; use
    PostgreSQL or an SQLite with FTS5 for a big one. The search tests run
    against the fallback too.

Query language (the same on every database)
    Words must all appear; ``"quoted words"`` must appear in that order;
    ``-word``, ``-"a phrase"`` or ``NOT word`` exclude; ``OR`` between two
    words or phrases accepts either; ``AND`` is implied. Anything else is
    punctuation. Queries are cut to 200 characters and 16 words; NUL
    characters are dropped; a query with no word left is no search at all.

Highlights
    :func:`highlight` marks the words of the original text (accents and
    case as written) whose folded form is a query word: each piece of text is
    escaped first, then the matches are wrapped in ``<mark>``.
"""

import html
import re
import sqlite3
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache

from django.db import connections
from django.db.models import Case, Expression, FloatField, Q, Value, When
from django.utils import timezone
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Community

from .models import Category, Post, TaggedPost

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 16
SNIPPET_LENGTH = 240

# --- Folding --------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and a mark.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i", "ħ": "h", "Ħ": "H",
     "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "TH", "ð": "d", "Ð": "D"}
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """``text`` without accents and case: NFKD, casefold, combining marks dropped."""
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED)).casefold()
    text = unicodedata.normalize("NFKD", text)  # casefold can produce new composites ("İ")
    return "".join(c for c in text if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The folded words of ``text``: runs of letters and digits."""
    return _WORD.findall(fold(text))


def index_text(*texts: str) -> str:
    """The folded words of ``texts``, one space apart: what the index stores."""
    return " ".join(word for text in texts for word in words(text or ""))


def plain_text(fragment: str) -> str:
    """The text of an HTML fragment (rendered Markdown), entities decoded."""
    return html.unescape(strip_tags(fragment or ""))


def tags_index_text(tag_names) -> str:
    """A post's tag names as ``search_tags`` stores them: folded, in alphabetical order."""
    return index_text(*sorted(tag_names, key=str.casefold))


def post_search_fields(*, title: str, excerpt_html: str, body_html: str, tag_names=()) -> dict[str, str]:
    """The folded copies ``Post.save()`` stores; bulk inserts set them from this too."""
    return {
        "search_title": index_text(title),
        "search_tags": tags_index_text(tag_names),
        "search_excerpt": index_text(plain_text(excerpt_html)),
        "search_body": index_text(plain_text(body_html)),
    }


def post_tag_names(post_id) -> list[str]:
    return list(TaggedPost.objects.filter(content_object_id=post_id).values_list("tag__name", flat=True))


# --- The query language ---------------------------------------------------

Phrase = tuple[str, ...]
# A quoted phrase (closing quote optional, an optional leading minus), or a bare word.
_CLAUSE = re.compile(r'(-?)"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class SearchTerms:
    """A parsed query: an AND of groups, each an OR of phrases (a word is a one-word phrase)."""

    groups: tuple[tuple[Phrase, ...], ...] = ()
    excluded: tuple[Phrase, ...] = ()

    def __bool__(self):
        return bool(self.groups)

    @property
    def words(self) -> frozenset[str]:
        """The words to highlight: those of the wanted phrases, not of the excluded ones."""
        return frozenset(word for group in self.groups for phrase in group for word in phrase)

    def fts5(self) -> str:
        """An FTS5 query: every phrase in double quotes, so nothing typed is an operator."""

        def phrase(p):
            return '"' + " ".join(p) + '"'

        expression = " AND ".join(
            phrase(group[0]) if len(group) == 1 else "(" + " OR ".join(map(phrase, group)) + ")"
            for group in self.groups
        )
        for p in self.excluded:
            expression = f"({expression}) NOT {phrase(p)}"
        return expression

    def tsquery(self) -> str:
        """A ``to_tsquery`` expression: every word a quoted lexeme, phrases joined with ``<->``."""

        def phrase(p):
            return "(" + " <-> ".join(f"'{w}'" for w in p) + ")"

        parts = ["(" + " | ".join(map(phrase, group)) + ")" for group in self.groups]
        parts += [f"!{phrase(p)}" for p in self.excluded]
        return " & ".join(parts)


def parse_query(raw: str | None) -> SearchTerms:
    """Read what someone typed into :class:`SearchTerms`. Never fails; see the module docstring."""
    text = (raw or "").replace("\x00", "")[:MAX_QUERY_LENGTH]
    groups: list[list[Phrase]] = []
    excluded: list[Phrase] = []
    budget = MAX_QUERY_WORDS
    negate_next = join_next = last_wanted = False
    for match in _CLAUSE.finditer(text):
        minus, quoted, bare = match.groups()
        if bare in ("OR", "AND", "NOT"):
            # OR joins the next wanted phrase to the previous one; NOT excludes the next.
            join_next = bare == "OR" and last_wanted
            negate_next = bare == "NOT"
            continue
        negated = negate_next or bool(minus) or (bare is not None and bare.startswith("-"))
        phrase = tuple(words(quoted if bare is None else bare))[:budget]
        joined, join_next, negate_next = join_next, False, False
        if not phrase:
            continue
        budget -= len(phrase)
        last_wanted = not negated
        if negated:
            excluded.append(phrase)
        elif joined:
            if phrase not in groups[-1]:
                groups[-1].append(phrase)
        elif [phrase] not in groups:
            groups.append([phrase])
        if budget <= 0:
            break
    if not groups:
        return SearchTerms()
    return SearchTerms(tuple(tuple(g) for g in groups), tuple(dict.fromkeys(excluded)))


# --- Matching on each database ----------------------------------------------


@dataclass(frozen=True)
class SearchIndex:
    """The folded columns of one table and how each database searches them.

    ``columns`` are (field, weight) in the order of the FTS5 table's columns;
    the weights are FTS5's ``bm25()`` weights and the fallback's. PostgreSQL's
    weights (A, B, C) are in the generated column of the migration.
    """

    table: str
    columns: tuple[tuple[str, float], ...]
    newest_first: tuple[str, ...]

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts"

    vector_column = "search_vector"


POST_INDEX = SearchIndex(
    table="blog_post",
    columns=(("search_title", 10.0), ("search_tags", 4.0), ("search_excerpt", 4.0), ("search_body", 1.0)),
    newest_first=("-publish_at", "-pk"),
)


@cache
def fts5_available() -> bool:
    """Whether this process's SQLite library has FTS5 (asked once, of a throw-away database)."""
    try:
        with closing(sqlite3.connect(":memory:")) as db:
            db.execute("CREATE VIRTUAL TABLE probe USING fts5(text)")
    except sqlite3.Error:
        return False
    return True


def engine(alias: str) -> str:
    """How to search the database ``alias``: "postgresql", "fts5" or "like" (the fallback)."""
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        return "postgresql"
    if vendor == "sqlite" and fts5_available():
        return "fts5"
    return "like"


def sqlite_triggers(index: SearchIndex) -> list[str]:
    """The triggers that keep ``index``'s FTS5 table in step with its table, as the migrations create them."""
    table, fts = index.table, index.fts_table
    columns = ", ".join(field for field, _weight in index.columns)
    new = ", ".join(f"new.{field}" for field, _weight in index.columns)
    old = ", ".join(f"old.{field}" for field, _weight in index.columns)
    # Only the index's own table and column names are interpolated (hence the noqa: S608).
    insert = f"INSERT INTO {fts}(rowid, {columns}) VALUES (new.id, {new});"  # noqa: S608
    delete = f"INSERT INTO {fts}({fts}, rowid, {columns}) VALUES ('delete', old.id, {old});"  # noqa: S608
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_fts_update AFTER UPDATE OF {columns} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]


def restore_sqlite_index(connection, *indexes: SearchIndex) -> None:
    """Create the FTS5 triggers of ``indexes`` again and rebuild their tables (SQLite with FTS5 only).

    A migration after which Django rebuilt ``blog_post`` or ``comments_comment``
    (most AlterField and AddField do, dropping the triggers) ends by calling this.
    """
    if connection.vendor != "sqlite" or not fts5_available():
        return
    with connection.cursor() as cursor:
        for index in indexes:
            for sql in sqlite_triggers(index):
                cursor.execute(sql)
            cursor.execute(f"INSERT INTO {index.fts_table}({index.fts_table}) VALUES ('rebuild')")  # noqa: S608


class StoredColumn(Expression):
    """A column of the queryset's table that is not a model field (``search_vector`` on PostgreSQL)."""

    def __init__(self, column: str, output_field):
        super().__init__(output_field=output_field)
        self.column = column
        self.alias = None

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.alias = query.get_initial_alias()
        return clone

    def relabeled_clone(self, change_map):
        clone = self.copy()
        clone.alias = change_map.get(self.alias, self.alias)
        return clone

    def get_group_by_cols(self):
        return [self]

    def as_sql(self, compiler, connection):
        return f"{compiler.quote_name(self.alias)}.{connection.ops.quote_name(self.column)}", []


def match(queryset, terms: SearchTerms, index: SearchIndex):
    """``queryset`` narrowed to the rows matching ``terms``, best first, annotated with ``search_rank``.

    Without terms, the rows are only put newest first (a search by filters alone).
    """
    if not terms:
        return queryset.order_by(*index.newest_first)
    if queryset.model._meta.db_table != index.table:
        raise ValueError(f"{queryset.model.__name__} is not searched with the {index.table} index.")
    how = engine(queryset.db)
    if how == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVectorField

        vector = StoredColumn(index.vector_column, SearchVectorField())
        query = SearchQuery(terms.tsquery(), search_type="raw", config="simple")
        matched = (
            queryset.alias(search_vector=vector)
            .filter(search_vector=query)
            .annotate(search_rank=SearchRank(vector, query))
        )
    elif how == "fts5":
        fts = index.fts_table
        weights = ", ".join(str(weight) for _field, weight in index.columns)
        # A join with the FTS5 table (bm25() needs the row of the MATCH). The unary "+" stops
        # SQLite from probing FTS5 once per row of the outer table (MATCH and rowid=?), which
        # it otherwise prefers when an index narrows that table: 5 s instead of 60 ms for a
        # word in 10,000 posts. So FTS5 runs the MATCH once and each match is read by its id.
        matched = queryset.extra(  # noqa: S610 - no user input in the SQL; the query is a parameter
            tables=[fts],
            where=[f'"{index.table}"."id" = +{fts}.rowid', f"{fts} MATCH %s"],
            params=[terms.fts5()],
            select={"search_rank": f"-bm25({fts}, {weights})"},
        )
    else:
        matched = _like(queryset, terms, index)
    return matched.order_by("-search_rank", *index.newest_first)


def _like(queryset, terms, index):
    """The fallback: every group's phrase inside one of the folded columns, ranked by a weighted count."""

    def found(phrase):
        text = " ".join(phrase)
        return Q.create([(f"{field}__contains", text) for field, _weight in index.columns], connector=Q.OR)

    condition = Q()
    for group in terms.groups:
        condition &= Q.create([found(p) for p in group], connector=Q.OR)
    for phrase in terms.excluded:
        condition &= ~found(phrase)
    rank = Value(0.0)
    for group in terms.groups:
        for phrase in group:
            for field, weight in index.columns:
                rank = rank + Case(
                    When(**{f"{field}__contains": " ".join(phrase)}, then=Value(weight)),
                    default=Value(0.0),
                    output_field=FloatField(),
                )
    return queryset.filter(condition).annotate(search_rank=rank)


# --- Filters and the post search ---------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """The results page's filters. Category, tag and community narrow by post; author and dates by row."""

    category: Category | None = None
    tag: str = ""
    community: Community | None = None
    author: str = ""
    start: date | None = None
    end: date | None = None

    def __bool__(self):
        return any((self.category, self.tag, self.community, self.author, self.start, self.end))

    def post_q(self, prefix: str = "") -> Q:
        """Category, tag and community, on the post (``prefix="post__"`` from a comment)."""
        q = Q()
        if self.category is not None:
            in_category = Post.categories.through.objects.filter(category=self.category).values("post")
            q &= Q(**{f"{prefix}pk__in": in_category})
        if self.tag:
            tagged = TaggedPost.objects.filter(Q(tag__name__iexact=self.tag) | Q(tag__slug=self.tag))
            q &= Q(**{f"{prefix}pk__in": tagged.values("content_object")})
        if self.community is not None:
            q &= Q(**{f"{prefix}community": self.community})
        return q

    def row_q(self, *, author: str, date_field: str) -> Q:
        """The author's username and the date range (local days, both ends included) on the row itself."""
        q = Q()
        if self.author:
            q &= Q(**{f"{author}__username__iexact": self.author})
        if self.start is not None:
            q &= Q(**{f"{date_field}__gte": _day_start(self.start)})
        if self.end is not None and self.end < date.max:
            q &= Q(**{f"{date_field}__lt": _day_start(self.end + timedelta(days=1))})
        return q


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def search_posts(user, terms: SearchTerms, filters: SearchFilters | None = None):
    """Published posts ``user`` may read (``Post.objects.visible_to``) matching ``terms``, best first."""
    filters = filters if filters is not None else SearchFilters()
    posts = (
        Post.objects.visible_to(user)
        .published()
        .filter(filters.post_q())
        .filter(filters.row_q(author="author", date_field="publish_at"))
    )
    return match(posts, terms, POST_INDEX)


# --- Highlights -------------------------------------------------------------


@lru_cache(maxsize=4096)
def _folded_words(word: str) -> frozenset[str]:
    return frozenset(words(word))


def highlight(text: str, wanted: frozenset[str], *, length: int | None = None) -> SafeString:
    """``text`` escaped, its words whose folded form is in ``wanted`` in ``<mark>``.

    With ``length``, only about that many characters around the first match
    (or from the start), cut at spaces, with "…" where text was left out.
    """
    text = " ".join(unicodedata.normalize("NFC", text or "").split())
    found = [m for m in _WORD.finditer(text) if _folded_words(m.group()) & wanted] if wanted else []
    start, end = 0, len(text)
    if length and len(text) > length:
        if found and found[0].start() > length // 3:
            # Start at a space about a third of the window before the first match.
            start = min(text.find(" ", found[0].start() - length // 3) + 1, found[0].start())
        end = start + length
        if end < len(text) and text.rfind(" ", start, end) > start:
            end = text.rfind(" ", start, end)
    pieces = ["… "] if start > 0 else []
    position = start
    for m in found:
        if m.start() < start or m.end() > end:
            continue
        pieces += [escape(text[position : m.start()]), "<mark>", escape(m.group()), "</mark>"]
        position = m.end()
    pieces.append(escape(text[position:end]))
    if end < len(text):
        pieces.append(" …")
    return mark_safe("".join(pieces))  # noqa: S308 - every piece of text above is escaped


def post_highlights(post, wanted: frozenset[str]) -> tuple[SafeString, SafeString]:
    """The highlighted title and a snippet: from the excerpt or the body, whichever has a match."""
    title = highlight(post.title, wanted)
    texts = [unicodedata.normalize("NFC", plain_text(html)) for html in (post.excerpt_html, post.body_html)]
    chosen = next((t for t in texts if has_match(t, wanted)), texts[0] or texts[1])
    return title, highlight(chosen, wanted, length=SNIPPET_LENGTH)


def has_match(text: str, wanted: frozenset[str]) -> bool:
    return bool(wanted) and any(_folded_words(w) & wanted for w in _WORD.findall(text))
