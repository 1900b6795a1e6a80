"""API schemas of a priced line that offers, orders and the price check share, so a client of the
API reads one shape of explanation wherever a price appears."""

from __future__ import annotations

from decimal import Decimal

from ninja import Schema
from pydantic import Field

from partnera.catalog.pricing import step_words


class ProductRef(Schema):
    id: int
    code: str
    name: str


class PriceStepOut(Schema):
    code: str = Field(description="list_price, converted, special, promotion, volume, adjustment, "
                                  "rebate, manual or free_units.")
    label: str = Field(description="The price list's or rule's name; for a manual discount or a "
                                   "conversion, words in the language of the request.")
    unit_price: str = Field(description="The unit price after this step.")
    percent: str | None = None
    rule_id: int | None = None
    detail: str = Field("", description="e.g. \"from 100\" or \"2 free\", in the language of the "
                                        "request.")


class VatGroupOut(Schema):
    rate: Decimal
    base: Decimal
    vat: Decimal


def explanation_out(steps: list[dict] | None) -> list[dict]:
    """A line's stored explanation with its words in the language of the request."""
    return [step_words(step) for step in steps or []]
