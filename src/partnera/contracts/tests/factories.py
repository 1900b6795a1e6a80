"""Test data for contracts. Contract types and document kinds are seeded by the migrations;
these factories make their own so tests never depend on seeded names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from partnera.clients.tests.factories import CompanyFactory
from partnera.contracts.models import Contract, ContractType, DocumentKind, Obligation


class DocumentKindFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentKind
        django_get_or_create = ("name",)  # a seeded kind's name gives the seeded kind

    name = factory.Sequence(lambda n: f"Документ {n}")


class ContractTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContractType
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Договор за доставка {n}")

    @factory.post_generation
    def required(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.required_documents.set(extracted)


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    number = factory.Sequence(lambda n: f"T-{n:05d}")  # never a number of the real series
    title = factory.Sequence(lambda n: f"Рамков договор {n}")
    contract_type = factory.SubFactory(ContractTypeFactory)
    owner = None
    company = factory.LazyAttribute(lambda o: CompanyFactory(owner=o.owner))
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    start_date = factory.LazyFunction(timezone.localdate)
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    value = Decimal("50000.00")
    value_eur = Decimal("50000.00")


class ObligationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Obligation

    contract = factory.SubFactory(ContractFactory)
    title = factory.Sequence(lambda n: f"Задължение {n}")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=14))
