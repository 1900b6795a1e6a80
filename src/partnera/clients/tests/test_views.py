"""The companies pages: list (filters, sorting, keyset pages, saved views, HTMX), company page,
create/edit with validation and version conflicts, delete, trash and restore, sharing."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import services
from partnera.clients.models import Company, SavedView, Stage, Tier
from partnera.clients.tests.factories import (
    CompanyFactory,
    ContactFactory,
    NoteFactory,
    TagFactory,
    valid_eik,
)
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state

pytestmark = pytest.mark.django_db

LIST = reverse("clients:company_list")
NEW = reverse("clients:company_create")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "company-results"}


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def detail_url(company) -> str:
    return reverse("clients:company_detail", args=[company.pk])


def edit_url(company) -> str:
    return reverse("clients:company_edit", args=[company.pk])


def row_names(html: str) -> list[str]:
    """The company names in the list's rows, in order."""
    return re.findall(r'<td class="primary"><a href="/clients/companies/\d+/">([^<]*)</a>', html)


def field_block(html: str, name: str) -> str:
    """The HTML of one form field's block (label, input, errors)."""
    start = html.rindex('<div class="field', 0, html.index(f'id="field-{name}"'))
    end = html.find('<div class="field', start + 10)
    return html[start:end if end != -1 else None]


# --- list ----------------------------------------------------------------------------------------

def test_list_shows_only_visible_companies_with_their_columns(logged_in, manager, other_manager):
    tag = TagFactory(name="ключов")
    own = CompanyFactory(legal_name="Алфа", owner=manager, city="Пловдив", stage=Stage.DORMANT,
                         tier=Tier.KEY_ACCOUNT)
    own.tags.add(tag)
    CompanyFactory(legal_name="Чужда", owner=other_manager)

    response = logged_in(manager).get(LIST)

    assert response.status_code == 200
    html = response.content.decode()
    assert row_names(html) == ["Алфа"]
    assert f'<td class="hide-sm mono">{own.eik}</td>' in html
    assert '<td class="hide-sm">Пловдив</td>' in html
    assert '<span class="badge badge-dormant">Dormant</span>' in html
    assert '<span class="badge badge-key_account">Key account</span>' in html
    assert '<span class="tag">ключов</span>' in html
    assert str(manager) in html
    assert "Чужда" not in html
    assert "1 company" in html


def test_list_needs_login(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_search_and_filters_narrow_the_list(logged_in, manager):
    tag = TagFactory(name="износ")
    CompanyFactory(legal_name="Алфа Трейд", owner=manager, stage=Stage.ACTIVE, city="Варна",
                   region="Варна")
    beta = CompanyFactory(legal_name="Бета Трейд", owner=manager, stage=Stage.PROSPECT,
                          region="Русе", industry="Логистика")
    beta.tags.add(tag)
    CompanyFactory(legal_name="Гама", owner=manager, stage=Stage.LOST)
    client = logged_in(manager)

    assert row_names(client.get(LIST, {"q": "трейд"}).content.decode()) == ["Алфа Трейд", "Бета Трейд"]
    assert row_names(client.get(LIST, {"stage": ["prospect", "lost"]}).content.decode()) == [
        "Бета Трейд", "Гама"]
    assert row_names(client.get(LIST, {"tag": tag.pk}).content.decode()) == ["Бета Трейд"]
    assert row_names(client.get(LIST, {"region": "Варна"}).content.decode()) == ["Алфа Трейд"]
    assert row_names(client.get(LIST, {"industry": "логистика"}).content.decode()) == ["Бета Трейд"]
    assert row_names(client.get(LIST, {"owner": manager.pk, "q": "гама"}).content.decode()) == ["Гама"]


def test_filter_checkboxes_keep_the_chosen_values_and_labels_follow_the_language(logged_in,
                                                                                  manager):
    """The filter bar writes its checkboxes itself and the rows' labels come from a cache built
    once per field: both must still be right for each request's choices and language."""
    CompanyFactory(legal_name="Алфа", owner=manager, stage=Stage.PROSPECT, tier=Tier.KEY_ACCOUNT)
    client = logged_in(manager)

    html = client.get(LIST, {"stage": ["prospect", "lost"]}).content.decode()
    stages = dict(re.findall(r'<input type="checkbox" name="stage" value="(\w+)" '
                             r'id="id_stage_\d+"( checked)?>', html))
    assert set(stages) == set(Stage.values)
    assert {value for value, checked in stages.items() if checked} == {"prospect", "lost"}
    assert '<span class="badge badge-prospect">Prospect</span>' in html

    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "bg"
    html = client.get(LIST).content.decode()
    assert '<span class="badge badge-prospect">Потенциален клиент</span>' in html
    assert 'name="tier" value="key_account" id="id_tier_2"> <span>Ключов клиент</span>' in html
    assert "checked" not in html.split('id="company-filter-extra"')[1].split("</form>")[0]


def test_unknown_filter_values_are_ignored_not_an_error(logged_in, manager):
    CompanyFactory(legal_name="Алфа", owner=manager)

    response = logged_in(manager).get(LIST, {"stage": "nonsense", "owner": "x", "sort": "evil",
                                             "cursor": "%%%"})

    assert response.status_code == 200
    assert row_names(response.content.decode()) == ["Алфа"]


def test_sorting_by_header_links(logged_in, manager):
    for name, city in [("Бета", "Русе"), ("Алфа", "Шумен"), ("Вега", "Бургас")]:
        CompanyFactory(legal_name=name, owner=manager, city=city)
    client = logged_in(manager)

    html = client.get(LIST).content.decode()
    assert row_names(html) == ["Алфа", "Бета", "Вега"]
    assert '<a href="?sort=-name">Name' in html
    assert row_names(client.get(LIST, {"sort": "-name"}).content.decode()) == ["Вега", "Бета", "Алфа"]
    assert row_names(client.get(LIST, {"sort": "city"}).content.decode()) == ["Вега", "Бета", "Алфа"]


def test_keyset_pages_walk_forward_and_back(logged_in, manager):
    for i in range(55):
        CompanyFactory(legal_name=f"Фирма {i:03d}", owner=manager)
    client = logged_in(manager)

    first = client.get(LIST).content.decode()
    assert len(row_names(first)) == 50
    assert row_names(first)[0] == "Фирма 000"
    next_href = re.search(r'href="\?([^"]*)" rel="next"', first).group(1).replace("&amp;", "&")
    second = client.get(LIST + "?" + next_href).content.decode()
    assert row_names(second) == [f"Фирма {i:03d}" for i in range(50, 55)]
    assert 'rel="next"' not in second
    prev_href = re.search(r'href="\?([^"]*)" rel="prev"', second).group(1).replace("&amp;", "&")
    back = client.get(LIST + "?" + prev_href).content.decode()
    assert row_names(back) == row_names(first)


def test_count_is_bounded_and_says_more_than_1000(logged_in, manager):
    Company.objects.bulk_create([
        CompanyFactory.build(legal_name=f"Фирма {i}", eik="", owner=manager, team=manager.team)
        for i in range(1001)
    ])

    html = logged_in(manager).get(LIST).content.decode()

    assert "more than 1000 companies" in html


def test_htmx_filter_request_answers_only_the_results_partial(logged_in, manager):
    CompanyFactory(legal_name="Алфа", owner=manager, stage=Stage.ACTIVE)
    CompanyFactory(legal_name="Бета", owner=manager, stage=Stage.LOST)

    response = logged_in(manager).get(LIST, {"stage": "lost", "sort": "-name"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and 'id="company-filters"' not in html
    assert row_names(html) == ["Бета"]
    # The sort control outside the swapped area is kept in step (out-of-band swap).
    assert '<select name="sort" id="filter-sort" hx-swap-oob="true">' in html
    assert '<option value="-name" selected>' in html
    # The save-view form carries the current filters.
    assert 'name="query" value="stage=lost&amp;sort=-name"' in html


def test_full_page_carries_the_htmx_wiring(logged_in, manager):
    html = logged_in(manager).get(LIST).content.decode()

    assert 'hx-get="/clients/companies/" hx-target="#company-results"' in html
    assert 'hx-push-url="true"' in html
    assert 'id="company-results"' in html
    assert "hx-swap-oob" not in html


def test_history_restore_request_gets_the_full_page(logged_in, manager):
    response = logged_in(manager).get(LIST, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.content.decode()


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _company_with_everything(owner, n):
    company = CompanyFactory(legal_name=f"Фирма {n:03d}", owner=owner)
    company.tags.add(TagFactory(name=f"таг-{n}"), TagFactory(name="общ"))
    return company


def test_list_query_count_is_constant_as_rows_grow(logged_in, manager, make_user):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    client = logged_in(manager)
    for n in range(3):
        _company_with_everything(colleague if n % 2 else manager, n)
    services.saved_view_create(actor=manager, list_name="companies", name="A", query="stage=active")
    three = _list_queries(client)
    for n in range(3, 30):
        _company_with_everything(colleague if n % 2 else manager, n)
    thirty = _list_queries(client)

    assert len(row_names(client.get(LIST).content.decode())) == 30
    assert three == thirty


# --- saved views ---------------------------------------------------------------------------------

def test_saved_view_create_list_and_delete(logged_in, manager):
    client = logged_in(manager)

    response = client.post(reverse("clients:saved_view_create"),
                           {"name": "Загубени", "query": "stage=lost&cursor=abc&evil=1"})

    assert response.status_code == 302
    assert response["Location"] == LIST + "?stage=lost"
    view = SavedView.objects.get(user=manager)
    assert (view.name, view.query, view.list_name) == ("Загубени", "stage=lost", "companies")
    html = client.get(LIST, {"stage": "lost"}).content.decode()
    assert f'<a href="{LIST}?stage=lost">Загубени</a>' in html
    assert "chip chip-active" in html

    response = client.post(reverse("clients:saved_view_delete", args=[view.pk]))

    assert response.status_code == 302
    assert not SavedView.objects.exists()


def test_saved_view_without_a_name_is_refused(logged_in, manager):
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:saved_view_create"), {"name": " ", "query": "tier=corporate"},
                           follow=True)

    assert "Give the view a name." in response.content.decode()
    assert db_state() == before


def test_someone_elses_saved_view_cannot_be_deleted(logged_in, manager, other_manager):
    theirs = services.saved_view_create(actor=other_manager, list_name="companies", name="Мои",
                                        query="")
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:saved_view_delete", args=[theirs.pk]))

    assert response.status_code == 404
    assert db_state() == before


def test_saved_view_delete_is_post_only(logged_in, manager):
    view = services.saved_view_create(actor=manager, list_name="companies", name="X", query="")
    response = logged_in(manager).get(reverse("clients:saved_view_delete", args=[view.pk]))
    assert response.status_code == 405
    assert SavedView.objects.filter(pk=view.pk).exists()


# --- company page --------------------------------------------------------------------------------

def test_company_page_shows_details_contacts_notes_and_timeline(logged_in, manager):
    company = services.company_create(actor=manager, data={
        "legal_name": "Алфа Трейд", "legal_form": "OOD", "eik": valid_eik(1), "city": "Русе",
        "phones": "0888 123 456", "emails": "office@alfa.bg", "stage": "active",
        "tags": "износ"})
    services.company_update(actor=manager, company=company, data={"city": "Варна"},
                            expected_version=company.version)
    ContactFactory(company=company, first_name="Мария", last_name="Иванова")
    services.note_create(actor=manager, company=company, data={"body": "Обсъдихме цените."})

    response = logged_in(manager).get(detail_url(company))

    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Алфа Трейд" in html
    assert '<span class="badge badge-active">Active client</span>' in html
    assert "+359 88 812 3456" in html
    assert 'href="mailto:office@alfa.bg"' in html
    assert "Мария Иванова" in html
    assert "Обсъдихме цените." in html
    # The timeline shows the change with its before and after values.
    assert '<span class="field-name">City</span>: <del>Русе</del> → <ins>Варна</ins>' in html
    assert 'data-confirm="Move this company to the trash?' in html


def test_confidential_fields_only_for_roles_with_the_right(logged_in, manager, head_of_sales):
    company = CompanyFactory(owner=manager, credit_terms="Авансово плащане", credit_limit=15000)

    manager_html = logged_in(manager).get(detail_url(company)).content.decode()
    head_html = logged_in(head_of_sales).get(detail_url(company)).content.decode()

    assert "Авансово плащане" not in manager_html and "Credit and finance" not in manager_html
    assert "Авансово плащане" in head_html
    assert "15,000.00 EUR" in head_html


def test_invisible_parent_is_not_shown(logged_in, manager, other_manager):
    hidden_parent = CompanyFactory(legal_name="Тайна Холдинг", owner=other_manager)
    visible_parent = CompanyFactory(legal_name="Майка ООД", owner=manager)
    child = CompanyFactory(owner=manager, parent=hidden_parent, referred_by=visible_parent)

    html = logged_in(manager).get(detail_url(child)).content.decode()

    assert "Тайна Холдинг" not in html
    assert "Майка ООД" in html


def test_company_of_another_manager_answers_404_everywhere(logged_in, manager, other_manager):
    theirs = CompanyFactory(owner=other_manager)
    client = logged_in(manager)
    before = db_state()

    for url in [detail_url(theirs), edit_url(theirs),
                reverse("clients:company_timeline", args=[theirs.pk])]:
        assert client.get(url).status_code == 404, url
    for name in ["company_edit", "company_delete", "company_share", "note_create",
                 "attachment_upload"]:
        response = client.post(reverse(f"clients:{name}", args=[theirs.pk]),
                                {"legal_name": "Хакната", "body": "x", "user": manager.pk})
        assert response.status_code == 404, name
    after = db_state()
    assert after.pop("audit_entries") > before.pop("audit_entries")  # the denied accesses
    assert after == before
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ACCESS_DENIED,
                                     object_id=str(theirs.pk)).exists()


def test_timeline_older_entries_load_on_demand(logged_in, manager):
    company = CompanyFactory(owner=manager)
    for i in range(35):
        services.note_create(actor=manager, company=company, data={"body": f"бележка {i}"})
    client = logged_in(manager)

    html = client.get(detail_url(company)).content.decode()
    more = re.search(r'href="(/clients/companies/\d+/timeline/\?before=[^"]+)"', html).group(1)
    older = client.get(more.replace("&amp;", "&"), HTTP_HX_REQUEST="true").content.decode()

    timeline = html.split('id="timeline-card"')[1]
    assert "бележка 34" in timeline and "бележка 4<" not in timeline
    assert "бележка 0</div>" in older
    assert "<html" not in older


# --- create --------------------------------------------------------------------------------------

def company_post(**overrides) -> dict:
    data = {"legal_name": "Нова Фирма", "legal_form": "EOOD", "eik": valid_eik(42),
            "vat_number": "", "industry": "Строителство", "size": "small", "country": "BG",
            "region": "Пловдив", "city": "Пловдив", "registered_address": "ул. Главна 1",
            "postal_address": "", "website": "nova.bg", "phones": "032 123 456\n0888 123 456",
            "emails": "office@nova.bg", "stage": "prospect", "tier": "standard",
            "source": "fair", "referred_by": "", "parent": "", "tags": "строителство, юг"}
    data.update(overrides)
    return data


def test_create_company_happy_path(logged_in, manager):
    response = logged_in(manager).post(NEW, company_post())

    company = Company.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail_url(company)
    assert company.legal_name == "Нова Фирма"
    assert company.owner == manager and company.team == manager.team
    assert company.phones == ["+35932123456", "+359888123456"]
    assert company.website == "https://nova.bg"
    assert sorted(t.name for t in company.tags.all()) == ["строителство", "юг"]
    assert AuditEntry.objects.get(action="create", object_type="clients.company").channel == "web"


def test_invalid_eik_shows_the_error_next_to_the_field_and_keeps_the_input(logged_in, manager):
    client = logged_in(manager)
    before = db_state()

    response = client.post(NEW, company_post(eik="123456780", legal_name="Моята <Фирма>"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "This EIK/BULSTAT fails its check digit." in field_block(html, "eik")
    assert "has-error" in field_block(html, "eik")
    assert 'value="123456780"' in field_block(html, "eik")
    assert 'value="Моята &lt;Фирма&gt;"' in html
    assert "ул. Главна 1" in html
    assert db_state() == before

    response = client.post(NEW, company_post(legal_name="Моята <Фирма>"))

    assert response.status_code == 302
    assert Company.objects.get().eik == valid_eik(42)


def test_several_bad_fields_are_all_shown(logged_in, manager):
    client = logged_in(manager)
    before = db_state()

    response = client.post(NEW, company_post(phones="12", emails="not-an-email",
                                                         website="http://"))

    html = response.content.decode()
    assert response.status_code == 400
    assert "is not a valid phone number" in field_block(html, "phones") or \
        "is not a phone number" in field_block(html, "phones")
    assert "is not an e-mail address" in field_block(html, "emails")
    assert field_block(html, "website").count('class="error"') == 1
    assert db_state() == before


def test_missing_legal_name_is_a_form_error(logged_in, manager):
    client = logged_in(manager)
    before = db_state()
    response = client.post(NEW, company_post(legal_name=""))
    assert response.status_code == 400
    assert "This field is required." in field_block(response.content.decode(), "legal_name")
    assert db_state() == before


def test_duplicate_eik_is_refused_naming_the_visible_holder(logged_in, manager):
    CompanyFactory(legal_name="Първа", owner=manager, eik=valid_eik(42))
    client = logged_in(manager)
    before = db_state()

    response = client.post(NEW, company_post())

    assert response.status_code == 400
    assert "“Първа” already has this EIK." in field_block(response.content.decode(), "eik")
    assert db_state() == before


def test_manager_form_has_no_owner_team_or_confidential_fields(logged_in, manager, head_of_sales):
    manager_html = logged_in(manager).get(NEW).content.decode()
    head_html = logged_in(head_of_sales).get(NEW).content.decode()

    for name in ["owner", "team", "credit_limit", "financial_notes"]:
        assert f'name="{name}"' not in manager_html
        assert f'name="{name}"' in head_html


def test_manager_cannot_smuggle_owner_or_confidential_values(logged_in, manager, other_manager):
    response = logged_in(manager).post(NEW, company_post(owner=other_manager.pk,
                                                         credit_terms="Кредит 90 дни"))

    company = Company.objects.get()
    assert response.status_code == 302
    assert company.owner == manager
    assert company.credit_terms == ""


def test_head_of_sales_assigns_owner_and_sets_confidential_fields(logged_in, head_of_sales, manager):
    response = logged_in(head_of_sales).post(NEW, company_post(
        owner=manager.pk, team=manager.team_id, credit_limit="15 000,50", payment_terms_days="30"))

    company = Company.objects.get()
    assert response.status_code == 302
    assert company.owner == manager
    assert str(company.credit_limit) == "15000.50"
    assert company.payment_terms_days == 30


def test_inline_check_of_eik(logged_in, manager, other_manager):
    CompanyFactory(owner=other_manager, eik=valid_eik(7))
    client = logged_in(manager)
    check = reverse("clients:company_check")

    bad = client.get(check, {"eik": "123"}, HTTP_HX_REQUEST="true").content.decode()
    good = client.get(check, {"eik": valid_eik(8)}, HTTP_HX_REQUEST="true").content.decode()
    taken = client.get(check, {"eik": valid_eik(7)}, HTTP_HX_REQUEST="true").content.decode()

    assert 'id="field-eik"' in bad and "An EIK/BULSTAT has 9 or 13 digits." in bad
    assert 'value="123"' in bad
    assert 'class="error"' not in good
    assert "A company with this EIK is already in the client base." in taken
    assert "hx-get" in good  # the re-rendered field keeps checking


def test_company_picker_autocomplete_offers_visible_companies_only(logged_in, manager, other_manager):
    CompanyFactory(legal_name="Алфа Видима", owner=manager)
    CompanyFactory(legal_name="Алфа Скрита", owner=other_manager)

    html = logged_in(manager).get(reverse("clients:company_autocomplete"),
                                  {"parent_label": "алфа"}).content.decode()

    assert 'data-label="Алфа Видима"' in html
    assert "Скрита" not in html


# --- edit ----------------------------------------------------------------------------------------

def test_edit_form_is_prefilled_with_version_tags_and_phones(logged_in, manager):
    company = services.company_create(actor=manager, data={
        "legal_name": "Алфа", "phones": "0888123456", "tags": "б, а"})

    html = logged_in(manager).get(edit_url(company)).content.decode()

    assert f'name="version" value="{company.version}"' in html
    assert "+359 88 812 3456</textarea>" in html
    assert 'value="а, б"' in html


def test_edit_saves_changes(logged_in, manager):
    company = services.company_create(actor=manager, data={"legal_name": "Алфа"})
    data = company_post(legal_name="Алфа Нова", version=company.version)

    response = logged_in(manager).post(edit_url(company), data)

    company.refresh_from_db()
    assert response.status_code == 302
    assert company.legal_name == "Алфа Нова"
    assert company.version == 2


def test_stale_version_shows_the_conflict_and_changes_nothing(logged_in, manager, head_of_sales):
    company = services.company_create(actor=manager, data={"legal_name": "Алфа"})
    stale = company.version
    services.company_update(actor=head_of_sales, company=Company.objects.get(pk=company.pk),
                            data={"city": "Бургас"}, expected_version=stale)
    client = logged_in(manager)
    before = db_state()

    response = client.post(edit_url(company),
                                       company_post(legal_name="Моето име", version=stale))

    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else changed this record after you opened it." in html
    assert 'value="Моето име"' in html
    assert db_state() == before
    assert Company.objects.get(pk=company.pk).city == "Бургас"


def test_edit_with_a_bad_field_keeps_the_header_and_changes_nothing(logged_in, manager):
    company = services.company_create(actor=manager, data={"legal_name": "Алфа"})
    client = logged_in(manager)
    before = db_state()

    response = client.post(edit_url(company), company_post(
        legal_name="Ново име", eik="999", version=company.version))

    html = response.content.decode()
    assert response.status_code == 400
    assert f'<a href="{detail_url(company)}">Алфа</a>' in html
    assert 'value="Ново име"' in html
    assert db_state() == before


def test_marketing_may_read_but_not_edit(logged_in, manager, make_user):
    company = CompanyFactory(owner=manager)
    marketing = make_user(Role.MARKETING)
    client = logged_in(marketing)
    before = db_state()

    assert client.get(detail_url(company)).status_code == 200
    assert client.get(edit_url(company)).status_code == 403
    assert client.post(edit_url(company), company_post(version=1)).status_code == 403
    assert db_state() == before


# --- delete, trash, restore ----------------------------------------------------------------------

def test_delete_moves_to_trash_and_restore_brings_back(logged_in, manager):
    company = CompanyFactory(legal_name="Алфа", owner=manager)
    client = logged_in(manager)

    response = client.post(reverse("clients:company_delete", args=[company.pk]))

    assert response.status_code == 302
    assert Company.all_objects.get(pk=company.pk).deleted_at is not None
    assert row_names(client.get(LIST).content.decode()) == []
    assert client.get(detail_url(company)).status_code == 404
    trash = client.get(reverse("clients:company_trash")).content.decode()
    assert "Алфа" in trash and "Restore" in trash

    response = client.post(reverse("clients:company_restore", args=[company.pk]))

    assert response.status_code == 302
    assert response["Location"] == detail_url(company)
    assert Company.objects.filter(pk=company.pk).exists()
    assert list(AuditEntry.objects.filter(object_type="clients.company", object_id=str(company.pk))
                .order_by("id").values_list("action", flat=True)) == ["delete", "restore"]


def test_delete_is_post_only(logged_in, manager):
    company = CompanyFactory(owner=manager)
    response = logged_in(manager).get(reverse("clients:company_delete", args=[company.pk]))
    assert response.status_code == 405
    assert Company.objects.filter(pk=company.pk).exists()


def test_restore_refused_when_the_eik_was_taken_meanwhile(logged_in, manager):
    old = CompanyFactory(owner=manager, eik=valid_eik(5))
    services.company_delete(actor=manager, company=old)
    CompanyFactory(owner=manager, eik=valid_eik(5))
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:company_restore", args=[old.pk]), follow=True)

    assert "Another company now has this EIK" in response.content.decode()
    assert db_state() == before


def test_trash_lists_only_visible_deleted_companies(logged_in, manager, other_manager):
    mine = CompanyFactory(legal_name="Моя", owner=manager)
    theirs = CompanyFactory(legal_name="Чужда", owner=other_manager)
    services.company_delete(actor=manager, company=mine)
    services.company_delete(actor=other_manager, company=theirs)
    client = logged_in(manager)
    before = db_state()

    html = client.get(reverse("clients:company_trash")).content.decode()
    response = client.post(reverse("clients:company_restore", args=[theirs.pk]))

    assert "Моя" in html and "Чужда" not in html
    assert response.status_code == 404
    assert db_state() == before


def test_team_colleague_sees_but_may_not_delete(logged_in, manager, make_user):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=manager.team)
    company = CompanyFactory(owner=manager)
    client = logged_in(colleague)
    before = db_state()

    html = client.get(detail_url(company)).content.decode()
    response = client.post(reverse("clients:company_delete", args=[company.pk]))

    assert "Move this company to the trash" not in html
    assert response.status_code == 403
    assert db_state() == before


# --- sharing -------------------------------------------------------------------------------------

def test_share_and_unshare_with_a_user(logged_in, manager, other_manager):
    company = CompanyFactory(legal_name="Споделена", owner=manager)
    client = logged_in(manager)

    response = client.post(reverse("clients:company_share", args=[company.pk]),
                           {"user": other_manager.pk})

    assert response.status_code == 302
    assert RecordShare.objects.filter(record_id=company.pk, user=other_manager).exists()
    assert row_names(logged_in(other_manager).get(LIST).content.decode()) == ["Споделена"]

    client = logged_in(manager)
    response = client.post(reverse("clients:company_unshare", args=[company.pk, other_manager.pk]))

    assert response.status_code == 302
    assert not RecordShare.objects.exists()


def test_share_without_choosing_a_user_shows_an_error(logged_in, manager):
    company = CompanyFactory(owner=manager)
    client = logged_in(manager)
    before = db_state()

    response = client.post(reverse("clients:company_share", args=[company.pk]),
                                       {"user": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert db_state() == before


# --- start page ----------------------------------------------------------------------------------

def test_start_page_shows_recent_clients_and_notes(logged_in, manager, other_manager):
    company = CompanyFactory(legal_name="Свежа", owner=manager)
    NoteFactory(company=company, body="Обадете се в петък")
    CompanyFactory(legal_name="Чужда", owner=other_manager)

    html = logged_in(manager).get(reverse("home")).content.decode()

    assert "Recently changed clients" in html and "Свежа" in html
    assert "Обадете се в петък" in html
    assert "Чужда" not in html


def test_pager_links_keep_the_filters(logged_in, manager):
    for i in range(51):
        CompanyFactory(legal_name=f"Ф {i:02d}", owner=manager, stage=Stage.ACTIVE)

    html = logged_in(manager).get(LIST, {"stage": "active"}).content.decode()

    href = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    params = parse_qs(urlparse("?" + href).query)
    assert params["stage"] == ["active"] and "cursor" in params
