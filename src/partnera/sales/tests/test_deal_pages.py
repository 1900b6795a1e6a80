"""Deal pages: the deal page with its stage progress and timeline, create (from the company page),
edit with the optimistic version check, moves with stage rules, lost with a reason, delete and
restore; every refusal leaves the stored deal as it was."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.sales.models import ContactRole, Deal, DealContact, DealStageChange, Reason
from partnera.sales.services import deal_move_stage
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db


def state() -> list[dict]:
    """Every stored deal, its contacts and stage history (to compare before/after)."""
    return [list(Deal.all_objects.order_by("pk").values()),
            list(DealContact.objects.order_by("pk").values()),
            list(DealStageChange.objects.order_by("pk").values())]


def in_page_language(response, message: str, **params) -> str:
    """`message` (an English msgid) as the page that answered renders it: in its language."""
    with translation.override(response.headers["Content-Language"]):
        return translation.gettext(message) % params


def lost_reason() -> Reason:
    return Reason.objects.filter(kind=Reason.Kind.DEAL_LOST, active=True).first()


# --- the deal page -------------------------------------------------------------------------------

def test_deal_page_shows_the_fields_contacts_roles_chips_and_the_stage_progress(logged_in, manager):
    deal = DealFactory(owner=manager, title="Годишна доставка", products=["Хартия", "Тонери"],
                       competitors=["Офис Експрес"], next_step="Оферта до петък")
    buyer = ContactFactory(company=deal.company, first_name="Ана", last_name="Колева")
    DealContact.objects.create(deal=deal, contact=buyer, role=ContactRole.DECISION_MAKER)

    page = logged_in(manager).get(reverse("sales:deal_detail", args=[deal.pk]))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Годишна доставка" in html and deal.company.legal_name in html
    assert "Ана Колева" in html and "role-decision_maker" in html
    assert "Хартия" in html and "Тонери" in html and "Офис Експрес" in html
    assert "Оферта до петък" in html
    assert html.count('class="step ') == 7  # the seven stages before "lost"
    assert 'aria-current="step"' in html
    assert "flag-no-activity" in html  # an open deal without a scheduled activity is flagged


def test_a_deal_the_user_may_not_see_answers_404_on_every_page(logged_in, manager, other_manager):
    deal = DealFactory(owner=other_manager)
    client = logged_in(manager)
    before = state()

    for name in ("deal_detail", "deal_edit", "deal_timeline"):
        assert client.get(reverse(f"sales:{name}", args=[deal.pk])).status_code == 404
    for name, data in (("deal_move", {"stage": stage_at(1).pk}), ("deal_edit", {"title": "X"}),
                       ("deal_delete", {}), ("deal_restore", {})):
        assert client.post(reverse(f"sales:{name}", args=[deal.pk]), data).status_code == 404
    missing = client.get(reverse("sales:deal_detail", args=[999999]))

    assert missing.status_code == 404
    assert state() == before
    assert AuditEntry.objects.filter(action="access_denied", object_type="sales.deal").exists()


def test_marketing_reads_a_deal_but_may_not_change_move_or_delete_it(logged_in, make_user, manager):
    marketer = make_user(Role.MARKETING)
    deal = DealFactory(owner=manager)
    client = logged_in(marketer)
    before = state()

    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 200
    assert client.get(reverse("sales:deal_edit", args=[deal.pk])).status_code == 403
    assert client.post(reverse("sales:deal_move", args=[deal.pk]),
                       {"stage": stage_at(1).pk}).status_code == 403
    assert client.post(reverse("sales:deal_edit", args=[deal.pk]),
                       {"title": "Чуждо", "currency": "EUR", "version": 1}).status_code == 403
    assert client.post(reverse("sales:deal_delete", args=[deal.pk])).status_code == 403
    assert client.get(reverse("sales:deal_create")).status_code == 403
    assert client.post(reverse("sales:deal_create"), {"company": deal.company_id,
                                                      "title": "Нова"}).status_code == 403
    assert state() == before


def test_a_department_member_sees_no_deal_and_may_not_open_one(logged_in, make_user, manager):
    logistics = make_user(Role.DEPARTMENT)
    deal = DealFactory(owner=manager)
    client = logged_in(logistics)
    before = state()

    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404
    assert client.post(reverse("sales:deal_move", args=[deal.pk]),
                       {"stage": stage_at(1).pk}).status_code == 404
    assert client.get(reverse("sales:deal_create")).status_code == 403
    assert state() == before


# --- moving --------------------------------------------------------------------------------------

def test_moving_on_the_page_keeps_the_history_and_the_timeline_tells_the_time_spent(logged_in,
                                                                                   manager):
    deal = DealFactory(owner=manager)
    client = logged_in(manager)

    response = client.post(reverse("sales:deal_move", args=[deal.pk]),
                           {"stage": stage_at(1).pk, "version": deal.version})

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stage_at(1) and deal.version == 2
    assert list(DealStageChange.objects.filter(deal=deal).values_list("to_stage", flat=True)) == [
        stage_at(0).pk, stage_at(1).pk]
    page = client.get(reverse("sales:deal_detail", args=[deal.pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "kind-stage" in page
    assert f"From “{stage_at(0).name}” after less than an hour there." in page


def test_a_stage_rule_refusal_shows_what_is_missing_and_changes_nothing(logged_in, manager):
    deal = DealFactory(owner=manager, amount=None, amount_eur=None, expected_close_date=None)
    client = logged_in(manager)
    before = state()

    response = client.post(reverse("sales:deal_move", args=[deal.pk]),
                           {"stage": stage_at(4).pk, "version": deal.version},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    html = response.content.decode()
    assert "move-error" in html
    assert f"“{stage_at(4).name}” needs an expected amount." in html
    assert f"“{stage_at(4).name}” needs an expected close date." in html
    assert state() == before


def test_the_contract_stage_refuses_without_a_decision_maker_then_moves_once_there_is_one(
        logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(4))
    buyer = ContactFactory(company=deal.company)
    client = logged_in(manager)

    refused = client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stage_at(5).pk})
    assert refused.status_code == 400
    assert in_page_language(refused, "“%(stage)s” needs a decision maker among the contacts.",
                            stage=stage_at(5).name) in refused.content.decode()

    edit = client.post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": deal.title, "amount": "12000", "currency": "EUR",
        "expected_close_date": deal.expected_close_date.isoformat(), "version": deal.version,
        "contact": [buyer.pk], f"role_{buyer.pk}": ContactRole.DECISION_MAKER})
    assert edit.status_code == 302
    moved = client.post(reverse("sales:deal_move", args=[deal.pk]), {"stage": stage_at(5).pk})

    assert moved.status_code == 302
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(5)


def test_lost_needs_a_reason_from_the_list_and_then_shows_the_lost_banner(logged_in, manager):
    deal = DealFactory(owner=manager)
    client = logged_in(manager)
    before = state()

    refused = client.post(reverse("sales:deal_move", args=[deal.pk]),
                          {"stage": stage_at(7).pk, "lost_comment": "Без причина"})
    assert refused.status_code == 400
    assert 'id="field-lost_reason"' in refused.content.decode()
    assert "has-error" in refused.content.decode()
    assert "Без причина" in refused.content.decode()  # the input is kept
    assert state() == before

    reason = lost_reason()
    done = client.post(reverse("sales:deal_move", args=[deal.pk]),
                       {"stage": stage_at(7).pk, "lost_reason": reason.pk,
                        "lost_comment": "Избраха конкурент"})

    assert done.status_code == 302
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.lost_reason == reason
    assert deal.lost_comment == "Избраха конкурент"
    page = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "deal-banner-lost" in page and reason.name in page and "Избраха конкурент" in page


def test_a_won_deal_shows_the_won_banner(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(5))
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(6))

    page = logged_in(manager).get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()

    assert "deal-banner-won" in page


def test_a_move_from_a_stale_page_shows_the_conflict_and_moves_nothing(logged_in, manager):
    deal = DealFactory(owner=manager)
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(1))  # someone moved it meanwhile
    before = state()

    response = logged_in(manager).post(reverse("sales:deal_move", args=[deal.pk]),
                                       {"stage": stage_at(2).pk, "version": 1})

    assert response.status_code == 409
    assert state() == before


# --- create --------------------------------------------------------------------------------------

def test_create_from_the_company_page_with_contacts_and_roles(logged_in, manager):
    company = CompanyFactory(owner=manager)
    ana = ContactFactory(company=company, first_name="Ана")
    ivo = ContactFactory(company=company, first_name="Иво")
    client = logged_in(manager)

    form = client.get(reverse("sales:deal_create") + f"?company={company.pk}")
    assert form.status_code == 200 and "Ана" in form.content.decode()
    response = client.post(reverse("sales:deal_create"), {
        "company": company.pk, "title": "Доставка на хартия", "stage": stage_at(2).pk,
        "amount": "1 955,83", "currency": "BGN", "expected_close_date": "2026-09-30",
        "products": "Хартия, Тонери", "competitors": "Офис 1", "next_step": "Среща",
        "contact": [ana.pk, ivo.pk], f"role_{ana.pk}": ContactRole.DECISION_MAKER,
        f"role_{ivo.pk}": ""})

    assert response.status_code == 302
    deal = Deal.objects.get()
    assert response["Location"] == reverse("sales:deal_detail", args=[deal.pk])
    assert deal.company == company and deal.owner == manager and deal.stage == stage_at(2)
    assert deal.amount == Decimal("1955.83") and deal.amount_eur == Decimal("1000.00")
    assert deal.products == ["Хартия", "Тонери"] and deal.competitors == ["Офис 1"]
    assert dict(deal.deal_contacts.values_list("contact_id", "role")) == {
        ana.pk: ContactRole.DECISION_MAKER, ivo.pk: ""}


def test_create_without_a_company_asks_for_one_first(logged_in, manager):
    page = logged_in(manager).get(reverse("sales:deal_create"))

    assert page.status_code == 200
    assert "data-picker" in page.content.decode()


def test_create_for_a_company_the_user_may_not_see_answers_404(logged_in, manager, other_manager):
    hidden = CompanyFactory(owner=other_manager)
    client = logged_in(manager)

    assert client.get(reverse("sales:deal_create") + f"?company={hidden.pk}").status_code == 404
    assert client.post(reverse("sales:deal_create"),
                       {"company": hidden.pk, "title": "X", "currency": "EUR"}).status_code == 404
    assert not Deal.all_objects.exists()


def test_create_with_bad_input_shows_errors_next_to_the_fields_and_stores_nothing(logged_in,
                                                                                   manager):
    company = CompanyFactory(owner=manager)
    stranger = ContactFactory()  # a contact of another company

    response = logged_in(manager).post(reverse("sales:deal_create"), {
        "company": company.pk, "title": "", "stage": stage_at(3).pk, "amount": "много",
        "currency": "EUR", "expected_close_date": "31.12.2026", "contact": [stranger.pk]})

    assert response.status_code == 400
    html = response.content.decode()
    for field in ("title", "amount"):
        assert f'id="field-{field}"' in html
    assert html.count("has-error") >= 2
    assert not Deal.all_objects.exists() and not DealStageChange.objects.exists()


def test_create_in_a_stage_whose_rule_fails_names_the_missing_field(logged_in, manager):
    company = CompanyFactory(owner=manager)

    response = logged_in(manager).post(reverse("sales:deal_create"), {
        "company": company.pk, "title": "Оферта", "stage": stage_at(3).pk, "currency": "EUR"})

    assert response.status_code == 400
    assert in_page_language(response, "“%(stage)s” needs an expected amount.",
                            stage=stage_at(3).name) in response.content.decode()
    assert not Deal.all_objects.exists()


# --- edit ----------------------------------------------------------------------------------------

def test_edit_saves_and_the_timeline_shows_the_field_change(logged_in, manager):
    deal = DealFactory(owner=manager, next_step="Обаждане")
    client = logged_in(manager)

    response = client.post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": deal.title, "amount": "15000", "currency": "EUR", "next_step": "Среща в София",
        "version": deal.version})

    assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.amount == Decimal("15000.00") and deal.next_step == "Среща в София"
    page = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    assert "Среща в София" in page and "<del>Обаждане</del>" in page


def test_a_stale_edit_shows_the_conflict_keeps_the_input_and_saves_nothing(logged_in, manager):
    deal = DealFactory(owner=manager)
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(1))  # version 2 now
    before = state()

    response = logged_in(manager).post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": "Моята версия", "amount": "99", "currency": "EUR", "version": 1})

    assert response.status_code == 409
    html = response.content.decode()
    assert "alert-warn" in html and 'value="Моята версия"' in html and 'value="99"' in html
    assert state() == before


def test_an_edit_breaking_the_current_stage_rule_is_refused_next_to_the_field(logged_in, manager):
    deal = DealFactory(owner=manager, stage=stage_at(3))
    before = state()

    response = logged_in(manager).post(reverse("sales:deal_edit", args=[deal.pk]), {
        "title": deal.title, "amount": "", "currency": "EUR", "version": deal.version})

    assert response.status_code == 400
    assert in_page_language(response, "“%(stage)s” needs an expected amount.",
                            stage=stage_at(3).name) in response.content.decode()
    assert state() == before


def test_a_manager_may_not_hand_the_deal_to_someone_else(manager, other_manager):
    from partnera.core.errors import ValidationFailed
    from partnera.sales.services import deal_update

    deal = DealFactory(owner=manager)
    before = state()

    with pytest.raises(ValidationFailed) as error:
        deal_update(actor=manager, deal=deal, data={"owner": other_manager.pk}, expected_version=1)

    assert "owner" in error.value.fields
    assert state() == before


# --- delete and restore --------------------------------------------------------------------------

def test_delete_moves_the_deal_to_the_trash_and_restore_brings_it_back(logged_in, manager):
    deal = DealFactory(owner=manager, title="Изтрита сделка")
    client = logged_in(manager)

    assert client.post(reverse("sales:deal_delete", args=[deal.pk])).status_code == 302
    assert not Deal.objects.filter(pk=deal.pk).exists()
    assert client.get(reverse("sales:deal_detail", args=[deal.pk])).status_code == 404
    trash = client.get(reverse("sales:deal_trash")).content.decode()
    assert "Изтрита сделка" in trash

    assert client.post(reverse("sales:deal_restore", args=[deal.pk])).status_code == 302
    assert Deal.objects.filter(pk=deal.pk).exists()
    actions = list(AuditEntry.objects.filter(object_type="sales.deal", object_id=str(deal.pk))
                   .order_by("at", "id").values_list("action", flat=True))
    assert actions == ["delete", "restore"]


def test_the_trash_never_shows_a_hidden_deleted_deal(logged_in, manager, other_manager):
    deal = DealFactory(owner=other_manager, title="Чужда изтрита")
    deal.deleted_at = deal.created_at
    deal.save()

    trash = logged_in(manager).get(reverse("sales:deal_trash")).content.decode()

    assert "Чужда изтрита" not in trash


# --- CSRF and escaping ---------------------------------------------------------------------------

def _browser(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get(reverse("sales:deal_list"))
    return client


def test_every_deal_form_post_without_the_csrf_token_is_refused_and_changes_nothing(manager):
    deal = DealFactory(owner=manager)
    gone = DealFactory(owner=manager)
    gone.deleted_at = gone.created_at
    gone.save()
    client = _browser(manager)
    posts = [
        (reverse("sales:deal_create"), {"company": deal.company_id, "title": "X", "currency": "EUR"}),
        (reverse("sales:deal_edit", args=[deal.pk]), {"title": "X", "currency": "EUR", "version": 1}),
        (reverse("sales:deal_move", args=[deal.pk]), {"stage": stage_at(1).pk}),
        (reverse("sales:deal_delete", args=[deal.pk]), {}),
        (reverse("sales:deal_restore", args=[gone.pk]), {}),
    ]
    before = state()

    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert state() == before

    token = client.cookies["csrftoken"].value
    moved = client.post(reverse("sales:deal_move", args=[deal.pk]),
                        {"stage": stage_at(1).pk, "csrfmiddlewaretoken": token})
    assert moved.status_code == 302


XSS = '<script>alert("x")</script>'


def test_a_script_in_a_title_products_or_comment_renders_as_text(logged_in, manager):
    company = CompanyFactory(owner=manager, legal_name=f"Фирма {XSS}")
    deal = DealFactory(owner=manager, company=company, title=f"Сделка {XSS}", products=[XSS],
                       competitors=[XSS], next_step=XSS)
    contact = ContactFactory(company=company, first_name=XSS)
    DealContact.objects.create(deal=deal, contact=contact, role="")
    deal_move_stage(actor=manager, deal=deal, stage=stage_at(7), lost_reason=lost_reason(),
                    lost_comment=XSS)
    client = logged_in(manager)

    for url in (reverse("sales:deal_detail", args=[deal.pk]), reverse("sales:deal_list"),
                reverse("sales:deal_edit", args=[deal.pk]),
                reverse("clients:company_detail", args=[company.pk]),
                reverse("sales:deal_list") + f"?q={XSS}"):
        html = client.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;" in html, url


@pytest.mark.parametrize("data", [{"stage": "999999"}, {"stage": ""},
                                  {"lost_comment": "x" * 2001}, {"lost_comment": "a\x00b"},
                                  {"version": "стара"}])
def test_a_bad_move_form_answers_400_and_moves_nothing(logged_in, manager, data):
    deal = DealFactory(owner=manager)
    body = {"stage": stage_at(7).pk, "lost_reason": lost_reason().pk, **data}
    before = state()

    response = logged_in(manager).post(reverse("sales:deal_move", args=[deal.pk]), body)

    assert response.status_code == 400
    assert "move-error" in response.content.decode()
    assert state() == before
