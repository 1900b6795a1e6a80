"""Lists at scale: company and contact lists (web page and API), first page and a page deep
into the data, as an account manager, a head of sales and an administrator — server time
against the same SQL run raw, in one run.

    .venv/bin/python benchmarks/lists.py                                    # SQLite, 100,000 companies
    PARTNERA_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partnera_bench \\
        .venv/bin/python benchmarks/lists.py --companies 1000000            # PostgreSQL, 1M
    .venv/bin/python benchmarks/lists.py --only "contacts" --explain        # plans of the SQL

Server time is the whole Django request (middleware, session, view, selectors, template or JSON)
measured in-process with the test client: network and browser are left out. The baseline runs
the exact SELECT statements the request issued (captured once) through a raw cursor. A "deep"
page starts 90 % of the way through the list's order (a keyset cursor), so its ratio to the
first page shows whether paging costs more the further it goes (target ≤ 1.5×).
Targets (issue 3): p95 ≤ 50 ms server time.
"""

from __future__ import annotations

import argparse
import os
import re

from common import (
    Report,
    Requester,
    capture_sql,
    demo_user,
    django_setup,
    ensure_companies,
    explain,
    summary,
    timed,
)

ROLES = ("account_manager", "head_of_sales", "administrator")


def deep_cursor(qs, field: str, descending: bool, position: int) -> str:
    """The keyset cursor of the page starting `position` rows into the order (field, id)."""
    from partnera.core.pagination import cursor_for

    order = [f"-{field}", "-pk"] if descending else [field, "pk"]
    value, pk = qs.order_by(*order).values_list(field, "pk")[position]
    return cursor_for(value, pk)


def requests(total_companies: int) -> list[tuple[str, str, str | None]]:
    """(figure, url, the figure it is the deep page of) for every measured request."""
    from partnera.clients.models import Company, Contact

    companies = Company.objects.all()
    contacts = Contact.objects.filter(company__deleted_at__isnull=True)
    deep = int(total_companies * 0.9)
    by_name = deep_cursor(companies, "legal_name", False, deep)
    by_updated = deep_cursor(companies, "updated_at", True, deep)
    contact_deep = deep_cursor(contacts, "last_name", False, int(contacts.count() * 0.9))
    return [
        ("companies, first page", "/clients/companies/", None),
        ("companies, deep page", f"/clients/companies/?cursor={by_name}", "companies, first page"),
        ("companies, stage+tier filter", "/clients/companies/?stage=active&tier=key_account", None),
        ("companies, city filter", "/clients/companies/?city=%D0%92%D0%B0%D1%80%D0%BD%D0%B0", None),
        ("companies, sorted by last change", "/clients/companies/?sort=updated", None),
        ("companies, by last change, deep", f"/clients/companies/?sort=updated&cursor={by_updated}",
         "companies, sorted by last change"),
        ("API companies, first page", "/api/v1/companies", None),
        ("API companies, deep page", f"/api/v1/companies?cursor={by_name}", "API companies, first page"),
        ("contacts, first page", "/clients/contacts/", None),
        ("contacts, deep page", f"/clients/contacts/?cursor={contact_deep}", "contacts, first page"),
        ("API contacts, first page", "/api/v1/contacts", None),
        ("API contacts, deep page", f"/api/v1/contacts?cursor={contact_deep}", "API contacts, first page"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--companies", type=int,
                        default=int(os.environ.get("BENCH_COMPANIES", 100_000)),
                        help="companies in the database (demo data generated when fewer); "
                             "default $BENCH_COMPANIES or 100000")
    parser.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", 30)))
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated roles")
    parser.add_argument("--only", default="", help="measure only figures containing this text")
    parser.add_argument("--explain", action="store_true",
                        help="print the plan of every statement (EXPLAIN ANALYZE on PostgreSQL)")
    args = parser.parse_args()

    engine = django_setup()
    total = ensure_companies(args.companies)
    measured = [r for r in requests(total) if args.only in r[0]]

    report = Report("Lists", engine=engine, companies=f"{total:,}", repeat=args.repeat)
    for role in args.roles.split(","):
        who = Requester(demo_user(role))
        first_p95: dict[str, float] = {}
        for figure, url, deep_of in measured:
            baseline = capture_sql(who.timer(url))
            if args.explain:
                for sql in baseline.statements:
                    if "django_session" in sql or '"people_user"."password"' in sql:
                        continue  # the session and the user of every request
                    shown = re.sub(r"^SELECT .*? FROM", "SELECT … FROM", sql, count=1, flags=re.S)
                    print(f"\n-- {role}: {figure}\n{shown}\n{explain(sql)}")
            server = timed(who.timer(url), args.repeat)
            note = f"{len(baseline.statements)} queries"
            p95 = summary(server).p95
            first_p95[figure] = p95
            if deep_of in first_p95:
                note += f"; deep/first p95 {p95 / first_p95[deep_of]:.2f}×"
            report.latency(f"{role}: {figure}", server, timed(baseline, args.repeat), note=note)
    report.print()


if __name__ == "__main__":
    main()
