"""Lead services: create and change with the client base's checks, qualification that reuses
existing companies and contacts (found by the duplicate matching, only visible ones), and
disqualification for a managed reason. Every refusal leaves the database as it was."""

from __future__ import annotations

import pytest

from partnera.clients import services as client_services
from partnera.clients.duplicates import PossibleDuplicate
from partnera.clients.models import Company, Contact
from partnera.clients.tests.factories import valid_eik
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.timeline import company_timeline
from partnera.sales import lead_selectors
from partnera.sales.leads import (
    lead_create,
    lead_delete,
    lead_disqualify,
    lead_qualify,
    lead_restore,
    lead_update,
)
from partnera.sales.models import Deal, DealContact, Lead, LeadSource, LeadStatus, Reason
from partnera.sales.tests.factories import LeadFactory, default_pipeline, stage_at

pytestmark = pytest.mark.django_db


def rows() -> dict:
    """Everything a lead service may write (refused calls must leave all of it as it was)."""
    return {
        "leads": list(Lead.all_objects.order_by("pk").values()),
        "companies": list(Company.all_objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "deals": list(Deal.all_objects.order_by("pk").values()),
        "deal_contacts": list(DealContact.objects.order_by("pk").values()),
        "audit": list(AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS_DENIED)
                      .order_by("pk").values_list("pk", flat=True)),
    }


def a_client(actor, **data) -> Company:
    """A company made through the service, so the duplicate matching knows its keys."""
    return client_services.company_create(actor=actor, data=data, allow_duplicate=True)


def disqualify_reason() -> Reason:
    return Reason.objects.filter(kind=Reason.Kind.LEAD_DISQUALIFIED, active=True).first()


# --- create / update ----------------------------------------------------------------------------

def test_a_new_lead_is_its_creators_with_the_identifiers_normalised(manager):
    lead = lead_create(actor=manager, data={
        "company_name": "  Бета Строй ООД ", "eik": "BG 175 074 752", "first_name": "Иван",
        "email": "Ivan@Beta-Stroy.BG", "phone": "0888 123 456", "source": "fair",
        "source_detail": "Интериор и дизайн 2026", "message": "Искат оферта\nза 200 броя."})

    assert lead.owner == manager and lead.team == manager.team
    assert lead.status == LeadStatus.NEW
    assert (lead.company_name, lead.eik, lead.email, lead.phone) == (
        "Бета Строй ООД", "175074752", "ivan@beta-stroy.bg", "+359888123456")
    assert lead.message == "Искат оферта\nза 200 броя."
    entry = AuditEntry.objects.get(object_type="sales.lead", object_id=str(lead.pk))
    assert entry.action == "create" and entry.changes["company_name"] == [None, "Бета Строй ООД"]


@pytest.mark.parametrize("data, field", [
    ({"source": "call"}, "company_name"),  # nobody named
    ({"company_name": "X", "source": "call", "eik": "123456788"}, "eik"),  # check digit
    ({"company_name": "X", "source": "call", "email": "not-an-address"}, "email"),
    ({"company_name": "X", "source": "call", "phone": "12"}, "phone"),
    ({"company_name": "X", "source": "nowhere"}, "source"),
    ({"company_name": "X"}, "source"),
    ({"company_name": "X\x00Y", "source": "call"}, "company_name"),
    ({"company_name": "X\x07Y", "source": "call"}, "company_name"),
    ({"company_name": "X\nY", "source": "call"}, "company_name"),
    ({"company_name": "Evil\u202egnp.exe", "source": "call"}, "company_name"),
    ({"company_name": "X", "source": "call", "message": "m" * 5001}, "message"),
    ({"company_name": "X" * 256, "source": "call"}, "company_name"),
    ({"company_name": "X", "source": "call", "status": "qualified"}, "status"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(manager, data, field):
    before = rows()

    with pytest.raises(ValidationFailed) as error:
        lead_create(actor=manager, data=data)

    assert field in error.value.fields
    assert rows() == before


def test_a_manager_cannot_hand_a_lead_to_someone_else_a_head_of_sales_can(manager, other_manager,
                                                                          head_of_sales):
    before = rows()
    with pytest.raises(ValidationFailed) as error:
        lead_create(actor=manager, data={"company_name": "X", "source": "call",
                                         "owner": other_manager.pk})
    assert "owner" in error.value.fields
    assert rows() == before

    lead = lead_create(actor=head_of_sales, data={"company_name": "X", "source": "call",
                                                  "owner": manager.pk, "team": manager.team_id})
    assert lead.owner == manager


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.MARKETING])
def test_roles_that_do_not_work_leads_cannot_create_one(make_user, role):
    user = make_user(role)
    before = rows()

    with pytest.raises(PermissionDenied):
        lead_create(actor=user, data={"company_name": "X", "source": "call"})

    assert rows() == before


def test_an_update_on_a_stale_version_is_refused_and_changes_nothing(manager):
    lead = LeadFactory(owner=manager)
    lead_update(actor=manager, lead=lead, data={"city": "Пловдив"}, expected_version=1)
    stale = Lead.objects.get(pk=lead.pk)
    stale.version = 1
    before = rows()

    with pytest.raises(VersionConflict):
        lead_update(actor=manager, lead=stale, data={"city": "Варна"}, expected_version=1)

    assert rows() == before
    assert Lead.objects.get(pk=lead.pk).city == "Пловдив"


def test_a_lead_is_taken_in_progress_and_an_unowned_team_lead_can_be_taken(manager, team):
    lead = LeadFactory(owner=None, team=team)

    lead_update(actor=manager, lead=lead, data={"status": "working", "owner": manager.pk},
                expected_version=lead.version)

    lead.refresh_from_db()
    assert lead.status == LeadStatus.WORKING and lead.owner == manager


def test_a_hidden_lead_cannot_be_changed_or_deleted(manager, other_manager):
    hidden = LeadFactory(owner=other_manager)
    before = rows()

    with pytest.raises(NotFound):
        lead_update(actor=manager, lead=hidden, data={"city": "X"}, expected_version=None)
    with pytest.raises(NotFound):
        lead_delete(actor=manager, lead=hidden)

    assert rows() == before


def test_the_search_index_follows_the_lead(manager):
    from partnera.sales.lead_selectors import LeadFilters, lead_list

    def found(q: str) -> list[int]:
        return list(lead_list(user=manager, filters=LeadFilters(q=q)).values_list("pk", flat=True))

    lead = lead_create(actor=manager, data={"company_name": "Бяла Лилия", "source": "call",
                                            "phone": "0888 765 432"})
    assert found("лилия") == [lead.pk] and found("0888765432") == [lead.pk]
    lead_update(actor=manager, lead=lead, data={"company_name": "Червена Роза"},
                expected_version=lead.version)
    assert found("лилия") == [] and found("ROZA") == [lead.pk]
    lead_delete(actor=manager, lead=lead)
    assert found("роза") == []
    lead_restore(actor=manager, lead=Lead.all_objects.get(pk=lead.pk))
    assert found("роза") == [lead.pk]


def test_the_rebuild_gives_the_documents_the_services_keep(manager):
    from partnera.core.models import SearchDocument
    from partnera.core.search import search_index_rebuild

    lead_create(actor=manager, data={"company_name": "Бяла Лилия", "source": "fair",
                                     "source_detail": "Интериор 2026", "email": "a@lilia.bg"})
    gone = lead_create(actor=manager, data={"first_name": "Иван", "source": "call"})
    lead_delete(actor=manager, lead=gone)

    def documents():
        return list(SearchDocument.objects.filter(kind="lead").values_list("object_id", "document"))

    kept = documents()
    assert search_index_rebuild("lead") == {"lead": 1}
    assert documents() == kept and "interior" in kept[0][1]


def test_delete_and_restore_keep_the_lead(manager):
    lead = LeadFactory(owner=manager)

    lead_delete(actor=manager, lead=lead)
    assert not Lead.objects.filter(pk=lead.pk).exists()
    lead_restore(actor=manager, lead=Lead.all_objects.get(pk=lead.pk))

    assert Lead.objects.filter(pk=lead.pk).exists()
    assert list(AuditEntry.objects.filter(object_type="sales.lead", object_id=str(lead.pk))
                .order_by("pk").values_list("action", flat=True)) == ["delete", "restore"]


# --- qualification: proposals --------------------------------------------------------------------

def test_the_company_with_the_leads_eik_is_proposed_first(manager):
    eik = valid_eik(501)
    same = a_client(manager, legal_name="Бета Строй", eik=eik, city="София")
    a_client(manager, legal_name="Съвсем друга фирма", eik=valid_eik(502))
    lead = LeadFactory(owner=manager, company_name="Beta Stroy Ltd", eik=eik, email="x@gmail.com")

    matches = lead_selectors.lead_company_matches(user=manager, lead=lead)

    assert [m.company_id for m in matches] == [same.pk]
    assert matches[0].score == 100


def test_a_company_with_a_similar_name_is_proposed(manager):
    similar = a_client(manager, legal_name="Алфа Трейдинг", city="Варна")
    lead = LeadFactory(owner=manager, company_name="Alfa Treid OOD", eik="", city="Варна",
                       email="sales@yahoo.com", phone="")

    matches = lead_selectors.lead_company_matches(user=manager, lead=lead)

    assert [m.company_id for m in matches] == [similar.pk]
    assert [r.code for r in matches[0].reasons] == ["similar_name", "city"]


def test_a_company_the_user_cannot_see_is_never_proposed(manager, other_manager):
    eik = valid_eik(503)
    a_client(other_manager, legal_name="Скрита ЕООД", eik=eik)
    lead = LeadFactory(owner=manager, company_name="Скрита ЕООД", eik=eik)

    assert lead_selectors.lead_company_matches(user=manager, lead=lead) == []
    assert lead_selectors.lead_contact_matches(user=manager, lead=lead) == []


def test_a_contact_with_the_leads_email_is_proposed(manager):
    company = a_client(manager, legal_name="Гама")
    person = client_services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Мария", "emails": "maria@gama.bg"})
    lead = LeadFactory(owner=manager, email="MARIA@gama.bg", phone="")

    matches = lead_selectors.lead_contact_matches(user=manager, lead=lead)

    assert [m.contact_id for m in matches] == [person.pk]


def test_the_company_of_the_person_with_the_leads_email_is_proposed_too(manager):
    company = a_client(manager, legal_name="Гама", eik=valid_eik(505))
    client_services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Мария", "emails": "maria@gmail.com"})
    lead = LeadFactory(owner=manager, company_name="Съвсем друго име", eik="",
                       email="maria@gmail.com", phone="")

    matches = lead_selectors.lead_company_matches(user=manager, lead=lead)

    assert [m.company_id for m in matches] == [company.pk]
    assert matches[0].texts() == ["Мария works there"]


# --- qualification -------------------------------------------------------------------------------

def test_qualifying_reuses_the_existing_company_and_contact(manager):
    # Given a client and its person already in the base, and a lead from that person
    eik = valid_eik(511)
    company = a_client(manager, legal_name="Делта Логистик", eik=eik)
    person = client_services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Петър", "emails": "petar@delta.bg"})
    lead = LeadFactory(owner=manager, company_name="Delta Logistik", eik=eik,
                       email="petar@delta.bg", first_name="Петър")
    companies, contacts = Company.objects.count(), Contact.objects.count()

    # When it is qualified onto them
    lead = lead_qualify(actor=manager, lead=lead, company=company.pk, contact=person.pk,
                        deal_data={"title": "Складови услуги", "amount": "4800"})

    # Then no company or contact is added; the deal is theirs, with the person on it
    assert (Company.objects.count(), Contact.objects.count()) == (companies, contacts)
    lead.refresh_from_db()
    assert lead.status == LeadStatus.QUALIFIED and lead.closed_at is not None
    assert (lead.company, lead.contact) == (company, person)
    deal = lead.deal
    assert deal.company == company and deal.title == "Складови услуги"
    assert deal.stage == stage_at(0) and deal.pipeline == default_pipeline()
    assert str(deal.amount) == "4800.00" and deal.owner == manager
    assert list(deal.deal_contacts.values_list("contact_id", flat=True)) == [person.pk]
    entry = AuditEntry.objects.filter(object_type="sales.lead", object_id=str(lead.pk)).order_by(
        "pk").last()
    assert entry.company_id == company.pk
    assert entry.changes["status"] == ["new", "qualified"]


def test_qualifying_reuses_the_company_found_by_a_similar_name(manager):
    similar = a_client(manager, legal_name="Алфа Трейдинг", city="Варна")
    lead = LeadFactory(owner=manager, company_name="Alfa Treid OOD", eik="")
    match = lead_selectors.lead_company_matches(user=manager, lead=lead)[0]

    lead = lead_qualify(actor=manager, lead=lead, company=match.company_id, contact_data={})

    assert lead.company == similar and lead.deal.company == similar
    assert lead.contact.company == similar and lead.contact.first_name == "Иван"
    assert Company.objects.count() == 1


def test_qualifying_creates_the_company_contact_and_deal_from_the_lead(manager):
    lead = LeadFactory(owner=manager, company_name="Нова Фирма ЕООД", eik=valid_eik(521),
                       first_name="Елена", last_name="Стоянова", position="Управител",
                       email="elena@nova.bg", phone="+359888111222", city="Бургас",
                       source=LeadSource.FAIR)

    lead = lead_qualify(actor=manager, lead=lead, contact_data={},
                        deal_data={"expected_close_date": "2026-09-30"})

    company, contact = lead.company, lead.contact
    assert (company.legal_name, company.eik, company.city, company.source) == (
        "Нова Фирма ЕООД", valid_eik(521), "Бургас", "fair")
    assert company.owner == manager
    assert (contact.first_name, contact.last_name, contact.position) == (
        "Елена", "Стоянова", "Управител")
    assert contact.emails == ["elena@nova.bg"] and contact.phones == ["+359888111222"]
    assert lead.deal.title == "Нова Фирма ЕООД"
    assert str(lead.deal.expected_close_date) == "2026-09-30"


def test_a_new_company_that_looks_like_a_visible_one_is_refused_unless_allowed(manager):
    eik = valid_eik(531)
    a_client(manager, legal_name="Омега", eik="", emails="office@omega.bg")
    lead = LeadFactory(owner=manager, company_name="Омега ООД", eik=eik, email="office@omega.bg")
    before = rows()

    with pytest.raises(PossibleDuplicate) as error:
        lead_qualify(actor=manager, lead=lead, company_data={})

    assert error.value.matches and rows() == before
    lead = lead_qualify(actor=manager, lead=lead, company_data={}, allow_duplicate=True)
    assert lead.company.legal_name == "Омега ООД"


def test_a_hidden_company_is_never_accepted_and_nothing_is_stored(manager, other_manager):
    hidden = a_client(other_manager, legal_name="Чужда", eik=valid_eik(541))
    lead = LeadFactory(owner=manager, company_name="Чужда", eik=valid_eik(541))
    before = rows()

    with pytest.raises(ValidationFailed) as error:
        lead_qualify(actor=manager, lead=lead, company=hidden.pk)

    assert "company" in error.value.fields
    assert rows() == before


def test_a_contact_of_another_company_is_refused(manager):
    company = a_client(manager, legal_name="Едно", eik=valid_eik(551))
    other = a_client(manager, legal_name="Друго", eik=valid_eik(552))
    stranger = client_services.contact_create(actor=manager, data={
        "company": other.pk, "first_name": "Чужд"})
    lead = LeadFactory(owner=manager)
    before = rows()

    with pytest.raises(ValidationFailed) as error:
        lead_qualify(actor=manager, lead=lead, company=company.pk, contact=stranger.pk)

    assert "contact" in error.value.fields
    assert rows() == before


def test_a_deal_error_undoes_the_new_company_and_contact(manager):
    # Given a lead and a deal that cannot open (an amount that is no amount)
    lead = LeadFactory(owner=manager, company_name="Каппа", eik=valid_eik(561))
    before = rows()

    with pytest.raises(ValidationFailed) as error:
        lead_qualify(actor=manager, lead=lead, contact_data={}, deal_data={"amount": "много"})

    # Then the error names the deal's field and nothing of the company or contact stays
    assert "deal_amount" in error.value.fields
    assert rows() == before


def test_a_company_error_is_named_after_its_part(manager):
    lead = LeadFactory(owner=manager, company_name="", first_name="Иван")
    before = rows()

    with pytest.raises(ValidationFailed) as error:
        lead_qualify(actor=manager, lead=lead, company_data={"eik": "1"})

    assert set(error.value.fields) >= {"company_legal_name", "company_eik"}
    assert rows() == before


def test_a_closed_lead_cannot_be_qualified_again(manager):
    lead = LeadFactory(owner=manager, status=LeadStatus.DISQUALIFIED)
    before = rows()

    with pytest.raises(Conflict):
        lead_qualify(actor=manager, lead=lead)

    assert rows() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_roles_without_the_right_cannot_qualify(make_user, role, manager):
    user = make_user(role, team=manager.team)
    lead = LeadFactory(owner=user, team=manager.team)
    before = rows()

    with pytest.raises(PermissionDenied):
        lead_qualify(actor=user, lead=lead)

    assert rows() == before


# --- disqualification ------------------------------------------------------------------------------

def test_disqualifying_without_a_reason_is_refused_and_changes_nothing(manager):
    lead = LeadFactory(owner=manager)
    before = rows()

    for reason in (None, "", 10**20):
        with pytest.raises(ValidationFailed) as error:
            lead_disqualify(actor=manager, lead=lead, reason=reason, comment="Няма бюджет")
        assert "reason" in error.value.fields

    lost = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).first()
    with pytest.raises(ValidationFailed):
        lead_disqualify(actor=manager, lead=lead, reason=lost.pk)
    assert rows() == before


def test_disqualifying_keeps_the_reason_and_the_comment(manager):
    lead = LeadFactory(owner=manager)
    reason = disqualify_reason()

    lead_disqualify(actor=manager, lead=lead, reason=reason.pk, comment="Търсят само 1 брой.")

    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISQUALIFIED and lead.closed_at is not None
    assert lead.disqualify_reason == reason and lead.disqualify_comment == "Търсят само 1 брой."
    with pytest.raises(Conflict):
        lead_update(actor=manager, lead=lead, data={"city": "X"}, expected_version=None)


# --- timeline -------------------------------------------------------------------------------------

def test_a_qualified_lead_is_on_its_companys_timeline_for_those_who_see_it(manager, other_manager,
                                                                           admin_user):
    company = a_client(admin_user, legal_name="Сигма", eik=valid_eik(571))
    client_services.company_share(actor=admin_user, company=company, user=manager)
    client_services.company_share(actor=admin_user, company=company, user=other_manager)
    lead = LeadFactory(owner=manager, company_name="Сигма", message="Искат каталог <script>")
    lead_qualify(actor=manager, lead=lead, company=company.pk)

    seen = company_timeline(user=manager, company_id=company.pk, kinds={"leads"})
    hidden = company_timeline(user=other_manager, company_id=company.pk, kinds={"leads"})

    assert [e.kind for e in seen] == ["lead"] and "Сигма" in seen[0].title
    assert seen[0].url == f"/sales/leads/{lead.pk}/"
    assert hidden == []
