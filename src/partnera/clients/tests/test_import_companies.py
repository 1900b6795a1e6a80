"""Importing companies: validation with row, column and reason; upsert keys; update or leave alone;
the same file twice; visibility; undo; a crash half-way."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from partnera.clients import selectors
from partnera.clients.models import Company, CompanyKey, Tag
from partnera.clients.tests.factories import CompanyFactory, valid_eik
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.imports import engine, services
from partnera.imports.models import ImportBatch, ImportRecord, ImportRun, ImportStatus
from partnera.imports.tests.helpers import dry_run, issues, outcomes, run_import
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

HEADER = "ЕИК;Име на фирма;Град;Телефон;Имейл;Етап\n"
E1, E2, E3, E4 = valid_eik(1), valid_eik(2), valid_eik(3), valid_eik(4)


def line(*cells: str) -> str:
    return ";".join(cells) + "\n"


def test_creates_companies_with_normalised_values_audited_through_the_import_channel(manager):
    text = HEADER + line(E1, "Алфа ООД", "София", "02 987 6543, 0888 123 456",
                         "Office@Alfa.bg", "Активен клиент")

    run = run_import(manager, "companies", text)

    assert (run.status, run.counts) == (ImportStatus.DONE, {
        "created": 1, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 0})
    company = Company.objects.get()
    assert (company.legal_name, company.eik, company.city, company.phones, company.emails,
            company.stage, company.tier, company.country) == (
        "Алфа ООД", E1, "София", ["+35929876543", "+359888123456"], ["office@alfa.bg"],
        "active", "standard", "BG")
    assert (company.owner, company.team, company.created_by, company.version) == (
        manager, manager.team, manager, 1)
    assert selectors.company_autocomplete(user=manager, query="алфа") == [company]
    assert selectors.company_autocomplete(user=manager, query="0888123456") == [company]
    assert set(CompanyKey.objects.filter(company=company).values_list("key", flat=True)) >= {
        f"eik:{E1}", "email:office@alfa.bg", "tel:+359888123456"}
    entry = AuditEntry.objects.get(object_type="clients.company")
    assert (entry.action, entry.channel, entry.actor, entry.company_id) == (
        "create", "import", manager, company.pk)
    assert entry.changes["legal_name"] == [None, "Алфа ООД"]
    assert entry.changes["phones"] == [None, ["+35929876543", "+359888123456"]]
    record = ImportRecord.objects.get()
    assert (record.object_id, record.action, record.row, record.version) == (
        company.pk, "created", 2, 1)


@pytest.mark.parametrize("stage,expected", [
    ("active", "active"), ("Активен клиент", "active"), ("активен КЛИЕНТ", "active"),
    ("Active client", "active"), ("Изгубен", "lost"), ("Загубен", "lost"),
    ("Потенциален клиент", "prospect"), ("", "prospect"),
])
def test_stage_accepts_codes_and_labels(manager, stage, expected):
    run_import(manager, "companies", HEADER + line(E1, "Алфа", "", "", "", stage))

    assert Company.objects.get().stage == expected


def test_every_kind_of_bad_row_is_reported_with_row_column_and_reason(manager):
    CompanyFactory(legal_name="Стара", eik=E4, owner=manager)
    long_name = "Я" * 256
    text = (HEADER
            + line(E1, "Добра ООД", "София", "0888 123 456", "office@dobra.bg", "")  # row 2
            + line("12345", "Лош ЕИК", "", "", "", "")  # 3
            + line(valid_eik(5)[:-1] + "0", "Грешна контролна цифра", "", "", "", "")  # 4
            + line(E2, "", "Варна", "", "", "")  # 5: no name
            + line(E3, "Лош телефон", "", "12ab", "", "")  # 6
            + line(valid_eik(6), "Лош имейл", "", "", "office@", "")  # 7
            + line(E1, "Дубликат", "", "", "", "")  # 8: the EIK of row 2
            + line(valid_eik(7), long_name, "", "", "", "")  # 9
            + line(valid_eik(8), "=HYPERLINK(\"http://x\")", "", "", "", "")  # 10
            + line(valid_eik(9), "Непознат етап", "", "", "", "Супер")  # 11
            + line(valid_eik(10), "@Атака", "", "", "", "")  # 12
            + line(valid_eik(11), "Добра 2", "-", "", "", "")  # 13: "-" is empty
            + line(E4, "Заето ЕИК", "", "", "", "") )  # 14: exists (unchanged/skipped)
    before = db_state()

    run = dry_run(manager, "companies", text)

    assert db_state() == before
    formula = ("Starts with “{}”, which a spreadsheet runs as a formula: text starting with "
               "= + - or @ is not imported. Remove that character.")
    assert issues(run) == [
        (3, "ЕИК", "An EIK/BULSTAT has 9 or 13 digits."),
        (4, "ЕИК", "This EIK/BULSTAT fails its check digit."),
        (5, "Име на фирма", "The company's name is missing."),
        (6, "Телефон", "“12ab” is not a phone number."),
        (7, "Имейл", "“office@” is not an e-mail address."),
        (8, "ЕИК", "The same value as row 2: this row would import the same record twice."),
        (9, "Име на фирма", "Too long: 256 characters, at most 255."),
        (10, "Име на фирма", formula.format("=")),
        (11, "Етап", "“Супер” is not one of: Prospect, Active client, Dormant, Lost."),
        (12, "Име на фирма", formula.format("@")),
    ]
    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1, "errors": 10}
    assert sum(run.counts.values()) == run.rows_total == 13

    services.import_start(actor=manager, run=run)
    engine.execute(run.pk)
    run.refresh_from_db()

    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1, "errors": 10}
    assert sorted(Company.objects.values_list("legal_name", "city")) == [
        ("Добра 2", ""), ("Добра ООД", "София"), ("Стара", "София")]
    assert issues(run)[0] == (3, "ЕИК", "An EIK/BULSTAT has 9 or 13 digits.")


def test_empty_rows_are_skipped_and_the_counts_add_up_to_the_rows_of_the_file(manager):
    text = HEADER + line(E1, "Алфа", "", "", "", "") + line("", "", "", "", "", "") + line(
        E2, "Бета", "", "", "", "")

    run = run_import(manager, "companies", text)

    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 1, "errors": 0}
    assert outcomes(run) == {2: "created", 3: "skipped", 4: "created"}
    assert sum(run.counts.values()) == run.rows_total == 3


def test_the_same_file_twice_creates_nothing_new(manager):
    text = HEADER + "".join(line(valid_eik(n), f"Фирма {n}", "София", f"0888 100 {n:03d}",
                                 f"f{n}@firma.bg", "active") for n in range(1, 8))
    first = run_import(manager, "companies", text)
    state = db_state()

    second = run_import(manager, "companies", text, update=True)

    assert first.created == 7
    assert second.counts == {"created": 0, "updated": 0, "unchanged": 7, "skipped": 0,
                             "errors": 0}
    after = db_state()
    assert after["companies"] == state["companies"]
    assert after["audit_entries"] == state["audit_entries"]


def test_existing_companies_are_left_alone_unless_update_is_chosen(manager):
    company = CompanyFactory(legal_name="Алфа", eik=E1, city="София", owner=manager,
                             phones=["+359888111222"], emails=["a@alfa.bg"], stage="prospect")
    text = HEADER + line(E1, "Алфа", "Пловдив", "0888 333 444", "b@alfa.bg", "")

    left = run_import(manager, "companies", text)
    company.refresh_from_db()

    assert left.counts["skipped"] == 1
    assert outcomes(left) == {2: "skipped"}
    assert (company.city, company.version) == ("София", 1)

    updated = run_import(manager, "companies", text, update=True)
    company.refresh_from_db()

    assert updated.counts == {"created": 0, "updated": 1, "unchanged": 0, "skipped": 0,
                              "errors": 0}
    assert updated.report["preview"]["updated"] == [[2, "Алфа", ["city", "phones", "emails"],
                                                     company.pk]]
    # Empty cells keep what is stored; phones and e-mails are added to the stored ones.
    assert (company.city, company.phones, company.emails, company.stage, company.version) == (
        "Пловдив", ["+359888111222", "+359888333444"], ["a@alfa.bg", "b@alfa.bg"], "prospect", 2)
    entry = AuditEntry.objects.filter(action="update", object_id=str(company.pk)).get()
    assert entry.channel == "import"
    assert entry.changes["city"] == ["София", "Пловдив"]
    assert ImportRecord.objects.get(run=updated).before["city"] == "София"


@pytest.mark.parametrize("key,header,row", [
    ("vat", "ДДС номер;Име на фирма;Град\n", f"BG{E1};Алфа нова;Варна\n"),
    ("email", "Имейл;Име на фирма;Град\n", "OFFICE@alfa.bg;Алфа нова;Варна\n"),
    ("name_city", "Име на фирма;Град;Отрасъл\n", "Алфа;софия;Търговия\n"),
    ("auto", "Имейл;Име на фирма;Град\n", "office@alfa.bg;Алфа нова;Варна\n"),
])
def test_each_key_finds_the_existing_company(manager, key, header, row):
    company = CompanyFactory(legal_name="Алфа", eik=E1, vat_number=f"BG{E1}", city="София",
                             emails=["office@alfa.bg"], owner=manager, industry="")

    run = run_import(manager, "companies", header + row, key=key, update=True)

    assert run.counts["updated"] == 1
    assert Company.objects.count() == 1
    assert outcomes(run) == {2: "updated"}
    assert ImportRecord.objects.get(run=run).object_id == company.pk


def test_the_email_key_finds_a_company_by_its_second_stored_email(manager):
    company = CompanyFactory(legal_name="Алфа", eik=E1, city="София", owner=manager, industry="",
                             emails=["office@alfa.bg", "sales@alfa.bg"])
    other = CompanyFactory(legal_name="Бета", eik=E2, city="София", owner=manager, industry="",
                           emails=["office@beta.bg"])

    run = run_import(manager, "companies", "Имейл;Име на фирма;Отрасъл\nSales@Alfa.bg;Алфа;Търговия\n",
                     key="email", update=True)

    assert outcomes(run) == {2: "updated"}
    assert ImportRecord.objects.get(run=run).object_id == company.pk
    company.refresh_from_db()
    other.refresh_from_db()
    assert (company.industry, company.emails, company.version) == (
        "Търговия", ["office@alfa.bg", "sales@alfa.bg"], 2)
    assert (other.industry, other.version) == ("", 1)
    assert Company.objects.count() == 2


def test_the_email_key_matches_a_whole_stored_email_of_a_live_company_only(manager):
    CompanyFactory(legal_name="Алфа", eik=E1, owner=manager, emails=["office@alfa.bg"])
    CompanyFactory(legal_name="Стара", eik=E2, owner=manager, emails=["old@gamma.bg"],
                   deleted_at=timezone.now())
    text = ("Имейл;Име на фирма\n" + line("fice@alfa.bg", "Част от адрес")
            + line("e@alfa.bg", "Края на адрес") + line("old@gamma.bg", "Нова Гама"))

    run = run_import(manager, "companies", text, key="email", update=True)

    assert outcomes(run) == {2: "created", 3: "created", 4: "created"}
    assert Company.objects.get(eik=E1).version == 1


def test_an_explicit_key_the_row_lacks_is_a_problem_of_the_row(manager):
    run = dry_run(manager, "companies", "Име на фирма;Град\nАлфа;София\n", key="eik")

    assert issues(run) == [(2, "", "This row has no EIK, the key chosen to find existing "
                                   "companies.")]


def test_a_key_matching_several_companies_is_ambiguous(manager):
    CompanyFactory(legal_name="А", vat_number="BG175074752", eik=E1, owner=manager)
    CompanyFactory(legal_name="Б", vat_number="BG175074752", eik=E2, owner=manager)

    run = dry_run(manager, "companies", "ДДС номер;Име на фирма\nBG175074752;В\n", key="vat")

    assert issues(run) == [(2, "ДДС номер", "2 companies in the client base have this VAT "
                                            "number; choose another key, or merge them first.")]


def test_an_eik_held_by_another_company_is_refused_when_matching_by_another_key(manager):
    CompanyFactory(legal_name="Притежател", eik=E2, owner=manager)
    CompanyFactory(legal_name="Алфа", eik="", vat_number=f"BG{E1}", owner=manager)

    run = dry_run(manager, "companies", f"ДДС номер;ЕИК;Име на фирма\nBG{E1};{E2};Алфа\n",
                  key="vat", update=True)

    assert issues(run) == [(2, "ЕИК", "“Притежател” already has this EIK.")]


def test_a_hidden_company_is_never_matched_updated_or_named(manager, other_manager):
    hidden = CompanyFactory(legal_name="Скрита Фирма", eik=E1, owner=other_manager, city="Русе")
    hidden_vat = CompanyFactory(legal_name="Скрита Втора", eik=E2, vat_number=f"BG{E2}",
                                owner=other_manager)
    before = db_state()
    text = HEADER + line(E1, "Моята Фирма", "София", "", "", "")

    run = run_import(manager, "companies", text, update=True)
    by_vat = run_import(manager, "companies", f"ДДС номер;Име на фирма\nBG{E2};Друга\n",
                        key="vat", update=True)

    assert issues(run) == [(2, "ЕИК", "A company with this EIK is already in the client base, "
                                      "but you cannot see it. Ask its owner or an "
                                      "administrator.")]
    assert issues(by_vat) == [(2, "ДДС номер", "A company with this VAT number is already in the "
                                              "client base, but you cannot see it. Ask its owner "
                                              "or an administrator.")]
    assert "Скрит" not in str(run.report) + str(by_vat.report)
    assert db_state()["companies"] == before["companies"]
    hidden.refresh_from_db()
    hidden_vat.refresh_from_db()
    assert (hidden.legal_name, hidden.city, hidden.version) == ("Скрита Фирма", "Русе", 1)


def test_marketing_sees_every_company_but_updates_only_its_own(make_user, manager):
    marketer = make_user(Role.MARKETING, username="marketer")
    CompanyFactory(legal_name="Чужда", eik=E1, owner=manager, city="София")
    CompanyFactory(legal_name="Своя", eik=E2, owner=marketer, city="София")
    text = HEADER + line(E1, "Чужда", "Варна", "", "", "") + line(E2, "Своя", "Варна", "", "", "")

    run = run_import(marketer, "companies", text, update=True)

    assert issues(run) == [(2, "ЕИК", "“Чужда” is in the client base, but you may not change it.")]
    assert sorted(Company.objects.values_list("legal_name", "city")) == [
        ("Своя", "Варна"), ("Чужда", "София")]


def test_owners_are_assigned_only_by_who_may_assign_them(manager, head_of_sales, team):
    other = TeamFactory()
    from partnera.people.tests.factories import make_user

    seller = make_user(Role.ACCOUNT_MANAGER, team=other, username="seller",
                       email="seller@partnera.test")
    text = "ЕИК;Име на фирма;Отговорник\n" + f"{E1};Алфа;seller@partnera.test\n" + (
        f"{E2};Бета;seller\n") + f"{E3};Гама;nobody\n"

    by_head = run_import(head_of_sales, "companies", text)
    by_manager = dry_run(manager, "companies", text.replace(E1, E4))

    assert issues(by_head) == [(4, "Отговорник",
                                "No active user with the username or e-mail “nobody”.")]
    assert {c.legal_name: (c.owner, c.team) for c in Company.objects.all()} == {
        "Алфа": (seller, other), "Бета": (seller, other)}
    # A manager may not assign: the column is not offered, so it is not imported.
    assert "owner" not in by_manager.mapping
    assert by_manager.report.get("mapping_problems") is None


def test_confidential_fields_only_for_roles_holding_the_right(make_user, manager):
    kam = make_user(Role.KEY_ACCOUNT_MANAGER, team=manager.team, username="kam")
    text = "ЕИК;Име на фирма;Кредитен лимит;Срок на плащане\n" + f"{E1};Алфа;15 000,50;30\n"

    run_import(kam, "companies", text)
    refused = dry_run(manager, "companies", text.replace(E1, E2))

    company = Company.objects.get()
    assert (company.credit_limit, company.payment_terms_days) == (Decimal("15000.50"), 30)
    assert refused.mapping == ["eik", "legal_name", "", ""]


def test_tags_are_created_once_and_added(manager):
    Tag.objects.create(name="Дистрибутор")
    text = "ЕИК;Име на фирма;Етикети\n" + f"{E1};Алфа;дистрибутор, Износител\n" + (
        f"{E2};Бета;Износител\n")

    run_import(manager, "companies", text)

    assert sorted(Tag.objects.values_list("name", flat=True)) == ["Дистрибутор", "Износител"]
    assert {c.legal_name: sorted(t.name for t in c.tags.all()) for c in Company.objects.all()} == {
        "Алфа": ["Дистрибутор", "Износител"], "Бета": ["Износител"]}


def test_a_windows_1251_file_as_excel_saves_it(manager):
    text = HEADER + line(E1, "Ъгъл ЕООД", "Стара Загора", "", "", "Активен клиент")

    run = run_import(manager, "companies", text, encoding="cp1251")

    assert run.encoding == "cp1251"
    assert Company.objects.get().legal_name == "Ъгъл ЕООД"


def test_undo_deletes_what_was_created_and_restores_what_was_updated(manager):
    existing = CompanyFactory(legal_name="Стара", eik=E1, city="София", owner=manager)
    text = HEADER + line(E1, "Стара", "Варна", "", "", "") + line(E2, "Нова", "Русе", "", "", "")
    run = run_import(manager, "companies", text, update=True)
    new = Company.objects.get(eik=E2)

    result = services.import_undo(actor=manager, run=run)

    existing.refresh_from_db()
    new = Company.all_objects.get(pk=new.pk)
    run.refresh_from_db()
    assert (result.reverted, result.kept) == (2, [])
    assert (existing.city, existing.version) == ("София", 3)
    assert new.deleted_at is not None and new.deleted_by == manager
    assert run.status == ImportStatus.UNDONE
    actions = sorted(AuditEntry.objects.filter(at__gte=run.finished_at).values_list(
        "action", "object_id"))
    assert ("delete", str(new.pk)) in actions and ("update", str(existing.pk)) in actions


def test_undo_of_a_run_recorded_with_the_dropped_search_column_restores_the_rest(manager):
    existing = CompanyFactory(legal_name="Стара", eik=E1, city="София", owner=manager)
    run = run_import(manager, "companies", HEADER + line(E1, "Стара", "Варна", "", "", ""),
                     update=True)
    # What a run recorded before clients.0007 holds: the folded search column among the values.
    record = ImportRecord.objects.get(run=run)
    record.before = {**record.before, "search_text": "стара софия"}
    record.save()

    result = services.import_undo(actor=manager, run=run)

    existing.refresh_from_db()
    assert (result.reverted, result.kept) == (1, [])
    assert (existing.city, existing.version) == ("София", 3)
    entry = AuditEntry.objects.filter(action="update", object_type="clients.company",
                                      object_id=str(existing.pk)).latest("pk")
    assert entry.changes == {"city": ["Варна", "София"]}


def test_undo_leaves_records_changed_since_and_says_so(manager):
    from partnera.clients import services as client_services

    text = HEADER + line(E1, "Алфа", "", "", "", "") + line(E2, "Бета", "", "", "", "")
    run = run_import(manager, "companies", text)
    changed = Company.objects.get(eik=E1)
    client_services.company_update(actor=manager, company=changed, data={"city": "Бургас"},
                                   expected_version=changed.version)

    result = services.import_undo(actor=manager, run=run)

    assert result.reverted == 1
    assert result.kept == [("Алфа", "Changed since the import; left as it is.")]
    assert Company.objects.get().legal_name == "Алфа"
    with pytest.raises(Exception, match="already been undone"):
        services.import_undo(actor=manager, run=ImportRun.objects.get(pk=run.pk))


def test_a_crash_half_way_leaves_whole_batches_and_the_rerun_finishes_exactly_once(
        manager, settings, monkeypatch):
    settings.PARTNERA_IMPORT_BATCH_SIZE = 3
    text = HEADER + "".join(line(valid_eik(n), f"Фирма {n}", "", "", "", "")
                            for n in range(1, 12))  # 11 rows: batches of 3, 3, 3, 2
    run = dry_run(manager, "companies", text)
    services.import_start(actor=manager, run=run)
    from partnera.clients.importing import CompanyImport

    real_apply = CompanyImport.apply
    calls = {"n": 0}

    def failing_apply(self, rows):
        calls["n"] += 1
        written = real_apply(self, rows)  # the batch's rows are written …
        if calls["n"] == 3:
            raise RuntimeError("disk full")  # … and then the batch fails
        return written

    monkeypatch.setattr(CompanyImport, "apply", failing_apply)
    with pytest.raises(RuntimeError):
        engine.execute(run.pk)
    run.refresh_from_db()

    assert run.status == ImportStatus.FAILED
    assert "batch starting at row 8" in run.message
    assert (run.rows_done, run.created) == (6, 6)
    assert sorted(Company.objects.values_list("legal_name", flat=True)) == sorted(
        f"Фирма {n}" for n in range(1, 7))
    assert ImportRecord.objects.filter(run=run).count() == 6
    assert ImportBatch.objects.filter(run=run, phase="real").count() == 2
    assert AuditEntry.objects.filter(object_type="clients.company").count() == 6

    monkeypatch.setattr(CompanyImport, "apply", real_apply)
    services.import_resume(actor=manager, run=run)
    engine.execute(run.pk)
    run.refresh_from_db()

    assert run.status == ImportStatus.DONE
    assert run.counts == {"created": 11, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 0}
    assert Company.objects.count() == 11
    assert ImportRecord.objects.filter(run=run).count() == 11
    assert AuditEntry.objects.filter(object_type="clients.company").count() == 11
    assert engine.execute(run.pk) is None  # a second worker finds nothing to do


def test_a_row_the_database_refuses_fails_its_batch_whole(manager, settings, monkeypatch):
    """A real constraint violation part-way through a batch (an EIK taken between the look-up and
    the write, made to happen every time): the batch is retried, then the run stops with nothing
    of that batch written."""
    settings.PARTNERA_IMPORT_BATCH_SIZE = 2
    text = HEADER + "".join(line(valid_eik(n), f"Фирма {n}", "", "", "", "") for n in range(1, 6))
    run = dry_run(manager, "companies", text)
    services.import_start(actor=manager, run=run)
    from partnera.clients import importing

    real_plan = importing.CompanyImport.plan

    def plan_blind_to_eik_4(self, rows):
        real_plan(self, rows)
        for row in rows:
            if row.data.get("eik") == valid_eik(4):
                CompanyFactory(legal_name="Изпреварила", eik=valid_eik(4), owner=manager)
                row.outcome = "created"  # as if the look-up had not seen it

    monkeypatch.setattr(importing.CompanyImport, "plan", plan_blind_to_eik_4)
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        engine.execute(run.pk)
    run.refresh_from_db()

    assert (run.status, run.rows_done) == (ImportStatus.FAILED, 2)
    assert sorted(Company.objects.values_list("legal_name", flat=True)) == [
        "Фирма 1", "Фирма 2"]


def test_the_dry_run_warns_of_likely_duplicates_the_importer_can_see(manager, other_manager):
    from partnera.clients import services as client_services

    client_services.company_create(actor=manager, data={
        "legal_name": "Алфа Трейд", "legal_form": "OOD", "city": "София",
        "phones": "0888 555 111"})
    client_services.company_create(actor=other_manager, data={
        "legal_name": "Скрита Бета", "city": "Русе", "phones": "0888 555 222"})
    text = ("ЕИК;Име на фирма;Град;Телефон\n" + f"{E1};Alfa Trade Ltd;Sofia;+359888555111\n"
            + f"{E2};Друга Фирма;Русе;0888 555 222\n")

    run = dry_run(manager, "companies", text)

    found = issues(run)
    assert [(number, column) for number, column, _m in found] == [(2, "Име на фирма")]
    assert found[0][2].startswith("Looks like “Алфа Трейд”")
    assert run.report["warnings"] == 1 and run.errors == 0
    assert "Скрита" not in str(run.report)
    # A warning does not stop the row: both would be created.
    assert run.created == 2


def test_imported_companies_are_found_by_the_global_search_and_the_duplicates_finder(
        manager, settings, django_capture_on_commit_callbacks):
    from partnera.clients import services as client_services
    from partnera.clients.models import DuplicatePair
    from partnera.core.search import global_search

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    existing = client_services.company_create(actor=manager, data={
        "legal_name": "Бета Трейд", "city": "Варна", "phones": "0888 555 333"})
    text = "ЕИК;Име на фирма;Град;Телефон\n" + f"{E1};Петрол Логистик;Бургас;0888 555 333\n"

    with django_capture_on_commit_callbacks(execute=True):
        run = run_import(manager, "companies", text)

    company = Company.objects.get(eik=E1)
    assert [h.pk for h in global_search(user=manager, query="petrol", kinds={"company"})] == [
        company.pk]
    assert {h.pk for h in global_search(user=manager, query="0888555333",
                                        kinds={"company"})} == {existing.pk, company.pk}
    pair = DuplicatePair.objects.get()
    assert {pair.company_a_id, pair.company_b_id} == {existing.pk, company.pk}
    assert run.status == ImportStatus.DONE
