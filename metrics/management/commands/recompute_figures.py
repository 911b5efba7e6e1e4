"""Recompute the figures stored on every mission, goal and metric, and report any drift."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from metrics.figures import figures_recompute


class Command(BaseCommand):
    help = (
        "Recompute the progress, expected paths, reported confidence, health counts and trends "
        "stored on every mission, goal and metric from their rows; print each figure that "
        "had drifted (row, field, stored and computed) and fix it. Run once after the "
        "migration that adds them. With --check, only report, and exit 1 on any drift."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true", help="report drift without fixing it; exit 1 on any"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        check = options["check"]
        drift = figures_recompute(write=not check)
        for found in drift:
            self.stdout.write(str(found))
        if check and drift:
            raise CommandError(f"{len(drift)} stored figure(s) have drifted.")
        done = "found" if check else "fixed"
        self.stdout.write(f"{len(drift)} stored figure(s) had drifted; {done}.")
