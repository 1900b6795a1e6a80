"""Shared helpers for the benchmark scripts in this folder.

Every figure is printed beside a baseline measured in the same run on the same data:

    from common import Report, capture_sql, django_setup, ensure_companies, timed

    django_setup()                        # SQLite in a temp PARTNERA_HOME, or PARTNERA_DATABASE_URL
    ensure_companies(100_000)             # demo data, generated once and kept for later runs
    report = Report("Company list")
    server = timed(lambda: client.get(url), repeat=40)          # ms, after one warm-up call
    baseline = timed(capture_sql(lambda: client.get(url)), 40)  # the same SELECTs, raw
    report.latency("list, first page", server, baseline)
    report.print()

The engine: PostgreSQL when PARTNERA_DATABASE_URL is set (e.g.
postgres://postgres@127.0.0.1:5432/partnera_bench), otherwise an SQLite file under
PARTNERA_BENCH_HOME (default: <tmp>/partnera-bench), shared by all scripts so the demo data is
generated only once.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))


# --- timing -------------------------------------------------------------------------------------

def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0–100) by nearest rank on the sorted values."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def median(values: Iterable[float]) -> float:
    return percentile(values, 50)


def timed(fn: Callable[[], Any], repeat: int = 40, warmup: int = 1) -> list[float]:
    """Call fn `warmup` times untimed (caches, connection), then `repeat` times; milliseconds."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


@dataclass(frozen=True)
class Summary:
    p50: float
    p95: float

    def __str__(self) -> str:
        return f"p50 {fmt(self.p50)} / p95 {fmt(self.p95)} ms"


def summary(values: Iterable[float]) -> Summary:
    values = list(values)
    return Summary(percentile(values, 50), percentile(values, 95))


def fmt(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


# --- Django -------------------------------------------------------------------------------------

def django_setup(*, migrate: bool = True) -> str:
    """Point Django at the benchmark database, set it up and migrate; returns the engine name.

    Without PARTNERA_DATABASE_URL: an SQLite file in PARTNERA_BENCH_HOME (default
    <tmp>/partnera-bench). Login throttling is off, any Host is allowed.
    """
    url = os.environ.get("PARTNERA_DATABASE_URL")
    if not url:
        home = Path(os.environ.get("PARTNERA_BENCH_HOME")
                    or Path(tempfile.gettempdir()) / "partnera-bench")
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PARTNERA_HOME"] = str(home)
    elif url.startswith(("postgres://", "postgresql://")):
        _create_pg_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnera.config.settings")
    os.environ["PARTNERA_LOGIN_THROTTLING"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    settings.ALLOWED_HOSTS = ["*"]
    if migrate:
        call_command("migrate", verbosity=0)
    return "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"


def _create_pg_database(url: str) -> None:
    """CREATE DATABASE for a PostgreSQL URL whose database does not exist yet."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    server = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(server, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created PostgreSQL database {name}", flush=True)


def ensure_companies(count: int) -> int:
    """Generate demo data until the database holds at least `count` companies; returns the total."""
    from partnera.clients.demo import build_demo
    from partnera.clients.models import Company

    have = Company.all_objects.count()
    if have < count:
        print(f"generating {count - have:,} demo companies …", flush=True)
        started = time.perf_counter()
        build_demo(companies=count - have)
        print(f"generated {count - have:,} companies in {time.perf_counter() - started:.0f} s",
              flush=True)
    return Company.objects.count()


def demo_user(role: str) -> Any:
    """The first active user with the role (the demo makes one of each)."""
    from partnera.people.models import User

    user = User.objects.filter(role=role, is_active=True).order_by("pk").first()
    if user is None:
        raise SystemExit(f"no active user with role {role!r}: run the demo first")
    return user


class Requester:
    """In-process requests as one logged-in user (Django test Client, no network, no browser)."""

    def __init__(self, user: Any, *, language: str = "en") -> None:
        from django.test import Client

        self.user = user
        self.client = Client(HTTP_ACCEPT_LANGUAGE=language)
        self.client.force_login(user)

    def get(self, url: str, expect: int = 200, **extra: Any) -> Any:
        response = self.client.get(url, **extra)
        if response.status_code != expect:
            raise AssertionError(f"GET {url} as {self.user}: {response.status_code}, not {expect}")
        return response

    def timer(self, url: str, **extra: Any) -> Callable[[], Any]:
        return lambda: self.get(url, **extra)


def capture_sql(fn: Callable[[], Any], *, selects_only: bool = True) -> Callable[[], None]:
    """Run fn once, capture the SQL it issued, and return a callable replaying it raw.

    The replay runs each statement (parameters already interpolated, as the database logged
    them) through a bare cursor and fetches every row — the floor the code under test sits on.
    The list of statements is on the returned callable as `.statements`.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    statements = [q["sql"] for q in captured.captured_queries
                  if not selects_only or q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]

    def replay() -> None:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
                if cursor.description:
                    cursor.fetchall()

    replay.statements = statements  # type: ignore[attr-defined]
    return replay


def explain(sql: str, *, analyze: bool = True) -> str:
    """The plan of one captured statement (EXPLAIN ANALYZE on PostgreSQL, QUERY PLAN on SQLite)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if analyze else "EXPLAIN "
            cursor.execute(prefix + sql)
            return "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


# --- report -------------------------------------------------------------------------------------

@dataclass
class Row:
    figure: str
    value: str
    baseline: str
    ratio: str
    note: str = ""


class Report:
    """Rows of "figure | value | baseline | ratio", printed as a Markdown table."""

    def __init__(self, title: str, **context: Any) -> None:
        self.title = title
        self.context = context
        self.rows: list[Row] = []

    def add(self, figure: str, value: str, baseline: str, ratio: float | None, note: str = "") -> None:
        self.rows.append(Row(figure, value, baseline, "" if ratio is None else f"{ratio:.2f}×", note))
        print(f"  {figure}: {value} (baseline {baseline})", flush=True)

    def latency(self, figure: str, server_ms: list[float], baseline_ms: list[float] | None,
                note: str = "") -> None:
        """Server time against the baseline; ratio = p50 / baseline p50 (lower is better)."""
        value = summary(server_ms)
        base = summary(baseline_ms) if baseline_ms else None
        ratio = value.p50 / base.p50 if base and base.p50 else None
        self.add(figure, str(value), str(base) if base else "—", ratio, note)

    def rate(self, figure: str, count: int, seconds: float, baseline_seconds: float | None,
             unit: str = "rows/s", note: str = "") -> None:
        """Throughput against the baseline; ratio = rate / baseline rate (higher is better)."""
        value = count / seconds if seconds else 0.0
        base = count / baseline_seconds if baseline_seconds else None
        self.add(figure, f"{value:,.0f} {unit}", f"{base:,.0f} {unit}" if base else "—",
                 value / base if base else None, note)

    def print(self) -> None:
        context = " ".join(f"{k}={v}" for k, v in self.context.items())
        print(f"\n### {self.title}" + (f" ({context})" if context else ""))
        notes = any(row.note for row in self.rows)
        header = ["figure", "value", "baseline", "ratio"] + (["note"] if notes else [])
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in self.rows:
            cells = [row.figure, row.value, row.baseline, row.ratio] + ([row.note] if notes else [])
            print("| " + " | ".join(cells) + " |")
        print(flush=True)
