"""The pricing engine's limits and its language-neutral explanation: a line or a document whose
amounts the documents' money columns cannot hold is refused (PricingError, nothing priced or
stored); a special fixed price above the list price is not applied; the explanation keeps codes,
names and numbers, and the words come in the reader's language when shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from partnera.catalog.models import PriceList
from partnera.catalog.pricing import (
    MAX_AMOUNT,
    LineRequest,
    PricingError,
    price_document,
    step_words,
)
from partnera.catalog.tests.dbstate import catalog_state
from partnera.catalog.tests.factories import PricingRuleFactory, ProductFactory, priced_product
from partnera.clients.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 6, 15)
D = Decimal


@pytest.fixture
def company():
    return CompanyFactory(tier="standard")


def priced(company, *lines, currency="EUR"):
    return price_document(company=company, currency=currency, on_date=DAY, lines=list(lines))


def refused(call) -> PricingError:
    before = catalog_state()
    with pytest.raises(PricingError) as error:
        call()
    assert catalog_state() == before
    return error.value


# --- what the money columns hold -----------------------------------------------------------------

def test_a_line_whose_amount_does_not_fit_is_refused_on_its_quantity(company):
    big = priced_product("10000.00")
    small = priced_product("1.00")
    error = refused(lambda: priced(company, LineRequest(small.pk, D("1")),
                                   LineRequest(big.pk, D("100000000000") - 1)))
    assert set(error.fields) == {"lines.2.quantity"}
    [message] = error.fields["lines.2.quantity"]
    assert message == ("This line comes to more than a document can hold (99,999,999,999,999.99); "
                       "lower the quantity.")


def test_the_largest_line_that_fits_is_priced_and_one_cent_more_is_not(company):
    product = priced_product("1000.00")  # with 20 % VAT
    line = priced(company, LineRequest(product.pk, D("83333333333.333"))).lines[0]
    assert (line.net_amount, line.gross_amount) == (D("83333333333333.00"), D("99999999999999.60"))
    assert line.gross_amount <= MAX_AMOUNT
    error = refused(lambda: priced(company, LineRequest(product.pk, D("83333333333.334"))))
    assert set(error.fields) == {"lines.1.quantity"}


def test_a_document_whose_total_does_not_fit_is_refused(company):
    product = priced_product("4500000000.00")  # 4.5e13 per line, 5.4e13 with VAT: two too much
    line = LineRequest(product.pk, D("10000"))
    error = refused(lambda: priced(company, line, line))
    assert set(error.fields) == {"lines"}
    assert error.fields["lines"][0].startswith("Together the lines come to more than a document")
    assert priced(company, line).gross_total == D("54000000000000.00")


def test_a_converted_list_price_that_does_not_fit_is_refused(company):
    product = priced_product("9999999999.0000")  # EUR; in BGN about 1.96e10, more than 4+10 digits
    error = refused(lambda: priced(company, LineRequest(product.pk, D("1")), currency="BGN"))
    assert error.fields == {"lines.1.product": [
        f"The price of {product.name_en} in BGN is more than a document can hold."]}


def test_free_units_that_do_not_fit_are_refused(company):
    product = priced_product("0.0001")
    PricingRuleFactory(kind="free_units", discount_percent=None, min_quantity=D("0.001"),
                       free_units=D("1000"))
    error = refused(lambda: priced(company, LineRequest(product.pk, D("99999999"))))
    assert set(error.fields) == {"lines.1.quantity"}


# --- the lower price wins ------------------------------------------------------------------------

def test_a_special_fixed_price_above_the_list_price_is_not_applied(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="special", company=company, discount_percent=None,
                       fixed_price=D("12.00"))
    line = priced(company, LineRequest(product.pk, D("2"))).lines[0]
    assert (line.unit_price, line.net_amount, line.discount_percent) == (D("10.00"), D("20.00"), 0)
    assert [step.code for step in line.steps] == ["list_price"]


def test_a_special_fixed_price_below_the_list_price_still_applies(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="special", company=company, discount_percent=None,
                       fixed_price=D("12.00"))
    cheaper = PricingRuleFactory(kind="special", company=company, discount_percent=None,
                                 fixed_price=D("8.00"))
    line = priced(company, LineRequest(product.pk, D("1"))).lines[0]
    assert line.unit_price == D("8.00") and line.steps[-1].rule_id == cheaper.pk


# --- the explanation, language-neutral -----------------------------------------------------------

def _every_step(company):
    product = priced_product("10.00")
    PricingRuleFactory(kind="volume", name="Обем", min_quantity=D("10"), discount_percent=D("2"))
    PricingRuleFactory(kind="free_units", name="Бонус", discount_percent=None,
                       min_quantity=D("10"), free_units=D("1.5"))
    return priced(company, LineRequest(product.pk, D("20"), D("5"))).lines[0].explanation


def test_the_stored_explanation_holds_no_words_of_any_language(company):
    with translation.override("bg"):
        in_bulgarian = _every_step(company)
    with translation.override("en"):
        in_english = _every_step(CompanyFactory(tier="standard"))
    assert in_bulgarian[1:] == [{**s, "rule_id": b["rule_id"]} for s, b in
                                zip(in_english[1:], in_bulgarian[1:], strict=True)]
    volume, manual, free = in_bulgarian[1:]
    assert (volume["code"], volume["label"], volume["min_quantity"], volume["detail"]) == (
        "volume", "Обем", "10", "≥ 10")
    assert (manual["code"], manual["label"], manual["percent"]) == ("manual", "", "5")
    assert (free["code"], free["label"], free["free_units"], free["min_quantity"]) == (
        "free_units", "Бонус", "3", "10")


def test_the_explanation_is_worded_in_the_readers_language(company):
    steps = _every_step(company)
    with translation.override("en"):
        english = " ".join(render_to_string("catalog/partials/price_explanation.html",
                                            {"steps": steps}).split())
        words = [step_words(s) for s in steps]
    assert "from 10" in english and "3 free" in english and "Manual discount" in english
    assert [(w["label"], w["detail"]) for w in words[1:]] == [
        ("Обем", "from 10"), ("Manual discount", ""), ("Бонус", "3 free")]
    with translation.override("bg"):
        bulgarian = render_to_string("catalog/partials/price_explanation.html", {"steps": steps})
        expected = [translation.gettext("from %(quantity)s") % {"quantity": "10"},
                    translation.gettext("%(free)s free") % {"free": "3"},
                    translation.gettext("Manual discount")]
    assert all(text in bulgarian for text in expected)


def test_a_converted_price_keeps_the_currency_and_rate(company):
    product = ProductFactory()
    PriceList.objects.create(name="BGN", currency="BGN").items.create(product=product,
                                                                      price=D("19.5583"))
    steps = priced(company, LineRequest(product.pk, D("1"))).lines[0].explanation
    assert steps[1] == {"code": "converted", "label": "", "unit_price": "10.0000", "percent": None,
                        "rule_id": None, "detail": "1 EUR = 1.95583 BGN", "currency": "BGN",
                        "rate": "1.95583"}
    with translation.override("en"):
        assert step_words(steps[1])["label"] == "Converted from BGN at 1.95583"


def test_an_explanation_stored_with_words_still_shows_them():
    old = [{"code": "list_price", "label": "Обща", "unit_price": "10.0000", "percent": None,
            "rule_id": None, "detail": ""},
           {"code": "volume", "label": "Обем", "unit_price": "9.5000", "percent": "5",
            "rule_id": 3, "detail": "от 100"},
           {"code": "free_units", "label": "Бонус", "unit_price": "9.5000", "percent": None,
            "rule_id": 4, "detail": "2 безплатно"}]
    with translation.override("en"):
        html = render_to_string("catalog/partials/price_explanation.html", {"steps": old})
        words = [step_words(s) for s in old]
    assert "от 100" in html and "2 безплатно" in html and "(Обща)" in html
    assert [w["detail"] for w in words] == ["", "от 100", "2 безплатно"]
