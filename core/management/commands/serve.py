"""`manage.py serve`: the production web server (granian, WSGI), set from the environment.

The one place its command line is built: the image, compose and `make serve` all run this,
so WEB_WORKERS, WEB_THREADS, WEB_MAX_RSS_MB and WEB_ACCESS_LOG mean the same everywhere.
"""

import os
import shutil
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser


def granian_command(host: str, port: int) -> list[str]:
    command = [
        "granian",
        "--interface",
        "wsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(settings.WEB_WORKERS),
        "--blocking-threads",
        str(settings.WEB_THREADS),
        # A worker that crashes (or is killed for its memory) is replaced, not left gone.
        "--respawn-failed-workers",
        "--access-log" if settings.WEB_ACCESS_LOG else "--no-access-log",
    ]
    if settings.WEB_MAX_RSS_MB > 0:
        # Rendering a large report's PDF can grow a process; past the cap it is replaced
        # (gracefully, between requests) instead of growing until the machine swaps.
        command += [
            "--workers-max-rss",
            str(settings.WEB_MAX_RSS_MB),
            "--rss-sample-interval",
            "10",
        ]
    return [*command, "config.wsgi:application"]


class Command(BaseCommand):
    help = "Serve Waymark with granian, as configured by WEB_* environment variables."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=settings.WEB_HOST)
        parser.add_argument("--port", type=int, default=settings.WEB_PORT)
        parser.add_argument(
            "--print", action="store_true", help="print the command instead of running it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        command = granian_command(options["host"], options["port"])
        if options["print"]:
            self.stdout.write(" ".join(command))
            return
        # granian from this Python's environment, replacing this process (signals from
        # the container runtime then reach granian itself).
        granian = shutil.which("granian", path=os.path.dirname(sys.executable)) or "granian"
        os.execvp(granian, [granian, *command[1:]])  # noqa: S606
