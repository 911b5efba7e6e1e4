"""Load an organisation exported from Waymark (Settings → Export) into this database."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from orgs.portability import MAX_IMPORT_BYTES, ImportRefused, organisation_import


class Command(BaseCommand):
    help = (
        "Import an organisation from the zip its export gave, in one transaction: all of it "
        "or nothing. People new to this database get no password; they set one with "
        "'Forgotten your password?'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("zip", type=Path, help="The zip from the organisation's export.")
        parser.add_argument(
            "--max-mb",
            type=int,
            default=MAX_IMPORT_BYTES // (1024 * 1024),
            help="Refuse a zip that unpacks to more than this many MB (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["zip"]
        try:
            with path.open("rb") as file:
                imported = organisation_import(file, max_bytes=options["max_mb"] * 1024 * 1024)
        except OSError as error:
            raise CommandError(f"Can't read {path}: {error.strerror or error}.") from None
        except ImportRefused as error:
            raise CommandError(f"Nothing was imported. {error}") from None
        org = imported.organisation
        self.stdout.write(
            self.style.SUCCESS(f"Imported {org.name} at /o/{org.slug}/: {imported.rows} rows.")
        )
        self.stdout.write(
            f"People: {imported.people_created} new, with no password yet; "
            f"{imported.people_found} already had an account here."
        )
