"""Taking orders: priced by the engine, copied from an accepted offer, under a contract, and every
bad input refused with a clear error and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from partnera.catalog.models import PricingPolicy, RuleKind
from partnera.catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    PricingRuleFactory,
    ProductFactory,
)
from partnera.contracts.tests.factories import ContractFactory
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry, NumberSequence
from partnera.core.roles import Role
from partnera.orders.models import Order, OrderChannel, OrderLine, OrderStatus
from partnera.orders.tests.builders import (
    client_of,
    days,
    finance,
    line,
    logistics,
    order_for,
    products,
    today,
)
from partnera.sales.models import OfferLine
from partnera.sales.tests.factories import OfferFactory

pytestmark = pytest.mark.django_db


def _nothing_written():
    assert Order.all_objects.count() == 0
    assert OrderLine.objects.count() == 0
    assert not AuditEntry.objects.filter(object_type="orders.order").exists()


def test_order_priced_by_the_engine_with_totals_number_and_defaults(manager):
    dept_l, dept_f = logistics(), finance()
    company = client_of(manager)
    a, b = products("10.00", "2.50")
    order = order_for(manager, company, [line(a, "3"), line(b, "4.5", promised=days(10))],
                      client_reference="PO-77", requested_date=days(7))

    order.refresh_from_db()
    assert order.number == f"ORD-{today().year}-0001"
    assert order.status == OrderStatus.RECEIVED
    assert order.channel == OrderChannel.UI
    assert order.owner == manager and order.team == manager.team
    assert order.currency == "EUR"
    assert order.received_on == today()
    assert set(order.departments.all()) == {dept_l, dept_f}
    lines = list(order.lines.order_by("position"))
    assert [(ln.position, ln.quantity, ln.unit_price, ln.net_amount, ln.vat_amount)
            for ln in lines] == [
        (1, Decimal("3.000"), Decimal("10.0000"), Decimal("30.00"), Decimal("6.00")),
        (2, Decimal("4.500"), Decimal("2.5000"), Decimal("11.25"), Decimal("2.25")),
    ]
    assert [ln.promised_date for ln in lines] == [days(7), days(10)]
    assert lines[0].explanation[0]["code"] == "list_price"
    assert (order.net_total, order.vat_total, order.gross_total, order.net_total_eur) == (
        Decimal("41.25"), Decimal("8.25"), Decimal("49.50"), Decimal("41.25"))
    entry = AuditEntry.objects.get(object_type="orders.order", object_id=str(order.pk))
    assert entry.action == "create" and entry.company_id == company.pk


def test_numbers_count_up_within_the_year(manager):
    company = client_of(manager)
    (a,) = products("1.00")
    first = order_for(manager, company, [line(a)])
    second = order_for(manager, company, [line(a)])
    assert (first.number, second.number) == (f"ORD-{today().year}-0001", f"ORD-{today().year}-0002")


def test_bgn_order_is_priced_in_lev_and_totals_in_euro(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a, "1")], currency="BGN")
    ln = order.lines.get()
    assert ln.unit_price == Decimal("19.5583")
    assert order.net_total == Decimal("19.56")
    assert order.net_total_eur == Decimal("10.00")


def test_client_special_condition_applies(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    PricingRuleFactory(kind=RuleKind.SPECIAL_CONDITION, company=company, discount_percent=Decimal("20"),
                       contract=ContractFactory(company=company, status="active"))
    order = order_for(manager, company, [line(a, "2")])
    ln = order.lines.get()
    assert ln.unit_price == Decimal("8.0000")
    assert [s["code"] for s in ln.explanation] == ["list_price", "special"]


def test_order_under_an_active_contract(manager):
    company = client_of(manager)
    contract = ContractFactory(company=company, status="active", currency="BGN")
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a)], contract=contract.pk)
    assert order.contract == contract
    assert order.currency == "BGN"


@pytest.mark.parametrize("status", ["draft", "negotiation", "terminated", "expired"])
def test_contract_not_signed_is_refused(manager, status):
    company = client_of(manager)
    contract = ContractFactory(company=company, status=status)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a)], contract=contract.pk)
    assert "signed or active contract" in exc.value.fields["contract"][0]
    _nothing_written()


def test_contract_of_another_client_is_refused(manager):
    company = client_of(manager)
    contract = ContractFactory(company=client_of(manager), status="active")
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a)], contract=contract.pk)
    assert exc.value.fields["contract"] == [f"Contract {contract.number} is with another client."]
    _nothing_written()
    assert not NumberSequence.objects.filter(name="orders.order", last__gt=0).exists()


def _accepted_offer(company, product, *, discount="0", approval="not_needed"):
    offer = OfferFactory(deal__company=company, deal__owner=company.owner, status="accepted",
                         approval_status=approval, currency="EUR")
    OfferLine.objects.create(
        offer=offer, position=1, product=product, description="Кашон по оферта",
        quantity=Decimal("100"), unit="piece", list_price=Decimal("10.0000"),
        manual_discount=Decimal(discount), unit_price=Decimal("7.1234"), free_units=Decimal("5"),
        net_amount=Decimal("712.34"), vat_rate=Decimal("20"), vat_amount=Decimal("142.47"),
        gross_amount=Decimal("854.81"),
        explanation=[{"code": "list_price", "label": "Обща", "unit_price": "10.0000"},
                     {"code": "free_units", "label": "Бонус", "unit_price": "7.1234"}])
    return offer


def test_order_from_an_accepted_offer_copies_its_prices(manager):
    company = client_of(manager)
    (a,) = products("99.00")  # today's list price differs: the offer's price holds
    offer = _accepted_offer(company, a)
    order = order_for(manager, company, [], offer=offer.pk, requested_date=days(5))
    ln = order.lines.get()
    assert (ln.quantity, ln.unit_price, ln.net_amount, ln.vat_amount, ln.free_units) == (
        Decimal("100"), Decimal("7.1234"), Decimal("712.34"), Decimal("142.47"), Decimal("5"))
    assert ln.description == "Кашон по оферта" and ln.promised_date == days(5)
    assert [s["code"] for s in ln.explanation] == ["list_price", "free_units"]
    assert order.offer == offer and order.net_total == Decimal("712.34")


def test_offer_line_with_another_quantity_keeps_the_unit_price(manager):
    company = client_of(manager)
    (a,) = products("99.00")
    offer = _accepted_offer(company, a)
    order = order_for(manager, company, [{"offer_line": offer.lines.get().pk, "quantity": "10",
                                          "promised_date": days(3)}], offer=offer.pk)
    ln = order.lines.get()
    assert (ln.unit_price, ln.net_amount, ln.free_units) == (
        Decimal("7.1234"), Decimal("71.23"), Decimal("0"))
    assert [s["code"] for s in ln.explanation] == ["list_price"]


def test_offer_not_accepted_or_of_another_client_is_refused(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    sent = _accepted_offer(company, a)
    sent.status = "sent"
    sent.save()
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [], offer=sent.pk, requested_date=days(2))
    assert "Only an accepted offer" in exc.value.fields["offer"][0]
    foreign = _accepted_offer(client_of(manager), a)
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [], offer=foreign.pk, requested_date=days(2))
    assert "for another client" in exc.value.fields["offer"][0]
    _nothing_written()


def test_manual_discount_above_the_limit_needs_an_approved_offer(manager):
    PricingPolicy.objects.create(max_manual_discount=Decimal("10"))
    company = client_of(manager)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a, manual_discount="15")])
    assert exc.value.fields == {"lines.1.manual_discount": [
        "A manual discount above 10.00 % needs an approved offer."]}
    _nothing_written()
    # Within the limit it is fine.
    order = order_for(manager, company, [line(a, "1", manual_discount="10")])
    assert order.lines.get().unit_price == Decimal("9.0000")


def test_offer_discount_above_the_limit_is_copied_only_when_approved(manager):
    PricingPolicy.objects.create(max_manual_discount=Decimal("10"))
    company = client_of(manager)
    (a,) = products("10.00")
    pending = _accepted_offer(company, a, discount="25", approval="pending")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [], offer=pending.pk, requested_date=days(1))
    assert "needs an approved offer" in exc.value.fields["lines.1.manual_discount"][0]
    _nothing_written()
    approved = _accepted_offer(company, a, discount="25", approval="approved")
    order = order_for(manager, company, [], offer=approved.pk, requested_date=days(1))
    assert order.lines.get().manual_discount == Decimal("25.00")


@pytest.mark.parametrize(("quantity", "message"), [
    ("-3", "The quantity must be more than zero."),
    ("0", "The quantity must be more than zero."),
    ("abc", "Enter a quantity, e.g. 12 or 12.5."),
    ("1.2345", "Enter a quantity of at most 99999999999 with up to three decimals."),
])
def test_bad_quantity_is_refused(manager, quantity, message):
    company = client_of(manager)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a), line(a, quantity)])
    assert exc.value.fields == {"lines.2.quantity": [message]}
    _nothing_written()


def test_unknown_and_inactive_products_are_refused(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    inactive = ProductFactory(active=False)
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a), {"product": 999999, "quantity": "1",
                                               "promised_date": days(1)}, line(inactive)])
    assert exc.value.fields == {
        "lines.2.product": ["Choose an active product from the catalog."],
        "lines.3.product": ["Choose an active product from the catalog."]}
    _nothing_written()


def test_expired_price_list_is_refused(manager):
    company = client_of(manager)
    product = ProductFactory(name="Етикет", name_en="")
    expired = PriceListFactory(valid_from=days(-60), valid_to=days(-1))
    PriceListItemFactory(price_list=expired, product=product, price=Decimal("3.00"))
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(product)])
    # The pricing engine names the day as the active language writes it.
    from django.utils import formats
    assert exc.value.fields == {"lines.1.product": [
        f"No price list valid on {formats.date_format(today(), 'SHORT_DATE_FORMAT')} prices "
        "Етикет."]}
    _nothing_written()


def test_an_order_received_on_an_earlier_day_is_priced_as_of_that_day(manager):
    company = client_of(manager)
    product = ProductFactory()
    old = PriceListFactory(valid_from=days(-60), valid_to=days(-11))
    PriceListItemFactory(price_list=old, product=product, price=Decimal("3.00"))
    new = PriceListFactory(valid_from=days(-10))
    PriceListItemFactory(price_list=new, product=product, price=Decimal("4.00"))
    order = order_for(manager, company, [line(product, "1")], received_on=days(-20).isoformat())
    assert order.lines.get().unit_price == Decimal("3.0000")


def test_dates_are_checked(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a, promised=days(-3))], received_on=days(1))
    assert exc.value.fields == {"received_on": ["An order cannot be received in the future."]}
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a, promised=days(-3))])
    assert exc.value.fields == {"lines.1.promised_date": [
        "The promised date cannot be before the order was received."]}
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [{"product": a.pk, "quantity": "1"}])
    assert list(exc.value.fields) == ["lines.1.promised_date"]
    _nothing_written()


def test_no_lines_is_refused(manager):
    company = client_of(manager)
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [])
    assert exc.value.fields == {"lines": ["Add at least one line."]}
    _nothing_written()


def test_client_must_be_visible(manager, other_manager):
    hidden = client_of(other_manager)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, hidden, [line(a)])
    assert exc.value.fields == {"company": ["Choose a client you can see."]}
    _nothing_written()


def test_department_and_marketing_members_do_not_take_orders(make_user, manager):
    company = client_of(manager)
    (a,) = products("10.00")
    for role in (Role.DEPARTMENT, Role.MARKETING):
        with pytest.raises(PermissionDenied):
            order_for(make_user(role), company, [line(a)])
    _nothing_written()


def test_only_a_head_of_sales_assigns_another_owner(manager, other_manager, head_of_sales):
    company = client_of(manager)
    (a,) = products("10.00")
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a)], owner=other_manager.pk)
    assert list(exc.value.fields) == ["owner"]
    _nothing_written()
    order = order_for(head_of_sales, company, [line(a)], owner=other_manager.pk)
    assert order.owner == other_manager


def test_departments_can_be_chosen(manager):
    dept = logistics()
    finance()
    company = client_of(manager)
    (a,) = products("10.00")
    order = order_for(manager, company, [line(a)], departments=[dept.pk])
    assert list(order.departments.all()) == [dept]
    with pytest.raises(ValidationFailed) as exc:
        order_for(manager, company, [line(a)], departments=[987654])
    assert exc.value.fields == {"departments": ["Choose departments from the list."]}


def test_channel_follows_the_request(manager):
    from partnera.core.context import Channel, acting

    company = client_of(manager)
    (a,) = products("10.00")
    with acting(Channel.API):
        order = order_for(manager, company, [line(a)])
    assert order.channel == OrderChannel.API


def test_received_long_ago_counts_in_its_year(manager):
    company = client_of(manager)
    (a,) = products("10.00")
    day = dt.date(today().year - 1, 12, 30)
    order = order_for(manager, company, [line(a, promised=day + dt.timedelta(days=3))],
                      received_on=day)
    assert order.number == f"ORD-{day.year}-0001"
