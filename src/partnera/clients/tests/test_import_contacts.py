"""Importing contacts: the company by EIK or name (only one the importer can see), matched within it
by e-mail or name, consent rules, vCards, undo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from partnera.clients.models import Contact, ContactKey
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, valid_eik
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.imports import services
from partnera.imports.tests.helpers import dry_run, issues, outcomes, run_import

pytestmark = pytest.mark.django_db

E1, E2 = valid_eik(1), valid_eik(2)
HEADER = "Име;Фамилия;Длъжност;Имейл;Телефон;ЕИК;Фирма\n"


@pytest.fixture
def alfa(manager):
    return CompanyFactory(legal_name="Алфа ООД", eik=E1, owner=manager)


def line(*cells: str) -> str:
    return ";".join(cells) + "\n"


def test_contacts_are_added_to_the_company_found_by_eik_or_by_exact_name(manager, alfa):
    beta = CompanyFactory(legal_name="Бета АД", eik=E2, owner=manager)
    text = (HEADER + line("Иван", "Петров", "Управител", "Ivan@Alfa.bg", "0888 123 456", E1, "")
            + line("Мария", "Иванова", "", "", "", "", "Бета АД"))

    run = run_import(manager, "contacts", text)

    assert run.counts == {"created": 2, "updated": 0, "unchanged": 0, "skipped": 0, "errors": 0}
    ivan = Contact.objects.get(first_name="Иван")
    assert (ivan.company, ivan.last_name, ivan.position, ivan.emails, ivan.phones,
            ivan.created_by) == (alfa, "Петров", "Управител", ["ivan@alfa.bg"],
                                 ["+359888123456"], manager)
    assert Contact.objects.get(first_name="Мария").company == beta
    assert set(ContactKey.objects.filter(contact=ivan).values_list("key", flat=True)) == {
        "email:ivan@alfa.bg", "tel:+359888123456"}
    entry = AuditEntry.objects.get(object_type="clients.contact", object_id=str(ivan.pk))
    assert (entry.action, entry.channel, entry.company_id) == ("create", "import", alfa.pk)


def test_a_company_the_importer_cannot_see_answers_like_one_that_does_not_exist(
        manager, other_manager):
    CompanyFactory(legal_name="Скрита", eik=E2, owner=other_manager)
    text = (HEADER + line("Иван", "", "", "", "", E2, "") + line("Петър", "", "", "", "", valid_eik(9), "")
            + line("Мария", "", "", "", "", "", "Скрита") + line("Ана", "", "", "", "", "", "Няма"))
    before = db_state()

    run = run_import(manager, "contacts", text)

    assert issues(run) == [
        (2, "ЕИК", "No company with this EIK that you can see."),
        (3, "ЕИК", "No company with this EIK that you can see."),
        (4, "Фирма", "No company with this name that you can see; give its EIK."),
        (5, "Фирма", "No company with this name that you can see; give its EIK."),
    ]
    assert db_state()["contacts"] == before["contacts"]


def test_two_companies_with_the_same_name_need_the_eik(manager):
    CompanyFactory(legal_name="Алфа", eik=E1, owner=manager)
    CompanyFactory(legal_name="Алфа", eik=E2, owner=manager)

    run = dry_run(manager, "contacts", HEADER + line("Иван", "", "", "", "", "", "Алфа"))

    assert issues(run) == [(2, "Фирма", "Several companies you can see have this name; give the "
                                        "EIK.")]


def test_contacts_are_matched_within_the_company_by_email_else_by_name(manager, alfa):
    by_mail = ContactFactory(company=alfa, first_name="Иван", last_name="Петров",
                             emails=["ivan@alfa.bg"], position="Търговец")
    by_name = ContactFactory(company=alfa, first_name="Мария", last_name="Иванова", emails=[],
                             position="")
    text = (HEADER + line("Иван", "Петров-Нов", "Управител", "ivan@alfa.bg", "", E1, "")
            + line("мария", "ИВАНОВА", "Счетоводител", "", "", E1, ""))

    left = run_import(manager, "contacts", text)
    updated = run_import(manager, "contacts", text, update=True)

    assert outcomes(left) == {2: "skipped", 3: "skipped"}
    assert outcomes(updated) == {2: "updated", 3: "updated"}
    by_mail.refresh_from_db()
    by_name.refresh_from_db()
    assert (by_mail.last_name, by_mail.position) == ("Петров-Нов", "Управител")
    assert (by_name.first_name, by_name.position) == ("мария", "Счетоводител")
    assert Contact.objects.count() == 2
    again = run_import(manager, "contacts", text, update=True)
    assert again.counts["unchanged"] == 2


def test_a_full_name_column_is_split_into_first_and_last_name(manager, alfa):
    text = "Име и фамилия;ЕИК\nИван Петров Иванов;" + E1 + "\nМадона;" + E1 + "\n"

    run_import(manager, "contacts", text)

    assert sorted(Contact.objects.values_list("first_name", "last_name")) == [
        ("Иван", "Петров Иванов"), ("Мадона", "")]


def test_marketing_consent_needs_its_source_and_gets_a_date(manager, alfa):
    text = ("Име;ЕИК;Имейл;Съгласие за маркетинг;Източник на съгласието;Дата на съгласие\n"
            f"Иван;{E1};i@alfa.bg;да;формуляр на сайта;01.03.2025\n"
            f"Петър;{E1};p@alfa.bg;да;;\n"
            f"Ана;{E1};a@alfa.bg;Да;панаир;\n"
            f"Мария;{E1};m@alfa.bg;не;;2025-01-01\n"
            f"Ели;{E1};e@alfa.bg;може би;;\n")

    run = run_import(manager, "contacts", text)

    assert issues(run) == [
        (3, "Източник на съгласието", "Say where the consent was given (form, meeting, "
                                       "e-mail …)."),
        (6, "Съгласие за маркетинг", "Write yes or no (да / не)."),
    ]
    people = {c.first_name: (c.marketing_consent, c.consent_date, c.consent_source)
              for c in Contact.objects.all()}
    assert people == {
        "Иван": (True, dt.date(2025, 3, 1), "формуляр на сайта"),
        "Ана": (True, timezone.localdate(), "панаир"),
        "Мария": (False, None, ""),
    }


def test_a_duplicate_person_within_the_file_is_reported(manager, alfa):
    text = HEADER + line("Иван", "", "", "i@alfa.bg", "", E1, "") + line(
        "Иван", "Другия", "", "I@alfa.bg", "", E1, "")

    run = dry_run(manager, "contacts", text)

    assert issues(run) == [(3, "Имейл", "The same value as row 2: this row would import the same "
                                        "record twice.")]


def test_contacts_of_a_company_the_importer_may_not_change_are_refused(make_user, alfa):
    marketer = make_user(Role.MARKETING, username="marketer")

    run = dry_run(marketer, "contacts", HEADER + line("Иван", "", "", "", "", E1, ""))

    assert issues(run) == [(2, "ЕИК", "You may not add or change contacts of “Алфа ООД”.")]


def test_undo_removes_the_imported_contacts(manager, alfa):
    run = run_import(manager, "contacts", HEADER + line("Иван", "", "", "", "", E1, ""))

    result = services.import_undo(actor=manager, run=run)

    assert result.reverted == 1
    assert Contact.objects.count() == 0
    assert Contact.all_objects.get().deleted_by == manager


VCARDS = (
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Петров;Иван;;;\r\nFN:Иван Петров\r\nORG:Алфа ООД\r\n"
    "TITLE:Управител\r\nEMAIL;TYPE=work:ivan@alfa.bg\r\nTEL;TYPE=cell:+359 888 123 456\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Иванова;Мария;;;\r\nFN:Мария Иванова\r\nORG:Няма Такава\r\n"
    "END:VCARD\r\n"
)


def test_vcards_are_imported_as_contacts(manager, alfa):
    run = run_import(manager, "contacts", VCARDS, filename="contacts.vcf")

    assert run.file_format == "vcf"
    assert issues(run) == [(2, "Company name",
                            "No company with this name that you can see; give its EIK.")]
    ivan = Contact.objects.get()
    assert (ivan.first_name, ivan.last_name, ivan.position, ivan.emails, ivan.phones,
            ivan.company) == ("Иван", "Петров", "Управител", ["ivan@alfa.bg"],
                              ["+359888123456"], alfa)


def test_vcards_cannot_be_imported_as_companies(manager):
    from partnera.imports.readers import FileProblem

    with pytest.raises(FileProblem, match="cannot be imported as this kind"):
        dry_run(manager, "companies", VCARDS, filename="contacts.vcf")
