"""The offer PDF in Bulgarian and in English, read back with pypdf: the lines (Cyrillic intact),
the totals formatted as the document's language writes them, the number; the download is audited
and only for who sees the offer."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.utils import formats, translation
from PIL import Image
from pypdf import PdfReader

from partnera.core.errors import NotFound
from partnera.core.models import AuditEntry, OrganisationProfile
from partnera.sales.offers import document
from partnera.sales.tests.offer_builders import deal_of, line, make_offer, product

pytestmark = pytest.mark.django_db


def png_logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 40), (31, 78, 121)).save(out, format="PNG")
    return out.getvalue()


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return " ".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def amount(value: str, language: str) -> str:
    with translation.override(language):
        return formats.number_format(Decimal(value), decimal_pos=2, use_l10n=True,
                                     force_grouping=True).replace("\xa0", " ")


@pytest.fixture
def our_company(db):
    return OrganisationProfile.objects.create(
        name="Партнера", legal_name="Партнера Софт ЕООД", legal_name_en="Partnera Soft Ltd",
        eik="175074752", address="София, бул. Витоша 1", address_en="1 Vitosha Blvd, Sofia",
        iban="BG80BNBG96611020345678", logo=png_logo(), logo_type="image/png")


@pytest.fixture
def offer(manager, our_company):
    deal = deal_of(manager)
    carton = product("12.34", name="Кашон трислоен", name_en="Triple-wall carton", unit="box")
    label = product("0.50", name="Етикет „Чупливо“", name_en="Fragile label")
    return make_offer(manager, deal, lines=[line(carton, "100"), line(label, "40", "5")])


@pytest.mark.parametrize("language", ["bg", "en"])
def test_the_pdf_reads_back_with_lines_totals_and_number(manager, offer, language):
    offer.language = language
    offer.save()

    name, pdf = document.offer_pdf(actor=manager, offer=offer)

    assert pdf.startswith(b"%PDF") and name == f"{offer.reference}-v1.pdf"
    text = text_of(pdf)
    assert offer.reference in text and offer.company.legal_name in text
    if language == "bg":
        assert "Кашон трислоен" in text and "Етикет „Чупливо“" in text and "Партнера Софт ЕООД" in text
    else:
        assert "Triple-wall carton" in text and "Fragile label" in text and "Partnera Soft Ltd" in text
    # 100 × 12.34 = 1 234.00; 40 × 0.475 = 19.00; VAT 20 % = 250.60; with VAT 1 503.60
    for value in ("1234.00", "19.00", "1253.00", "250.60", "1503.60"):
        assert amount(value, language) in text
    assert "1 234,00" in text if language == "bg" else "1,234.00" in text
    with translation.override(language):
        assert str(translation.gettext("Total with VAT")) in text
    assert AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD, object_type="sales.offer",
                                     object_id=str(offer.pk), changes={"file": name}).count() == 1


def test_the_logo_is_embedded_from_the_database(manager, offer):
    reader = PdfReader(io.BytesIO(document.offer_pdf(actor=manager, offer=offer)[1]))
    assert sum(len(page.images) for page in reader.pages) == 1


def test_no_pdf_for_who_cannot_see_the_offer(offer, other_manager):
    with pytest.raises(NotFound):
        document.offer_pdf(actor=other_manager, offer=offer)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


def test_a_server_without_pango_answers_a_clear_error_and_records_no_download(
        client, manager, offer, monkeypatch):
    # Given a server on which WeasyPrint cannot load (its system libraries are missing)
    import sys

    monkeypatch.setitem(sys.modules, "weasyprint", None)
    client.force_login(manager)
    # When the manager asks for the offer's PDF on the page and through the API
    page = client.get(f"/sales/offers/{offer.pk}/pdf/")
    api = client.get(f"/api/v1/offers/{offer.pk}/pdf")
    # Then both say what is missing (503), and no download is recorded
    assert page.status_code == 503 and b"Pango" in page.content
    assert api.status_code == 503 and api.json()["code"] == "pdf_unavailable"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()
