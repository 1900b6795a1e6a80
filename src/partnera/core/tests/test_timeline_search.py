"""The timeline and global-search registries, with the client base's sources and providers."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from partnera.clients import services
from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory
from partnera.core import search as search_registry
from partnera.core import timeline as timeline_registry
from partnera.core.models import AuditEntry
from partnera.core.search import SearchHit, global_search
from partnera.core.timeline import TimelineEntry, company_timeline
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def history(manager, head_of_sales):
    """A company with a life: created, noted, changed, a contact added, a file, a credit limit."""
    company = services.company_create(actor=manager, data={"legal_name": "Хроника ООД",
                                                           "city": "София"})
    note = services.note_create(actor=manager, company=company, data={"body": "Първа среща"})
    services.company_update(actor=manager, company=company, data={"city": "Варна",
                                                                  "phones": "0888 123 456"},
                            expected_version=1)
    services.contact_create(actor=manager, data={"company": company.pk, "first_name": "Мария"})
    services.attachment_add(actor=manager, company=company,
                            upload=SimpleUploadedFile("оферта.pdf", b"%PDF-1.4\n%%EOF\n"))
    services.company_update(actor=head_of_sales, company=company,
                            data={"credit_limit": "15000", "financial_notes": "Плаща навреме"},
                            expected_version=2)
    return company, note


def kinds_and_titles(entries: list[TimelineEntry]) -> list[tuple[str, str]]:
    return [(e.kind, e.title) for e in entries]


def test_timeline_merges_notes_and_changes_newest_first(manager, history):
    company, note = history

    entries = company_timeline(user=manager, company_id=company.pk)

    assert kinds_and_titles(entries) == [
        ("change", "changed: Хроника ООД"),     # the credit limit (head of sales)
        ("file", "created: оферта.pdf"),
        ("contact", "created: Мария"),
        ("change", "changed: Хроника ООД"),     # city and phone
        ("note", "Note"),
        ("change", "created: Хроника ООД"),
    ]
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    note_entry = entries[4]
    assert note_entry.body == "Първа среща"
    assert note_entry.actor == str(manager)
    assert note_entry.url.endswith(f"#note-{note.pk}")
    assert entries[3].details == [("city", "София", "Варна"), ("phones", "—", "+359 88 812 3456")]
    assert entries[3].actor == "manager"


def test_confidential_values_are_masked_for_a_manager(manager, head_of_sales, history):
    company, _note = history

    mine = company_timeline(user=manager, company_id=company.pk)[0]
    theirs = company_timeline(user=head_of_sales, company_id=company.pk)[0]

    assert mine.details == [("credit_limit", "—", "•••"), ("financial_notes", "—", "•••")]
    assert theirs.details == [("credit_limit", "—", "15000.00"),
                              ("financial_notes", "—", "Плаща навреме")]
    assert "15000" not in repr(company_timeline(user=manager, company_id=company.pk))
    assert "Плаща" not in repr(company_timeline(user=manager, company_id=company.pk))


def test_a_note_or_change_of_another_company_never_appears(manager, history):
    company, _note = history
    other = services.company_create(actor=manager, data={"legal_name": "Друга"})
    services.note_create(actor=manager, company=other, data={"body": "Чужда бележка"})

    entries = company_timeline(user=manager, company_id=company.pk)

    assert "Чужда бележка" not in [e.body for e in entries]
    assert "created: Друга" not in [e.title for e in entries]
    assert [e.body for e in company_timeline(user=manager, company_id=other.pk)
            if e.kind == "note"] == ["Чужда бележка"]


def test_deleted_note_leaves_the_timeline(manager, history):
    company, note = history

    services.note_delete(actor=manager, note=note)

    entries = company_timeline(user=manager, company_id=company.pk)
    assert "note" not in [e.kind for e in entries]
    assert entries[0].title == "deleted: Първа среща"


def test_denied_accesses_and_downloads_are_not_history(manager, other_manager, history):
    from partnera.clients import selectors
    from partnera.core.errors import NotFound

    company, _note = history
    attachment = selectors.attachment_list(user=manager, company_id=company.pk).get()
    services.attachment_downloaded(actor=manager, attachment=attachment)
    with pytest.raises(NotFound):
        selectors.company_get(user=other_manager, pk=company.pk)
    assert AuditEntry.objects.filter(company_id=company.pk, action__in=[
        AuditEntry.Action.DOWNLOAD, AuditEntry.Action.ACCESS_DENIED]).count() == 2

    assert len(company_timeline(user=manager, company_id=company.pk)) == 6


def test_timeline_of_an_invisible_company_is_empty(other_manager, make_user, history):
    company, _note = history

    assert company_timeline(user=other_manager, company_id=company.pk) == []
    inactive = make_user(is_active=False, team=company.team)
    assert company_timeline(user=inactive, company_id=company.pk) == []


def test_deleted_company_keeps_its_history_for_those_who_may_see_it(manager, other_manager,
                                                                    history):
    company, _note = history
    services.company_delete(actor=manager, company=company)

    entries = company_timeline(user=manager, company_id=company.pk)

    assert entries[0].title == "deleted: Хроника ООД"
    assert company_timeline(user=other_manager, company_id=company.pk) == []


def test_limit_before_and_kinds(manager, history):
    company, _note = history
    everything = company_timeline(user=manager, company_id=company.pk)

    assert company_timeline(user=manager, company_id=company.pk, limit=2) == everything[:2]
    assert company_timeline(user=manager, company_id=company.pk,
                            before=everything[2].at) == everything[3:]
    assert kinds_and_titles(company_timeline(user=manager, company_id=company.pk,
                                             kinds={"notes"})) == [("note", "Note")]


def test_a_registered_source_joins_the_timeline(manager, history):
    company, _note = history
    first = company_timeline(user=manager, company_id=company.pk)[0]

    def calls(*, user, company_id, limit, before):
        return [TimelineEntry(at=first.at.replace(year=first.at.year + 1), kind="call",
                              title="Call")]

    timeline_registry.register_timeline_source("calls_test", calls)
    try:
        entries = company_timeline(user=manager, company_id=company.pk)
        assert entries[0].kind == "call"
        assert len(entries) == 7
    finally:
        timeline_registry._sources.pop("calls_test")


# --- global search -------------------------------------------------------------------------------

def test_global_search_finds_companies_and_contacts(manager):
    company = CompanyFactory(owner=manager, legal_name="Орион Трейд", eik="175074752", city="Русе")
    contact = ContactFactory(company=company, first_name="Орлин", last_name="Орионов",
                             position="Търговец")

    hits = global_search(user=manager, query="орион")

    assert hits == [
        SearchHit(kind="company", kind_label="Company", label="Орион Трейд",
                  detail="175074752 · Русе",
                  url=reverse("clients:company_detail", args=[company.pk]), pk=company.pk),
        SearchHit(kind="contact", kind_label="Contact", label="Орлин Орионов",
                  detail="Търговец · Орион Трейд",
                  url=reverse("clients:contact_detail", args=[contact.pk]), pk=contact.pk),
    ]
    assert global_search(user=manager, query="орион", kinds={"contact"}) == [hits[1]]


def test_global_search_limit_applies_per_kind(manager):
    for n in range(5):
        company = CompanyFactory(owner=manager, legal_name=f"Сириус {n}")
        ContactFactory(company=company, last_name="Сириусов")

    hits = global_search(user=manager, query="сириус", limit=3)

    assert [h.kind for h in hits] == ["company"] * 3 + ["contact"] * 3
    assert [h.label for h in hits[:3]] == ["Сириус 0", "Сириус 1", "Сириус 2"]


def test_global_search_hides_deleted_and_invisible(manager, other_manager):
    CompanyFactory(owner=other_manager, legal_name="Вега Скрита", team=TeamFactory())
    gone = CompanyFactory(owner=manager, legal_name="Вега Изтрита")
    services.company_delete(actor=manager, company=gone)
    visible = CompanyFactory(owner=manager, legal_name="Вега Видима")
    NoteFactory(company=visible)

    assert [h.label for h in global_search(user=manager, query="вега")] == ["Вега Видима"]
    assert Company.all_objects.filter(legal_name__startswith="Вега").count() == 3


def test_a_registered_provider_is_asked_with_the_user_and_the_cleaned_query(manager):
    seen = []

    def provider(*, user, query, limit):
        seen.append((user, query, limit))
        return []

    search_registry.register_search_provider("probe_test", provider)
    try:
        global_search(user=manager, query="  много   думи  ", limit=4)
        global_search(user=manager, query="x")  # too short: nobody is asked
        global_search(user=manager, query="abc", kinds={"company"})
    finally:
        search_registry._providers.pop("probe_test")

    assert seen == [(manager, "много думи", 4)]
