"""``manage.py backup`` and ``restore``: a round trip brings back exactly what was backed up.

The commands run as an operator runs them, in their own process with the
production settings, on a database made for this module: a SQLite file, or
(when the suite runs on PostgreSQL) a PostgreSQL database, so both the online
backup API and pg_dump/pg_restore are exercised. Data is created through the
factories and services, backed up with the media files, changed and deleted,
then restored.
"""

import hashlib

import pytest

from testing.live_server import LiveDatabase

pytestmark = pytest.mark.slow

SEED = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.services import membership_join
from comments.models import DiscussionSettings
from comments.services import comment_submit
from testing.factories import CommunityFactory, PostFactory, UserFactory

rules = DiscussionSettings.load()
rules.hold_first_comment = False
rules.save()
ada = UserFactory(username="ada", display_name="Ada", password="!")
grace = UserFactory(username="grace", display_name="Grace", password="!")
post = PostFactory(title="What we learned before the backup", author=ada, tags=["backups", "resilience"])
first = comment_submit(post=post, author=grace, body="A first comment, *kept*.")
comment_submit(post=post, author=ada, body="A reply to it.", parent=first)
circle = CommunityFactory(name="Backup circle", slug="backup-circle", owner=ada)
membership_join(community=circle, member=grace)
default_storage.save("avatars/ada.png", ContentFile(b"\\x89PNG ada's avatar"))
print(json.dumps("seeded"))
"""

CHANGE = """
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from accounts.models import User
from blog.models import Post
from comments.models import Comment

Comment.objects.all().delete()
Post.objects.update(title="Overwritten after the backup")
User.objects.filter(username="grace").delete()
User.objects.create(username="mallory", email="mallory@example.org")
default_storage.delete("avatars/ada.png")
default_storage.save("avatars/mallory.png", ContentFile(b"not in the backup"))
"""

SNAPSHOT = """
from accounts.models import Membership, User
from blog.models import Post
from comments.models import Comment

print(json.dumps({
    "users": sorted(User.objects.values_list("username", flat=True)),
    "posts": sorted(Post.objects.values_list("title", "comment_count")),
    "tags": sorted(Post.objects.values_list("tags__name", flat=True)),
    "comments": sorted(
        Comment.objects.values_list("author__username", "body", "status", "parent__author__username")
    ),
    "memberships": sorted(
        Membership.objects.values_list("community__slug", "member__username", "role", "status")
    ),
}))
"""


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    database = LiveDatabase(tmp_path_factory.mktemp("backups"), "backups")
    database.create(static=False)
    database.python(SEED)
    yield database
    database.drop()


def media_files(database):
    root = database.directory / "media"
    return {
        str(path.relative_to(root)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_a_restored_backup_brings_back_the_data_and_the_media(database, tmp_path):
    before = database.python(SNAPSHOT)
    assert before["comments"] and before["memberships"] and before["tags"]  # the seed did something
    media_before = media_files(database)
    assert "avatars/ada.png" in media_before

    path = tmp_path / ("portal.sqlite3" if database.vendor == "sqlite" else "portal.dump")
    output = database.manage("backup", str(path)).stdout
    assert f"backed up to {path}" in output
    assert path.is_file()
    assert (tmp_path / f"{path.name}.media.tar.gz").is_file()
    assert not list(tmp_path.glob(".*partial"))
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name, f"{path.name}.media.tar.gz"]  # no -wal

    changed = database.python(CHANGE + SNAPSHOT)
    assert changed != before and changed["comments"] == []
    assert media_files(database) != media_before

    output = database.manage("restore", str(path), "--yes").stdout
    assert "Database restored" in output
    assert database.python(SNAPSHOT) == before
    assert media_files(database) == media_before  # ada's avatar back, mallory's gone


def test_restore_asks_before_replacing_anything(database, tmp_path):
    path = tmp_path / "before-change.backup"
    database.manage("backup", str(path), "--no-media")
    current = database.python(
        "from accounts.models import User\nUser.objects.create(username='added')\n" + SNAPSHOT
    )

    refused = database.manage("restore", str(path), check=False)  # stdin is not a terminal: it cannot ask
    assert refused.returncode != 0
    assert "--yes" in refused.stderr and "nothing was changed" in refused.stderr
    assert database.python(SNAPSHOT) == current
    assert "added" in current["users"]


def test_restore_refuses_a_file_that_is_not_a_backup(database, tmp_path):
    current = database.python(SNAPSHOT)
    bogus = tmp_path / "notes.sqlite3"
    bogus.write_bytes(
        b"SQLite format 3\x00" + b"\x00" * 200 if database.vendor == "sqlite" else b"PGDMP junk"
    )
    refused = database.manage("restore", str(bogus), "--yes", check=False)
    assert refused.returncode != 0
    assert "Traceback" not in refused.stderr
    assert str(bogus) in refused.stderr
    missing = database.manage("restore", str(tmp_path / "nowhere.dump"), "--yes", check=False)
    assert missing.returncode != 0 and "is not a file" in missing.stderr
    assert database.python(SNAPSHOT) == current


def test_backup_writes_a_dated_file_under_var_backups_and_never_overwrites(database, tmp_path):
    output = database.manage("backup", "--no-media").stdout
    backups = list((database.directory / "var" / "backups").glob("portal-*"))
    assert len(backups) == 1
    assert backups[0].suffix == (".sqlite3" if database.vendor == "sqlite" else ".dump")
    assert str(backups[0]) in output

    again = database.manage("backup", str(backups[0]), check=False)
    assert again.returncode != 0 and "already exists" in again.stderr
