"""Lead pages: list, lead, create/edit, qualify, disqualify, trash; visibility (404 on every
page for a hidden lead), rights (403 and nothing changed), CSRF on every POST, escaped output and
a constant number of queries on the list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from partnera.clients import services as client_services
from partnera.clients.models import Company, Contact
from partnera.clients.tests.factories import ContactFactory, valid_eik
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.core.search import search_index_update
from partnera.sales.models import Deal, Lead, LeadStatus, Reason, WebForm
from partnera.sales.tests.factories import LeadFactory, WebFormFactory, default_pipeline

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def rows() -> dict:
    return {
        "leads": list(Lead.all_objects.order_by("pk").values()),
        "companies": list(Company.all_objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "deals": list(Deal.all_objects.order_by("pk").values()),
        "webforms": list(WebForm.objects.order_by("pk").values()),
        # Changes only: logging in and a refused look at a hidden lead are audited too.
        "audit": list(AuditEntry.objects.exclude(action__in=[
            AuditEntry.Action.ACCESS_DENIED, AuditEntry.Action.LOGIN])
            .order_by("pk").values_list("pk", flat=True)),
    }


def reason() -> Reason:
    return Reason.objects.filter(kind=Reason.Kind.LEAD_DISQUALIFIED, active=True).first()


def a_client(actor, **data) -> Company:
    return client_services.company_create(actor=actor, data=data, allow_duplicate=True)


LEAD_POST = {"company_name": "Бета Строй", "first_name": "Иван", "email": "ivan@beta.bg",
             "phone": "0888 123 456", "source": "call", "message": "Искат оферта"}


# --- list -----------------------------------------------------------------------------------------

def test_the_list_shows_visible_leads_newest_first_and_never_hidden_ones(logged_in, manager,
                                                                          other_manager):
    older = LeadFactory(owner=manager, company_name="Стара заявка")
    newer = LeadFactory(owner=manager, company_name="Нова заявка")
    LeadFactory(owner=other_manager, company_name="Чужда заявка")

    response = logged_in(manager).get(reverse("sales:lead_list"))

    html = response.content.decode()
    assert response.status_code == 200
    assert [lead.pk for lead in response.context["page"].items] == [newer.pk, older.pk]
    assert "Чужда заявка" not in html
    assert response.context["count"] == 2


def test_the_list_filters_by_status_source_owner_and_search(logged_in, head_of_sales, manager,
                                                            team):
    wanted = LeadFactory(owner=manager, company_name="Бяла Лилия", source="fair",
                         status=LeadStatus.WORKING)
    LeadFactory(owner=manager, company_name="Бяла Роза", source="call")
    LeadFactory(owner=head_of_sales, team=team, company_name="Бяла Мента", source="fair",
                status=LeadStatus.WORKING)
    search_index_update("lead", Lead.objects.values_list("pk", flat=True))
    client = logged_in(head_of_sales)

    def found(**params) -> set[int]:
        response = client.get(reverse("sales:lead_list"), params)
        assert response.status_code == 200
        return {lead.pk for lead in response.context["page"].items}

    assert found(q="БЯЛА лилия") == {wanted.pk}
    assert found(status="working", source="fair", owner=str(manager.pk)) == {wanted.pk}
    assert found(q="+359 888 123 456", status="working", owner=str(manager.pk)) == {wanted.pk}
    assert len(found(status="bogus", source="<x>", owner="abc")) == 3  # unknown values ignored
    assert found(q="a") == set()  # no searchable word finds nothing


def test_the_global_search_finds_visible_leads_only(logged_in, manager, other_manager):
    mine = LeadFactory(owner=manager, company_name="Зелена Градина", email="info@zelena.bg")
    LeadFactory(owner=other_manager, company_name="Зелена Поляна")
    search_index_update("lead", Lead.objects.values_list("pk", flat=True))

    response = logged_in(manager).get(reverse("core:search"), {"q": "зелена"})

    html = response.content.decode()
    assert reverse("sales:lead_detail", args=[mine.pk]) in html
    assert "Зелена Градина" in html and "Поляна" not in html


def test_the_list_pages_by_keyset(logged_in, manager, settings):
    from partnera.clients.views import common

    leads = [LeadFactory(owner=manager) for _ in range(5)]
    common_size = common.PAGE_SIZE
    common.PAGE_SIZE = 2
    try:
        import partnera.sales.views.leads as views

        views.PAGE_SIZE = 2
        client = logged_in(manager)
        first = client.get(reverse("sales:lead_list"))
        second = client.get(reverse("sales:lead_list"), {"cursor": first.context["page"].next_cursor})
    finally:
        common.PAGE_SIZE = common_size
        views.PAGE_SIZE = common_size
    ids = [lead.pk for lead in reversed(leads)]
    assert [lead.pk for lead in first.context["page"].items] == ids[:2]
    assert [lead.pk for lead in second.context["page"].items] == ids[2:4]


def test_the_list_runs_the_same_queries_for_2_or_20_leads(logged_in, manager, make_user, team):
    client = logged_in(manager)
    url = reverse("sales:lead_list")
    owners = [make_user(Role.ACCOUNT_MANAGER, team=team) for _ in range(3)]
    for n in range(2):
        LeadFactory(owner=owners[n % 3], team=team)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(18):
        LeadFactory(owner=owners[n % 3], team=team)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["page"].items) == 20
    assert len(many) == len(few)


def test_filtering_with_htmx_answers_the_results_only(logged_in, manager):
    lead = LeadFactory(owner=manager, company_name="Бяла Лилия")
    search_index_update("lead", [lead.pk])

    response = logged_in(manager).get(reverse("sales:lead_list"), {"q": "лилия"},
                                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="lead-results")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Бяла Лилия" in html and "<html" not in html and "lead-filters" not in html


# --- create / edit ----------------------------------------------------------------------------------

def test_a_lead_is_created_in_the_ui(logged_in, manager):
    response = logged_in(manager).post(reverse("sales:lead_create"), LEAD_POST)

    lead = Lead.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("sales:lead_detail", args=[lead.pk])
    assert (lead.owner, lead.phone, lead.source) == (manager, "+359888123456", "call")


def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(logged_in, manager):
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_create"), {
        **LEAD_POST, "eik": "123", "email": "nope", "phone": "1"})

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) >= {"eik", "email", "phone"}
    assert 'value="Бета Строй"' in response.content.decode()  # the input is kept
    assert rows() == before


def test_a_referral_to_a_hidden_company_or_contact_is_refused(logged_in, manager, other_manager):
    hidden = a_client(other_manager, legal_name="Чужда")
    person = ContactFactory(company=hidden)
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_create"), {
        **LEAD_POST, "source": "referral", "referred_by_company": str(hidden.pk),
        "referred_by_contact": str(person.pk)})

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"referred_by_company", "referred_by_contact"}
    assert rows() == before


def test_an_edit_on_a_stale_version_answers_409_and_keeps_the_input(logged_in, manager):
    lead = LeadFactory(owner=manager, city="София")
    Lead.objects.filter(pk=lead.pk).update(version=2)
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_edit", args=[lead.pk]), {
        **LEAD_POST, "city": "Варна", "status": "working", "version": "1"})

    assert response.status_code == 409
    assert 'value="Варна"' in response.content.decode()
    assert rows() == before


def test_the_contact_picker_offers_visible_contacts_only(logged_in, manager, other_manager):
    mine = ContactFactory(company=a_client(manager, legal_name="Моя"), first_name="Радостина")
    ContactFactory(company=a_client(other_manager, legal_name="Чужда"), first_name="Радостина")

    response = logged_in(manager).get(reverse("sales:lead_contact_autocomplete"), {"q": "радостина"})

    assert [c.pk for c in response.context["contacts"]] == [mine.pk]


# --- qualify ----------------------------------------------------------------------------------------

def test_the_qualify_page_proposes_visible_matches_only(logged_in, manager, other_manager):
    eik = valid_eik(601)
    mine = a_client(manager, legal_name="Алфа Трейд", eik=eik)
    a_client(other_manager, legal_name="Alfa Treid Secret", emails="ivan@alfa.bg")
    lead = LeadFactory(owner=manager, company_name="Alfa Treid", eik=eik, email="ivan@alfa.bg")

    response = logged_in(manager).get(reverse("sales:lead_qualify", args=[lead.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert [m.company_id for m in response.context["company_matches"]] == [mine.pk]
    assert "Secret" not in html
    assert response.context["form"]["company_choice"].value() == str(mine.pk)


def test_the_qualify_page_starts_from_the_person_already_in_the_base(logged_in, manager):
    company = a_client(manager, legal_name="Гама", eik=valid_eik(605))
    person = client_services.contact_create(actor=manager, data={
        "company": company.pk, "first_name": "Мария", "emails": "maria@gmail.com"})
    lead = LeadFactory(owner=manager, company_name="Друго", eik="", email="maria@gmail.com",
                       phone="")

    form = logged_in(manager).get(reverse("sales:lead_qualify", args=[lead.pk])).context["form"]

    assert form["company_choice"].value() == str(company.pk)
    assert form["contact_choice"].value() == str(person.pk)


def test_qualifying_in_the_ui_reuses_the_chosen_company_and_lands_on_the_deal(logged_in, manager):
    eik = valid_eik(611)
    company = a_client(manager, legal_name="Делта", eik=eik)
    lead = LeadFactory(owner=manager, company_name="Делта", eik=eik, email="p@delta.bg")

    response = logged_in(manager).post(reverse("sales:lead_qualify", args=[lead.pk]), {
        "company_choice": str(company.pk), "contact_choice": "new",
        "contact_first_name": "Петър", "contact_emails": "p@delta.bg",
        "deal_title": "Доставка 2026", "deal_pipeline": str(default_pipeline().pk),
        "deal_amount": "1200", "deal_currency": "EUR", "version": "1"})

    lead.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] in (reverse("sales:lead_detail", args=[lead.pk]),
                                     f"/sales/deals/{lead.deal_id}/")
    assert lead.status == LeadStatus.QUALIFIED and lead.company == company
    assert lead.deal.title == "Доставка 2026" and lead.contact.company == company
    page = logged_in(manager).get(reverse("sales:lead_detail", args=[lead.pk])).content.decode()
    assert "Доставка 2026" in page and 'id="lead-deal-link"' in page


@pytest.mark.parametrize("how", ["choice", "picker"])
def test_a_hidden_company_is_never_accepted_in_the_ui(logged_in, manager, other_manager, how):
    hidden = a_client(other_manager, legal_name="Скрита", eik=valid_eik(621))
    lead = LeadFactory(owner=manager, company_name="Скрита", eik=valid_eik(621))
    data = {"company_choice": str(hidden.pk)} if how == "choice" else {
        "company_choice": "pick", "company": str(hidden.pk)}
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_qualify", args=[lead.pk]), {
        **data, "contact_choice": "none", "deal_title": "X"})

    assert response.status_code == 400
    assert rows() == before


def test_a_new_company_error_is_shown_next_to_its_field(logged_in, manager):
    lead = LeadFactory(owner=manager, company_name="")
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_qualify", args=[lead.pk]), {
        "company_choice": "new", "company_legal_name": "", "company_eik": "12",
        "contact_choice": "none", "deal_title": "X"})

    assert response.status_code == 400
    assert set(response.context["form"].errors) >= {"company_legal_name", "company_eik"}
    assert rows() == before


# --- disqualify ---------------------------------------------------------------------------------------

def test_disqualifying_without_a_reason_is_refused_in_the_ui(logged_in, manager):
    lead = LeadFactory(owner=manager)
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_disqualify", args=[lead.pk]),
                                       {"reason": "", "comment": "Няма бюджет"})

    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    assert rows() == before

    ok = logged_in(manager).post(reverse("sales:lead_disqualify", args=[lead.pk]),
                                 {"reason": str(reason().pk), "comment": "Няма бюджет"})
    assert ok.status_code == 302
    lead.refresh_from_db()
    assert lead.status == LeadStatus.DISQUALIFIED


def test_the_lead_page_escapes_what_was_typed(logged_in, manager):
    lead = LeadFactory(owner=manager, company_name=SCRIPT, first_name=SCRIPT, message=SCRIPT,
                       source_detail=SCRIPT, city=SCRIPT, position=SCRIPT)
    client = logged_in(manager)

    for url in (reverse("sales:lead_detail", args=[lead.pk]), reverse("sales:lead_list"),
                reverse("sales:lead_edit", args=[lead.pk]),
                reverse("sales:lead_qualify", args=[lead.pk]),
                reverse("sales:lead_disqualify", args=[lead.pk])):
        html = client.get(url).content.decode()
        assert SCRIPT not in html, url
        assert "&lt;script&gt;" in html, url


# --- visibility: 404 everywhere -----------------------------------------------------------------------

@dataclass(frozen=True)
class Page:
    name: str
    method: str = "get"
    deleted: bool = False
    data: Any = None

    def __str__(self) -> str:
        return f"{self.method} {self.name}"


LEAD_PAGES = [
    Page("lead_detail"), Page("lead_edit"), Page("lead_qualify"), Page("lead_disqualify"),
    Page("lead_edit", "post", data=LEAD_POST),
    Page("lead_qualify", "post", data={"company_choice": "new", "contact_choice": "none"}),
    Page("lead_disqualify", "post", data={"reason": "1"}),
    Page("lead_delete", "post"), Page("lead_restore", "post", deleted=True),
]


@pytest.mark.parametrize("page", LEAD_PAGES, ids=str)
def test_a_hidden_lead_answers_404_on_every_page_and_nothing_changes(logged_in, manager,
                                                                     other_manager, page):
    hidden = LeadFactory(owner=other_manager, company_name="Скрита заявка")
    if page.deleted:
        Lead.objects.filter(pk=hidden.pk).update(deleted_at="2026-01-01T00:00:00Z")
    before = rows()

    client = logged_in(manager)
    url = reverse(f"sales:{page.name}", args=[hidden.pk])
    response = getattr(client, page.method)(url, page.data or {})

    assert response.status_code == 404
    assert "Скрита заявка" not in response.content.decode()
    assert rows() == before
    missing = getattr(client, page.method)(reverse(f"sales:{page.name}", args=[999999]),
                                           page.data or {})
    assert missing.status_code == 404


def test_a_hidden_lead_is_never_listed_nor_in_the_trash(logged_in, manager, other_manager):
    LeadFactory(owner=other_manager, company_name="Скрита заявка")
    gone = LeadFactory(owner=other_manager, company_name="Изтрита скрита")
    Lead.objects.filter(pk=gone.pk).update(deleted_at="2026-01-01T00:00:00Z")
    client = logged_in(manager)

    for url in (reverse("sales:lead_list"), reverse("sales:lead_list") + "?q=скрита",
                reverse("sales:lead_trash")):
        html = client.get(url).content.decode()
        assert "Скрита заявка" not in html and "Изтрита скрита" not in html


# --- rights: 403 and nothing changed -----------------------------------------------------------------

@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_roles_without_the_right_are_refused_and_nothing_changes(logged_in, make_user, team, role):
    user = make_user(role, team=team)
    lead = LeadFactory(owner=None, team=team, company_name="Екипна заявка")
    client = logged_in(user)
    before = rows()

    assert client.get(reverse("sales:lead_detail", args=[lead.pk])).status_code == 200
    for name, method, data in [
        ("lead_create", "get", None), ("lead_create", "post", LEAD_POST),
        ("lead_edit", "get", None), ("lead_edit", "post", {**LEAD_POST, "version": "1"}),
        ("lead_qualify", "get", None),
        ("lead_qualify", "post", {"company_choice": "new", "contact_choice": "none"}),
        ("lead_disqualify", "get", None), ("lead_disqualify", "post", {"reason": str(reason().pk)}),
        ("lead_delete", "post", None),
    ]:
        args = [] if name == "lead_create" else [lead.pk]
        response = getattr(client, method)(reverse(f"sales:{name}", args=args), data or {})
        assert response.status_code == 403, (name, method)
    assert rows() == before


def test_a_manager_cannot_delete_a_colleagues_lead(logged_in, manager, make_user, team):
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team)
    lead = LeadFactory(owner=colleague, team=team)
    before = rows()

    response = logged_in(manager).post(reverse("sales:lead_delete", args=[lead.pk]))

    assert response.status_code == 403
    assert rows() == before


# --- web forms (administrators) ------------------------------------------------------------------------

def test_an_administrator_makes_a_web_form_and_gets_its_html(logged_in, admin_user, manager):
    client = logged_in(admin_user)

    response = client.post(reverse("sales:webform_create"), {
        "name": "Сайт — контакти", "owner": str(manager.pk), "source_detail": "Контакти",
        "redirect_url": "https://www.example.bg/thanks", "active": "on"})

    webform = WebForm.objects.get()
    assert response.status_code == 302
    assert len(webform.key) >= 32 and webform.owner == manager and webform.active
    page = client.get(reverse("sales:webform_edit", args=[webform.pk])).content.decode()
    assert f"http://testserver/forms/{webform.key}/" in page
    assert "&lt;form action=&quot;http://testserver/forms/" in page  # the snippet, as text
    assert 'name=&quot;website&quot;' in page
    listing = client.get(reverse("sales:webform_list")).content.decode()
    assert "Сайт — контакти" in listing


@pytest.mark.parametrize("address", ["javascript:alert(1)", "ftp://example.bg/x", "/thanks",
                                     "https://", "data:text/html,hi", "http://ex ample.bg/"])
def test_a_thank_you_address_must_be_http_or_https(logged_in, admin_user, manager, address):
    before = rows()

    response = logged_in(admin_user).post(reverse("sales:webform_create"), {
        "name": "Сайт", "owner": str(manager.pk), "redirect_url": address, "active": "on"})

    assert response.status_code == 400
    assert "redirect_url" in response.context["form"].errors
    assert rows() == before


def test_a_web_form_needs_someone_to_receive_its_leads(logged_in, admin_user):
    before = rows()

    response = logged_in(admin_user).post(reverse("sales:webform_create"), {"name": "Сайт"})

    assert response.status_code == 400 and "owner" in response.context["form"].errors
    assert rows() == before


def test_rotating_the_key_retires_the_old_address(logged_in, admin_user, manager):
    webform = WebFormFactory(owner=manager)
    old = webform.key

    response = logged_in(admin_user).post(reverse("sales:webform_rotate", args=[webform.pk]))

    webform.refresh_from_db()
    assert response.status_code == 302 and webform.key != old
    assert Client().get(f"/forms/{old}/").status_code == 404
    assert Client().get(f"/forms/{webform.key}/").status_code == 200


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES, Role.MARKETING])
def test_only_administrators_manage_web_forms(logged_in, make_user, manager, role):
    user = make_user(role)
    webform = WebFormFactory(owner=manager)
    client = logged_in(user)
    before = rows()

    for name, method, args in [("webform_list", "get", []), ("webform_create", "get", []),
                               ("webform_create", "post", []), ("webform_edit", "get", [webform.pk]),
                               ("webform_edit", "post", [webform.pk]),
                               ("webform_rotate", "post", [webform.pk])]:
        response = getattr(client, method)(reverse(f"sales:{name}", args=args),
                                           {"name": "X", "owner": str(manager.pk)})
        assert response.status_code == 403, name
    assert rows() == before


# --- CSRF: every internal POST needs the token ------------------------------------------------------

@dataclass(frozen=True)
class Post:
    name: str
    data: Any
    ok: int = 302
    admin: bool = False
    deleted: bool = False
    webform: bool = False

    def __str__(self) -> str:
        return self.name


POSTS = [
    Post("lead_create", lambda w: LEAD_POST),
    Post("lead_edit", lambda w: {**LEAD_POST, "version": "1"}),
    Post("lead_qualify", lambda w: {"company_choice": "new", "company_legal_name": "Нова",
                                    "contact_choice": "none", "deal_title": "Сделка"}),
    Post("lead_disqualify", lambda w: {"reason": str(reason().pk)}),
    Post("lead_delete", lambda w: {}),
    Post("lead_restore", lambda w: {}, deleted=True),
    Post("webform_create", lambda w: {"name": "Сайт", "owner": str(w["admin"].pk)}, admin=True),
    Post("webform_edit", lambda w: {"name": "Сайт 2", "owner": str(w["admin"].pk)}, admin=True,
         webform=True),
    Post("webform_rotate", lambda w: {}, admin=True, webform=True),
]


def _browser(user) -> Client:
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    assert client.get(reverse("sales:lead_list")).status_code == 200
    assert client.cookies["csrftoken"].value
    return client


def _world(manager, admin_user, op: Post) -> dict:
    lead = LeadFactory(owner=manager, company_name="Заявка")
    if op.deleted:
        Lead.objects.filter(pk=lead.pk).update(deleted_at="2026-01-01T00:00:00Z")
    webform = WebFormFactory(owner=manager)
    return {"lead": lead, "webform": webform, "admin": admin_user}


def _url(op: Post, world: dict) -> str:
    if op.name in ("lead_create", "webform_create"):
        return reverse(f"sales:{op.name}")
    target = world["webform"] if op.webform else world["lead"]
    return reverse(f"sales:{op.name}", args=[target.pk])


@pytest.mark.parametrize("op", POSTS, ids=str)
def test_an_internal_post_without_the_token_is_refused_and_changes_nothing(op, manager, admin_user):
    world = _world(manager, admin_user, op)
    client = _browser(admin_user if op.admin else manager)
    before = rows()

    response = client.post(_url(op, world), op.data(world))

    assert response.status_code == 403
    assert rows() == before


@pytest.mark.parametrize("op", POSTS, ids=str)
def test_an_internal_post_with_the_token_succeeds(op, manager, admin_user):
    world = _world(manager, admin_user, op)
    client = _browser(admin_user if op.admin else manager)
    before = rows()

    response = client.post(_url(op, world), {**op.data(world),
                                             "csrfmiddlewaretoken": client.cookies["csrftoken"].value})

    assert response.status_code == op.ok, response.content[:400]
    assert rows() != before


def test_every_post_url_of_the_lead_pages_is_covered():
    from partnera.sales.urls_leads import urlpatterns

    reads = {"lead_list", "lead_trash", "lead_contact_autocomplete", "lead_detail",
             "webform_list"}
    assert {p.name for p in urlpatterns} - reads == {op.name for op in POSTS}


def test_every_page_renders_in_bulgarian_too(client, admin_user, manager):
    lead = LeadFactory(owner=admin_user)
    done = LeadFactory(owner=admin_user, status=LeadStatus.DISQUALIFIED, disqualify_reason=reason())
    webform = WebFormFactory(owner=manager)
    client.force_login(admin_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "bg"

    for url in (reverse("sales:lead_list"), reverse("sales:lead_create"),
                reverse("sales:lead_trash"), reverse("sales:lead_detail", args=[lead.pk]),
                reverse("sales:lead_detail", args=[done.pk]),
                reverse("sales:lead_edit", args=[lead.pk]),
                reverse("sales:lead_qualify", args=[lead.pk]),
                reverse("sales:lead_disqualify", args=[lead.pk]),
                reverse("sales:webform_list"), reverse("sales:webform_create"),
                reverse("sales:webform_edit", args=[webform.pk]),
                reverse("webforms:submit", args=[webform.key])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'lang="bg"' in response.content.decode(), url


def test_the_lead_page_names_only_the_records_the_viewer_may_see(client, manager, other_manager,
                                                                  make_user, team, admin_user):
    # Given a lead of the manager's team, qualified (by an administrator) into another team's
    # company, contact and deal, and referred by another team's client and person
    from django.utils import timezone

    from partnera.clients.tests.factories import CompanyFactory
    from partnera.sales.tests.factories import DealFactory

    teammate = make_user(Role.ACCOUNT_MANAGER, team=team, username="teammate")
    company = CompanyFactory(owner=other_manager, legal_name="Чужда Фирма")
    contact = ContactFactory(company=company, first_name="Чужд", last_name="Човек")
    deal = DealFactory(owner=other_manager, company=company, title="Чужда сделка")
    referrer = CompanyFactory(owner=other_manager, legal_name="Препоръчител ООД")
    referrer_person = ContactFactory(company=referrer, first_name="Препоръчващ", last_name="Друг")
    lead = LeadFactory(owner=manager, status=LeadStatus.QUALIFIED, closed_at=timezone.now(),
                       company=company, contact=contact, deal=deal, source="referral",
                       referred_by_company=referrer, referred_by_contact=referrer_person)
    secrets = ("Чужда Фирма", "Чужд Човек", "Чужда сделка", "Препоръчител ООД", "Препоръчващ")
    url = reverse("sales:lead_detail", args=[lead.pk])

    # When the teammate (who sees the lead by the team's grant) and an administrator open it
    client.force_login(teammate)
    theirs = client.get(url)
    client.force_login(admin_user)
    everything = client.get(url).content.decode()

    # Then the teammate gets neutral words without links, the administrator the names and links
    page = theirs.content.decode()
    assert theirs.status_code == 200
    assert [s for s in secrets if s in page] == []
    assert "a client you cannot see" in page and "a contact you cannot see" in page
    assert "a deal you cannot see" in page and 'id="lead-deal-link"' not in page
    for hidden in (reverse("clients:company_detail", args=[company.pk]),
                   reverse("clients:contact_detail", args=[contact.pk]),
                   reverse("sales:deal_detail", args=[deal.pk]),
                   reverse("clients:company_detail", args=[referrer.pk])):
        assert hidden not in page
    assert [s for s in secrets if s not in everything] == []
    assert 'id="lead-deal-link"' in everything
