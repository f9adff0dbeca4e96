"""``python manage.py backup [path]``: a consistent copy of the database and the media files.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the live
database page by page into a new file, consistent even while the site writes,
then checks the copy with ``PRAGMA integrity_check``. PostgreSQL: ``pg_dump
--format=custom`` (restored with ``pg_restore``), using a ``pg_dump`` at least as
new as the server. The uploaded files (``MEDIA_ROOT``: avatars, covers, logos)
go into ``<path>.media.tar.gz`` beside it. Both are written under a temporary
name and renamed when complete, so a backup that exists is a whole one.
``python manage.py restore <path> --yes`` puts them back.
"""

import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
from glob import glob
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

MEDIA_SUFFIX = ".media.tar.gz"


def default_backup_path(vendor):
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    extension = "sqlite3" if vendor == "sqlite" else "dump"
    return Path(settings.VAR_DIR) / "backups" / f"portal-{stamp}.{extension}"


def media_archive_path(path):
    return Path(f"{path}{MEDIA_SUFFIX}")


def partial_path(path):
    return path.with_name(f".{path.name}.partial")


# --- PostgreSQL tools ----------------------------------------------------------


def _tool_major_version(path):
    try:
        output = subprocess.run(  # noqa: S603 - a PostgreSQL client binary found below
            [path, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout
    except OSError:
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(found.group(1)) if found else None


def find_pg_tool(name, connection):
    """``pg_dump`` or ``pg_restore`` of the server's major version or newer (older ones refuse to work).

    Looks in ``/usr/lib/postgresql/<server version>/bin`` (Debian and Ubuntu), on
    ``PATH``, then in the other ``/usr/lib/postgresql/*/bin``.
    """
    connection.ensure_connection()
    server_major = connection.pg_version // 10000
    candidates = [f"/usr/lib/postgresql/{server_major}/bin/{name}", shutil.which(name)]
    candidates += sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    seen = []
    for candidate in candidates:
        if not candidate or candidate in seen or not os.access(candidate, os.X_OK):
            continue
        seen.append(candidate)
        major = _tool_major_version(candidate)
        if major is not None and major >= server_major:
            return candidate
    found = ", ".join(seen) or "none"
    raise CommandError(
        f"{name} for PostgreSQL {server_major} or newer was not found (found: {found}). Install the "
        f"PostgreSQL {server_major} client tools "
        f"(Debian/Ubuntu: apt-get install postgresql-client-{server_major})."
    )


def pg_environment(connection):
    """libpq's environment for the database of ``connection`` (the password never on the command line)."""
    params = connection.settings_dict
    env = dict(os.environ)
    mapping = {"PGHOST": "HOST", "PGPORT": "PORT", "PGUSER": "USER", "PGPASSWORD": "PASSWORD"}
    for variable, key in mapping.items():
        if params.get(key):
            env[variable] = str(params[key])
    env["PGDATABASE"] = params["NAME"]
    options = params.get("OPTIONS") or {}
    for variable, key in {"PGSSLMODE": "sslmode", "PGSSLROOTCERT": "sslrootcert"}.items():
        if options.get(key):
            env[variable] = str(options[key])
    return env


def run_tool(command, env, what):
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"{what} failed ({result.returncode}): {result.stderr.strip()}")
    return result


# --- The command -----------------------------------------------------------------


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite's online backup API, or pg_dump on PostgreSQL) and the media "
        "files. Default: var/backups/portal-<timestamp>.sqlite3 (or .dump), media in <path>.media.tar.gz."
    )

    # A backup or a restore is what one does when things are broken: no system checks first.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help="the backup file to write (it must not exist yet)")
        parser.add_argument("--no-media", action="store_true", help="leave the media files out")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, path=None, no_media=False, database=DEFAULT_DB_ALIAS, **options):
        connection = connections[database]
        if connection.vendor not in ("sqlite", "postgresql"):
            raise CommandError(f"backup supports SQLite and PostgreSQL, not {connection.vendor}.")
        path = Path(path) if path else default_backup_path(connection.vendor)
        media_path = media_archive_path(path)
        for target in (path, media_path):
            if target.exists():
                raise CommandError(f"{target} already exists: choose another path or move it away first.")
        path.parent.mkdir(parents=True, exist_ok=True)

        partial = partial_path(path)
        try:
            if connection.vendor == "sqlite":
                self.backup_sqlite(connection, partial)
            else:
                self.backup_postgresql(connection, partial)
            os.replace(partial, path)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(
            f"Database ({connection.vendor}) backed up to {path} ({path.stat().st_size:,} bytes)."
        )

        media_root = Path(settings.MEDIA_ROOT)
        if no_media:
            self.stdout.write("Media files left out (--no-media).")
        elif media_root.is_dir():
            count = self.backup_media(media_root, media_path)
            self.stdout.write(f"Media files ({count:,}) backed up to {media_path}.")
        else:
            self.stdout.write(f"No media folder at {media_root}: no media archive written.")

    def backup_sqlite(self, connection, partial):
        connection.ensure_connection()
        target = sqlite3.connect(partial)
        try:
            with connection.wrap_database_errors:
                connection.connection.backup(target)
            # A file on its own: no -wal or -shm beside it, even when opened read-only.
            target.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in target.execute("PRAGMA integrity_check")]
        finally:
            target.close()
        if problems != ["ok"]:
            raise CommandError(f"the copy failed its integrity check: {problems[:5]}")

    def backup_postgresql(self, connection, partial):
        pg_dump = find_pg_tool("pg_dump", connection)
        run_tool(
            [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"],
            pg_environment(connection),
            "pg_dump",
        )

    def backup_media(self, media_root, media_path):
        partial = partial_path(media_path)
        count = 0
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for file in sorted(media_root.rglob("*")):
                    if file.is_file() and not file.is_symlink():
                        archive.add(file, arcname=str(file.relative_to(media_root)), recursive=False)
                        count += 1
            os.replace(partial, media_path)
        finally:
            partial.unlink(missing_ok=True)
        return count
