"""Reading one visible record (NotFound + the denial recorded) and the optimistic version check."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections, transaction
from django.utils import translation

from partnera.clients.models import Company, Contact
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.errors import NotFound, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.records import bump_version, get_visible
from partnera.core.tests.dbstate import db_state
from partnera.core.visibility import visible_q


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def visible_companies(user):
    return Company.objects.filter(visible_q(user))


# --- get_visible ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_visible_record_is_returned_without_an_audit_entry(manager):
    company = CompanyFactory(owner=manager)

    assert get_visible(visible_companies(manager), company.pk, user=manager) == company
    assert get_visible(visible_companies(manager), str(company.pk), user=manager) == company
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_invisible_record_is_not_found_and_the_denial_is_recorded(manager, other_manager):
    company = CompanyFactory(owner=other_manager, legal_name="Скрита")
    before = db_state()

    with pytest.raises(NotFound) as exc:
        get_visible(visible_companies(manager), company.pk, user=manager, company_id_attr="pk")

    assert exc.value.as_dict() == {"code": "not_found", "message": "Not found.", "fields": {}}
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.ACCESS_DENIED
    assert (entry.actor, entry.object_type, entry.object_id, entry.company_id) == (
        manager, "clients.company", str(company.pk), company.pk)
    assert entry.object_repr == f"#{company.pk}"
    after = db_state()
    assert after.pop("audit_entries") == before.pop("audit_entries") + 1
    assert after == before


@pytest.mark.django_db
def test_child_record_denial_names_its_company(manager, other_manager):
    contact = ContactFactory(company=CompanyFactory(owner=other_manager))
    qs = Contact.objects.filter(visible_q(manager, root="company__"))

    with pytest.raises(NotFound):
        get_visible(qs, contact.pk, user=manager, company_id_attr="company_id")

    entry = AuditEntry.objects.get()
    assert (entry.object_type, entry.object_id, entry.company_id) == (
        "clients.contact", str(contact.pk), contact.company_id)


@pytest.mark.django_db
@pytest.mark.parametrize("pk", [987654, "abc", None, "", "1.5", [1], -3])
def test_missing_or_malformed_id_is_not_found_and_records_nothing(manager, pk):
    CompanyFactory(owner=manager)
    before = db_state()

    with pytest.raises(NotFound):
        get_visible(visible_companies(manager), pk, user=manager)

    assert db_state() == before


@pytest.mark.django_db
def test_deleted_record_is_not_found_like_a_missing_one(manager):
    company = CompanyFactory(owner=manager)
    Company.objects.filter(pk=company.pk).update(deleted_at="2025-01-01T00:00:00Z")
    before = db_state()

    with pytest.raises(NotFound):
        get_visible(visible_companies(manager), company.pk, user=manager)

    assert db_state() == before


# --- bump_version --------------------------------------------------------------------------------

@pytest.mark.django_db
def test_bump_writes_only_the_named_fields_and_increments_the_version(manager):
    company = CompanyFactory(owner=manager, legal_name="Старо", city="София")
    stamp = company.updated_at
    company.legal_name = "Ново"
    company.city = "Варна"  # changed in memory, but not named

    bump_version(company, expected_version=1, fields=["legal_name"])

    assert company.version == 2
    assert company.updated_at > stamp
    stored = Company.objects.get(pk=company.pk)
    assert (stored.legal_name, stored.city, stored.version) == ("Ново", "София", 2)
    assert stored.updated_at == company.updated_at


@pytest.mark.django_db
def test_stale_version_is_a_conflict_and_nothing_is_written(manager):
    company = CompanyFactory(owner=manager, legal_name="Старо")
    Company.objects.filter(pk=company.pk).update(version=3)
    company.legal_name = "Ново"
    before = db_state()

    with pytest.raises(VersionConflict) as exc:
        bump_version(company, expected_version=2, fields=["legal_name"])

    assert exc.value.code == "version_conflict"
    assert exc.value.status == 409
    assert db_state() == before
    assert company.version == 1  # the caller's copy is not advanced either


@pytest.mark.django_db
def test_without_an_expected_version_the_copy_in_hand_is_the_expectation(manager):
    company = CompanyFactory(owner=manager)
    first = Company.objects.get(pk=company.pk)
    second = Company.objects.get(pk=company.pk)
    first.city = "Русе"
    bump_version(first, expected_version=None, fields=["city"])
    second.city = "Плевен"

    with pytest.raises(VersionConflict):
        bump_version(second, expected_version=None, fields=["city"])

    assert Company.objects.get(pk=company.pk).city == "Русе"


@pytest.mark.django_db
def test_bump_reaches_deleted_rows(manager):
    company = CompanyFactory(owner=manager)
    Company.objects.filter(pk=company.pk).update(deleted_at="2025-01-01T00:00:00Z")
    deleted = Company.all_objects.get(pk=company.pk)
    deleted.deleted_at = None

    bump_version(deleted, expected_version=1, fields=["deleted_at"])

    assert Company.objects.get(pk=company.pk).version == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
def test_two_concurrent_writers_exactly_one_wins(make_user):
    # Given one company and two writers who both read version 1
    owner = make_user()
    company = CompanyFactory(owner=owner, city="София")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(city: str) -> None:
        copy = Company.objects.get(pk=company.pk)
        barrier.wait()
        try:
            with transaction.atomic():
                copy.city = city
                bump_version(copy, expected_version=1, fields=["city"])
            outcomes.append(city)
        except VersionConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(c,)) for c in ("Русе", "Плевен")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # Then one saved, the other got a conflict, and the row holds the winner's change
    assert len(outcomes) == 2
    assert outcomes.count("conflict") == 1
    winner = next(o for o in outcomes if o != "conflict")
    stored = Company.objects.get(pk=company.pk)
    assert (stored.city, stored.version) == (winner, 2)
