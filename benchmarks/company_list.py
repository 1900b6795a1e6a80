"""Company list and global search: server time against the same SQL run raw, in one run.

    .venv/bin/python benchmarks/company_list.py --companies 100000            # SQLite
    PARTNERA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnera_bench \\
        .venv/bin/python benchmarks/company_list.py --companies 100000        # PostgreSQL

Server time is the whole Django request (middleware, view, selectors, template) measured
in-process with the test client, so network and the browser are left out. The baseline runs
the exact SQL statements the view issued (captured once) through a raw cursor.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def timed(fn, repeat: int) -> list[float]:
    fn()  # warm caches and the connection
    out = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=40)
    args = parser.parse_args()

    if not os.environ.get("PARTNERA_DATABASE_URL"):
        home = Path(os.environ.get("PARTNERA_BENCH_HOME", Path(tempfile.gettempdir()) / "partnera-bench"))
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PARTNERA_HOME"] = str(home)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partnera.config.settings")
    os.environ["PARTNERA_LOGIN_THROTTLING"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from partnera.clients.demo import build_demo
    from partnera.clients.models import Company
    from partnera.core.pagination import cursor_for
    from partnera.people.models import User

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    have = Company.all_objects.count()
    if have < args.companies:
        started = time.perf_counter()
        build_demo(companies=args.companies - have)
        print(f"generated {args.companies - have} companies in {time.perf_counter() - started:.0f} s")
    total = Company.objects.count()

    admin = User.objects.filter(role="administrator", is_active=True).order_by("pk").first()
    manager = (User.objects.filter(role="account_manager", is_active=True)
               .order_by("pk").first())
    # A deep cursor: the row 90 % of the way through the admin's name order.
    deep = Company.objects.order_by("legal_name", "pk").values_list("legal_name", "pk")[int(total * 0.9)]
    deep_cursor = cursor_for(deep[0], deep[1])

    rows = []
    for who in (manager, admin):
        client = Client()
        client.force_login(who)
        for label, url in (
            ("list, first page", "/clients/companies/"),
            ("list, deep page", f"/clients/companies/?cursor={deep_cursor}"),
            ("list, filtered (stage+tier)", "/clients/companies/?stage=active&tier=key_account"),
            ("global search “софия”", "/search/?q=%D1%81%D0%BE%D1%84%D0%B8%D1%8F"),
            ("global search phone", "/search/?q=0888+12"),
        ):
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 200, (url, response.status_code)
            statements = [q["sql"] for q in captured.captured_queries
                          if q["sql"].lstrip().upper().startswith("SELECT")]

            def raw(statements=statements):
                with connection.cursor() as cursor:
                    for sql in statements:
                        cursor.execute(sql)
                        cursor.fetchall()

            server = timed(lambda url=url, client=client: client.get(url, HTTP_ACCEPT_LANGUAGE="en"),
                           args.repeat)
            baseline = timed(raw, args.repeat)
            rows.append((who.role, label, statistics.median(server), percentile(server, 95),
                         statistics.median(baseline), percentile(baseline, 95), len(statements)))

    print(f"\nengine={connection.vendor} companies={total} repeat={args.repeat}")
    print(f"{'role':<16} {'request':<30} {'p50 ms':>8} {'p95 ms':>8} {'raw p50':>8} {'raw p95':>8} "
          f"{'ratio':>6} {'queries':>7}")
    for role, label, p50, p95, b50, b95, n in rows:
        print(f"{role:<16} {label:<30} {p50:8.1f} {p95:8.1f} {b50:8.1f} {b95:8.1f} "
              f"{p50 / b50 if b50 else 0:6.1f} {n:7d}")


if __name__ == "__main__":
    main()
