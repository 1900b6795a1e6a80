"""The demo client base: realistic, valid by the same rules the services apply, and repeatable."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from stdnum.bg import vat as bg_vat

from partnera.clients import demo as demo_module
from partnera.clients import duplicates, selectors
from partnera.clients import identifiers as ids
from partnera.clients.demo import (
    DEMO_PASSWORD,
    PLACES,
    TEAMS,
    _Generator,
    build_demo,
    demo_eik,
    demo_logins,
    reserve_id_block,
    reserve_ids,
    transliterate,
)
from partnera.clients.models import Company, Contact, LegalForm, Note, Tag
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.context import Channel, acting
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.people.models import Department, Team, User

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    with acting(Channel.CLI):
        return build_demo(companies=60, seed=11)


def test_demo_makes_teams_departments_and_a_user_for_each_role(demo):
    assert set(Team.objects.values_list("name", flat=True)) == set(TEAMS)
    assert set(Department.objects.values_list("kind", flat=True)) == {
        "logistics", "finance", "quality", "marketing"}
    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert {role for role, _u, _p in demo.logins} == {str(r.label) for r in Role}
    for _role, username, password in demo.logins:
        assert User.objects.get(username=username).check_password(password)
    head = User.objects.get(username="head")
    assert set(Team.objects.values_list("head", flat=True)) == {head.pk}


def test_demo_companies_carry_valid_bulgarian_identifiers(demo):
    companies = list(Company.objects.all())
    assert len(companies) == demo.companies == 60
    for company in companies:
        if company.legal_form == LegalForm.FOREIGN:
            assert company.eik == "" and company.country != "BG"
            continue
        assert ids.normalize_eik(company.eik) == company.eik
        assert bg_vat.is_valid(company.eik)
        assert company.vat_number in ("", ids.normalize_vat(f"BG{company.eik}"))
        assert company.country == "BG" and company.city and company.region
        assert company.legal_name != transliterate(company.legal_name)  # Cyrillic
        assert ids.normalize_phones(company.phones) == company.phones
        assert all(p.startswith("+359") for p in company.phones)
        assert ids.normalize_emails(company.emails) == company.emails
        assert company.owner is not None and company.team_id == company.owner.team_id
        assert company.name_key == duplicates.company_name_key(company.legal_name)
    assert len({c.eik for c in companies if c.eik}) == len([c for c in companies if c.eik])


def test_demo_contacts_and_notes_follow_the_rules_of_the_services(demo):
    contacts = list(Contact.objects.all())
    assert len(contacts) == demo.contacts and len(contacts) >= 60
    for contact in contacts:
        assert ids.normalize_phones(contact.phones) == contact.phones
        assert ids.normalize_emails(contact.emails) == contact.emails
        assert contact.position
        if contact.marketing_consent:
            assert contact.consent_date <= dt.date.today() and contact.consent_source
        else:
            assert contact.consent_date is None and contact.consent_source == ""
    assert Note.objects.count() == demo.notes
    assert Company.objects.filter(contacts__isnull=True).count() == 0


def test_demo_links_parents_referrers_and_tags_to_real_companies(demo):
    with acting(Channel.CLI):
        build_demo(companies=400, seed=5)
    referred = Company.objects.filter(referred_by__isnull=False)
    subsidiaries = Company.objects.filter(parent__isnull=False)
    assert referred.exists() and subsidiaries.exists()
    for company in [*referred, *subsidiaries]:
        assert company.referred_by_id != company.pk and company.parent_id != company.pk
    assert Tag.objects.exists() and Company.tags.through.objects.exists()


def test_demo_writes_are_audited_through_the_cli_channel(demo):
    entries = AuditEntry.objects.all()
    assert set(entries.values_list("channel", flat=True)) == {Channel.CLI}
    company = Company.objects.first()
    assert entries.filter(object_type="clients.company", object_id=str(company.pk),
                          company_id=company.pk, action="create").count() == 1
    contact = Contact.objects.first()
    assert entries.filter(object_type="clients.contact", object_id=str(contact.pk),
                          object_repr=str(contact), company_id=contact.company_id).count() == 1


def test_running_the_demo_again_adds_companies_and_never_duplicates_people(demo):
    users = set(User.objects.values_list("username", flat=True))

    with acting(Channel.CLI):
        again = build_demo(companies=10)

    assert again.users_created == []
    assert set(User.objects.values_list("username", flat=True)) == users
    assert Team.objects.count() == len(TEAMS)
    assert Company.objects.count() == 70
    assert Company.objects.exclude(eik="").values("eik").distinct().count() == \
        Company.objects.exclude(eik="").count()


def test_the_demo_base_is_seen_through_the_visibility_rule(demo):
    manager = User.objects.get(username="manager")
    head = User.objects.get(username="head")
    admin = User.objects.get(username="admin")

    mine = selectors.company_list(user=manager)
    assert 0 < mine.count() < Company.objects.count()
    assert selectors.company_list(user=head).count() == Company.objects.count()
    assert selectors.company_list(user=admin).count() == Company.objects.count()
    company = mine.first()
    found = selectors.company_list(user=manager,
                                   filters=selectors.CompanyFilters(q=company.legal_name))
    assert company in found


def test_demo_logins_lists_only_demo_users_that_exist(demo):
    assert [u for _r, u, _p in demo_logins()] == [u for _r, u, _p in demo.logins]
    User.objects.filter(username="quality").update(is_active=False)
    assert "quality" not in [u for _r, u, _p in demo_logins()]
    assert {p for _r, _u, p in demo_logins()} == {DEMO_PASSWORD}


def test_demo_eiks_are_distinct_and_valid():
    eiks = [demo_eik(n) for n in [*range(5000), *range(9_999_000, 10_001_000)]]
    assert len(set(eiks)) == len(eiks)
    assert all(len(e) == 9 and bg_vat.is_valid(e) for e in eiks)


def test_generated_phone_numbers_are_valid_for_every_city():
    gen = _Generator(random.Random(1), {}, dt.date(2026, 1, 1))
    numbers = [gen.landline(code) for _r, _c, _p, code, _w in PLACES for _i in range(30)]
    numbers += [gen.mobile() for _i in range(300)]
    assert ids.normalize_phones(numbers[:10]) == numbers[:10]
    for number in numbers:
        assert ids.normalize_phone(number) == number


def test_transliteration_follows_the_bulgarian_system():
    assert transliterate("Щастлива Жълта Ябълка") == "shtastliva zhalta yabalka"


def test_demo_rows_leave_the_id_sequences_ready_for_ordinary_writes(demo):
    # The demo writes its own ids (reserved, not read back): a record created afterwards the
    # ordinary way must get the next free id, not collide with one of them.
    highest_company = Company.all_objects.order_by("-pk").values_list("pk", flat=True)[0]
    highest_contact = Contact.all_objects.order_by("-pk").values_list("pk", flat=True)[0]
    company = CompanyFactory()
    contact = ContactFactory(company=company)
    assert company.pk > highest_company and contact.pk > highest_contact
    assert reserve_ids(Company, 3)[0] > company.pk
    assert reserve_ids(Company, 0) == []


def test_demo_ids_link_contacts_notes_and_audit_entries_to_their_company(demo):
    contacts_by_company = {}
    for contact in Contact.objects.all():
        contacts_by_company.setdefault(contact.company_id, []).append(contact)
    assert set(contacts_by_company) == set(Company.objects.values_list("pk", flat=True))
    for contact in Contact.objects.all():
        assert contact.emails[0].endswith("@" + contact.company.emails[0].split("@")[1])
        assert contact.created_by_id == contact.company.owner_id
    for note in Note.objects.select_related("company"):
        assert note.created_by_id == note.company.owner_id
    assert AuditEntry.objects.filter(object_type="clients.contact").count() == demo.contacts
    assert AuditEntry.objects.filter(object_type="clients.company").count() == demo.companies


def test_a_second_demo_batch_continues_after_the_first_without_gaps_in_links(demo):
    # Several batches in one run: the ids of each batch are new and every link points to a
    # company that exists.
    with acting(Channel.CLI):
        more = build_demo(companies=demo_module.FIRST_BATCH + 25, seed=3)
    assert more.companies == demo_module.FIRST_BATCH + 25
    assert Company.objects.count() == 60 + more.companies
    known = set(Company.objects.values_list("pk", flat=True))
    for parent, referrer in Company.objects.values_list("parent_id", "referred_by_id"):
        assert parent is None or parent in known
        assert referrer is None or referrer in known
    assert not Contact.objects.exclude(company_id__in=known).exists()


def test_demo_history_spreads_over_the_past_and_the_audit_tells_when(demo):
    now = dt.datetime.now(dt.UTC)
    companies = {c.pk: c for c in Company.objects.all()}
    created = [c.created_at for c in companies.values()]
    assert all(now - demo_module.HISTORY - dt.timedelta(minutes=1) <= t <= now for t in created)
    assert len(set(created)) == len(created)  # not one timestamp per batch: "recently added" sorts
    for company in companies.values():
        assert company.created_at <= company.updated_at <= now
    for contact in Contact.objects.all():
        assert companies[contact.company_id].created_at <= contact.created_at <= now
    for note in Note.objects.all():
        assert companies[note.company_id].created_at <= note.created_at <= now
    for entry in AuditEntry.objects.filter(object_type="clients.company"):
        assert entry.at == companies[int(entry.object_id)].created_at


def test_an_id_block_is_left_to_the_demo_and_ordinary_writes_come_after_it(demo):
    first = reserve_id_block(Company, 100)
    company = CompanyFactory()
    assert first > Company.all_objects.exclude(pk=company.pk).order_by("-pk")[0].pk
    assert company.pk >= first + 100
    assert reserve_id_block(Company, 5) > company.pk


def test_a_company_whose_eik_a_user_took_is_left_out_with_everything_linked_to_it(demo):
    # The next run's companies get the EIKs demo_eik(60), demo_eik(61), …; a user typed in one.
    taken = demo_eik(60 + demo_module.FIRST_BATCH + 3)
    mine = CompanyFactory(eik=taken, legal_name="Моя фирма")
    with acting(Channel.CLI):
        more = build_demo(companies=demo_module.FIRST_BATCH + 10, seed=8)

    assert more.companies == demo_module.FIRST_BATCH + 10 - 1
    assert list(Company.objects.filter(eik=taken)) == [mine]
    known = set(Company.all_objects.values_list("pk", flat=True))
    assert not Contact.all_objects.exclude(company_id__in=known).exists()
    assert not Note.all_objects.exclude(company_id__in=known).exists()
    assert not Company.tags.through.objects.exclude(company_id__in=known).exists()
    for parent, referrer in Company.objects.values_list("parent_id", "referred_by_id"):
        assert parent is None or parent in known
        assert referrer is None or referrer in known
    assert Contact.objects.count() == demo.contacts + more.contacts


def test_an_error_while_writing_stops_the_generator_and_keeps_whole_batches(demo, monkeypatch):
    calls = []

    def failing(companies, contacts):
        calls.append(len(companies))
        if len(calls) == 2:
            raise RuntimeError("disk full")

    monkeypatch.setattr(demo_module, "after_batch", failing)
    monkeypatch.setattr(demo_module, "BATCH_SIZE", 10)
    before = Company.objects.count()
    with acting(Channel.CLI), pytest.raises(RuntimeError, match="disk full"):
        build_demo(companies=demo_module.FIRST_BATCH + 35, seed=4)

    # The first batch is written; the second rolled back as a whole, with its contacts.
    assert Company.objects.count() == before + demo_module.FIRST_BATCH
    known = set(Company.all_objects.values_list("pk", flat=True))
    assert not Contact.all_objects.exclude(company_id__in=known).exists()
