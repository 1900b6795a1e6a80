"""Test data for the client base: valid Bulgarian identifiers, Cyrillic names, +359 phones."""

from __future__ import annotations

import factory
from stdnum.bg import vat as bg_vat

from partnera.clients import duplicates
from partnera.clients.models import Company, CompanyKey, Contact, ContactKey, Note, Stage, Tag, Tier
from partnera.core.search import search_index_update


def _index(kind: str):
    """Created records enter the search index, as the services put them there."""
    def hook(obj, create, extracted, **kwargs):
        if create:
            search_index_update(kind, [obj.pk])
    return factory.PostGeneration(hook)


def _keys(model, rows):
    """Created live records get their identity keys (clients.duplicates), as the services keep
    them: the importer finds companies by e-mail through them, duplicates are found by them."""
    def hook(obj, create, extracted, **kwargs):
        if create and obj.deleted_at is None:
            model.objects.bulk_create([model(**row) for row in rows([obj])])
    return factory.PostGeneration(hook)


def valid_eik(n: int) -> str:
    base = f"{(n * 7919 + 10000000) % 100000000:08d}"
    return base + bg_vat.calc_check_digit_legal(base)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"етикет-{n}")


class CompanyFactory(factory.django.DjangoModelFactory):
    """Built directly (not through the services) so tests can set up any state; the services'
    own tests build through the services."""

    class Meta:
        model = Company
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"Фирма {n}")
    legal_form = "OOD"
    eik = factory.Sequence(valid_eik)
    vat_number = factory.LazyAttribute(lambda o: f"BG{o.eik}")
    city = "София"
    region = "София-град"
    country = "BG"
    industry = "Търговия"
    phones = factory.Sequence(lambda n: [f"+3598881{n % 100000:05d}"])
    emails = factory.Sequence(lambda n: [f"office{n}@firma.bg"])
    stage = Stage.ACTIVE
    tier = Tier.STANDARD
    owner = None
    team = factory.LazyAttribute(lambda o: o.owner.team if o.owner else None)
    search_index = _index("company")
    identity_keys = _keys(CompanyKey, duplicates.company_key_rows)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    first_name = factory.Iterator(["Иван", "Мария", "Георги", "Елена"])
    last_name = factory.Iterator(["Петров", "Иванова", "Димитров", "Стоянова"])
    position = "Управител"
    emails = factory.Sequence(lambda n: [f"person{n}@firma.bg"])
    phones = factory.Sequence(lambda n: [f"+3598992{n % 100000:05d}"])
    search_index = _index("contact")
    identity_keys = _keys(ContactKey, duplicates.contact_key_rows)


class NoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Note

    company = factory.SubFactory(CompanyFactory)
    body = factory.Sequence(lambda n: f"Бележка {n}: обсъдихме условията.")
