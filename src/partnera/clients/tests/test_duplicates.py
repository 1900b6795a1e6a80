"""Likely duplicates: detection (both scripts, legal forms, VAT vs EIK, phones, e-mails, domains,
similar names and the city), visibility (a hidden company is never revealed), the warning before
saving (service, web form, API, the check as you leave a field), the finder and "not duplicates"."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import duplicates, merge, services
from partnera.clients.duplicates import (
    PossibleDuplicate,
    company_name_key,
    match_company,
    match_company_rows,
)
from partnera.clients.models import Company, Contact, DuplicateDismissal, DuplicatePair
from partnera.clients.tests.factories import valid_eik
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

EIK = "175074752"


def create(actor, **data):
    """A company through the service (keys and pairs kept), saved even if it looks duplicate."""
    return services.company_create(actor=actor, data=data, allow_duplicate=True)


def names(matches) -> list[str]:
    return [m.legal_name for m in matches]


def codes(match) -> list[str]:
    return [r.code for r in match.reasons]


# --- the name key --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["«Алфа» ООД", '"Алфа" ООД', "Alfa Ltd", "ALFA OOD", "Алфа - ЕООД",
                                  "Alfa Ltd.", "АЛФА АД", "фирма „Алфа“", "Alpha LLC", "Alfa GmbH",
                                  "ЕТ „Алфа“", "Alfa S.A.", "Алфа АДСИЦ", "alfa, Inc."])
def test_legal_forms_quotes_case_and_script_are_ignored(name):
    assert company_name_key(name) == "alfa"


def test_name_key_keeps_what_tells_companies_apart():
    assert company_name_key("Балкан Транс 2000 ЕООД") == "balkan trans 2000"
    assert company_name_key("Алфа Строй") == "alfa stroi"
    assert company_name_key("Alfa Stroy Ltd") == "alfa stroi"
    assert company_name_key("Бета Строй") != company_name_key("Алфа Строй")
    assert company_name_key("ООД") == "od"  # nothing but a legal form: kept rather than empty


# --- detection -------------------------------------------------------------------------------------

def test_same_name_in_the_other_script_is_a_strong_match(admin_user):
    existing = create(admin_user, legal_name="Алфа", legal_form="OOD", city="София")

    found = match_company({"legal_name": "Alfa Ltd", "city": "Sofia"}, user=admin_user)

    assert [m.company_id for m in found] == [existing.pk]
    assert codes(found[0]) == ["name", "city"]
    assert found[0].score == 82  # 75 and 30 combined: 1 − 0.25 × 0.70
    assert found[0].texts() == [
        "Same name once legal form, quotes and script are ignored (“alfa”)",
        "In the same city, София"]


def test_mixed_script_name_matches(admin_user):
    existing = create(admin_user, legal_name="Зора Фарма")

    found = match_company({"legal_name": "ZORA Фарма ЕООД"}, user=admin_user)

    assert [m.company_id for m in found] == [existing.pk]
    assert found[0].score == 75


def test_vat_number_matches_the_eik(admin_user):
    existing = create(admin_user, legal_name="Сигма Софт", eik=EIK)

    by_vat = match_company({"legal_name": "Съвсем друго име", "vat_number": f"BG{EIK}"},
                           user=admin_user)
    by_eik = match_company({"legal_name": "Друго", "eik": EIK}, user=admin_user)
    typed = match_company({"legal_name": "Друго", "vat_number": "bg 175 074 752"}, user=admin_user)

    assert [(m.company_id, m.score, codes(m)) for m in by_vat] == [(existing.pk, 100, ["vat_eik"])]
    assert by_vat[0].texts() == [f"VAT number and EIK match ({EIK})"]
    assert [(m.company_id, m.score, codes(m)) for m in by_eik] == [(existing.pk, 100, ["eik"])]
    assert [m.company_id for m in typed] == [existing.pk]


def test_eik_of_a_company_that_has_only_a_vat_number(admin_user):
    existing = create(admin_user, legal_name="Сигма", vat_number=f"BG{EIK}")

    found = match_company({"legal_name": "Нещо", "eik": EIK}, user=admin_user)

    assert [(m.company_id, codes(m)) for m in found] == [(existing.pk, ["vat_eik"])]


@pytest.mark.parametrize("typed", ["0888 123 456", "+359 888 123 456", "00359888123456",
                                   "(0888) 12-34-56", "+359888123456"])
def test_phone_in_any_format(admin_user, typed):
    existing = create(admin_user, legal_name="Орбита Транс", phones=["+359888123456"])

    found = match_company({"legal_name": "Съвсем различно", "phones": [typed]}, user=admin_user)

    assert [(m.company_id, m.score, codes(m)) for m in found] == [(existing.pk, 70, ["phone"])]
    assert found[0].texts() == ["Same phone +359 88 812 3456"]


def test_same_email(admin_user):
    existing = create(admin_user, legal_name="Орбита", emails=["office@orbita.bg"])

    found = match_company({"legal_name": "Друга", "emails": ["Office@Orbita.BG"]}, user=admin_user)

    assert [(m.company_id, m.score, codes(m)) for m in found] == [(existing.pk, 80, ["email"])]


def test_a_shared_domain_is_a_weak_reason(admin_user):
    existing = create(admin_user, legal_name="Хоризонт Логистик", emails=["office@horizont.bg"])

    alone = match_company({"legal_name": "Нещо Друго", "emails": ["sales@horizont.bg"]},
                          user=admin_user)
    with_name = match_company({"legal_name": "Horizont Logistic", "emails": ["sales@horizont.bg"]},
                              user=admin_user)

    assert alone == []  # 30 points: below the threshold
    assert [(m.company_id, codes(m)) for m in with_name] == [
        (existing.pk, ["domain", "similar_name"])]
    assert with_name[0].score > 50


def test_a_public_mail_domain_is_no_reason(admin_user):
    create(admin_user, legal_name="Хоризонт Логистик", emails=["horizont@gmail.com"])

    found = match_company({"legal_name": "Horizont Logistic", "emails": ["other@gmail.com"]},
                          user=admin_user)

    assert [codes(m) for m in found] == [["similar_name"]]


def test_similar_name_is_weaker_and_the_same_city_boosts_it(admin_user):
    existing = create(admin_user, legal_name="Родопа Млечни Продукти", city="Смолян")

    elsewhere = match_company({"legal_name": "Rodopa Mlechni Produkt", "city": "Пловдив"},
                              user=admin_user)
    same_city = match_company({"legal_name": "Rodopa Mlechni Produkt", "city": "Smolyan"},
                              user=admin_user)

    assert [(m.company_id, codes(m)) for m in elsewhere] == [(existing.pk, ["similar_name"])]
    assert [(m.company_id, codes(m)) for m in same_city] == [(existing.pk, ["similar_name", "city"])]
    assert 50 <= elsewhere[0].score < same_city[0].score < 90


@pytest.mark.parametrize(("existing", "typed"), [
    ("Алфа Строй", "Бета Строй"),
    ("Алфа 2000", "Алфа 97"),
    ("Вита", "Вито"),
    ("Агро Инвест", "Агро Инвест Плюс"),
    ("Балкан Трейд", "Балкан Транс"),
])
def test_different_companies_with_common_words_do_not_match(admin_user, existing, typed):
    create(admin_user, legal_name=existing, city="София")

    assert match_company({"legal_name": typed, "city": "София"}, user=admin_user) == []


def test_different_eiks_are_different_companies_whatever_else_they_share(admin_user):
    create(admin_user, legal_name="Алфа", eik=valid_eik(1), phones=["+359888123456"],
           emails=["office@alfa.bg"])

    found = match_company({"legal_name": "Алфа", "eik": valid_eik(2), "phones": ["0888123456"],
                           "emails": ["office@alfa.bg"]}, user=admin_user)

    assert found == []


def test_reasons_combine_and_best_match_first(admin_user):
    strong = create(admin_user, legal_name="Кристал", phones=["+359888111222"],
                    emails=["office@kristal.bg"], city="Варна")
    weak = create(admin_user, legal_name="Kristall", city="Русе")

    found = match_company({"legal_name": "Кристал", "phones": ["0888 111 222"],
                           "emails": ["office@kristal.bg"], "city": "Варна"}, user=admin_user)

    assert [m.company_id for m in found] == [strong.pk, weak.pk]
    assert codes(found[0]) == ["email", "phone", "name", "city"]
    assert found[0].score == 99  # 1 − 0.2 × 0.3 × 0.25 × 0.7 = 0.9895
    assert codes(found[1]) == ["name"]


def test_deleted_companies_are_not_matched(admin_user):
    gone = create(admin_user, legal_name="Полет", phones=["+359888123456"])
    services.company_delete(actor=admin_user, company=gone)

    assert match_company({"legal_name": "Полет", "phones": ["0888123456"]}, user=admin_user) == []


def test_a_value_shared_by_very_many_companies_is_no_identity(admin_user, settings):
    for n in range(duplicates.COMMON_KEY + 1):
        create(admin_user, legal_name=f"Клон {n} Сигма", phones=["+35929001234"], eik=valid_eik(n))

    assert match_company({"legal_name": "Нещо", "phones": ["02 900 1234"]}, user=admin_user) == []


# --- batches for the importer ----------------------------------------------------------------------

def test_rows_are_matched_in_a_few_queries(admin_user):
    a = create(admin_user, legal_name="Алфа Трейд", eik=valid_eik(1))
    b = create(admin_user, legal_name="Бета", phones=["+359888000001"])
    c = create(admin_user, legal_name="Гама", emails=["office@gama.bg"])
    rows = [
        {"legal_name": "Alfa Treid", "eik": valid_eik(1), "vat_number": "", "emails": [],
         "phones": [], "city": ""},
        {"legal_name": "Нова", "eik": "", "vat_number": "", "emails": [],
         "phones": ["+359888000001"], "city": ""},
        {"legal_name": "Нищо общо", "eik": "", "vat_number": "", "emails": [], "phones": [],
         "city": ""},
        {"legal_name": "X", "eik": "", "vat_number": "", "emails": ["office@gama.bg"],
         "phones": [], "city": ""},
    ] * 300

    with CaptureQueriesContext(connection) as ctx:
        found = match_company_rows(rows, user=admin_user)

    assert len(ctx.captured_queries) <= 6
    assert [[m.company_id for m in row] for row in found[:4]] == [[a.pk], [b.pk], [], [c.pk]]
    assert len(found) == 1200


# --- visibility --------------------------------------------------------------------------------------

@pytest.fixture
def hidden(other_manager):
    """A company the manager may not see, owned by a manager of another team."""
    return create(other_manager, legal_name="Скрита Фирма", phones=["+359888777666"],
                  emails=["office@skrita.bg"], eik=EIK)


def test_a_hidden_company_is_never_matched(manager, hidden):
    assert match_company({"legal_name": "Скрита Фирма", "phones": ["0888777666"],
                          "emails": ["office@skrita.bg"]}, user=manager) == []
    assert match_company_rows([{"legal_name": "Скрита", "eik": "", "vat_number": "",
                                "emails": ["office@skrita.bg"], "phones": [], "city": ""}],
                              user=manager) == [[]]


def test_create_does_not_reveal_a_hidden_duplicate(manager, hidden):
    company = services.company_create(actor=manager, data={
        "legal_name": "Скрита Фирма", "phones": "0888 777 666", "emails": "office@skrita.bg"})

    assert company.owner == manager  # saved: nothing the manager may see looked the same


def test_a_hidden_eik_holder_is_still_refused_without_its_name(manager, hidden):
    before = db_state()
    with pytest.raises(services.ValidationFailed) as caught:
        services.company_create(actor=manager, data={"legal_name": "Нова", "eik": EIK})

    assert caught.value.fields == {"eik": ["A company with this EIK is already in the client base."]}
    assert db_state() == before


# --- the warning before saving: the service ---------------------------------------------------------

def test_create_refuses_a_likely_duplicate_and_changes_nothing(manager):
    existing = create(manager, legal_name="Алфа", phones=["+359888123456"])
    before = db_state()

    with pytest.raises(PossibleDuplicate) as caught:
        services.company_create(actor=manager, data={"legal_name": "Alfa Ltd"})

    assert caught.value.code == "possible_duplicate"
    assert [m.company_id for m in caught.value.matches] == [existing.pk]
    assert db_state() == before


def test_create_anyway_saves_and_the_pair_is_found(manager):
    existing = create(manager, legal_name="Алфа")

    company = services.company_create(actor=manager, data={"legal_name": "Alfa Ltd"},
                                      allow_duplicate=True)

    pair = DuplicatePair.objects.get()
    assert (pair.company_a_id, pair.company_b_id) == (existing.pk, company.pk)
    assert pair.score == 75
    assert pair.reasons == [{"code": "name", "value": "alfa", "points": 75}]


def test_keys_follow_updates_and_deletes(manager):
    a = create(manager, legal_name="Алфа")
    b = create(manager, legal_name="Бета")
    assert DuplicatePair.objects.count() == 0

    b = services.company_update(actor=manager, company=b, data={"legal_name": "Alfa"},
                                expected_version=b.version)
    assert list(DuplicatePair.objects.values_list("company_a", "company_b")) == [(a.pk, b.pk)]
    assert Company.objects.get(pk=b.pk).name_key == "alfa"

    services.company_delete(actor=manager, company=b)
    assert DuplicatePair.objects.count() == 0
    services.company_restore(actor=manager, company=Company.all_objects.get(pk=b.pk))
    assert DuplicatePair.objects.count() == 1


def test_contact_with_a_known_email_or_phone_is_refused(manager):
    company = create(manager, legal_name="Алфа")
    other = create(manager, legal_name="Бета")
    known = services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Иван", "emails": "ivan@alfa.bg",
        "phones": "0888 123 456"})
    before = db_state()

    with pytest.raises(PossibleDuplicate) as caught:
        services.contact_create(actor=manager, data={
            "company": other.pk, "first_name": "Ivan", "phones": "+359888123456"})

    assert [(m.contact_id, m.texts()) for m in caught.value.matches] == [
        (known.pk, ["Same phone +359 88 812 3456"])]
    assert db_state() == before
    again = services.contact_create(actor=manager, data={
        "company": other.pk, "first_name": "Ivan", "phones": "+359888123456"},
        allow_duplicate=True)
    assert again.pk


def test_contact_check_ignores_hidden_and_deleted_contacts(manager, other_manager):
    hidden_company = create(other_manager, legal_name="Скрита")
    services.contact_create(actor=other_manager, data={
        "company": hidden_company.pk, "first_name": "Тайно", "emails": "x@skrita.bg"})
    mine = create(manager, legal_name="Моя")
    gone = services.contact_create(actor=manager, data={
        "company": mine.pk, "first_name": "Бивш", "emails": "old@moya.bg"})
    services.contact_delete(actor=manager, contact=gone)

    for email in ("x@skrita.bg", "old@moya.bg"):
        contact = services.contact_create(actor=manager, data={
            "company": mine.pk, "first_name": "Нов", "emails": email})
        assert contact.pk


# --- the web form -----------------------------------------------------------------------------------

def test_web_create_shows_the_duplicates_and_keeps_the_input(logged_in, manager):
    existing = create(manager, legal_name="Алфа", phones=["+359888123456"], city="София")
    client = logged_in(manager)
    data = {"legal_name": "Alfa Ltd", "stage": "prospect", "tier": "standard", "country": "BG",
            "phones": "0888 123 456", "city": "Sofia"}
    before = db_state()

    response = client.post(reverse("clients:company_create"), data, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert [m.company_id for m in response.context["duplicates"]] == [existing.pk]
    page = response.content.decode()
    assert reverse("clients:company_detail", args=[existing.pk]) in page
    assert "Same phone +359 88 812 3456" in page
    assert 'name="allow_duplicate"' in page
    assert 'value="Alfa Ltd"' in page and "0888 123 456" in page
    assert db_state() == before

    saved = client.post(reverse("clients:company_create"), {**data, "allow_duplicate": "on"})
    assert saved.status_code == 302
    assert Company.objects.filter(legal_name="Alfa Ltd").count() == 1


def test_web_contact_create_warns_and_saves_anyway(logged_in, manager):
    company = create(manager, legal_name="Алфа")
    services.contact_create(actor=manager, data={"company": company.pk, "first_name": "Иван",
                                                 "emails": "ivan@alfa.bg"})
    client = logged_in(manager)
    data = {"company": str(company.pk), "first_name": "Иван", "last_name": "Петров",
            "emails": "IVAN@alfa.bg"}

    warned = client.post(reverse("clients:contact_create"), data, HTTP_ACCEPT_LANGUAGE="en")
    saved = client.post(reverse("clients:contact_create"), {**data, "allow_duplicate": "on"})

    assert warned.status_code == 409
    assert "Same e-mail ivan@alfa.bg" in warned.content.decode()
    assert saved.status_code == 302
    assert Contact.objects.filter(company=company).count() == 2


def test_check_as_you_type_shows_visible_duplicates_only(logged_in, manager, hidden):
    create(manager, legal_name="Орбита", phones=["+359888111000"])
    client = logged_in(manager)
    url = reverse("clients:company_check")

    by_phone = client.get(url, {"phones": "0888 111 000", "legal_name": "", "eik": "",
                                "vat_number": "", "city": "", "emails": ""},
                          HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="phones",
                          HTTP_ACCEPT_LANGUAGE="en")
    by_name = client.get(url, {"legal_name": "Orbita OOD", "phones": "", "eik": "",
                               "vat_number": "", "city": "", "emails": ""},
                         HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="legal_name",
                         HTTP_ACCEPT_LANGUAGE="en")
    hidden_one = client.get(url, {"legal_name": "Скрита Фирма", "phones": "0888 777 666",
                                  "emails": "office@skrita.bg", "eik": "", "vat_number": "",
                                  "city": ""},
                            HTTP_HX_REQUEST="true", HTTP_HX_TRIGGER_NAME="legal_name",
                            HTTP_ACCEPT_LANGUAGE="en")

    assert by_phone.status_code == by_name.status_code == hidden_one.status_code == 200
    assert 'id="field-phones"' in by_phone.content.decode()
    assert 'hx-swap-oob="true"' in by_phone.content.decode()
    assert "Орбита" in by_phone.content.decode()
    assert "Орбита" in by_name.content.decode()
    assert 'id="field-legal_name"' not in by_name.content.decode()
    assert "Скрита" not in hidden_one.content.decode()
    assert "alert" not in hidden_one.content.decode()


# --- the API ----------------------------------------------------------------------------------------------

def bearer(user) -> dict:
    _token, secret = token_create(actor=None, user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_api_create_answers_409_with_the_visible_matches(client, manager, hidden):
    existing = create(manager, legal_name="Алфа", emails=["office@alfa.bg"])
    auth = bearer(manager)
    body = {"legal_name": "Alfa Ltd", "emails": ["office@alfa.bg", "office@skrita.bg"]}
    before = db_state()

    refused = client.post("/api/v1/companies", json.dumps(body), content_type="application/json",
                          **auth)

    assert refused.status_code == 409
    answer = refused.json()
    assert answer["code"] == "possible_duplicate"
    assert [m["id"] for m in answer["matches"]] == [existing.pk]
    assert answer["matches"][0]["score"] == 95
    assert [r["code"] for r in answer["matches"][0]["reasons"]] == ["email", "name"]
    assert "Скрита" not in refused.content.decode() and str(hidden.pk) not in json.dumps(
        [m["id"] for m in answer["matches"]])
    assert db_state() == before

    saved = client.post("/api/v1/companies", json.dumps({**body, "allow_duplicate": True}),
                        content_type="application/json", **auth)
    assert saved.status_code == 201


def test_api_contact_create_answers_409(client, manager):
    company = create(manager, legal_name="Алфа")
    services.contact_create(actor=manager, data={"company": company.pk, "first_name": "Иван",
                                                 "phones": "0888123456"})
    auth = bearer(manager)
    body = {"company": company.pk, "first_name": "Иван", "phones": ["0888 123 456"]}

    refused = client.post("/api/v1/contacts", json.dumps(body), content_type="application/json",
                          **auth)
    saved = client.post("/api/v1/contacts", json.dumps({**body, "allow_duplicate": True}),
                        content_type="application/json", **auth)

    assert refused.status_code == 409
    assert refused.json()["code"] == "possible_duplicate"
    assert refused.json()["matches"][0]["reasons"][0]["code"] == "phone"
    assert saved.status_code == 201


# --- the finder ------------------------------------------------------------------------------------

@pytest.fixture
def pairs(manager, other_manager, head_of_sales):
    """Two pairs of the manager's, one pair of another team's, one pair across the two."""
    mine_a = create(manager, legal_name="Алфа", phones=["+359888000001"])
    mine_b = create(manager, legal_name="Alfa Ltd", phones=["+359888000001"])
    mine_c = create(manager, legal_name="Сигма Софт", emails=["office@sigma.bg"])
    mine_d = create(manager, legal_name="Sigma Soft", emails=["office@sigma.bg"])
    theirs_a = create(other_manager, legal_name="Зора", eik=EIK)
    theirs_b = create(other_manager, legal_name="Друга", vat_number=f"BG{EIK}")
    across = create(other_manager, legal_name="Sigma Soft EOOD")
    return {"mine": [(mine_a, mine_b), (mine_c, mine_d)], "theirs": (theirs_a, theirs_b),
            "across": across}


def test_finder_lists_pairs_both_visible_best_first(pairs, manager, admin_user, head_of_sales):
    _page, rows = duplicates.duplicate_pair_page(user=manager)
    mine = [(r.a.pk, r.b.pk, r.score) for r in rows]
    _page, all_rows = duplicates.duplicate_pair_page(user=admin_user)

    (a, b), (c, d) = pairs["mine"]
    # e-mail and name: 1 − 0.2 × 0.25 = 95; phone and name: 1 − 0.3 × 0.25 = 92.5 → 92
    assert mine == [(c.pk, d.pk, 95), (a.pk, b.pk, 92)]  # no pair with a hidden company
    assert all_rows[0].score == 100  # the other team's EIK/VAT pair
    assert len(all_rows) == 2 + 1 + 2  # across: Sigma Soft EOOD with both Sigma companies
    assert {(r.a.pk, r.b.pk) for r in duplicates.duplicate_pair_page(user=head_of_sales)[1]} == {
        (a.pk, b.pk), (c.pk, d.pk)}


def test_finder_page_and_api(pairs, logged_in, manager, client):
    response = logged_in(manager).get(reverse("clients:duplicate_list"), HTTP_ACCEPT_LANGUAGE="en")
    api = client.get("/api/v1/companies/duplicates", **bearer(manager))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Alfa Ltd" in page and "Sigma Soft" in page and "Зора" not in page
    assert "Sigma Soft EOOD" not in page
    assert api.status_code == 200
    assert [(i["company"]["name"], i["other"]["name"], i["score"]) for i in api.json()["items"]] == [
        ("Сигма Софт", "Sigma Soft", 95), ("Алфа", "Alfa Ltd", 92)]
    assert api.json()["items"][1]["reasons"][0]["text"] == "Same phone +359 88 800 0001"


def test_finder_pages_with_a_cursor_and_constant_queries(manager, logged_in):
    for n in range(12):
        create(manager, legal_name=f"Фирма Номер {n}", phones=[f"+35988800{n:04d}"])
        create(manager, legal_name=f"Firma Nomer {n}", phones=[f"+35988800{n:04d}"])
    client = logged_in(manager)

    page1, rows1 = duplicates.duplicate_pair_page(user=manager, size=5)
    _page2, rows2 = duplicates.duplicate_pair_page(user=manager, cursor=page1.next_cursor, size=5)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("clients:duplicate_list"))
    create(manager, legal_name="Още Една", phones=["+359888999999"])
    create(manager, legal_name="Oshte Edna", phones=["+359888999999"])
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("clients:duplicate_list"))

    assert len(rows1) == len(rows2) == 5
    assert not {r.pair.pk for r in rows1} & {r.pair.pk for r in rows2}
    assert len(more.captured_queries) == len(few.captured_queries)


def test_not_duplicates_is_remembered(pairs, manager, logged_in):
    (a, b), _other = pairs["mine"]
    client = logged_in(manager)

    response = client.post(reverse("clients:duplicate_dismiss"), {"company": b.pk, "other": a.pk})

    assert response.status_code == 302
    assert DuplicateDismissal.objects.filter(company_a=a, company_b=b).exists()
    assert [(r.a.pk, r.b.pk) for r in duplicates.duplicate_pair_page(user=manager)[1]] == [
        (_other[0].pk, _other[1].pk)]
    # A later change of either company does not bring the pair back, nor does a full rebuild.
    services.company_update(actor=manager, company=Company.objects.get(pk=a.pk),
                            data={"city": "Варна"}, expected_version=a.version)
    duplicates.rebuild_pairs()
    assert not DuplicatePair.objects.filter(company_a=a, company_b=b).exists()


def records() -> dict:
    """The client base without the audit log (a refused look at a hidden record is audited)."""
    return {k: v for k, v in db_state().items() if k != "audit_entries"}


def test_dismissing_a_hidden_pair_is_refused_like_a_missing_one(pairs, manager, logged_in, client):
    theirs_a, theirs_b = pairs["theirs"]
    before = records()

    web = logged_in(manager).post(reverse("clients:duplicate_dismiss"),
                                  {"company": theirs_a.pk, "other": theirs_b.pk})
    api = client.post("/api/v1/companies/duplicates/dismiss",
                      json.dumps({"company": theirs_a.pk, "other": theirs_b.pk}),
                      content_type="application/json", **bearer(manager))

    assert web.status_code == 404
    assert api.status_code == 404
    assert records() == before
    assert DuplicateDismissal.objects.count() == 0


def test_read_only_role_may_not_dismiss(pairs, make_user):
    marketer = make_user(Role.MARKETING, username="mkt")
    (a, b), _ = pairs["mine"]

    with pytest.raises(merge.PermissionDenied):
        merge.duplicate_dismiss(actor=marketer, company=a, other=b)
    assert DuplicateDismissal.objects.count() == 0


def test_rebuild_finds_the_same_pairs(pairs):
    before = sorted(DuplicatePair.objects.values_list("company_a", "company_b", "score"))

    stored = duplicates.rebuild_pairs()

    assert sorted(DuplicatePair.objects.values_list("company_a", "company_b", "score")) == before
    assert stored == len(before)


def test_reindex_after_a_bulk_write(admin_user):
    a = Company.objects.create(legal_name="Алфа ООД", phones=["+359888123456"])
    b = Company.objects.create(legal_name="Alfa Ltd", team=TeamFactory())

    duplicates.reindex_companies([a.pk, b.pk])

    assert Company.objects.get(pk=a.pk).name_key == "alfa"
    assert list(DuplicatePair.objects.values_list("company_a", "company_b")) == [(a.pk, b.pk)]


def test_the_duplicates_command_rebuilds_the_pairs(manager):
    from io import StringIO

    from django.core.management import call_command

    a = create(manager, legal_name="Алфа")
    b = create(manager, legal_name="Alfa Ltd")
    DuplicatePair.objects.all().delete()
    out = StringIO()

    call_command("duplicates", "--rebuild", "--reindex", "--quiet", stdout=out)
    call_command("duplicates", stdout=out)

    assert list(DuplicatePair.objects.values_list("company_a", "company_b")) == [(a.pk, b.pk)]
    assert "1 likely duplicate pairs found" in out.getvalue()
    assert out.getvalue().rstrip().endswith("1 likely duplicate pairs.")
