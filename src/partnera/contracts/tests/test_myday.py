""""My day": contract obligations due (overdue and the next 7 days) for the responsible person
and their department, and contracts to renew (notice within 30 days or end within 60) for their
owner; both with the head of sales's team view, on hand-built data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from partnera.contracts import myday
from partnera.contracts.models import ContractStatus, ObligationStatus
from partnera.contracts.tests.factories import ContractFactory, ObligationFactory
from partnera.core.home import home_view
from partnera.core.roles import DepartmentKind, Role
from partnera.people.tests.factories import DepartmentFactory, TeamFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 8, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 3, 10)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def titles(result) -> list[str]:
    return [item.title for item in result.items]


@pytest.fixture
def logistics():
    return DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")


def test_obligations_due_overdue_and_in_the_next_week_earliest_first(make_user, manager,
                                                                     logistics):
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = ContractFactory(owner=manager)
    ObligationFactory(contract=contract, owner=member, title="Late", due_date=days(-3))
    ObligationFactory(contract=contract, department=logistics, title="Today", due_date=days(0))
    ObligationFactory(contract=contract, department=logistics, title="In 7 days", due_date=days(7))
    ObligationFactory(contract=contract, department=logistics, title="In 8 days", due_date=days(8))
    ObligationFactory(contract=contract, department=logistics, title="Done", due_date=days(1),
                      status=ObligationStatus.DONE)
    ObligationFactory(contract=contract, owner=manager, title="Manager's", due_date=days(1))

    result = myday.obligations_due(view=home_view(user=member, now=NOW))

    assert titles(result) == ["Late", "Today", "In 7 days"]
    assert result.count == 3 and [o.overdue for o in result.items] == [True, False, False]
    assert result.items[0].url == reverse("contracts:contract_detail",
                                          args=[contract.pk]) + "#obligations"
    assert titles(myday.obligations_due(view=home_view(user=manager, now=NOW))) == ["Manager's"]


def test_contracts_to_renew_notice_within_30_days_or_end_within_60(manager, other_manager):
    def contract(title, *, end, notice_days=30, status=ContractStatus.ACTIVE, owner=manager):
        return ContractFactory(owner=owner, title=title, status=status, start_date=days(-300),
                               end_date=end, notice_days=notice_days,
                               notice_date=end - dt.timedelta(days=notice_days))

    contract("Notice in 20 days, end in 110", end=days(110), notice_days=90)
    contract("Ends in 50 days", end=days(50), notice_days=10)
    contract("Ends in 90 days", end=days(90))
    contract("Notice passed, ends in 10", end=days(10), notice_days=60)
    contract("Signed, not active", end=days(20), status=ContractStatus.SIGNED)
    contract("Someone else's", end=days(20), owner=other_manager)

    result = myday.to_renew(view=home_view(user=manager, now=NOW))

    assert titles(result) == ["Notice passed, ends in 10", "Notice in 20 days, end in 110",
                              "Ends in 50 days"]
    assert [c.notice_passed for c in result.items] == [True, False, False]


def test_the_team_view_of_a_head_of_sales(make_user, head_of_sales, manager, team):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team, username="colleague")
    outsider = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="outsider")
    for owner in (manager, colleague, outsider):
        contract = ContractFactory(owner=owner, status=ContractStatus.ACTIVE, title=str(owner),
                                   end_date=days(30), notice_date=days(0))
        ObligationFactory(contract=contract, owner=owner, title=f"{owner}", due_date=days(2))

    view = home_view(user=head_of_sales, team=True, now=NOW)

    assert sorted(titles(myday.to_renew(view=view))) == sorted([str(manager), str(colleague)])
    assert sorted(titles(myday.obligations_due(view=view))) == sorted([str(manager),
                                                                       str(colleague)])


def test_my_day_shows_both_panels_and_the_api_lists_them(logged_in, client, manager):
    contract = ContractFactory(owner=manager, status=ContractStatus.ACTIVE, title="Подновяване",
                               end_date=dt.date.today() + dt.timedelta(days=20),
                               notice_date=dt.date.today() + dt.timedelta(days=5))
    ObligationFactory(contract=contract, owner=manager, title="Годишен отчет",
                      due_date=dt.date.today() + dt.timedelta(days=3))

    page = logged_in(manager).get(reverse("home"))
    see_all = client.get(reverse("activities:myday_panel", args=["contracts.obligations_due"]))

    html = page.content.decode()
    assert 'id="contractsobligations_due"' in html and "Годишен отчет" in html
    assert 'id="contractsto_renew"' in html and "Подновяване" in html
    assert see_all.status_code == 200 and "Годишен отчет" in see_all.content.decode()
    from partnera.core.tests.api_client import ApiClient

    panels = ApiClient(client, manager).get("/my-day").json()
    names = {p["name"]: p for p in panels["panels"]} if isinstance(panels, dict) else {}
    assert names["contracts.obligations_due"]["items"][0]["title"] == "Годишен отчет"
    assert names["contracts.to_renew"]["items"][0]["number"] == contract.number


def test_department_members_do_not_get_the_renewals_panel(logged_in, make_user, logistics):
    member = make_user(Role.DEPARTMENT, department=logistics)

    html = logged_in(member).get(reverse("home")).content.decode()

    assert 'id="contractsobligations_due"' in html and 'id="contractsto_renew"' not in html
