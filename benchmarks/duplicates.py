"""Duplicates at scale: the importer's batch check, the finder's first page, the check on create,
and rebuilding every likely pair — each beside a baseline measured in the same run.

    .venv/bin/python benchmarks/duplicates.py            # SQLite, 100k demo companies
    PARTNERA_DATABASE_URL=postgres://… BENCH_COMPANIES=1000000 .venv/bin/python benchmarks/duplicates.py

Baselines: the same SELECTs replayed raw through a bare cursor (capture_sql), and for the rebuild
a raw read of the same columns of every company in the same batches (the floor of any pass).
"""

from __future__ import annotations

import os
import random
import time

from common import Report, Requester, capture_sql, demo_user, django_setup, ensure_companies, timed

PLANTED = 300  # duplicates added to the demo data (Latin spellings sharing a phone or e-mail)


def plant_duplicates() -> None:
    """Add Latin-spelled copies of some demo companies, sharing a phone or an e-mail, once."""
    from partnera.clients import services
    from partnera.clients.models import Company
    from partnera.core.translit import to_latin

    if Company.objects.filter(industry="benchmark duplicate").exists():
        return
    rng = random.Random(7)
    ids = list(Company.objects.filter(eik__gt="").values_list("pk", flat=True)[:20000])
    for pk in rng.sample(ids, min(PLANTED, len(ids))):
        source = Company.objects.get(pk=pk)
        services.company_create(actor=source.owner, allow_duplicate=True, data={
            "legal_name": to_latin(source.legal_name) + " Ltd", "city": to_latin(source.city),
            "industry": "benchmark duplicate",
            "phones": source.phones[:1] if rng.random() < 0.5 else [],
            "emails": source.emails[:1] if rng.random() >= 0.5 else [],
        })


def main() -> None:
    engine = django_setup()
    total = ensure_companies(int(os.environ.get("BENCH_COMPANIES", "100000")))
    from django.db import connection

    from partnera.clients import duplicates
    from partnera.clients.models import Company, CompanyKey
    from partnera.core.roles import Role
    from partnera.core.translit import to_latin

    if not CompanyKey.objects.exists() or Company.objects.filter(name_key="").exists():
        print("indexing identity keys …", flush=True)
        duplicates.reindex_companies(Company.all_objects.values_list("pk", flat=True))
    plant_duplicates()
    report = Report("Duplicates", engine=engine, companies=total)

    # Rebuild every pair (background job / `partnera duplicates --rebuild`).
    started = time.perf_counter()
    stored = duplicates.rebuild_pairs()
    rebuild = time.perf_counter() - started
    started = time.perf_counter()
    last = 0
    with connection.cursor() as cursor:
        while True:
            rows = list(Company.objects.filter(pk__gt=last).order_by("pk").values_list(
                *duplicates.CANDIDATE_FIELDS)[:duplicates.CHUNK])
            if not rows:
                break
            last = rows[-1][0]
            cursor.execute("SELECT 1")
    scan = time.perf_counter() - started
    report.rate("rebuild all pairs (companies/s)", total, rebuild, scan, unit="companies/s",
                note=f"{stored} pairs; baseline: reading the same columns in the same batches")

    # The importer's batch: 2000 rows, a quarter of them copies of existing companies.
    rng = random.Random(11)
    sample = list(Company.objects.order_by("?").values(
        "legal_name", "eik", "vat_number", "emails", "phones", "city")[:500])
    rows = []
    for n in range(2000):
        base = sample[n % len(sample)]
        if n % 4 == 0:
            rows.append({**base, "legal_name": to_latin(base["legal_name"]), "eik": ""})
        else:
            rows.append({"legal_name": f"Нова Фирма {n} {rng.random():.6f}", "eik": "",
                         "vat_number": "", "emails": [f"new{n}@example-{n}.bg"],
                         "phones": [], "city": base["city"]})
    admin = demo_user(Role.ADMINISTRATOR)
    manager = demo_user(Role.ACCOUNT_MANAGER)
    batch = lambda: duplicates.match_company_rows(rows, user=admin)  # noqa: E731
    runs = timed(batch, repeat=5)
    raw = capture_sql(batch)
    base_runs = timed(raw, repeat=5)
    report.rate("import check, 2000 rows (rows/s)", 2000 * 5, sum(runs) / 1000,
                sum(base_runs) / 1000, note=f"{len(raw.statements)} queries per batch")

    # The check on create (one record) and the finder's first page.
    one = {"legal_name": to_latin(sample[0]["legal_name"]), "phones": sample[0]["phones"],
           "city": sample[0]["city"]}
    single = lambda: duplicates.match_company(one, user=manager)  # noqa: E731
    report.latency("check one new company, p50/p95 ms", timed(single, 40),
                   timed(capture_sql(single), 40))
    for role, user in (("administrator", admin), ("account manager", manager)):
        who = Requester(user)
        url = "/clients/companies/duplicates/"
        page = who.timer(url)
        report.latency(f"finder first page as {role}, p50/p95 ms", timed(page, 30),
                       timed(capture_sql(page), 30))
        api = who.timer("/api/v1/companies/duplicates?limit=50")
        report.latency(f"API finder page as {role}, p50/p95 ms", timed(api, 30),
                       timed(capture_sql(api), 30))
    report.print()


if __name__ == "__main__":
    main()
