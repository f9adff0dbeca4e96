"""Search for posts: folded copies of the text, and the full-text index of each database.

The folded ``search_*`` fields are model fields, the same on every database.
The index is not in Django's model state, because it differs per database:

* PostgreSQL: ``blog_post.search_vector``, a stored generated ``tsvector``
  (title A, tags and excerpt B, body C, ``simple`` configuration), and the
  GIN index ``blog_post_search_gin``.
* SQLite with FTS5: the external-content table ``blog_post_fts`` and the
  triggers that keep it in step with ``blog_post``. Django rebuilds a SQLite
  table for most later ``AlterField``/``AddField`` operations and the
  rebuild drops these triggers: such a migration on ``blog_post`` must end
  with ``blog.search.restore_sqlite_index`` (the same triggers, and a rebuild).
* Anything else (SQLite without FTS5): nothing; ``blog.search`` falls back to
  ``LIKE`` over the folded fields.
"""

from collections import defaultdict

from django.db import migrations, models

COLUMNS = ("search_title", "search_tags", "search_excerpt", "search_body")

POSTGRESQL = [
    """
    ALTER TABLE blog_post ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, coalesce(search_title, '')), 'A')
        || setweight(to_tsvector('simple'::regconfig, coalesce(search_tags, '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(search_excerpt, '')), 'B')
        || setweight(to_tsvector('simple'::regconfig, coalesce(search_body, '')), 'C')
    ) STORED
    """,
    "CREATE INDEX blog_post_search_gin ON blog_post USING gin (search_vector)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS blog_post_search_gin",
    "ALTER TABLE blog_post DROP COLUMN IF EXISTS search_vector",
]

_new = ", ".join(f"new.{c}" for c in COLUMNS)
_old = ", ".join(f"old.{c}" for c in COLUMNS)
_columns = ", ".join(COLUMNS)
SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE blog_post_fts USING fts5({_columns}, content='blog_post', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')"
)
# The triggers interpolate only the constant column names above (hence the noqa: S608).
SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS blog_post_fts_insert AFTER INSERT ON blog_post BEGIN
        INSERT INTO blog_post_fts(rowid, {_columns}) VALUES (new.id, {_new});
    END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS blog_post_fts_delete AFTER DELETE ON blog_post BEGIN
        INSERT INTO blog_post_fts(blog_post_fts, rowid, {_columns}) VALUES ('delete', old.id, {_old});
    END""",  # noqa: S608
    f"""CREATE TRIGGER IF NOT EXISTS blog_post_fts_update AFTER UPDATE OF {_columns} ON blog_post BEGIN
        INSERT INTO blog_post_fts(blog_post_fts, rowid, {_columns}) VALUES ('delete', old.id, {_old});
        INSERT INTO blog_post_fts(rowid, {_columns}) VALUES (new.id, {_new});
    END""",  # noqa: S608
]
SQLITE_REBUILD = "INSERT INTO blog_post_fts(blog_post_fts) VALUES ('rebuild')"
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS blog_post_fts_insert",
    "DROP TRIGGER IF EXISTS blog_post_fts_delete",
    "DROP TRIGGER IF EXISTS blog_post_fts_update",
    "DROP TABLE IF EXISTS blog_post_fts",
]


def fill_search_fields(apps, schema_editor):
    """Fold the text of the existing posts, as ``Post.save()`` does for new ones."""
    from blog.search import post_search_fields  # the app's folding: the index must match new rows

    db = schema_editor.connection.alias
    Post = apps.get_model("blog", "Post")
    TaggedPost = apps.get_model("blog", "TaggedPost")
    tags = defaultdict(list)
    for post_id, name in TaggedPost.objects.using(db).values_list("content_object_id", "tag__name"):
        tags[post_id].append(name)
    batch = []
    for post in Post.objects.using(db).only("title", "excerpt_html", "body_html").iterator(chunk_size=500):
        fields = post_search_fields(
            title=post.title,
            excerpt_html=post.excerpt_html,
            body_html=post.body_html,
            tag_names=tags[post.pk],
        )
        for name, value in fields.items():
            setattr(post, name, value)
        batch.append(post)
        if len(batch) == 500:
            Post.objects.using(db).bulk_update(batch, COLUMNS)
            batch = []
    Post.objects.using(db).bulk_update(batch, COLUMNS)


def create_index(apps, schema_editor):
    from blog.search import fts5_available

    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRESQL:
            schema_editor.execute(sql)
    elif vendor == "sqlite" and fts5_available():
        for sql in [SQLITE_TABLE, *SQLITE_TRIGGERS, SQLITE_REBUILD]:
            schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for sql in POSTGRESQL_REVERSE:
            schema_editor.execute(sql)
    elif vendor == "sqlite":
        for sql in SQLITE_REVERSE:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("blog", "0004_follow")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="search_title",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="post",
            name="search_tags",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="post",
            name="search_excerpt",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.AddField(
            model_name="post",
            name="search_body",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_fields, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
