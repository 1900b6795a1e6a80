"""A company merge moves the other company's deals to the survivor; the deals' search documents
(title and company name) follow in the merge's transaction: found by the survivor's name, no
longer by the merged company's."""

from __future__ import annotations

import pytest

from partnera.clients import merge
from partnera.clients import services as client_services
from partnera.clients.models import Company
from partnera.clients.tests.factories import valid_eik
from partnera.sales.deal_list import deal_search
from partnera.sales.models import Deal
from partnera.sales.services import deal_create

pytestmark = pytest.mark.django_db


def company(actor, **data) -> Company:
    return client_services.company_create(actor=actor, data=data, allow_duplicate=True)


def fresh(record: Company) -> Company:
    return Company.all_objects.get(pk=record.pk)


def test_moved_deals_are_found_by_the_survivors_name_not_the_merged_ones(manager):
    survivor = company(manager, legal_name="Делта Груп")
    other = company(manager, legal_name="Омега Трейд", eik=valid_eik(17))
    deal = deal_create(actor=manager, data={"title": "Годишна доставка", "company": other.pk})
    assert [d.pk for d in deal_search(user=manager, query="Омега")] == [deal.pk]
    assert deal_search(user=manager, query="Делта") == []

    merge.company_merge(actor=manager, survivor=fresh(survivor), other=fresh(other),
                        survivor_version=None, other_version=None)

    assert Deal.objects.get(pk=deal.pk).company_id == survivor.pk
    assert [d.pk for d in deal_search(user=manager, query="Делта")] == [deal.pk]
    assert deal_search(user=manager, query="Омега") == []


def test_the_sales_hook_is_registered_with_the_merge():
    from partnera.sales.deal_list import reindex_after_merge

    assert reindex_after_merge in merge._merge_hooks
