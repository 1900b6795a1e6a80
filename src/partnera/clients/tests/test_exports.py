"""Exports of the client base through the web pages, the API and the CLI: files parsed back (csv,
openpyxl, the vCard reader) and checked cell by cell; visibility, confidential columns, filters,
sort, neutralised formulas, constant queries, the audit entry, and every bad input refused with
nothing changed."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from partnera.clients import exports
from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, TagFactory, valid_eik
from partnera.clients.vcard import read_vcards
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

COMPANIES = reverse("clients:company_export")
CONTACTS = reverse("clients:contact_export")
API = "/api/v1"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def world(make_user):
    """A shared team (manager + teammate), another team's manager, an administrator."""
    team = TeamFactory(shares_clients=True, name="София")
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="manager")
    mate = make_user(Role.ACCOUNT_MANAGER, team=team, username="mate")
    stranger = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(name="Варна"), username="stranger")
    admin = make_user(Role.ADMINISTRATOR, username="admin")
    alfa = CompanyFactory(
        owner=manager, legal_name="Алфа", legal_form="OOD", eik=valid_eik(1),
        vat_number=f"BG{valid_eik(1)}", industry="Търговия на едро", size="small", city="София",
        region="София-град", registered_address="ул. „Витоша“ 1, ет. 2",
        website="https://alfa.bg", phones=["+359888123456", "+35929812345"],
        emails=["office@alfa.bg", "sales@alfa.bg"], stage="active", tier="key_account",
        source="fair", credit_limit=Decimal("12500.00"), payment_terms_days=30,
        credit_terms="30 дни, банков превод", financial_notes="Редовен платец; без забави")
    alfa.tags.set([TagFactory(name="метал"), TagFactory(name="VIP")])
    formula = CompanyFactory(
        owner=mate, legal_name='=HYPERLINK("http://evil.example","Кликни")', legal_form="",
        eik=valid_eik(2), vat_number="", industry="-5", phones=[], emails=[], stage="prospect",
        credit_limit=Decimal("-5.00"), payment_terms_days=0)
    hidden = CompanyFactory(owner=stranger, legal_name="Скрита Фирма", eik=valid_eik(3),
                            stage="active")
    ContactFactory(company=alfa, first_name="Иван", last_name="Петров", position="Управител",
                   department="Продажби", emails=["ivan@alfa.bg"], phones=["+359888111222"],
                   preferred_channel="email", marketing_consent=True,
                   consent_date="2025-03-01", consent_source="Панаир 2025")
    ContactFactory(company=formula, first_name="@Мария", last_name="Иванова", position="",
                   emails=[], phones=[])
    ContactFactory(company=hidden, first_name="Скрит", last_name="Контакт")
    return {"manager": manager, "mate": mate, "stranger": stranger, "admin": admin,
            "alfa": alfa, "formula": formula, "hidden": hidden}


def read_csv(response) -> list[list[str]]:
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data[3:].decode("utf-8")
    delimiter = ";" if text.split("\r\n", 1)[0].count(";") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def read_xlsx(response):
    data = b"".join(response.streaming_content)
    return openpyxl.load_workbook(io.BytesIO(data)).active


def as_dicts(rows: list[list]) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, r, strict=True)) for r in body]


def headers(*, confidential: bool) -> list[str]:
    with translation.override("en"):
        return [c.header for c in exports.company_columns(confidential=confidential)]


ALFA_ROW = [
    "Алфа", "ООД (Ltd)", valid_eik(1), f"BG{valid_eik(1)}", "Търговия на едро", "Small (10–49)",
    "BG", "София-град", "София", "ул. „Витоша“ 1, ет. 2", "", "https://alfa.bg",
    "'+359888123456; +35929812345", "office@alfa.bg; sales@alfa.bg", "Active client",
    "Key account", "Exhibition or fair", "VIP; метал", "manager",
]
ALFA_CONFIDENTIAL = ["12500.00", "30", "30 дни, банков превод", "Редовен платец; без забави"]


# --- companies: CSV ------------------------------------------------------------------------------

def test_admin_exports_every_company_with_confidential_columns_cell_by_cell(client, world):
    client.force_login(world["admin"])

    response = client.get(COMPANIES, {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="partnera-companies-')
    assert response["Cache-Control"] == "no-store, private"
    rows = read_csv(response)
    assert rows[0] == headers(confidential=True)
    assert rows[0][-4:] == ["Credit limit (EUR)", "Payment terms (days)", "Credit terms",
                            "Financial notes"]
    assert rows[2] == ALFA_ROW + ALFA_CONFIDENTIAL
    assert rows[1] == [
        '\'=HYPERLINK("http://evil.example","Кликни")', "", valid_eik(2), "", "'-5", "", "BG",
        "София-град", "София", "", "", "", "", "", "Prospect", "Standard", "", "", "mate",
        "-5.00", "0", "", "",
    ]
    assert rows[3][0] == "Скрита Фирма"
    assert len(rows) == 4


def test_a_manager_exports_exactly_what_they_see_without_confidential_columns(client, world):
    client.force_login(world["manager"])

    rows = read_csv(client.get(COMPANIES))

    assert rows[0] == headers(confidential=False)
    assert not {"Credit limit (EUR)", "Payment terms (days)", "Credit terms",
                "Financial notes"} & set(rows[0])
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://evil.example","Кликни")', "Алфа"]
    assert rows[2] == ALFA_ROW
    assert "Скрита" not in str(rows) and "12500" not in str(rows) and "Редовен" not in str(rows)


def test_bulgarian_export_uses_semicolons_decimal_commas_and_bulgarian_headers(client, world):
    client.force_login(world["admin"])

    response = client.get(COMPANIES, HTTP_ACCEPT_LANGUAGE="bg")

    data = b"".join(response.streaming_content)
    first_line = data[3:].split(b"\r\n", 1)[0].decode()
    with translation.override("bg"):
        expected = [c.header for c in exports.company_columns(confidential=True)]
    assert first_line.split(";") == expected
    rows = list(csv.reader(io.StringIO(data[3:].decode(), newline=""), delimiter=";"))
    assert rows[2][0] == "Алфа" and rows[2][-4] == "12500,00"


def test_the_delimiter_can_be_chosen(client, world):
    client.force_login(world["admin"])

    semicolon = b"".join(client.get(COMPANIES, {"sep": "semicolon"}).streaming_content)
    comma = b"".join(client.get(COMPANIES, {"sep": "comma"}, HTTP_ACCEPT_LANGUAGE="bg")
                     .streaming_content)

    assert semicolon[3:].split(b"\r\n")[2].startswith("Алфа;ООД (Ltd);".encode())
    assert comma[3:].split(b"\r\n")[2].startswith("Алфа,".encode())


@pytest.mark.parametrize("params, expected", [
    ({"stage": "active"}, ["Алфа", "Скрита Фирма"]),
    ({"stage": ["prospect", "active"], "sort": "-name"},
     ["Скрита Фирма", "Алфа", '\'=HYPERLINK("http://evil.example","Кликни")']),
    ({"sort": "updated"}, ["Скрита Фирма", '\'=HYPERLINK("http://evil.example","Кликни")', "Алфа"]),
    ({"q": "алфа"}, ["Алфа"]),
    ({"q": "0888123456"}, ["Алфа"]),
    ({"industry": "търговия на едро"}, ["Алфа"]),
    ({"tier": "key_account"}, ["Алфа"]),
    ({"region": "София-град", "stage": "prospect"},
     ['\'=HYPERLINK("http://evil.example","Кликни")']),
])
def test_the_lists_filters_and_sort_are_honoured(client, world, params, expected):
    client.force_login(world["admin"])

    rows = read_csv(client.get(COMPANIES, params))

    assert [r[0] for r in rows[1:]] == expected


def test_owner_team_and_tag_filters(client, world):
    client.force_login(world["admin"])
    tag = world["alfa"].tags.get(name="метал")

    by_owner = read_csv(client.get(COMPANIES, {"owner": world["mate"].pk}))
    by_team = read_csv(client.get(COMPANIES, {"team": world["stranger"].team_id}))
    by_tag = read_csv(client.get(COMPANIES, {"tag": tag.pk}))

    assert [r[0] for r in by_owner[1:]] == ['\'=HYPERLINK("http://evil.example","Кликни")']
    assert [r[0] for r in by_team[1:]] == ["Скрита Фирма"]
    assert [r[0] for r in by_tag[1:]] == ["Алфа"]


def test_the_export_lists_what_the_list_page_lists_on_every_page(client, world):
    CompanyFactory.create_batch(60, owner=world["manager"], stage="dormant")
    client.force_login(world["manager"])

    page = client.get(reverse("clients:company_list"), {"stage": "dormant"})
    rows = read_csv(client.get(COMPANIES, {"stage": "dormant"}))

    assert page.context["count"] == 60
    assert len(rows) == 61
    first_page = [c.legal_name for c in page.context["page"].items]
    assert [r[0] for r in rows[1:len(first_page) + 1]] == first_page


def test_the_number_of_queries_does_not_grow_with_the_rows(client, world):
    client.force_login(world["manager"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            for fmt in ("csv", "xlsx"):
                response = client.get(COMPANIES, {"format": fmt})
                b"".join(response.streaming_content)
        return len(captured)

    few = queries()
    for i in range(40):
        company = CompanyFactory(owner=world["manager"], legal_name=f"Фирма {i}")
        company.tags.set([TagFactory(name=f"т{i % 5}"), TagFactory(name="общ")])
        ContactFactory(company=company)
    many = queries()

    assert few == many


# --- companies: XLSX -----------------------------------------------------------------------------

def test_xlsx_export_cell_by_cell_with_typed_numbers(client, world):
    client.force_login(world["admin"])

    response = client.get(COMPANIES, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = read_xlsx(response)
    assert sheet.title == "Companies"
    assert sheet.freeze_panes == "A2"
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert list(rows[0]) == headers(confidential=True)
    expected = [None if v == "" else v for v in ALFA_ROW]
    expected[12] = "+359888123456; +35929812345"  # the value itself, with Excel's quote prefix
    assert rows[2] == [*expected, 12500, 30, "30 дни, банков превод", "Редовен платец; без забави"]
    formula = rows[1]
    assert formula[0] == '=HYPERLINK("http://evil.example","Кликни")'
    assert sheet["A2"].data_type == "s" and sheet["A2"].quotePrefix
    assert sheet["E2"].value == "-5" and sheet["E2"].quotePrefix  # text "-5": neutralised
    assert sheet["T2"].value == -5 and sheet["T2"].data_type == "n"  # number -5: a number
    assert sheet["U2"].value == 0 and sheet["U2"].data_type == "n"
    assert sheet["M3"].quotePrefix and not sheet["A3"].quotePrefix
    assert len(rows) == 4


def test_a_manager_xlsx_has_no_confidential_columns(client, world):
    client.force_login(world["manager"])

    sheet = read_xlsx(client.get(COMPANIES, {"format": "xlsx"}))

    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers(confidential=False)
    assert [r[0] for r in rows[1:]] == ['=HYPERLINK("http://evil.example","Кликни")', "Алфа"]


def test_an_xlsx_above_the_web_limit_is_refused_with_a_clear_message(client, world, monkeypatch):
    monkeypatch.setattr(exports, "MAX_WEB_XLSX_ROWS", 2)
    client.force_login(world["admin"])
    before = db_state()

    response = client.get(COMPANIES, {"format": "xlsx"})

    assert response.status_code == 400
    assert "This export has 3 rows; XLSX downloads are limited to 2 rows." in response.content.decode()
    assert db_state() == before  # no audit entry either: nothing left


# --- the audit -----------------------------------------------------------------------------------

def test_each_export_is_audited_with_its_rows_format_and_filters(client, world):
    client.force_login(world["manager"])

    b"".join(client.get(COMPANIES, {"format": "xlsx", "stage": "active", "q": "алфа"})
             .streaming_content)

    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOWNLOAD)
    assert entry.actor == world["manager"]
    assert entry.channel == "web"
    assert entry.object_type == "clients.company"
    assert entry.object_repr.startswith("partnera-companies-") and entry.object_repr.endswith(
        ".xlsx (1)")
    assert entry.changes == {"format": "xlsx", "rows": 1,
                             "filters": {"q": "алфа", "stage": ["active"]}}


# --- bad input -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url, params", [
    (COMPANIES, {"format": "pdf"}),
    (COMPANIES, {"format": "vcf"}),
    (CONTACTS, {"format": "exe"}),
])
def test_an_unknown_format_is_refused_and_changes_nothing(client, world, url, params):
    client.force_login(world["manager"])
    before = db_state()

    response = client.get(url, params)

    assert response.status_code == 400
    assert "Choose one of these formats" in response.content.decode()
    assert db_state() == before


def unchanged_but_the_denial(before: dict) -> bool:
    """Nothing changed but the audit entry of the refused access to a hidden record (get_visible
    logs it); no export was audited."""
    after = db_state()
    denied = AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_DENIED).count()
    exported = AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()
    return ({**after, "audit_entries": after["audit_entries"] - denied} == before
            and denied > 0 and not exported)


def test_contacts_of_a_hidden_company_answer_404_and_change_nothing(client, world):
    client.force_login(world["manager"])
    before = db_state()

    hidden = client.get(CONTACTS, {"company": world["hidden"].pk})
    missing = client.get(CONTACTS, {"company": 999999})

    assert hidden.status_code == missing.status_code == 404
    assert unchanged_but_the_denial(before)


def test_nobody_logged_in_is_sent_to_the_login_page(client, world):
    for url in (COMPANIES, CONTACTS, reverse("clients:contact_vcard", args=[1])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).exists()


# --- contacts ------------------------------------------------------------------------------------

CONTACT_HEADER_KEYS = ["first_name", "last_name", "position", "department", "emails", "phones",
                       "preferred_channel", "marketing_consent", "consent_date", "consent_source",
                       "company_eik", "company_name"]


def test_contacts_csv_cell_by_cell(client, world):
    client.force_login(world["manager"])

    rows = read_csv(client.get(CONTACTS))

    with translation.override("en"):
        assert rows[0] == [c.header for c in exports.contact_columns()]
    assert [c.key for c in exports.contact_columns()] == CONTACT_HEADER_KEYS
    assert rows[1:] == [
        ["'@Мария", "Иванова", "", "", "", "", "", "no", "", "", valid_eik(2),
         '\'=HYPERLINK("http://evil.example","Кликни")'],
        ["Иван", "Петров", "Управител", "Продажби", "ivan@alfa.bg", "'+359888111222", "E-mail",
         "yes", "2025-03-01", "Панаир 2025", valid_eik(1), "Алфа"],
    ]


def test_contacts_xlsx_cell_by_cell(client, world):
    client.force_login(world["manager"])

    sheet = read_xlsx(client.get(CONTACTS, {"format": "xlsx", "consent": "yes"}))

    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2
    assert list(rows[1][:7]) == ["Иван", "Петров", "Управител", "Продажби", "ivan@alfa.bg",
                                 "+359888111222", "E-mail"]
    assert rows[1][7] is True
    assert rows[1][8].date().isoformat() == "2025-03-01"
    assert list(rows[1][9:]) == ["Панаир 2025", valid_eik(1), "Алфа"]
    assert sheet["H2"].data_type == "b" and sheet["I2"].is_date


def test_contacts_vcard_export_of_the_filtered_list(client, world):
    client.force_login(world["manager"])

    response = client.get(CONTACTS, {"format": "vcf", "channel": "email"})

    assert response["Content-Type"] == "text/vcard; charset=utf-8"
    cards = read_vcards(b"".join(response.streaming_content))
    assert cards == [{"first_name": "Иван", "last_name": "Петров", "position": "Управител",
                      "department": "Продажби", "emails": "ivan@alfa.bg",
                      "phones": "+359888111222", "company_name": "Алфа",
                      "company_eik": valid_eik(1)}]


def test_one_contacts_vcard_and_a_companys_vcards(client, world):
    client.force_login(world["manager"])
    ivan = world["alfa"].contacts.get()
    ContactFactory(company=world["alfa"], first_name="Ана", last_name="Колева", emails=[],
                   phones=[])

    one = client.get(reverse("clients:contact_vcard", args=[ivan.pk]))
    many = client.get(reverse("clients:company_contacts_vcard", args=[world["alfa"].pk]))

    assert one["Content-Disposition"] == 'attachment; filename="ivan-petrov.vcf"'
    assert [c["last_name"] for c in read_vcards(b"".join(one.streaming_content))] == ["Петров"]
    assert [c["last_name"] for c in read_vcards(b"".join(many.streaming_content))] == [
        "Колева", "Петров"]
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.DOWNLOAD).order_by("pk")
    assert [(e.object_type, e.company_id, e.changes["rows"]) for e in entries] == [
        ("clients.contact", world["alfa"].pk, 1), ("clients.company", world["alfa"].pk, 2)]


def test_a_hidden_contacts_vcard_answers_like_a_missing_one(client, world):
    client.force_login(world["manager"])
    hidden = world["hidden"].contacts.get()
    before = db_state()

    answers = [client.get(reverse("clients:contact_vcard", args=[pk])).status_code
               for pk in (hidden.pk, 999999)]
    company = [client.get(reverse("clients:company_contacts_vcard", args=[pk])).status_code
               for pk in (world["hidden"].pk, 999999)]

    assert answers == company == [404, 404]
    assert unchanged_but_the_denial(before)


# --- the list pages offer the download with their filters -------------------------------------

def test_the_list_pages_link_to_the_export_with_the_current_filters(client, world):
    client.force_login(world["manager"])

    companies = client.get(reverse("clients:company_list"),
                           {"stage": "active", "q": "алфа", "cursor": "x", "sort": "-name"})
    partial = client.get(reverse("clients:company_list"), {"stage": "prospect"},
                         HTTP_HX_REQUEST="true", HTTP_HX_TARGET="company-results")
    contacts = client.get(reverse("clients:contact_list"), {"consent": "yes"})

    html = companies.content.decode()
    assert (f'href="{COMPANIES}?format=csv&amp;stage=active&amp;q=%D0%B0%D0%BB%D1%84%D0%B0'
            f'&amp;sort=-name"') in html  # every filter and the sort; never the page's cursor
    assert f'href="{COMPANIES}?format=xlsx&amp;' in html
    assert f'href="{COMPANIES}?format=csv&amp;stage=prospect"' in partial.content.decode()
    assert f'href="{CONTACTS}?format=vcf&amp;consent=yes"' in contacts.content.decode()


# --- the API -------------------------------------------------------------------------------------

def bearer(user) -> dict:
    _token, secret = token_create(actor=None, user=user, name="export")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_api_export_takes_the_list_endpoints_filters(world):
    api, auth = Client(), bearer(world["manager"])
    params = {"stage": ["active", "prospect"], "sort": "-name"}

    listed = api.get(f"{API}/companies", params, **auth).json()
    exported = api.get(f"{API}/companies/export", {**params, "format": "csv"}, **auth)

    assert exported.status_code == 200
    rows = read_csv(exported)
    names = [c["legal_name"] for c in listed["items"]]
    assert names == ["Алфа", '=HYPERLINK("http://evil.example","Кликни")']
    assert [r[0].removeprefix("'") for r in rows[1:]] == names
    assert AuditEntry.objects.get(action=AuditEntry.Action.DOWNLOAD).channel == "api"


def test_api_xlsx_and_tag_filter_by_name(world):
    api, auth = Client(), bearer(world["admin"])

    response = api.get(f"{API}/companies/export", {"format": "xlsx", "tag": "метал"}, **auth)

    rows = list(read_xlsx(response).iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == ["Алфа"]
    assert rows[1][19] == 12500


@pytest.mark.parametrize("params, field", [
    ({"format": "pdf"}, "format"),
    ({"sep": "tab"}, "sep"),
    ({"stage": "nonsense"}, "stage"),
    ({"cursor": "abc"}, "cursor"),
    ({"limit": "10"}, "limit"),
])
def test_api_bad_parameters_are_400_and_change_nothing(world, params, field):
    api, auth = Client(), bearer(world["manager"])
    before = db_state()

    response = api.get(f"{API}/companies/export", params, **auth)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in body["fields"]
    assert db_state() == before


def test_api_xlsx_above_the_limit_is_a_clear_400(world, monkeypatch):
    monkeypatch.setattr(exports, "MAX_WEB_XLSX_ROWS", 1)
    api, auth = Client(), bearer(world["manager"])
    before = db_state()

    response = api.get(f"{API}/companies/export", {"format": "xlsx"}, **auth)
    csv_response = api.get(f"{API}/companies/export", {"format": "csv"}, **auth)

    assert response.status_code == 400
    assert response.json()["code"] == "export_too_large"
    assert "This export has 2 rows" in response.json()["message"]
    assert before["audit_entries"] + 1 == db_state()["audit_entries"]  # the CSV export only
    assert len(read_csv(csv_response)) == 3


def test_api_contacts_export_and_vcards(world):
    api, auth = Client(), bearer(world["manager"])
    ivan = world["alfa"].contacts.get()

    vcf = api.get(f"{API}/contacts/export", {"format": "vcf", "company": world["alfa"].pk}, **auth)
    one = api.get(f"{API}/contacts/{ivan.pk}/vcard", **auth)
    of_company = api.get(f"{API}/companies/{world['alfa'].pk}/vcard", **auth)
    hidden = api.get(f"{API}/contacts/{world['hidden'].contacts.get().pk}/vcard", **auth)
    missing = api.get(f"{API}/contacts/999999/vcard", **auth)
    hidden_list = api.get(f"{API}/contacts/export", {"company": world["hidden"].pk}, **auth)

    for response in (vcf, one, of_company):
        assert response.status_code == 200
        assert [c["first_name"] for c in read_vcards(b"".join(response.streaming_content))] == [
            "Иван"]
    assert hidden.status_code == missing.status_code == hidden_list.status_code == 404
    assert hidden.json() == missing.json()


def test_the_api_documents_the_downloads():
    schema = Client().get(f"{API}/openapi.json").json()

    operation = schema["paths"]["/api/v1/companies/export"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {
        "text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    params = {p["name"] for p in operation["parameters"]}
    assert {"format", "sep", "q", "stage", "tier", "owner", "team", "tag", "region", "city",
            "industry", "sort"} == params
    assert "/api/v1/contacts/{contact_id}/vcard" in schema["paths"]


# --- the CLI -------------------------------------------------------------------------------------

def test_cli_exports_what_the_user_sees(world, tmp_path, capsys):
    target = tmp_path / "фирми.xlsx"

    call_command("export", "companies", str(target), "--user", "manager", "--stage", "active",
                 "--stage", "prospect", "--language", "en")

    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == headers(confidential=False)
    assert [r[0] for r in rows[1:]] == ['=HYPERLINK("http://evil.example","Кликни")', "Алфа"]
    assert "Exported 2 companies" in capsys.readouterr().err
    entry = AuditEntry.objects.get(action=AuditEntry.Action.DOWNLOAD)
    assert entry.actor == world["manager"] and entry.changes["rows"] == 2


def test_cli_csv_to_standard_output_and_vcards(world, tmp_path, capfdbinary):
    call_command("export", "contacts", "-", "--user", "admin", "--q", "петров", "--sep", "comma",
                 "--language", "en")
    out = capfdbinary.readouterr().out
    rows = list(csv.reader(io.StringIO(out[3:].decode(), newline="")))
    assert [r[1] for r in rows[1:]] == ["Петров"]

    target = tmp_path / "contacts.vcf"
    call_command("export", "contacts", str(target), "--user", "admin",
                 "--company", str(world["alfa"].pk))
    assert [c["first_name"] for c in read_vcards(target.read_bytes())] == ["Иван"]


@pytest.mark.parametrize("args, message", [
    (["companies", "x.csv", "--user", "nobody"], "No user with the username"),
    (["companies", "x.vcf", "--user", "manager"], "vCard (vcf) is a format for contacts"),
    (["companies", "x.csv", "--user", "manager", "--owner", "nobody"], "No user with the username"),
    (["companies", "x.csv", "--user", "manager", "--team", "Няма такъв"], "No team"),
    (["companies", "x.csv", "--user", "manager", "--sort", "eik"], "--sort must be one of"),
    (["contacts", "x.csv", "--user", "manager", "--company", "999999"], "Not found"),
])
def test_cli_bad_input_is_a_clear_error_and_writes_nothing(world, tmp_path, monkeypatch, args,
                                                            message):
    monkeypatch.chdir(tmp_path)
    before = db_state()

    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("export", *args)

    assert db_state() == before
    assert list(tmp_path.iterdir()) == []


def test_cli_hidden_company_is_refused_like_a_missing_one(world, tmp_path):
    with pytest.raises(CommandError) as hidden:
        call_command("export", "contacts", str(tmp_path / "x.csv"), "--user", "manager",
                     "--company", str(world["hidden"].pk))
    with pytest.raises(CommandError) as missing:
        call_command("export", "contacts", str(tmp_path / "x.csv"), "--user", "manager",
                     "--company", "999999")

    assert str(hidden.value) == str(missing.value)


def test_every_export_column_is_recognised_by_the_import_in_both_languages():
    """The headers of an export map back to the import fields they came from."""
    from partnera.clients.importing import COMPANY_IMPORT_FIELDS, CONTACT_IMPORT_FIELDS
    from partnera.imports.mapping import auto_map

    for language in ("en", "bg"):
        with translation.override(language):
            companies = exports.company_columns(confidential=True)
            contacts = exports.contact_columns()
            company_map = auto_map([c.header for c in companies], list(COMPANY_IMPORT_FIELDS))
            contact_map = auto_map([c.header for c in contacts], list(CONTACT_IMPORT_FIELDS))
        imported = {f.key for f in COMPANY_IMPORT_FIELDS}
        assert company_map == [c.key if c.key in imported else "" for c in companies]
        assert contact_map == [c.key for c in contacts]


def test_company_rows_match_the_model(world):
    """The row builder and the columns agree for every company (the service the views use)."""
    admin = world["admin"]
    rows = list(exports.company_rows(user=admin, batch=2))

    assert len(rows) == Company.objects.count()
    assert all(len(r) == len(exports.company_columns(confidential=True)) for r in rows)


# --- every role of the permission matrix -----------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "other_manager", "teammate_shared", "teammate_private",
                                  "kam_shared", "head_of_own_team", "head_of_other_team",
                                  "marketing", "department", "department_shared", "admin"])
def test_an_export_holds_a_record_exactly_when_the_role_may_see_it(role):
    from partnera.core.visibility import can_see_confidential
    from tests.test_permission_matrix import (
        CAPS,
        COMPANY_NAME,
        CONTACT_LAST,
        build_world,
        client_for,
        state,
    )

    world = build_world(role, credit_limit=Decimal("777.00"))
    visible = "read" in CAPS[role]
    client, heads = client_for(world)
    before = state()

    companies = read_csv(client.get(COMPANIES, **heads))
    workbook = list(read_xlsx(client.get(COMPANIES, {"format": "xlsx"}, **heads))
                    .iter_rows(values_only=True))
    contacts = read_csv(client.get(CONTACTS, **heads))
    cards = read_vcards(b"".join(client.get(CONTACTS, {"format": "vcf"}, **heads)
                                 .streaming_content))
    api = read_csv(Client().get(f"{API}/companies/export", **bearer(world.actor)))

    names = [[r[0] for r in rows[1:]] for rows in (companies, workbook, api)]
    assert names == [[COMPANY_NAME] if visible else []] * 3
    assert [r[1] for r in contacts[1:]] == ([CONTACT_LAST] if visible else [])
    assert [c["last_name"] for c in cards] == ([CONTACT_LAST] if visible else [])
    confidential = can_see_confidential(world.actor)
    for rows in (companies, workbook, api):
        assert ("Credit limit (EUR)" in rows[0]) is confidential
    assert ("777" in str(companies)) is (visible and confidential)
    assert state() == before
