"""Import throughput: validated rows/s of `partnera import companies FILE`, beside a raw insert of
the same rows in the same run.

The file: BENCH_IMPORT_ROWS (default 100,000) generated Bulgarian companies — Cyrillic names with
their legal form, valid EIKs (python-stdnum check digits) and VAT numbers, cities with their region
and address, landline and mobile phones in the usual written forms, e-mails, websites, the stage
and tier as Bulgarian labels — saved as Excel saves "CSV UTF-8": semicolon-separated, with a BOM.

- import: the command line's path, in this process (`call_command("import", …)`: read, detect,
  map by the Bulgarian headers, validate and normalise every cell, look up existing companies per
  batch, write companies, tags, audit entries, undo records, the search index and the duplicate
  keys, batch by batch in transactions), timed end to end;
- the same file again: every row found and unchanged;
- baseline: the same rows, already normalised, written raw into the company table with one
  `executemany` (SQLite) or `COPY` (PostgreSQL) — the database's own floor for those rows.

Each repetition starts from an empty client base (its own database: an SQLite file in
$PARTNERA_BENCH_HOME/import, or <database>_import on PostgreSQL). `--profile` runs one import
under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import os
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Report, median

HEADERS = ["ЕИК", "Име на фирма", "Правна форма", "ДДС номер", "Отрасъл", "Размер", "Област",
           "Град", "Адрес на управление", "Уебсайт", "Телефон", "Имейл", "Етап", "Категория"]
TABLES = ["clients_companykey", "clients_duplicatepair", "clients_duplicatedismissal",
          "clients_company_tags", "clients_contact", "core_searchdocument", "imports_importrecord",
          "imports_importbatch", "imports_importrun", "core_auditentry", "clients_company"]


def isolate() -> None:
    """Use a database of its own: the rows are deleted between repetitions."""
    url = os.environ.get("PARTNERA_DATABASE_URL")
    if url:
        base, _sep, name = url.rpartition("/")
        os.environ["PARTNERA_DATABASE_URL"] = f"{base}/{name.split('?')[0]}_import"
    else:
        home = Path(os.environ.get("PARTNERA_BENCH_HOME")
                    or Path(tempfile.gettempdir()) / "partnera-bench") / "import"
        os.environ["PARTNERA_BENCH_HOME"] = str(home)


def generate(count: int, seed: int = 2026) -> tuple[bytes, list[dict]]:
    from partnera.clients import demo
    from partnera.clients.models import CompanySize, LegalForm, Stage, Tier
    from partnera.clients.tests.factories import valid_eik

    rng = random.Random(seed)
    forms = [LegalForm.EOOD, LegalForm.OOD, LegalForm.AD, LegalForm.EAD, LegalForm.ET]
    form_text = {LegalForm.EOOD: "ЕООД", LegalForm.OOD: "ООД", LegalForm.AD: "АД",
                 LegalForm.EAD: "ЕАД", LegalForm.ET: "ЕТ"}
    stage_text = {Stage.ACTIVE: "Активен клиент", Stage.PROSPECT: "Потенциален клиент",
                  Stage.DORMANT: "Неактивен", Stage.LOST: "Загубен"}
    tiers = [Tier.STANDARD, Tier.CORPORATE, Tier.KEY_ACCOUNT]
    sizes = list(CompanySize.values)
    seconds = list(demo.NAME_SECOND)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    normalised: list[dict] = []
    for n in range(count):
        form = rng.choice(forms)
        trade = rng.choice(seconds)
        name = f"{rng.choice(demo.NAME_FIRST)} {trade} {rng.choice(demo.NAME_THIRD)}".strip()
        name = f"{name} {n}"  # distinct names
        region, city, postal, code, _weight = rng.choice(demo.PLACES)
        eik = valid_eik(n)
        vat = f"BG{eik}" if rng.random() < 0.8 else ""
        domain = f"firma-{n}.bg"
        # Sofia numbers have 7 digits after the 02, the rest 5 or 6 after the area code.
        landline = (f"0{code} {rng.randint(200000, 999999)}" if code == "2"
                    else f"0{code} {rng.randint(20000, 99999)}")
        mobile = f"+359 {rng.choice(demo.MOBILE_PREFIXES)} {rng.randrange(10**7):07d}"
        phones = [landline] + ([mobile] if rng.random() < 0.5 else [])
        emails = [f"office@{domain}"] + ([f"sales@{domain}"] if rng.random() < 0.3 else [])
        stage = rng.choice(list(stage_text))
        tier = rng.choice(tiers)
        address = f"гр. {city} {postal}, {rng.choice(demo.STREETS)} {rng.randint(1, 180)}"
        writer.writerow([eik, name, form_text[form], vat, demo.NAME_SECOND[trade],
                         rng.choice(sizes), region, city, address, f"www.{domain}",
                         ", ".join(phones), ", ".join(emails), stage_text[stage], tier])
        normalised.append({"legal_name": name, "legal_form": form, "eik": eik, "vat_number": vat,
                           "industry": demo.NAME_SECOND[trade], "region": region, "city": city,
                           "registered_address": address, "website": f"https://www.{domain}",
                           "phones": phones, "emails": emails, "stage": stage, "tier": tier})
    return "\ufeff".encode() + buffer.getvalue().encode("utf-8"), normalised


def clean() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        else:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table}")


def baseline(rows: list[dict], owner) -> tuple[float, float]:
    """The same rows, normalised, written raw into the company table: executemany / COPY."""
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now()
    columns = ["legal_name", "legal_form", "eik", "vat_number", "industry", "size", "country",
               "region", "city", "registered_address", "postal_address", "website", "phones",
               "emails", "stage", "tier", "owner_id", "team_id", "source", "credit_terms",
               "financial_notes", "name_key", "created_at", "updated_at",
               "created_by_id", "version"]
    values = [(r["legal_name"], r["legal_form"], r["eik"], r["vat_number"], r["industry"], "",
               "BG", r["region"], r["city"], r["registered_address"], "", r["website"],
               json.dumps(r["phones"]), json.dumps(r["emails"]), r["stage"], r["tier"], owner.pk,
               owner.team_id, "", "", "", "", now, now, owner.pk, 1) for r in rows]
    started, cpu = time.perf_counter(), time.process_time()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.copy(f"COPY clients_company ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO clients_company ({', '.join(columns)}) VALUES ({marks})",
                values)
    return time.perf_counter() - started, time.process_time() - cpu


def run_import(path: Path, username: str) -> tuple[float, float]:
    from django.core.management import CommandError, call_command

    out, err = io.StringIO(), io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    try:
        call_command("import", "companies", str(path), "--user", username, "--quiet",
                     stdout=out, stderr=err)
    except CommandError as exc:
        print(out.getvalue(), file=sys.stderr)
        raise SystemExit(f"the benchmark file should import without errors: {exc}") from exc
    return time.perf_counter() - started, time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", action="store_true", help="profile one import (cProfile)")
    args = parser.parse_args()
    isolate()
    from common import django_setup

    engine = django_setup()
    from partnera.clients.models import Company
    from partnera.core.context import Channel, acting
    from partnera.core.roles import Role
    from partnera.people.models import Team, User

    count = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    team, _created = Team.objects.get_or_create(name="Импорт")
    user, _created = User.objects.get_or_create(
        username="bench-importer",
        defaults={"role": Role.ACCOUNT_MANAGER, "team": team, "first_name": "Импорт"})
    print(f"generating {count:,} companies …", flush=True)
    data, rows = generate(count)
    path = Path(tempfile.mkdtemp()) / "companies.csv"
    path.write_bytes(data)
    print(f"{path} ({len(data) / 1e6:.1f} MB)", flush=True)

    if args.profile:
        clean()
        profiler = cProfile.Profile()
        with acting(Channel.CLI):
            profiler.enable()
            seconds, _cpu = run_import(path, user.username)
            profiler.disable()
        print(f"import: {count / seconds:,.0f} rows/s ({seconds:.1f} s)")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        clean()
        return

    imports, agains, baselines = [], [], []
    for attempt in range(repeat):
        clean()
        baselines.append(baseline(rows, user))
        assert Company.objects.count() == count
        clean()
        with acting(Channel.CLI):
            imports.append(run_import(path, user.username))
            assert Company.objects.count() == count, Company.objects.count()
            agains.append(run_import(path, user.username))
        assert Company.objects.count() == count
        print(f"  run {attempt + 1}: import {count / imports[-1][0]:,.0f} rows/s "
              f"({count / imports[-1][1]:,.0f} per CPU-s), again {count / agains[-1][0]:,.0f} "
              f"rows/s, baseline {count / baselines[-1][0]:,.0f} rows/s "
              f"({count / baselines[-1][1]:,.0f} per CPU-s)", flush=True)
    clean()
    kind = "COPY" if engine == "PostgreSQL" else "executemany"
    report = Report("Import", engine=engine, rows=f"{count:,}", repeat=repeat)
    report.rate(f"import rows/s, validated (CLI), {engine}", count,
                median(s for s, _c in imports), median(s for s, _c in baselines),
                note=f"median wall time; baseline: raw {kind} of the same rows")
    report.rate(f"import rows per CPU-second of this process, {engine}", count,
                median(c for _s, c in imports), median(c for _s, c in baselines),
                note="what the numbers are on an idle machine"
                + (" (the database server's own CPU not counted)" if engine == "PostgreSQL"
                   else ""))
    report.rate(f"same file again (all unchanged), {engine}", count,
                median(s for s, _c in agains), median(s for s, _c in baselines))
    report.print()


if __name__ == "__main__":
    main()
