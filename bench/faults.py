"""Restart PostgreSQL (or Redis) for real while the app serves a load, and report the
errors it answered and how long it took to recover, without restarting the app.

Run it BY HAND, only on a machine whose servers you may restart (never against servers
other people's tests or users share):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/waymark_faults_bench \\
        .venv/bin/python bench/faults.py --restart "pg_ctlcluster 16 main restart" --really

    # Redis instead (pages must go on rendering, with no error at all):
    REDIS_URL=redis://127.0.0.1:6379/0 DATABASE_URL=... .venv/bin/python bench/faults.py \\
        --restart "systemctl restart redis-server" --path /p/<public-slug>/ --really

Without --really nothing is restarted: it serves and measures for the same time and
prints the command it would have run (a dry run, safe anywhere).

What it does: creates and migrates the database if needed, starts the production server
(granian, 2 workers, as bench/run.py does) with CONN_MAX_AGE and connection health checks
as configured in config/settings.py, and runs --threads loops requesting each --path
(default /healthz/database, which queries the database) without pause. After --before seconds it
runs the restart command, and goes on for --after seconds. It prints the requests made,
the errors by kind (500, 503, refused, timeout...), the first and last error relative to
the restart, and the time to recover: from the restart command's start to the first
success after the last error. It exits 1 if the app had not recovered by the end, or if
the server process had to be restarted (its pid changed or it died).

The simulated version, run in CI: tests/integration/test_database_restart.py (PostgreSQL
cutting the app's connection) and tests/integration/test_redis_down.py (Redis killed).
"""

import argparse
import os
import shlex
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')


class Load:
    """Threads requesting the paths in a loop; every answer is recorded with its time."""

    def __init__(self, base: str, paths: list[str], threads: int) -> None:
        self.base, self.paths = base, paths
        self.results: list[tuple[float, str]] = []  # (monotonic time, "200" or error kind)
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self.loop, daemon=True) for _ in range(threads)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.running = False
        for thread in self.threads:
            if thread.is_alive():
                thread.join(timeout=10)

    def loop(self) -> None:
        while self.running:
            for path in self.paths:
                outcome = self.request(path)
                with self.lock:
                    self.results.append((time.monotonic(), outcome))

    def request(self, path: str) -> str:
        try:
            with urllib.request.urlopen(self.base + path, timeout=5) as response:  # noqa: S310
                response.read()
                return str(response.status)
        except urllib.error.HTTPError as error:
            return str(error.code)
        except TimeoutError:
            return "timeout"
        except urllib.error.URLError as error:
            return f"unreachable ({error.reason})"
        except OSError as error:
            return type(error).__name__


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--restart", default="pg_ctlcluster 16 main restart")
    parser.add_argument("--really", action="store_true", help="run the restart command")
    parser.add_argument("--path", action="append", help="a page to request (repeatable)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--before", type=float, default=5.0)
    parser.add_argument("--after", type=float, default=30.0)
    parser.add_argument("--port", type=int, default=8124)
    args = parser.parse_args()
    paths = args.path or ["/healthz/database"]

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waymark_faults_bench"
    )
    env = os.environ | {
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "faults-only-not-secret-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PATH": f"{Path(PYTHON).parent}:{os.environ['PATH']}",
    }
    create_database(database_url)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        ["granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(args.port),
         "--workers", "2", "--blocking-threads", "1", "config.wsgi:application"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    load = Load(base, paths, args.threads)
    try:
        for _ in range(240):
            if load.request("/healthz/database") == "200":
                break
            time.sleep(0.5)
        else:
            raise SystemExit("the server did not come up")
        load.start()
        time.sleep(args.before)
        restarted_at = time.monotonic()
        if args.really:
            print(f"Running: {args.restart}", flush=True)
            done = subprocess.run(shlex.split(args.restart), check=False)
            print(f"Restart command exited {done.returncode} after "
                  f"{time.monotonic() - restarted_at:.1f} s", flush=True)  # fmt: skip
        else:
            print(f"Dry run (no --really): would run {args.restart!r} now", flush=True)
        time.sleep(args.after)
    finally:
        load.stop()
        server_survived = server.poll() is None
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    results = sorted(load.results)
    outcomes = Counter(outcome for _, outcome in results)
    errors = [(t - restarted_at, o) for t, o in results if o != "200"]
    print(f"\n{len(results)} requests to {', '.join(paths)} with {args.threads} threads")
    print("answers: " + ", ".join(f"{kind}: {n}" for kind, n in outcomes.most_common()))
    recovered = True
    if errors:
        last_error = errors[-1][0]
        after = [
            t - restarted_at for t, o in results if o == "200" and t - restarted_at > last_error
        ]
        recovered = bool(after)
        print(f"errors from {errors[0][0]:+.2f} s to {last_error:+.2f} s after the restart began")
        if recovered:
            print(f"time to recover: {after[0]:.2f} s (first success after the last error)")
        else:
            print("NOT RECOVERED by the end of the run")
    else:
        print("no errors at all")
    print(f"app server process survived without a restart: {server_survived}")
    return 0 if recovered and server_survived else 1


if __name__ == "__main__":
    sys.exit(main())
