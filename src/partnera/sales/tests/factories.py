"""Test data for the sales cycle. Deals land in the default pipeline's first stage unless told."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.money import to_eur
from partnera.sales.models import (
    Deal,
    DealStageChange,
    Lead,
    LeadSource,
    Offer,
    Pipeline,
    Stage,
    WebForm,
)


def default_pipeline() -> Pipeline:
    return Pipeline.objects.get(is_default=True)


def stage_at(position: int, pipeline: Pipeline | None = None) -> Stage:
    """A stage of the (default) pipeline by position. The seeded names are in the installation's
    language, so tests never look stages up by name. Default pipeline: 0 first contact,
    1 meeting arranged, 2 needs identified (needs a contact), 3 offer presented (needs an amount),
    4 negotiation (amount, close date), 5 contract (+ decision maker), 6 won, 7 lost."""
    pipeline = pipeline or default_pipeline()
    return pipeline.stages.order_by("position")[position]


class DealFactory(factory.django.DjangoModelFactory):
    """Built directly (not through the services), with its entry into the stage recorded."""

    class Meta:
        model = Deal
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Доставка {n}")
    owner = None
    company = factory.LazyAttribute(lambda o: CompanyFactory(owner=o.owner))
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    pipeline = factory.LazyFunction(default_pipeline)
    stage = factory.LazyAttribute(lambda o: o.pipeline.stages.order_by("position").first())
    status = factory.LazyAttribute(lambda o: o.stage.outcome)
    amount = Decimal("12000.00")
    currency = "EUR"
    amount_eur = factory.LazyAttribute(lambda o: to_eur(o.amount, o.currency) if o.amount is not None
                                       else None)
    expected_close_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
    stage_entered_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def history(obj, create, extracted, **kwargs):
        if create:
            DealStageChange.objects.create(deal=obj, from_stage=None, to_stage=obj.stage,
                                           at=obj.stage_entered_at)


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    company_name = factory.Sequence(lambda n: f"Запитване {n} ООД")
    first_name = "Иван"
    last_name = factory.Sequence(lambda n: f"Петров{n}")
    email = factory.Sequence(lambda n: f"ivan{n}@zapitvane.bg")
    phone = "+359888123456"
    source = LeadSource.CALL
    owner = None
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)


class WebFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebForm

    name = factory.Sequence(lambda n: f"Сайт {n}")
    key = factory.Sequence(lambda n: f"form-key-{n:04d}-abcdefghijklmnop")


class OfferFactory(factory.django.DjangoModelFactory):
    """An offer built directly (no lines, zero totals); offer tests price lines through the
    services."""

    class Meta:
        model = Offer

    reference = factory.Sequence(lambda n: f"OF-2026-{n:04d}")
    deal = factory.SubFactory(DealFactory)
    company = factory.LazyAttribute(lambda o: o.deal.company)
    owner = factory.LazyAttribute(lambda o: o.deal.owner)
    team = factory.LazyAttribute(lambda o: o.deal.team)
    title = factory.LazyAttribute(lambda o: o.deal.title)
    pricing_date = factory.LazyFunction(timezone.localdate)
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))
