"""Who sees which contract: the rule on the contract's owner and team, the owner of its client,
the person responsible for one of its obligations, and department members for the contracts
with an obligation of their department — nothing else, and nothing while the client is in the
trash. Obligations are completed by their responsible person and department too."""

from __future__ import annotations

import pytest
from django.utils import timezone

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts import selectors, services
from partnera.contracts.models import ObligationStatus
from partnera.contracts.tests.factories import ContractFactory, ObligationFactory
from partnera.contracts.tests.helpers import state
from partnera.core.errors import NotFound, PermissionDenied
from partnera.core.roles import DepartmentKind, Role
from partnera.core.visibility import visible_q
from partnera.people.tests.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def visible(user) -> set[int]:
    return set(selectors.contract_queryset(user=user).values_list("pk", flat=True))


@pytest.fixture
def logistics():
    return DepartmentFactory(kind=DepartmentKind.LOGISTICS, name="Логистика")


@pytest.fixture
def finance():
    return DepartmentFactory(kind=DepartmentKind.FINANCE, name="Финанси")


def test_managers_see_their_own_their_teams_and_their_clients_contracts(manager, other_manager,
                                                                         make_user):
    own = ContractFactory(owner=manager)
    teammate = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    of_team = ContractFactory(owner=teammate)
    on_my_client = ContractFactory(owner=other_manager, company=CompanyFactory(owner=manager))
    hidden = ContractFactory(owner=other_manager)

    assert visible(manager) == {own.pk, of_team.pk, on_my_client.pk}
    assert hidden.pk in visible(make_user(Role.ADMINISTRATOR))
    with pytest.raises(NotFound):
        selectors.contract_get(user=manager, pk=hidden.pk)


def test_a_department_member_sees_only_the_contracts_with_obligations_of_their_department(
        make_user, manager, logistics, finance):
    member = make_user(Role.DEPARTMENT, department=logistics)
    delivery = ContractFactory(owner=manager)
    ObligationFactory(contract=delivery, department=logistics, title="Първа доставка")
    invoicing = ContractFactory(owner=manager)
    ObligationFactory(contract=invoicing, department=finance, title="Фактуриране")
    ContractFactory(owner=manager)

    assert visible(member) == {delivery.pk}
    with pytest.raises(NotFound):
        selectors.contract_get(user=member, pk=invoicing.pk)
    # The rule grants contracts only: the client records stay hidden.
    assert not Company.objects.filter(visible_q(member)).exists()


def test_the_person_responsible_for_an_obligation_sees_its_contract(manager, other_manager):
    contract = ContractFactory(owner=other_manager)
    ObligationFactory(contract=contract, owner=manager)

    assert contract.pk in visible(manager)


def test_contracts_of_a_client_in_the_trash_are_gone(manager):
    contract = ContractFactory(owner=manager)
    Company.objects.filter(pk=contract.company_id).update(deleted_at=timezone.now())

    assert visible(manager) == set()


def test_department_members_complete_their_obligations_but_do_not_change_the_contract(
        make_user, manager, logistics, finance):
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = ContractFactory(owner=manager)
    ours = ObligationFactory(contract=contract, department=logistics)
    theirs = ObligationFactory(contract=contract, department=finance)
    before = state()

    with pytest.raises(PermissionDenied):
        services.obligation_complete(actor=member, obligation=theirs)
    with pytest.raises(PermissionDenied):
        services.contract_update(actor=member, contract=contract, data={"title": "X"},
                                 expected_version=contract.version)
    with pytest.raises(PermissionDenied):
        services.obligation_create(actor=member, contract=contract,
                                   data={"title": "X", "due_date": "2026-05-01"})
    assert state() == before

    services.obligation_complete(actor=member, obligation=ours)
    ours.refresh_from_db()
    assert (ours.status, ours.done_by) == (ObligationStatus.DONE, member)


def test_obligations_of_mine_and_my_department(make_user, manager, logistics):
    member = make_user(Role.DEPARTMENT, department=logistics)
    contract = ContractFactory(owner=manager)
    department_one = ObligationFactory(contract=contract, department=logistics)
    personal = ObligationFactory(contract=contract, owner=member)
    ObligationFactory(contract=contract, owner=manager)
    ObligationFactory(contract=contract, department=logistics, status=ObligationStatus.DONE)

    mine = list(selectors.obligations_of(user=member))

    assert {o.pk for o in mine} == {department_one.pk, personal.pk}
    assert len(selectors.obligations_of(user=manager, scope="all", status="")) == 4


def test_obligation_input_is_checked_and_nothing_changes(manager):
    contract = ContractFactory(owner=manager)
    before = state()

    from partnera.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        services.obligation_create(actor=manager, contract=contract, data={
            "title": "", "due_date": "утре", "owner": 999999, "department": "x"})

    assert set(refused.value.fields) == {"title", "due_date", "owner", "department"}
    assert state() == before
    created = services.obligation_create(actor=manager, contract=contract, data={
        "title": "Доставка на първата партида", "due_date": "2026-05-04", "is_milestone": "on"})
    assert (created.owner, created.is_milestone) == (manager, True)
