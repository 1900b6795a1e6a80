"""`partnera import …` run in this process: the report, the progress bar, exit codes, the data."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, valid_eik
from partnera.core.context import Channel, acting
from partnera.core.models import AuditEntry
from partnera.core.tests.dbstate import db_state
from partnera.imports.models import ImportMapping, ImportRun, ImportStatus

pytestmark = pytest.mark.django_db

E1, E2, E3 = valid_eik(1), valid_eik(2), valid_eik(3)


def write(tmp_path, text: str, name: str = "firmi.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def partnera_import(*args: str) -> tuple[str, str, int]:
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with acting(Channel.CLI):
        try:
            call_command("import", *args, stdout=out, stderr=err)
        except CommandError as exc:
            code = exc.returncode
            err.write(f"CommandError: {exc}\n")
    return out.getvalue(), err.getvalue(), code


def test_import_prints_progress_and_the_report_and_exits_2_when_rows_had_problems(
        tmp_path, manager):
    path = write(tmp_path, f"ЕИК;Име на фирма;Телефон\n{E1};Алфа;0888 123 456\n;;\n"
                           f"{E2};Бета;12ab\n", encoding="cp1251")

    out, err, code = partnera_import("companies", str(path), "--user", "manager")

    run = ImportRun.objects.get()
    assert code == 2
    assert out.splitlines() == [
        f"Import of companies from firmi.csv (CSV, cp1251, semicolon-separated): 3 rows in "
        f"{out.split(' rows in ')[1].split(' s')[0]} s — run #{run.pk}, status done",
        "  created               1",
        "  updated               0",
        "  unchanged             0",
        "  skipped               1",
        "  errors                1",
        "Problems (row, column: reason):",
        "  row 4, Телефон: “12ab” is not a phone number.",
    ]
    assert "[##############################] 100% 3/3 rows" in err
    assert "1 row(s) had problems and were not imported." in err
    assert Company.objects.get().legal_name == "Алфа"
    assert AuditEntry.objects.get(object_type="clients.company").channel == "import"
    assert (run.user, run.status) == (manager, ImportStatus.DONE)


def test_dry_run_changes_nothing(tmp_path, manager):
    path = write(tmp_path, f"ЕИК;Име на фирма\n{E1};Алфа\n{E2};Бета\n")
    before = db_state()

    out, _err, code = partnera_import("companies", str(path), "--user", "manager", "--dry-run",
                                      "--quiet")

    assert code == 0
    assert out.splitlines()[0].startswith("Dry run of companies from firmi.csv")
    assert "  would create          2" in out
    assert db_state() == before
    assert ImportRun.objects.get().status == ImportStatus.READY


def test_update_and_key_options(tmp_path, manager):
    company = CompanyFactory(legal_name="Алфа", eik=E1, vat_number=f"BG{E1}", city="София",
                             owner=manager)
    path = write(tmp_path, f"ДДС номер;Име на фирма;Град\nBG{E1};Алфа;Варна\n")

    left, _e, _c = partnera_import("companies", str(path), "--user", "manager", "--key", "vat",
                                   "--quiet")
    updated, _e, code = partnera_import("companies", str(path), "--user", "manager", "--key",
                                        "vat", "--update", "--quiet")

    company.refresh_from_db()
    assert "  skipped               1" in left
    assert "  updated               1" in updated
    assert (code, company.city) == (0, "Варна")


def test_columns_are_fixed_on_the_command_line_and_the_mapping_saved_for_next_time(tmp_path,
                                                                                   manager):
    path = write(tmp_path, f"ЕИК;Партньор\n{E1};Алфа\n")

    _out, err, code = partnera_import("companies", str(path), "--user", "manager", "--quiet")
    assert code == 1
    assert "Choose the column that holds “Company name”." in err
    assert Company.objects.count() == 0

    _out, _err, code = partnera_import("companies", str(path), "--user", "manager", "--quiet",
                                       "--column", "Партньор=legal_name",
                                       "--save-mapping", "Партньори")
    assert code == 0
    assert ImportMapping.objects.get().columns == {"еик": "eik", "партньор": "legal_name"}

    again = write(tmp_path, f"ЕИК;Партньор\n{E2};Бета\n", name="second.csv")
    _out, _err, code = partnera_import("companies", str(again), "--user", "manager", "--quiet",
                                       "--mapping", "Партньори")
    assert code == 0
    assert sorted(Company.objects.values_list("legal_name", flat=True)) == ["Алфа", "Бета"]


@pytest.mark.parametrize("args,message", [
    (["companies", "{missing}", "--user", "manager"], "No file at"),
    (["companies", "{empty}", "--user", "manager"], "The file is empty."),
    (["companies", "{good}", "--user", "nobody"], "No user with the username “nobody”."),
    (["companies", "{good}", "--user", "manager", "--mapping", "Няма"],
     "You have no saved mapping called “Няма”."),
    (["companies", "{good}", "--user", "manager", "--column", "Нищо=legal_name"],
     "The file has no column “Нищо”."),
    (["companies", "{good}", "--user", "manager", "--key", "phone"], "Choose one of:"),
])
def test_refusals_exit_1_with_the_reason_and_import_nothing(tmp_path, manager, args, message):
    files = {"missing": str(tmp_path / "none.csv"), "empty": str(write(tmp_path, "", "e.csv")),
             "good": str(write(tmp_path, f"ЕИК;Име на фирма\n{E1};Алфа\n"))}
    before = db_state()

    _out, err, code = partnera_import(*[a.format(**files) for a in args])

    assert code == 1
    assert message in err
    assert db_state() == before
    assert ImportRun.objects.filter(status=ImportStatus.DONE).count() == 0


def test_fields_lists_what_the_user_may_import(manager):
    out, _err, code = partnera_import("contacts", "-", "--user", "manager", "--fields")

    assert code == 0
    assert "  company_eik            Company EIK" in out
