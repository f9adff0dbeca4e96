"""``python manage.py import_wordpress FILE.xml``: import a WordPress export (see docs/importer.md)."""

from django.core.management.base import BaseCommand, CommandError

from core.progress import command_progress
from wordpress.importer import import_wxr
from wordpress.parsing import WXRError, parse_wxr


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR 1.0-1.2): authors, categories, tags, posts, pages and comments. "
        "Re-running it creates no duplicates and leaves posts edited since the import alone. "
        "Malformed files import nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file", metavar="FILE", help="The WXR file exported by WordPress (Tools → Export)."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen, then roll everything back."
        )
        parser.add_argument(
            "--media-dir",
            metavar="DIR",
            help=(
                "A copy of wp-content/uploads: the report says which attachments exist there "
                "(nothing is copied)."
            ),
        )

    def handle(self, *args, file, dry_run, media_dir, verbosity, **options):
        try:
            data = parse_wxr(file)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        except WXRError as error:
            raise CommandError(f"{file}: {error}. Nothing was imported.") from error
        with command_progress(
            self, total=len(data.items), desc="Importing", unit="item", verbosity=verbosity
        ) as progress:
            report = import_wxr(data, dry_run=dry_run, media_dir=media_dir, progress=progress.update)
        if verbosity >= 1:
            for line in report.lines():
                self.stdout.write(line)
