"""Export throughput: the companies list to CSV and XLSX, as an administrator (every company,
confidential columns) and as an account manager (what they see), rows per second, against a
baseline measured in the same run on the same rows.

    .venv/bin/python benchmarks/export_bench.py                              # SQLite, 100,000
    PARTNERA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnera_bench_export \\
        .venv/bin/python benchmarks/export_bench.py --companies 100000       # PostgreSQL

"export" is the service the web page, the API and the CLI call (clients.exports.company_export):
the visibility-scoped COUNT, the audit entry, the streamed SELECT, the tags per chunk, choice
labels, neutralised cells and the file itself, read out to the end as a response would be.
"web" is the whole request through the Django test client (middleware, view, streaming).

Baseline: the export's own SQL (the COUNT and the one SELECT of the rows, built by the same
selector) run through a bare cursor with fetchall, the rows written as they come with csv.writer /
openpyxl's write_only workbook (no labels, no neutralising, no streaming). "per CPU second" is
this process's CPU time, the cost without the waiting on a shared machine (on PostgreSQL the
server's CPU is not in it, for the export nor for the baseline). Target (issue 3): ≥ 20,000 rows/s.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import statistics
import tempfile
import time

from common import Report, demo_user, django_setup, ensure_companies


class Sink(io.RawIOBase):
    """A write-only file that keeps nothing (the bytes a client would receive)."""

    def __init__(self) -> None:
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        self.size += len(data)
        return len(data)


def run_export(user, fmt: str) -> tuple[int, int]:
    from partnera.clients.exports import company_export

    export = company_export(actor=user, fmt=fmt)
    sink = Sink()
    export.write_to(sink)
    return export.rows, sink.size


def run_web(client, fmt: str) -> tuple[int, int]:
    response = client.get(f"/clients/companies/export/?format={fmt}")
    assert response.status_code == 200, response.status_code
    size = sum(len(chunk) for chunk in response.streaming_content)
    return 0, size


def export_sql(user) -> list[tuple[str, list]]:
    """The export's SQL as the export runs it: the visibility-scoped COUNT, then the one SELECT
    of the rows (the list selector's query, tags joined by a subquery)."""
    from partnera.clients import selectors
    from partnera.clients.exports import company_rows_query

    qs, names = company_rows_query(user=user)
    count = selectors.company_list(user=user).order_by().values("pk")
    out = []
    for query in (qs.values_list(*names).query, count.query):
        sql, params = query.get_compiler(using=qs.db).as_sql()
        out.append((sql, list(params)))
    out[1] = (f"SELECT COUNT(*) FROM ({out[1][0]}) counted", out[1][1])
    return out


def baseline(statements: list[tuple[str, list]], fmt: str) -> int:
    """Run the export's SQL through a bare cursor (fetchall); write the rows with the bare
    writer: csv.writer, or openpyxl's write_only workbook."""
    from django.db import connection

    results = []
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            results.append(cursor.fetchall())
    rows = results[0]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerows(rows)
        out.getvalue().encode("utf-8")
    else:
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("Companies")
        for row in rows:
            # The tag names arrive joined by a control character XML cannot hold.
            sheet.append([v.replace("\x1f", "; ") if isinstance(v, str) else
                          v if isinstance(v, int | float) or v is None else str(v) for v in row])
        with tempfile.TemporaryFile() as handle:
            book.save(handle)
    return len(rows)


def seconds(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process) of each call, after one warm-up call."""
    fn()  # warm-up: caches, connection, imports
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--companies", type=int,
                        default=int(os.environ.get("BENCH_COMPANIES", 100_000)))
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 5)))
    args = parser.parse_args()
    repeat = max(3, min(args.repeat, 10))

    engine = django_setup()
    from django.test import Client
    from django.utils import translation

    from partnera.core.context import Channel, acting

    total = ensure_companies(args.companies)
    report = Report("Export throughput", engine=engine, companies=f"{total:,}", repeat=repeat)
    translation.activate("en")
    for role in ("administrator", "account_manager"):
        user = demo_user(role)
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        for fmt in ("csv", "xlsx"):
            with acting(Channel.CLI):
                rows, size = run_export(user, fmt)
                statements = export_sql(user)
                service, service_cpu = seconds(lambda user=user, fmt=fmt: run_export(user, fmt),
                                               repeat)
                raw, raw_cpu = seconds(lambda s=statements, fmt=fmt: baseline(s, fmt), repeat)
            web, _web_cpu = seconds(lambda c=client, fmt=fmt: run_web(c, fmt), repeat)
            p50, worst = statistics.median(service), max(service)
            note = (f"{rows:,} rows, {size / 1e6:.1f} MB; "
                    f"slowest run {rows / worst:,.0f} rows/s")
            report.rate(f"{role}: export {fmt.upper()} (service)", rows, p50,
                        statistics.median(raw), note=note)
            report.rate(f"{role}: export {fmt.upper()} (web request)", rows,
                        statistics.median(web), statistics.median(raw))
            report.rate(f"{role}: export {fmt.upper()} (service, per CPU second)", rows,
                        statistics.median(service_cpu), statistics.median(raw_cpu),
                        note="CPU time of this process")
    report.print()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory of the whole run (baseline fetchall included): {peak:,.0f} MB")


if __name__ == "__main__":
    main()
