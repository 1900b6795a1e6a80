"""Columns recognised by Bulgarian and English headers; saved mappings; what a mapping lacks."""

from __future__ import annotations

import pytest

from partnera.imports.mapping import auto_map, mapping_problems, normalise_header, saved_columns
from partnera.imports.registry import get_import_kind


@pytest.fixture
def companies():
    return get_import_kind("companies")


@pytest.fixture
def contacts():
    return get_import_kind("contacts")


def test_headers_are_compared_without_case_spaces_or_punctuation():
    assert normalise_header(" Е-поща: ") == "епоща"
    assert normalise_header("ЕИК / БУЛСТАТ") == "еикбулстат"
    assert normalise_header("E_Mail") == "email"
    assert normalise_header("Тел.") == "тел"


@pytest.mark.parametrize("header,field", [
    ("ЕИК", "eik"), ("Булстат", "eik"), ("ЕИК/БУЛСТАТ", "eik"), ("Company ID", "eik"),
    ("VAT", "vat_number"), ("ДДС номер", "vat_number"), ("ИН по ДДС", "vat_number"),
    ("Име на фирма", "legal_name"), ("Фирма", "legal_name"), ("Company name", "legal_name"),
    ("Наименование", "legal_name"), ("Град", "city"), ("City", "city"),
    ("Населено място", "city"), ("Телефон", "phones"), ("Тел.", "phones"), ("Phone", "phones"),
    ("GSM", "phones"), ("Имейл", "emails"), ("Е-поща", "emails"), ("E-mail", "emails"),
    ("ел. поща", "emails"), ("Област", "region"), ("Адрес на управление", "registered_address"),
    ("Уебсайт", "website"), ("www", "website"), ("Правна форма", "legal_form"),
    ("Етап", "stage"), ("Статус", "stage"), ("Категория", "tier"), ("Източник", "source"),
    ("Етикети", "tags"), ("Отрасъл", "industry"), ("Държава", "country"),
    ("Relationship stage", "stage"), ("Пощенски адрес", "postal_address"),
])
def test_company_headers_in_both_languages(companies, header, field):
    assert auto_map([header], list(companies.fields)) == [field]


@pytest.mark.parametrize("header,field", [
    ("Име", "first_name"), ("Фамилия", "last_name"), ("Име и фамилия", "full_name"),
    ("Лице за контакт", "full_name"), ("Длъжност", "position"), ("Отдел", "department"),
    ("Е-поща", "emails"), ("Мобилен", "phones"), ("ЕИК", "company_eik"),
    ("Фирма", "company_name"), ("Съгласие за маркетинг", "marketing_consent"),
])
def test_contact_headers(contacts, header, field):
    assert auto_map([header], list(contacts.fields)) == [field]


def test_a_field_taking_one_column_goes_to_the_first_several_phone_columns_all_count(companies):
    headers = ["Име на фирма", "Фирма", "Телефон 1", "Телефон 2", "Непозната колона"]

    assert auto_map(headers, list(companies.fields)) == [
        "legal_name", "", "phones", "phones", ""]


def test_a_saved_mapping_wins_over_the_aliases_including_leaving_a_column_out(companies):
    headers = ["Клиент", "Град", "Бележка"]
    saved = {"клиент": "legal_name", "град": "", "бележка": "industry"}

    assert auto_map(headers, list(companies.fields), saved) == ["legal_name", "", "industry"]


def test_saved_columns_are_keyed_by_the_normalised_header():
    assert saved_columns(["Клиент", "Е-поща", ""], ["legal_name", "emails", ""]) == {
        "клиент": "legal_name", "епоща": "emails"}


def test_mapping_problems_name_what_is_missing_or_doubled(companies, contacts):
    fields = list(companies.fields)
    headers = ["A", "B"]

    assert mapping_problems(companies, ["city", "legal_name"], headers, fields) == []
    assert mapping_problems(companies, ["city", ""], headers, fields) == [
        "Choose the column that holds “Company name”."]
    assert mapping_problems(companies, ["legal_name", "legal_name"], headers, fields) == [
        "Columns “A” and “B” both go to “Company name”; choose one."]
    assert mapping_problems(companies, ["legal_name", "nonsense"], headers, fields) == [
        "Column “B”: “nonsense” is not a field you can import."]
    assert mapping_problems(contacts, ["first_name", ""], headers, list(contacts.fields)) == [
        "Choose a column for one of: Company EIK / Company name."]
