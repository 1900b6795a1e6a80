"""The search index in core: folding documents and queries, the registry later domains use, the
API endpoint and the search box's results. (What finds a company or a contact, and who finds
it, is clients/tests/test_search.py.)"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core import search
from partnera.core.models import SearchDocument
from partnera.core.search import (
    DocumentSource,
    document_words,
    fold,
    query_words,
    register_search_documents,
    search_document,
    search_ids,
    search_index_rebuild,
    search_index_update,
)
from partnera.core.tests.dbstate import db_state
from partnera.core.translit import search_key
from partnera.people.models import Team
from partnera.people.services import token_create

# --- folding ----------------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from(
    "abcxyzABCXYZ019 .,-_@'\"абвгдежзийклмнопрстуфхцчшщъьюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЬЮЯёЁ"
    "éüÿçñßÆøŁİıЎўЇїЂђ\u0301\u0306"), max_size=40)


@given(TEXT)
def test_the_shortcut_folds_exactly_as_search_key(text):
    assert fold(text).split() == search_key(text).split()


@pytest.mark.parametrize(("parts", "words"), [
    (["\"Алфа\" ООД"], ["alfa", "ood"]),
    (["Alfa OOD"], ["alfa", "ood"]),
    (["Щастие", "Жълт"], ["shtastie", "zhalt"]),
    (["България"], ["balgaria"]),
    (["office@alfa-trade.bg"], ["office", "alfa", "trade", "bg"]),
    ([["Петров", "Petrov"], "ПЕТРОВ"], ["petrov"]),
    (["Müller Straße", None, "", []], ["muller", "strasse"]),
    (["snake_case"], ["snake", "case"]),
])
def test_document_words(parts, words):
    assert document_words(*parts) == words
    assert search_document(*parts) == " ".join(words)


@pytest.mark.parametrize(("query", "words"), [
    ("Петров", ["petrov"]),
    ("petrov", ["petrov"]),
    ("  Иван   Петров ", ["ivan", "petrov"]),
    ("«\"Алфа\" ООД»", ["alfa", "ood"]),
    ("+359 888 12-34-56", ["359888123456"]),
    ("0888/123456", ["0888123456"]),
    ("00359888123456", ["359888123456"]),
    ("(02) 981 11 11", ["029811111"]),
    ("175 074 752", ["175074752"]),
    ("0888 1", ["0888", "1"][:1]),  # too short for a phone: the digits as a word
    ("ivan.petrov@alfa.bg", ["ivan", "petrov", "alfa", "bg"]),
    ("Иван П", ["ivan"]),           # a lone letter beside a word is dropped
    ("a", []),
    ("%_*", []),
    ("a b c d e f g h", []),
    ("едно две три четири пет шест седем", ["edno", "dve", "tri", "chetiri", "pet", "shest"]),
    ("x" * 100, ["x" * 64]),
])
def test_query_words(query, words):
    assert query_words(query) == words


@pytest.mark.parametrize(("typed", "word", "near"), [
    ("petorv", "petrov", True),    # two letters swapped
    ("petrof", "petrov", True),    # one letter wrong
    ("ptrov", "petrov", True),     # one left out
    ("petor", "petrova", True),    # still typing, with a swap
    ("plovidv", "plovdiv", True),
    ("ivan", "ivanova", True),
    ("pavlov", "petrov", False),
    ("abc", "xyz", False),
])
def test_what_counts_as_a_typo(typed, word, near):
    assert search._near(typed, word) is near


# --- the registry: later domains add their kinds ------------------------------------------------------

@pytest.fixture
def teams_searchable():
    """A kind registered the way a later domain registers its own (teams stand in here)."""
    def documents(ids):
        qs = Team.objects.all() if ids is None else Team.objects.filter(pk__in=ids)
        return ((t.pk, search_document(t.name)) for t in qs)

    register_search_documents(DocumentSource(kind="team_test", documents=documents,
                                             visible=lambda user: [Team.objects.all()]))
    yield
    search._sources.pop("team_test")


@pytest.mark.django_db
def test_a_registered_kind_is_indexed_kept_and_searched(teams_searchable, manager):
    team = Team.objects.create(name="Пловдив Юг")
    search_index_update("team_test", [team.pk])

    assert search_ids(kind="team_test", user=manager, query="plovdiv") == [team.pk]
    team.name = "Варна Север"
    team.save()
    search_index_update("team_test", [team.pk])
    assert search_ids(kind="team_test", user=manager, query="plovdiv") == []
    assert search_ids(kind="team_test", user=manager, query="варна") == [team.pk]
    assert search_index_rebuild("team_test") == {"team_test": Team.objects.count()}
    team.delete()
    search_index_update("team_test", [team.pk])
    assert not SearchDocument.objects.filter(kind="team_test", object_id=team.pk).exists()


@pytest.mark.django_db
def test_unknown_kinds_find_nothing_and_cannot_be_rebuilt(manager):
    assert search_ids(kind="nothing", user=manager, query="алфа") == []
    search_index_update("nothing", [1])
    with pytest.raises(ValueError, match="nothing"):
        search_index_rebuild("nothing")


# --- the search box and the API ------------------------------------------------------------------------

@pytest.fixture
def orion(manager):
    company = CompanyFactory(owner=manager, legal_name="Орион Трейд", eik="175074752", city="Русе")
    contact = ContactFactory(company=company, first_name="Орлин", last_name="Орионов",
                             position="Търговец")
    return company, contact


@pytest.mark.django_db
def test_the_dropdown_groups_hits_by_kind_and_links_to_every_result(orion, logged_in, manager):
    client = logged_in(manager)

    html = client.get(reverse("core:search"), {"q": "орион"}, HTTP_HX_REQUEST="true",
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert html.index(">Companies<") < html.index("Орион Трейд") < html.index(">Contacts<") \
        < html.index("Орлин Орионов") < html.index('class="search-all"')
    assert f'href="{reverse("core:search")}?q=%D0%BE%D1%80%D0%B8%D0%BE%D0%BD"' in html


@pytest.mark.django_db
def test_the_search_page_shows_groups_and_keeps_the_query(orion, logged_in, manager):
    response = logged_in(manager).get(reverse("core:search"), {"q": "Orion"},
                                      HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert [(g.kind, [h.label for h in g.hits]) for g in response.context["groups"]] == [
        ("company", ["Орион Трейд"]), ("contact", ["Орлин Орионов"])]
    assert 'value="Orion"' in html
    assert "Companies" in html and "Contacts" in html


def api_get(client, user, params: dict):
    return client.get("/api/v1/search", params, **bearer(user))


def bearer(user) -> dict:
    _token, secret = token_create(actor=None, user=user, name="search")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.django_db
def test_the_api_answers_hits_with_kind_id_label_detail_and_url(client, orion, manager):
    company, contact = orion

    body = api_get(client, manager, {"q": "  Orion  ", "limit": 5}).json()

    assert body == {"query": "Orion", "items": [
        {"kind": "company", "kind_label": "Company", "id": company.pk, "label": "Орион Трейд",
         "detail": "175074752 · Русе", "url": f"/clients/companies/{company.pk}/"},
        {"kind": "contact", "kind_label": "Contact", "id": contact.pk, "label": "Орлин Орионов",
         "detail": "Търговец · Орион Трейд", "url": f"/clients/contacts/{contact.pk}/"},
    ]}
    assert [h["kind"] for h in api_get(client, manager, {"q": "orion", "kinds": "contact"})
            .json()["items"]] == ["contact"]
    assert [h["kind"] for h in api_get(client, manager, {"q": "orion", "kinds": ["company", "contact"]})
            .json()["items"]] == ["company", "contact"]
    assert api_get(client, manager, {"q": "o"}).json() == {"query": "o", "items": []}


@pytest.mark.django_db
@pytest.mark.parametrize(("params", "field"), [
    ({"q": "orion", "kinds": "company,deals"}, "kinds"),
    ({"q": "orion", "limit": 0}, "limit"),
    ({"q": "orion", "limit": 51}, "limit"),
    ({"q": "orion", "limit": "many"}, "limit"),
    ({"q": "x" * 201}, "q"),
    ({"q": "orion", "kind": "company"}, "kind"),
])
def test_bad_api_input_is_a_400_that_names_the_field_and_changes_nothing(client, orion, manager,
                                                                         params, field):
    headers = bearer(manager)
    before = db_state()

    response = client.get("/api/v1/search", params, **headers)


    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert field in response.json()["fields"]
    assert db_state() == before


@pytest.mark.django_db
def test_the_api_needs_a_login(client, orion):
    response = client.get("/api/v1/search", {"q": "orion"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
