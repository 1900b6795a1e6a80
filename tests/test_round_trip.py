"""Export → import round trip: a file exported from the companies or contacts list, imported back
(dry run, updating existing records) changes nothing — every row is found and is unchanged — in
every format (CSV with either delimiter, XLSX, vCard) and in both languages.

The data is what an account manager keeps: legal forms (a foreign company too), identifiers,
several phones and e-mails, tags, owners, confidential credit terms, contacts with consent dates.
(Text that starts like a formula is exported neutralised and refused by the import as formula-like
text, so it cannot round-trip by design; its own tests are in clients/tests/test_exports.py.)
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from partnera.clients.selectors import company_list, contact_list
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, TagFactory, valid_eik
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

imports = pytest.importorskip("partnera.imports.services")


@pytest.fixture
def base(make_user):
    team = TeamFactory(shares_clients=True)
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="manager")
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    alfa = CompanyFactory(
        owner=manager, legal_name="Алфа Трейд", legal_form="OOD", eik=valid_eik(11),
        vat_number=f"BG{valid_eik(11)}", industry="Търговия на едро", size="small",
        city="София", region="София-град", registered_address="ул. „Витоша“ 1, ет. 2",
        postal_address="п.к. 123, София 1000", website="https://alfa.bg",
        phones=["+359888123456", "+35929812345"], emails=["office@alfa.bg", "sales@alfa.bg"],
        stage="active", tier="key_account", source="fair", credit_limit=Decimal("12500.50"),
        payment_terms_days=30, credit_terms="30 дни", financial_notes="Редовен платец")
    # (Tag names never hold a comma or a semicolon: the services split tags on them.)
    alfa.tags.set([TagFactory(name="метал"), TagFactory(name="VIP злато")])
    CompanyFactory(owner=manager, legal_name="Бета", legal_form="ET", eik=valid_eik(12),
                   vat_number="", city="Пловдив", region="Пловдив", stage="prospect",
                   tier="standard", source="", phones=[], emails=["beta@abv.bg"],
                   size="", industry="")
    CompanyFactory(owner=admin, legal_name="Gamma GmbH", legal_form="FOREIGN", eik="",
                   vat_number="DE136695976", country="DE", city="München", region="",
                   stage="dormant", tier="corporate", source="referral",
                   phones=["+49891234567"], emails=["info@gamma.de"], industry="Machinery")
    ContactFactory(company=alfa, first_name="Иван", last_name="Петров", position="Управител",
                   department="Продажби", emails=["ivan@alfa.bg", "i.petrov@alfa.bg"],
                   phones=["+359888111222"], preferred_channel="email", marketing_consent=True,
                   consent_date="2025-03-01", consent_source="Панаир 2025")
    ContactFactory(company=alfa, first_name="Мария", last_name="Иванова", position="",
                   department="", emails=[], phones=["+359877000111"], preferred_channel="",
                   marketing_consent=False)
    assert company_list(user=manager).count() == 2  # the administrator's Gamma is not theirs
    return {"manager": manager, "admin": admin}


def export(user, url: str, params: dict, language: str) -> bytes:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    response = client.get(url, params)
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def dry_run(user, kind: str, filename: str, data: bytes, language: str):
    with translation.override(language):
        return imports.import_create(actor=user, kind=kind, filename=filename, data=data,
                                     options={"update": True})


def assert_nothing_would_change(run, rows: int) -> None:
    report = run.report or {}
    issues = (report.get("issues"), report.get("mapping_problems"), report.get("preview"))
    assert run.counts == {**run.counts, "created": 0, "updated": 0, "unchanged": rows}, issues
    assert run.errors == 0, issues


@pytest.mark.parametrize("language, params", [
    ("en", {"format": "csv"}),
    ("bg", {"format": "csv"}),
    ("en", {"format": "csv", "sep": "semicolon"}),
    ("bg", {"format": "xlsx"}),
    ("en", {"format": "xlsx"}),
])
@pytest.mark.parametrize("who", ["admin", "manager"])
def test_companies_round_trip(base, language, params, who):
    user = base[who]
    data = export(user, reverse("clients:company_export"), params, language)
    before = {k: v for k, v in db_state().items() if k != "audit_entries"}

    run = dry_run(user, "companies", f"companies.{params['format']}", data, language)

    assert_nothing_would_change(run, company_list(user=user).count())
    after = {k: v for k, v in db_state().items() if k != "audit_entries"}
    assert after == before


@pytest.mark.parametrize("language, params", [
    ("en", {"format": "csv"}),
    ("bg", {"format": "csv"}),
    ("bg", {"format": "xlsx"}),
    ("en", {"format": "vcf"}),
])
def test_contacts_round_trip(base, language, params):
    user = base["manager"]
    data = export(user, reverse("clients:contact_export"), params, language)
    before = {k: v for k, v in db_state().items() if k != "audit_entries"}

    run = dry_run(user, "contacts", f"contacts.{params['format']}", data, language)

    assert_nothing_would_change(run, contact_list(user=user).count())
    after = {k: v for k, v in db_state().items() if k != "audit_entries"}
    assert after == before
