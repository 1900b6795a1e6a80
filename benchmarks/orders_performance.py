"""Order performance at scale: the OTIF (on time in full), on-time and in-full figures — overall,
per client and per account manager — and the repeat-order figures, computed by
`partnera.orders.performance` over 1,000,000 order lines, against the same figures computed by
hand-written raw SQL through a cursor on the same data, in one run.

    PARTNERA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnera_bench \\
        .venv/bin/python benchmarks/orders_performance.py            # PostgreSQL (…_orders), 1M lines
    .venv/bin/python benchmarks/orders_performance.py                # SQLite, 200,000 lines
    .venv/bin/python benchmarks/orders_performance.py --explain      # plans of every statement

The data goes into a database of its own, generated once and kept (`--fresh` regenerates it): on
PostgreSQL the database named like PARTNERA_DATABASE_URL's with "_orders" appended (created and
migrated when missing), on SQLite `$PARTNERA_BENCH_HOME/orders/`. It holds 50 account managers in
5 teams (each with a head of sales), an administrator, 20,000 client companies (each owned by a
manager), 40 products and `--lines` order lines (1 to 7 per order, ≈4: ≈250,000 orders) received
over the last two years, written with COPY (PostgreSQL) in a minute or two: 3 % cancelled; the
older orders mostly delivered or closed (a fifth of the lines completed after their promised
date, some closed short), some left partly delivered and late; the recent ones still open.

Each figure is timed as the function the page and the API call (administrator: every order; an
account manager and a head of sales for comparison) — median and 95th percentile over `--repeat`
runs after a warm-up — next to the baseline: the equivalent hand-written SQL (per-order line
aggregates, then the grouping) run through a raw cursor. Target (issue 5): ≤ 2 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from common import Report, Requester, capture_sql, explain, fmt, summary, timed

MANAGERS = 50
TEAMS = 5
COMPANIES = 20_000
PRODUCTS = 40
DAYS = 730  # orders received over the last two years


# --- the database -------------------------------------------------------------------------------

def use_own_database(*, fresh: bool) -> str:
    """Point the benchmark at a database of its own; returns the engine's name."""
    url = os.environ.get("PARTNERA_DATABASE_URL")
    if url:
        parts = urlsplit(url)
        name = parts.path.lstrip("/")
        if not name.endswith("_orders"):
            name += "_orders"
        os.environ["PARTNERA_DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{name}"))
        if fresh:
            import psycopg
            from psycopg import sql

            with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as c:
                c.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    else:
        home = Path(os.environ.get("PARTNERA_BENCH_HOME") or "/tmp/partnera-bench") / "orders"
        if fresh and (home / "partnera.sqlite3").exists():
            for leftover in home.glob("partnera.sqlite3*"):
                leftover.unlink()
        home.mkdir(parents=True, exist_ok=True)
        os.environ["PARTNERA_BENCH_HOME"] = str(home)
    from common import django_setup

    return django_setup()


def _people() -> None:
    from partnera.core.roles import Role
    from partnera.people.models import Team, User

    if User.objects.filter(username="bench.admin").exists():
        return
    User.objects.create(username="bench.admin", first_name="Админ", last_name="Бенчмарк",
                        role=Role.ADMINISTRATOR, is_staff=True, password="!")
    for t in range(TEAMS):
        head = User.objects.create(username=f"bench.head.{t}", first_name="Ръководител",
                                   last_name=f"Екип {t + 1}", role=Role.HEAD_OF_SALES, password="!")
        team = Team.objects.create(name=f"Търговски екип {t + 1}", head=head)
        User.objects.bulk_create([
            User(username=f"bench.am.{t * 10 + i:02d}", first_name="Търговец",
                 last_name=f"№ {t * 10 + i + 1}", role=Role.ACCOUNT_MANAGER, team=team, password="!")
            for i in range(MANAGERS // TEAMS)])


def _companies_and_products() -> tuple[list[tuple[int, int, int]], list[int]]:
    """(company id, owner id, team id) of every client, and the product ids."""
    from partnera.catalog.models import Product, ProductLine, VatRate
    from partnera.clients.models import Company
    from partnera.people.models import User

    managers = list(User.objects.filter(username__startswith="bench.am.").order_by("username")
                    .values_list("pk", "team_id"))
    have = Company.objects.count()
    if have < COMPANIES:
        Company.objects.bulk_create([
            Company(legal_name=f"Клиент {i + 1:05d} ООД", owner_id=managers[i % MANAGERS][0],
                    team_id=managers[i % MANAGERS][1], stage="active")
            for i in range(have, COMPANIES)], batch_size=5000)
    if not Product.objects.exists():
        vat = VatRate.objects.order_by("-rate").first() or VatRate.objects.create(name="20 %",
                                                                                 rate=Decimal(20))
        lines = [ProductLine.objects.create(name=f"Линия {i + 1}") for i in range(5)]
        Product.objects.bulk_create([
            Product(code=f"B-{i:03d}", name=f"Изделие {i + 1}", line=lines[i % 5], vat_rate=vat)
            for i in range(PRODUCTS)])
    companies = list(Company.objects.order_by("pk").values_list("pk", "owner_id", "team_id"))
    return companies, list(Product.objects.order_by("pk").values_list("pk", flat=True))


def _columns(model, values: dict) -> tuple[list[str], list]:
    """Every concrete column of `model`: `values` where given, else the field's default."""
    from django.db import connection

    columns, defaults = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column not in values:
            continue
        columns.append(f.column)
        if f.column in values:
            defaults.append(values[f.column])
        elif f.null:
            defaults.append(None)
        else:
            defaults.append(f.get_db_prep_save(f.get_default(), connection))
    return columns, defaults


def _write(model, columns: list[str], rows) -> None:
    from django.db import connection

    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            batch: list = []
            for row in rows:
                batch.append(row)
                if len(batch) >= 10_000:
                    cursor.executemany(sql, batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)


def _history(target_lines: int, companies, products, today: dt.date):
    """(orders, lines) as rows: a seeded, realistic two years of orders and deliveries. Ids follow
    the day received, as in a real database (rows are written as orders arrive)."""
    rng = random.Random(2026)
    drafts = []  # (received, company, status, [line values])
    written = 0
    while written < target_lines:
        company = companies[rng.randrange(len(companies))]
        received = today - dt.timedelta(days=rng.randrange(DAYS))
        age = (today - received).days
        r = rng.random()
        if r < 0.03:
            status = "cancelled"
        elif age > 45:
            status = "closed" if r < 0.35 else "partly_delivered" if r > 0.97 else "delivered"
        else:
            status = rng.choice(["received", "confirmed", "in_fulfilment", "partly_delivered",
                                 "delivered", "delivered"])
        short_line = status == "closed" and rng.random() < 0.15
        count = min(1 + rng.randrange(7), target_lines - written)
        written += count
        order_lines = []
        for position in range(count):
            promised = received + dt.timedelta(days=rng.randint(3, 30))
            quantity = Decimal(rng.randint(1, 100))
            delivered, completed = Decimal(0), None
            if status in ("delivered", "closed") or (status == "partly_delivered"
                                                     and rng.random() < 0.5):
                delay = rng.randint(-4, 0) if rng.random() < 0.8 else rng.randint(1, 10)
                completed = min(promised + dt.timedelta(days=delay), today)
                delivered = quantity
            half = (quantity / 2).quantize(Decimal("1"))
            if (short_line and position == 0) or (status == "partly_delivered"
                                                  and completed is None):
                delivered = half
            if status == "partly_delivered" and position == 0 and completed is not None:
                delivered, completed = half, None
            order_lines.append((position, products[rng.randrange(len(products))], quantity,
                                promised, delivered, completed))
        drafts.append((received, company, status, order_lines))
    drafts.sort(key=lambda d: d[0])
    orders, lines = [], []
    for order_id, (received, (company_id, owner_id, team_id), status, order_lines) in enumerate(
            drafts, start=1):
        orders.append((order_id, f"BENCH-{order_id:07d}", company_id, owner_id, team_id,
                       received, status))
        lines.extend((order_id, *values) for values in order_lines)
    return orders, lines


def ensure_data(target_lines: int) -> None:
    from django.db import connection, transaction

    from partnera.orders.models import Order, OrderLine

    have = OrderLine.objects.count()
    if have >= target_lines:
        return
    started = time.perf_counter()
    _people()
    companies, products = _companies_and_products()
    today = dt.date.today()
    with transaction.atomic():
        with connection.cursor() as cursor:  # a fresh start (an earlier run stopped midway)
            if connection.vendor == "postgresql":
                cursor.execute("TRUNCATE orders_order RESTART IDENTITY CASCADE")
            else:
                for table in ("orders_deliveryline", "orders_delivery", "orders_orderline",
                              "orders_order_departments", "orders_order"):
                    cursor.execute(f"DELETE FROM {table}")
        orders, lines = _history(target_lines, companies, products, today)
        print(f"generated {len(orders):,} orders with {len(lines):,} lines in memory "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
        now = dt.datetime.now(dt.UTC)
        columns, defaults = _columns(Order, {
            "id": None, "number": None, "company_id": None, "owner_id": None, "team_id": None,
            "received_on": None, "status": None, "created_at": now, "updated_at": now})
        spots = [columns.index(c) for c in ("id", "number", "company_id", "owner_id", "team_id",
                                            "received_on", "status")]

        def order_rows():
            for values in orders:
                row = list(defaults)
                for spot, value in zip(spots, values, strict=True):
                    row[spot] = value
                yield row

        _write(Order, columns, order_rows())
        line_columns, line_defaults = _columns(OrderLine, {
            "order_id": None, "position": None, "product_id": None, "quantity": None,
            "promised_date": None, "delivered_quantity": None, "completed_on": None,
            "unit": "piece", "list_price": Decimal("12.5000"), "unit_price": Decimal("12.5000"),
            "net_amount": Decimal("125.00"), "vat_rate": Decimal("20.00"),
            "vat_amount": Decimal("25.00"), "gross_amount": Decimal("150.00")})
        line_spots = [line_columns.index(c) for c in ("order_id", "position", "product_id",
                                                      "quantity", "promised_date",
                                                      "delivered_quantity", "completed_on")]

        def line_rows():
            for values in lines:
                row = list(line_defaults)
                for spot, value in zip(line_spots, values, strict=True):
                    row[spot] = value
                yield row

        _write(OrderLine, line_columns, line_rows())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT setval(pg_get_serial_sequence('orders_order', 'id'), "
                               "(SELECT max(id) FROM orders_order))")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    print(f"wrote {len(orders):,} orders and {len(lines):,} lines in "
          f"{time.perf_counter() - started:.0f} s", flush=True)


# --- the baseline: the same figures by hand-written SQL -----------------------------------------------

# Per order: the latest promise and how many lines are not on time in full / short, over the
# lines of the orders with a line promised in the period; then the counting rule.
COUNTED = """
WITH per_order AS (
    SELECT l.order_id, MAX(l.promised_date) AS latest,
           SUM(CASE WHEN l.completed_on IS NULL OR l.completed_on > l.promised_date
                    THEN 1 ELSE 0 END) AS late,
           SUM(CASE WHEN l.delivered_quantity < l.quantity THEN 1 ELSE 0 END) AS short
    FROM orders_orderline l
    WHERE l.order_id IN (SELECT order_id FROM orders_orderline
                         WHERE promised_date BETWEEN %(start)s AND %(end)s)
    GROUP BY l.order_id
), counted AS (
    SELECT o.id, o.company_id, o.owner_id, p.late, p.short
    FROM orders_order o
    JOIN per_order p ON p.order_id = o.id
    JOIN clients_company c ON c.id = o.company_id
    WHERE o.deleted_at IS NULL AND c.deleted_at IS NULL AND o.status <> 'cancelled'
      AND p.latest <= %(end)s AND (o.status IN ('delivered', 'closed') OR p.latest < %(today)s)
)
"""
FIGURES = ("COUNT(*), SUM(CASE WHEN late = 0 THEN 1 ELSE 0 END), "
           "SUM(CASE WHEN short = 0 THEN 1 ELSE 0 END)")
OTIF_RAW = COUNTED + f"""
SELECT 0, CAST(NULL AS BIGINT), {FIGURES}, (SELECT COUNT(DISTINCT company_id) FROM counted),
       CAST(NULL AS VARCHAR(255)) FROM counted
UNION ALL
SELECT 1, owner_id, {FIGURES}, CAST(NULL AS BIGINT), CAST(NULL AS VARCHAR(255)) FROM counted
GROUP BY owner_id
UNION ALL
SELECT * FROM (
    SELECT 2, k.company_id, {FIGURES}, CAST(NULL AS BIGINT), c.legal_name FROM counted k
    JOIN clients_company c ON c.id = k.company_id GROUP BY k.company_id, c.legal_name
    ORDER BY 1.0 * SUM(CASE WHEN late = 0 THEN 1 ELSE 0 END) / COUNT(*), COUNT(*) DESC,
             c.legal_name, k.company_id
    %(page)s) page
"""
REPEAT_RAW = """
WITH ordered AS (
    SELECT o.company_id, o.owner_id, o.received_on FROM orders_order o
    JOIN clients_company c ON c.id = o.company_id
    WHERE o.deleted_at IS NULL AND c.deleted_at IS NULL AND o.status <> 'cancelled'
      AND o.received_on BETWEEN %(start)s AND %(end)s
), per_client AS (
    SELECT company_id, COUNT(*) AS n, MIN(received_on) AS first_on, MAX(received_on) AS last_on
    FROM ordered GROUP BY company_id
)
SELECT 0, CAST(NULL AS BIGINT), COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END),
       CAST(NULL AS DATE), CAST(NULL AS DATE), CAST(NULL AS VARCHAR(255)) FROM per_client
UNION ALL
SELECT 1, owner_id, COUNT(*), SUM(CASE WHEN n >= 2 THEN 1 ELSE 0 END), CAST(NULL AS DATE),
       CAST(NULL AS DATE), CAST(NULL AS VARCHAR(255))
FROM (SELECT owner_id, company_id, COUNT(*) AS n FROM ordered GROUP BY owner_id, company_id) pairs
GROUP BY owner_id
UNION ALL
SELECT * FROM (
    SELECT 2, k.company_id, k.n, CAST(NULL AS BIGINT), k.first_on, k.last_on, c.legal_name FROM per_client k
    JOIN clients_company c ON c.id = k.company_id
    ORDER BY k.n DESC, k.last_on DESC, c.legal_name, k.company_id LIMIT 25) page
"""


def raw_runner(statement: str, params: dict, *, page: str = "LIMIT 25"):
    from django.db import connection, transaction

    text = statement.replace("%(page)s", page)

    def run() -> list:
        with transaction.atomic(), connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SET LOCAL jit = off")  # as the code under test
            cursor.execute(text, params)
            return cursor.fetchall()

    return run


def check_otif(ours, rows: list) -> None:
    """The code's figures equal the raw SQL's (the benchmark measures the right thing)."""
    total = next(r for r in rows if r[0] == 0)
    assert (ours.total.orders, ours.total.otif, ours.total.in_full) == tuple(
        int(v or 0) for v in total[2:5]), (ours.total, total)
    assert ours.clients.total == total[5]
    assert {k: (v.orders, v.otif, v.in_full) for k, v in ours.by_owner.items()} == {
        r[1]: (r[2], r[3], r[4]) for r in rows if r[0] == 1}
    assert [(c.company_id, c.figures.orders, c.figures.otif) for c in ours.clients.rows] == [
        (r[1], r[2], r[3]) for r in rows if r[0] == 2]


def check_repeat(ours, rows: list) -> None:
    total = next(r for r in rows if r[0] == 0)
    assert (ours.total.clients, ours.total.repeat_clients) == (total[2], total[3] or 0)
    assert {k: (v.clients, v.repeat_clients) for k, v in ours.by_owner.items()} == {
        r[1]: (r[2], r[3]) for r in rows if r[0] == 1}
    assert [(c.company_id, c.orders) for c in ours.clients.rows] == [
        (r[1], r[2]) for r in rows if r[0] == 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    pg = os.environ.get("PARTNERA_DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    parser.add_argument("--lines", type=int, default=int(os.environ.get(
        "BENCH_ORDER_LINES", 1_000_000 if pg else 200_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 15)))
    parser.add_argument("--fresh", action="store_true", help="regenerate the data")
    parser.add_argument("--explain", action="store_true", help="print the plans (EXPLAIN ANALYZE)")
    parser.add_argument("--only", default="", help="measure only figures containing this text")
    args = parser.parse_args()

    engine = use_own_database(fresh=args.fresh)
    ensure_data(args.lines)

    from partnera.orders import performance as perf
    from partnera.orders.models import Order, OrderLine
    from partnera.people.models import User

    today = dt.date.today()
    lines, orders = OrderLine.objects.count(), Order.objects.count()
    report = Report("Order performance (OTIF and repeat orders)", engine=engine,
                    lines=f"{lines:,}", orders=f"{orders:,}", repeat=args.repeat)
    admin = User.objects.get(username="bench.admin")
    for label, days in (("90 days", 90), ("365 days", 365)):
        start = today - dt.timedelta(days=days - 1)
        filters = perf.PerformanceFilters(start=start, end=today, today=today)
        params = {"start": start, "end": today, "today": today}
        print(f"{label}: {len(perf.counted_order_ids(user=admin, filters=filters)):,} orders "
              f"counted for OTIF, {perf.ordering_orders(user=admin, filters=filters).count():,} "
              "received", flush=True)
        runs = {
            "OTIF, on time, in full: overall + per manager + first 25 clients by rate": (
                lambda f=filters: perf.otif_figures(user=admin, filters=f),
                raw_runner(OTIF_RAW, params), check_otif),
            "OTIF per client, every client (the export)": (
                lambda f=filters: perf.otif_figures(user=admin, filters=f, sort="otif", limit=None),
                raw_runner(OTIF_RAW, params, page=""), check_otif),
            "repeat orders: overall + per manager + first 25 clients": (
                lambda f=filters: perf.repeat_figures(user=admin, filters=f),
                raw_runner(REPEAT_RAW, params), check_repeat),
        }
        baselines = []
        for name, (call, raw, check) in runs.items():
            figure = f"administrator, {label}: {name}"
            if args.only not in figure:
                continue
            check(call(), raw())
            if args.explain:
                for statement in capture_sql(call).statements:
                    print(f"\n-- {figure}\n{statement}\n{explain(statement)}", flush=True)
            ours = timed(call, args.repeat)
            base = timed(raw, args.repeat)
            if "export" not in name:
                baselines.append(summary(base).p50)
            report.latency(figure, ours, base)
        if not args.only or "page" in args.only:
            page = timed(lambda f=filters: perf.performance(user=admin, filters=f), args.repeat)
            report.latency(f"administrator, {label}: everything the page shows "
                           "(performance.performance)", page, None,
                           note=f"the two raw statements' p50 together: {fmt(sum(baselines))} ms")
    if not args.only or "request" in args.only:
        who = Requester(admin)
        for url in ("/orders/performance/", "/api/v1/orders/performance"):
            replay = capture_sql(who.timer(url))
            report.latency(f"administrator, 90 days: GET {url} (whole request)",
                           timed(who.timer(url), args.repeat), timed(replay, args.repeat),
                           note=f"baseline: its {len(replay.statements)} SELECTs replayed raw")
    for username, label in (("bench.am.00", "account manager"), ("bench.head.0", "head of sales")):
        if args.only and args.only not in label:
            continue
        user = User.objects.get(username=username)
        filters = perf.PerformanceFilters(start=today - dt.timedelta(days=89), end=today,
                                          today=today)
        page = timed(lambda u=user, f=filters: perf.performance(user=u, filters=f),
                     max(5, args.repeat // 2))
        report.latency(f"{label}, 90 days: everything the page shows", page, None)
    report.print()


if __name__ == "__main__":
    main()
