"""``python manage.py restore <path> --yes``: put back a backup made by ``manage.py backup``.

It replaces everything in the database (and, when ``<path>.media.tar.gz`` is
there, the media folder), so it asks first, or refuses when it cannot ask,
unless given ``--yes``. The file is checked before anything is touched: a SQLite
backup must pass ``PRAGMA integrity_check`` and hold Django's tables; a
PostgreSQL dump must be an archive ``pg_restore`` can list. SQLite is restored
with the online backup API into the live database; PostgreSQL with
``pg_restore --clean --if-exists --single-transaction`` (all or nothing). Stop
the site (gunicorn and the task worker) first: requests during a restore see
old or half-restored data, and on PostgreSQL their open transactions hold the
locks ``pg_restore`` waits for.
"""

import shutil
import sqlite3
import sys
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from .backup import find_pg_tool, media_archive_path, pg_environment, run_tool

SQLITE_HEADER = b"SQLite format 3\x00"
LOCK_TIMEOUT = "60s"


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`: the database, and the media files when "
        "<path>.media.tar.gz is there. Replaces the current data: asks first unless --yes."
    )

    # A backup or a restore is what one does when things are broken: no system checks first.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file (.sqlite3 for SQLite, .dump for PostgreSQL)")
        parser.add_argument("--yes", action="store_true", help="replace the current data without asking")
        parser.add_argument("--no-media", action="store_true", help="leave the media folder as it is")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, path, yes=False, no_media=False, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        if connection.vendor not in ("sqlite", "postgresql"):
            raise CommandError(f"restore supports SQLite and PostgreSQL, not {connection.vendor}.")
        path = Path(path)
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        media_path = media_archive_path(path)
        restore_media = not no_media and media_path.is_file()

        # Check the backup before asking, so that a wrong file is refused at once.
        if connection.vendor == "sqlite":
            self.check_sqlite_backup(path)
        else:
            self.check_postgresql_backup(connection, path)
        if restore_media:
            self.check_media_archive(media_path)

        target = connection.settings_dict["NAME"]
        replaced = f"the {connection.vendor} database {target}"
        if restore_media:
            replaced += f" and the media folder {settings.MEDIA_ROOT}"
        if not yes:
            self.confirm(f"This replaces {replaced} with the backup {path}.")

        if connection.vendor == "sqlite":
            self.restore_sqlite(connection, path)
        else:
            self.restore_postgresql(connection, path)
        self.stdout.write(f"Database restored from {path}.")
        if restore_media:
            count = self.restore_media(media_path, Path(settings.MEDIA_ROOT))
            self.stdout.write(f"Media files ({count:,}) restored from {media_path}.")
        elif not no_media:
            self.stdout.write(
                f"No media archive ({media_path.name}) beside the backup: media files left as they are."
            )

        from core.page_cache import bump_content_version

        bump_content_version()  # no visitor gets a page cached before the restore

    def confirm(self, what):
        if not sys.stdin.isatty():
            raise CommandError(f"{what} Run again with --yes to confirm; nothing was changed.")
        answer = input(f"{what}\nType 'yes' to go on: ")
        if answer.strip().lower() != "yes":
            raise CommandError("Restore cancelled; nothing was changed.")

    # --- checks -------------------------------------------------------------------

    def check_sqlite_backup(self, path):
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise CommandError(f"{path} is not a SQLite database: not a backup of this site.")
        try:
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                problems = [row[0] for row in source.execute("PRAGMA integrity_check")]
                source.execute("SELECT app, name FROM django_migrations LIMIT 1").fetchall()
            finally:
                source.close()
        except sqlite3.DatabaseError as error:
            raise CommandError(f"{path} cannot be read as a backup of this site: {error}") from None
        if problems != ["ok"]:
            raise CommandError(f"{path} fails its integrity check: {problems[:5]}")

    def check_postgresql_backup(self, connection, path):
        pg_restore = find_pg_tool("pg_restore", connection)
        try:
            listing = run_tool(
                [pg_restore, "--list", str(path)], pg_environment(connection), "pg_restore --list"
            )
        except CommandError as error:
            raise CommandError(f"{path} is not a PostgreSQL backup of this site ({error}).") from None
        if "django_migrations" not in listing.stdout:
            raise CommandError(f"{path} is a PostgreSQL archive but not a backup of this site.")

    def check_media_archive(self, media_path):
        try:
            with tarfile.open(media_path, "r:gz") as archive:
                archive.getmembers()
        except (tarfile.TarError, OSError, EOFError) as error:
            raise CommandError(f"{media_path} is not a readable media archive: {error}") from None

    # --- restoring ----------------------------------------------------------------

    def restore_sqlite(self, connection, path):
        connection.ensure_connection()
        if connection.in_atomic_block:
            raise CommandError("cannot restore inside a transaction.")
        source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            with connection.wrap_database_errors:
                source.backup(connection.connection)
        finally:
            source.close()
            connection.close()  # the next query reads the restored schema afresh

    def restore_postgresql(self, connection, path):
        pg_restore = find_pg_tool("pg_restore", connection)
        env = pg_environment(connection)
        connection.close()  # our own connection must not hold a lock pg_restore needs
        # Give up rather than wait forever behind a running site's open transactions.
        env["PGOPTIONS"] = f"{env.get('PGOPTIONS', '')} -c lock_timeout={LOCK_TIMEOUT}".strip()
        command = [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={env['PGDATABASE']}",
            str(path),
        ]
        try:
            run_tool(command, env, "pg_restore")
        except CommandError as error:
            hint = ""
            if "lock timeout" in str(error):
                hint = (
                    " Something holds the tables: stop gunicorn and the task worker, then run restore again."
                )
            raise CommandError(f"{error} Nothing was changed (one transaction).{hint}") from None

    def restore_media(self, media_path, media_root):
        """Unpack beside MEDIA_ROOT, then swap the folders, so a failure leaves the old files in place."""
        media_root.parent.mkdir(parents=True, exist_ok=True)
        unpacked = Path(tempfile.mkdtemp(prefix=".media-restore-", dir=media_root.parent))
        previous = None
        try:
            with tarfile.open(media_path, "r:gz") as archive:
                members = [member for member in archive.getmembers() if member.isfile() or member.isdir()]
                archive.extractall(unpacked, members=members, filter="data")  # no absolute or ../ paths
            if media_root.exists():
                previous = media_root.with_name(f"{unpacked.name}-previous")
                media_root.rename(previous)
            unpacked.rename(media_root)
        finally:
            if unpacked.exists():
                shutil.rmtree(unpacked, ignore_errors=True)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
        return sum(1 for member in members if member.isfile())
