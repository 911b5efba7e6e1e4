"""`make bench`: seed the scale organisation into PostgreSQL, serve it with the production
server, and measure each page with wrk at 16 connections.

Prints requests/s, p50 and p99 per page and each page's ratio to the health view, and
writes the table to bench/RESULTS.md. The pages are measured as served (Redis holds the
cached page parts, as in production); the signed-in pages also while a check-in lands
every second (each one invalidates the organisation's cached parts) and with the page
cache off (every part rendered on every request).

Environment: BENCH_DATABASE_URL (default: a local waymark_bench database; dropped and seeded
afresh on every run), BENCH_REDIS_URL (default: Redis database 15 on localhost, emptied
first), BENCH_SECONDS (per page, default 10), BENCH_ORGS (how many scale organisations,
default 1), BENCH_OTHERS (how many more are added before the dashboard is measured again,
default 50: one organisation's pages must not slow down as others grow).

The API's metric list and check-in create (issue 18) are measured too, with a token of the
scale organisation's owner, each as a ratio of the health view.
"""

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
import emails

ROOT = Path(__file__).resolve().parent.parent
PORT = 8123
BASE = f"http://127.0.0.1:{PORT}"
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/waymark_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
ORGS = int(os.environ.get("BENCH_ORGS", "1"))
OTHERS = int(os.environ.get("BENCH_OTHERS", "50"))
ENV = os.environ | {
    "DATABASE_URL": DATABASE_URL,
    "REDIS_URL": REDIS_URL,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-secret-" + "x" * 40,
    "SECURE_SSL_REDIRECT": "0",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
}
PYTHON = sys.executable


def manage(*args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=ENV, check=True, capture_output=True, text=True
    )
    return result.stdout


def fresh_database() -> None:
    """An empty benchmark database, every run: the organisations an earlier run added would
    turn the one-organisation figures into a crowd's."""
    name = DATABASE_URL.rsplit("/", 1)[1]
    server = ["-h", "127.0.0.1", "-U", "postgres"]
    subprocess.run(["dropdb", "--if-exists", "--force", *server, name], check=True)
    subprocess.run(["createdb", *server, name], check=True)


def wrk(
    path: str, cookie: str | None, seconds: int = SECONDS, api: "ApiTarget | None" = None
) -> tuple[float, float, float]:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", BASE + path]
    if cookie:
        command[1:1] = ["-H", f"Cookie: sessionid={cookie}"]
    env = None
    if api is not None:
        command[1:1] = ["-H", f"Authorization: Bearer {api.token}"]
        if api.script:
            command[1:1] = ["-s", str(ROOT / "bench" / api.script)]
            env = os.environ | api.script_env
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    if "Non-2xx or 3xx responses" in output:
        raise SystemExit(f"{path} answered errors under load:\n{output}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]

    def percentile(p: str) -> float:
        value, unit = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", output).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    return rps, percentile("50"), percentile("99")


# The signed-in pages: rendered for each reader, never served whole from a cache. Their
# targets are judged as served (parts cached under the organisation's version, as issue 7
# suggests) and while check-ins keep invalidating those parts; the rows with the page cache
# off show what rendering every part costs.
RENDERED = ("Dashboard", "Mission page", "My check-ins")
CHECKIN_SECONDS = 1.0
BUSY = ", a check-in every second"
COLD = ", cache off"
CROWDED = f", {OTHERS} other organisations"
# Targets, as shares of the health view in the same run (issue 7).
TARGET_SHARE = {"Dashboard": 3.0, "Mission page": 3.0, "My check-ins": 3.0,
                "Share page": 15.0, "Published report": 15.0}  # fmt: skip
TARGET_P99_MS = 150.0

Row = tuple[str, float, float, float, float]  # label, req/s, p50, p99, % of health
HEALTH = ("/healthz/database", None)


@dataclass(frozen=True)
class ApiTarget:
    """An API request to measure: with a token, and a wrk script for a POST."""

    token: str
    script: str = ""
    script_env: dict[str, str] = field(default_factory=dict)


# The API's list and check-in create (issue 18), as served; no target, the ratio reported.
API_LIST = "API: metric list (50 a page)"
API_CHECKIN = "API: check-in create"
# A token's requests a minute: the bench's one token makes tens of thousands.
API_ENV = {"API_RATE_PER_MINUTE": str(10**9)}
HEALTH_AGAIN = "Health view, again"
SCALE_MARK = "<!-- make scale: written by bench/scale.py; make bench keeps it -->"


def main() -> None:
    fresh_database()
    redis.Redis.from_url(REDIS_URL).flushdb()  # no pages cached by an earlier run
    print("Migrating and seeding an empty database...", flush=True)
    manage("migrate", "--noinput", "-v0")
    print(manage("seed_scale", "--orgs", str(ORGS)), flush=True)
    manage("collectstatic", "--noinput", "-v0")
    targets = json.loads(manage("bench_targets"))
    sessions, pages = targets["sessions"], targets["pages"]

    print("As served, with the page parts cached in Redis:", flush=True)
    rows = measure({**pages, HEALTH_AGAIN: HEALTH}, sessions, ENV)
    # The health view at the start and at the end of the same server's run: on a shared
    # 2-core machine one 10-second figure can be a quarter off, and every ratio is to it.
    health = (rows[0][1] + rows[-1][1]) / 2
    rows = [(label, rps, p50, p99, rps / health * 100) for label, rps, p50, p99, _ in rows]
    print("The API, as served:", flush=True)
    rows += measure_api(health)
    print(f"As served, while a check-in lands every {CHECKIN_SECONDS:g} s:", flush=True)
    rows += measure(
        {f"{label}{BUSY}": pages[label] for label in RENDERED},
        sessions,
        ENV,
        health=health,
        checkins=True,
    )
    print("With the page cache off:", flush=True)
    rows += measure(
        {f"{label}{COLD}": pages[label] for label in RENDERED},
        sessions,
        ENV | {"PAGE_CACHE_SECONDS": "0"},
        health=health,
    )
    if OTHERS:
        print(f"Adding {OTHERS} more organisations of the same size...", flush=True)
        manage("seed_scale", "--orgs", str(ORGS + OTHERS))
        crowded = {"Dashboard": pages["Dashboard"], "Mission page": pages["Mission page"]}
        rows += measure(
            {f"{label}{COLD}{CROWDED}": page for label, page in crowded.items()},
            sessions,
            ENV | {"PAGE_CACHE_SECONDS": "0"},
            health=health,
        )
    email_rows = emails.main()
    write_results(rows, email_rows)


def measure_api(health: float) -> list[Row]:
    """The API's metric list and check-in create, each request with the bench token; the
    check-ins go round fifty metrics, each POST with its own Idempotency-Key."""
    targets = json.loads(manage("bench_api_targets"))
    token = targets["token"]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as paths:
        paths.write("\n".join(targets["checkins"]) + "\n")
    script_env = {"BENCH_API_PATHS": paths.name, "BENCH_RUN": uuid.uuid4().hex}
    try:
        return measure(
            {API_LIST: (targets["list"], None), API_CHECKIN: (targets["checkins"][0], None)},
            {},
            ENV | API_ENV,
            health=health,
            api={
                API_LIST: ApiTarget(token),
                API_CHECKIN: ApiTarget(token, "api_checkin.lua", script_env),
            },
        )
    finally:
        os.unlink(paths.name)


def measure(
    pages: dict[str, tuple[str, str | None]],
    sessions: dict[str, str],
    env: dict[str, str],
    health: float | None = None,
    checkins: bool = False,
    api: dict[str, ApiTarget] | None = None,
) -> list[Row]:
    """Start the production server with `env`, measure each page (and the health view, if
    no `health` figure is given), stop the server. With `checkins`, bench/checkins.py
    records a check-in every CHECKIN_SECONDS meanwhile."""
    writer = (
        subprocess.Popen([PYTHON, "bench/checkins.py", str(CHECKIN_SECONDS)], cwd=ROOT, env=env)
        if checkins
        else None
    )
    server = subprocess.Popen(
        ["granian", "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(PORT),
         "--workers", "2", "--blocking-threads", "1", "config.wsgi:application"],
        cwd=ROOT, env=env | {"PATH": f"{Path(PYTHON).parent}:{env['PATH']}"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(BASE + "/healthz/database", timeout=1)  # noqa: S310 -- local
                break
            except OSError:
                time.sleep(0.5)
        rows = []
        todo = pages if health else {"Health view": HEALTH, **pages}
        for label, (path, who) in todo.items():
            cookie = sessions[who] if who else None
            target = (api or {}).get(label)
            wrk(path, cookie, seconds=2, api=target)  # warm up: connections, caches
            rps, p50, p99 = wrk(path, cookie, api=target)
            health = health or rps
            rows.append((label, rps, p50, p99, rps / health * 100))
            print(
                f"{label:<28} {rps:>9.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
                f"  {rps / health * 100:5.1f} %",
                flush=True,
            )
    finally:
        for process in (server, writer):
            if process is not None:
                process.terminate()
                process.wait(timeout=20)
        if writer is not None and writer.returncode not in (0, -15):
            raise SystemExit(f"bench/checkins.py failed (exit code {writer.returncode})")
    return rows


def verdict(label: str, share: float, p99: float, alone: dict[str, float]) -> str:
    page = label.split(",")[0]
    if label.endswith(CROWDED):
        # Within the run-to-run noise of the figure with one organisation.
        ratio = share / alone[f"{page}{COLD}"] * 100
        return f"{'met' if ratio >= 90 else 'NOT MET'} ({ratio:.0f} % of one organisation's)"
    if page not in TARGET_SHARE or label.endswith(COLD):
        return ""
    wanted = TARGET_SHARE[page]
    ok = share >= wanted and (page not in RENDERED or p99 < TARGET_P99_MS)
    limit = f"≥ {wanted:.0f} %" + (f", p99 < {TARGET_P99_MS:.0f} ms" if page in RENDERED else "")
    return f"{'met' if ok else 'NOT MET'} ({limit})"


def write_results(rows: list[Row], email_rows: list[emails.Row]) -> None:
    alone = {label: share for label, _, _, _, share in rows}
    table = [
        "| page | requests/s | p50 ms | p99 ms | % of health view | target |",
        "|---|---:|---:|---:|---:|---|",
        *(
            f"| {label} | {rps:,.0f} | {p50:.1f} | {p99:.1f} | {share:.1f} % "
            f"| {verdict(label, share, p99, alone)} |"
            for label, rps, p50, p99, share in rows
        ),
    ]
    table += ["", *emails.table(email_rows)]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    text = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine}, with `make bench`:",
            f"granian (WSGI, 2 workers, 1 blocking thread each) on PostgreSQL and Redis, {ORGS}",
            "scale organisation(s) of 30 missions, 400 metrics and about 41,600 check-ins; wrk",
            f"with 2 threads and 16 connections for {SECONDS} s per page after a warm-up run.",
            "Rows marked 'a check-in every second' ran while bench/checkins.py recorded one;",
            "rows marked 'cache off' ran with PAGE_CACHE_SECONDS=0 (every part rendered).",
            "The health view is measured first and again after the pages as served; every",
            "ratio is to the mean of the two.",
            "",
            *table,
            "",
        ]
    )
    results = ROOT / "bench" / "RESULTS.md"
    # What `make scale` wrote (bench/scale.py) stays, after these tables.
    _, mark, scale = results.read_text().partition(SCALE_MARK) if results.exists() else ("", "", "")
    results.write_text(text + (f"\n{mark}{scale}" if mark else ""))
    print("\n" + "\n".join(table))


if __name__ == "__main__":
    main()
