"""Who a new deal belongs to: the one who opens it (and their team), unless a head of sales or an
administrator assigns it. Lead qualification opens the deal for the lead's owner and team (the
code's choice, not the caller's); an owner or team the caller names is checked as anywhere."""

from __future__ import annotations

import pytest

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.roles import Role
from partnera.core.tests.api_client import ApiClient
from partnera.people.tests.factories import TeamFactory
from partnera.sales.models import Deal, LeadStatus
from partnera.sales.tests.factories import LeadFactory
from partnera.sales.tests.test_api_leads import rows

pytestmark = pytest.mark.django_db

ASSIGNS = "Only a head of sales or an administrator assigns deals to someone else."
MOVES_TEAMS = "Only a head of sales or an administrator moves deals between teams."


@pytest.fixture
def api(client):
    return lambda user: ApiClient(client, user)


@pytest.fixture
def teammate(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="teammate")


# --- POST /api/v1/deals -------------------------------------------------------------------------

@pytest.mark.parametrize("assignment", ["owner", "team", "both"])
def test_a_manager_may_not_open_a_deal_for_someone_else_or_another_team(
        api, manager, other_manager, assignment):
    company = CompanyFactory(owner=manager)
    body = {"title": "Чужда сделка", "company": company.pk}
    if assignment in ("owner", "both"):
        body["owner"] = other_manager.pk
    if assignment in ("team", "both"):
        body["team"] = other_manager.team_id
    before = rows()

    response = api(manager).post("/deals", body)

    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    expected = {}
    if assignment in ("owner", "both"):
        expected["owner"] = [ASSIGNS]
    if assignment in ("team", "both"):
        expected["team"] = [MOVES_TEAMS]
    assert fields == expected
    assert rows() == before


def test_a_manager_may_name_themselves_and_their_own_team(api, manager):
    company = CompanyFactory(owner=manager)

    response = api(manager).post("/deals", {"title": "Моя", "company": company.pk,
                                            "owner": manager.pk, "team": manager.team_id})

    assert response.status_code == 201, response.content
    deal = Deal.objects.get(pk=response.json()["id"])
    assert (deal.owner, deal.team) == (manager, manager.team)


def test_a_head_of_sales_assigns_a_new_deal_to_someone_else_and_their_team(
        api, head_of_sales, manager, team):
    company = CompanyFactory(owner=manager)
    assert head_of_sales.team_id != team.pk

    response = api(head_of_sales).post("/deals", {
        "title": "Възложена", "company": company.pk, "owner": manager.pk, "team": team.pk})

    assert response.status_code == 201, response.content
    deal = Deal.objects.get(title="Възложена")
    assert (deal.owner, deal.team) == (manager, team)


# --- POST /api/v1/leads/{id}/qualify ------------------------------------------------------------

def test_qualifying_a_teammates_lead_opens_the_deal_for_the_leads_owner(api, manager, teammate):
    lead = LeadFactory(owner=manager, company_name="Сигма ООД", eik="")

    response = api(teammate).post(f"/leads/{lead.pk}/qualify", {"allow_duplicate": True})

    assert response.status_code == 200, response.content
    deal = Deal.objects.get(pk=response.json()["deal"])
    assert (deal.owner, deal.team) == (manager, manager.team)


@pytest.mark.parametrize("field", ["owner", "team"])
def test_qualifying_may_not_hand_the_deal_to_another_team(api, manager, teammate, other_manager,
                                                          field):
    lead = LeadFactory(owner=manager, company_name="Тау ООД", eik="")
    value = other_manager.pk if field == "owner" else other_manager.team_id
    before = rows()

    response = api(teammate).post(f"/leads/{lead.pk}/qualify", {
        "allow_duplicate": True, "deal_data": {field: value}})

    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {f"deal_{field}": [
        ASSIGNS if field == "owner" else MOVES_TEAMS]}
    assert rows() == before
    lead.refresh_from_db()
    assert lead.status == LeadStatus.NEW


def test_qualifying_may_name_the_leads_owner_or_oneself(api, manager, teammate):
    leads = [LeadFactory(owner=manager, company_name=f"Ипсилон {n} ООД", eik="") for n in (1, 2)]

    to_owner = api(teammate).post(f"/leads/{leads[0].pk}/qualify", {
        "allow_duplicate": True, "deal_data": {"owner": manager.pk, "team": manager.team_id}})
    to_self = api(teammate).post(f"/leads/{leads[1].pk}/qualify", {
        "allow_duplicate": True, "deal_data": {"owner": teammate.pk}})

    assert to_owner.status_code == 200 and to_self.status_code == 200, (to_owner.content,
                                                                        to_self.content)
    assert Deal.objects.get(pk=to_owner.json()["deal"]).owner == manager
    assert Deal.objects.get(pk=to_self.json()["deal"]).owner == teammate


def test_a_head_of_sales_qualifies_a_lead_into_a_deal_of_another_team(api, head_of_sales, manager):
    elsewhere = TeamFactory()
    lead = LeadFactory(owner=manager, company_name="Омикрон ООД", eik="")

    response = api(head_of_sales).post(f"/leads/{lead.pk}/qualify", {
        "allow_duplicate": True, "deal_data": {"team": elsewhere.pk}})

    assert response.status_code == 200, response.content
    deal = Deal.objects.get(pk=response.json()["deal"])
    assert (deal.owner, deal.team) == (manager, elsewhere)
