"""Search for comments: a folded copy of the text, and the full-text index of each database.

As for posts (``blog/migrations/0005_post_search.py``): on PostgreSQL a stored
generated ``tsvector`` column ``comments_comment.search_vector`` with the GIN
index ``comments_comment_search_gin``; on SQLite with FTS5 the external-content
table ``comments_comment_fts`` and its triggers (a later migration that makes
Django rebuild ``comments_comment`` on SQLite drops the triggers and must end
with ``blog.search.restore_sqlite_index``); elsewhere nothing (``LIKE`` fallback).
"""

from django.db import migrations, models

POSTGRESQL = [
    """
    ALTER TABLE comments_comment ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(search_body, ''))
    ) STORED
    """,
    "CREATE INDEX comments_comment_search_gin ON comments_comment USING gin (search_vector)",
]
POSTGRESQL_REVERSE = [
    "DROP INDEX IF EXISTS comments_comment_search_gin",
    "ALTER TABLE comments_comment DROP COLUMN IF EXISTS search_vector",
]

SQLITE_TABLE = (
    "CREATE VIRTUAL TABLE comments_comment_fts USING fts5(search_body, content='comments_comment', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS comments_comment_fts_insert AFTER INSERT ON comments_comment BEGIN
        INSERT INTO comments_comment_fts(rowid, search_body) VALUES (new.id, new.search_body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS comments_comment_fts_delete AFTER DELETE ON comments_comment BEGIN
        INSERT INTO comments_comment_fts(comments_comment_fts, rowid, search_body)
        VALUES ('delete', old.id, old.search_body);
    END""",
    """CREATE TRIGGER IF NOT EXISTS comments_comment_fts_update
    AFTER UPDATE OF search_body ON comments_comment BEGIN
        INSERT INTO comments_comment_fts(comments_comment_fts, rowid, search_body)
        VALUES ('delete', old.id, old.search_body);
        INSERT INTO comments_comment_fts(rowid, search_body) VALUES (new.id, new.search_body);
    END""",
]
SQLITE_REBUILD = "INSERT INTO comments_comment_fts(comments_comment_fts) VALUES ('rebuild')"
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS comments_comment_fts_insert",
    "DROP TRIGGER IF EXISTS comments_comment_fts_delete",
    "DROP TRIGGER IF EXISTS comments_comment_fts_update",
    "DROP TABLE IF EXISTS comments_comment_fts",
]


def fill_search_body(apps, schema_editor):
    """Fold the text of the existing comments, as ``Comment.save()`` does for new ones."""
    from comments.models import comment_search_text  # the app's folding: the index must match new rows

    db = schema_editor.connection.alias
    Comment = apps.get_model("comments", "Comment")
    batch = []
    for comment in Comment.objects.using(db).only("body_html").iterator(chunk_size=1000):
        comment.search_body = comment_search_text(comment.body_html)
        batch.append(comment)
        if len(batch) == 1000:
            Comment.objects.using(db).bulk_update(batch, ["search_body"])
            batch = []
    Comment.objects.using(db).bulk_update(batch, ["search_body"])


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
    dependencies = [("comments", "0005_discussion_settings_row"), ("blog", "0005_post_search")]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="search_body",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(fill_search_body, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
