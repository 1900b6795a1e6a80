"""The kanban board in a real browser: drag a deal to another column with the mouse and see it
saved after a reload, move one with the keyboard, drop one on "lost" (the reason dialog), see a
stage rule send a card back with what is missing. Screenshots: test-artifacts/screenshots/board-*.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.clients.tests.factories import CompanyFactory
from partnera.core.money import to_eur
from partnera.core.roles import Role
from partnera.sales.models import Deal, DealStageChange, Reason
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db(transaction=True)

DEALS = [
    # (stage position, title, company, amount, currency, days to close, days in stage, next activity)
    (0, "Годишна доставка на опаковки", "Алфа Пак ООД", "18500", "EUR", 40, 2, True),
    (0, "Пилотен проект Варна", "Морски бриз АД", "4200", "BGN", 25, 9, False),
    (0, "Офис консумативи 2027", "Бета Офис ЕООД", None, "EUR", None, 1, False),
    (1, "Рамков договор логистика", "Транс Експрес ООД", "56000", "EUR", 60, 4, True),
    (1, "Складово оборудване", "Гама Метал АД", "23900", "EUR", -3, 20, False),
    (2, "Доставка на суровини Q2", "Делта Агро ООД", "31000", "EUR", 75, 6, True),
    (3, "Оферта за поддръжка", "Епсилон Софт ЕАД", "12750", "EUR", 30, 5, True),
    (3, "Ребрандиране на магазини", "Зета Ритейл ООД", "88000", "BGN", 45, 26, False),
    (4, "Разширяване към Пловдив", "Ита Фарма АД", "145000", "EUR", 20, 12, True),
    (5, "Договор за 3 години", "Тета Енерджи АД", "240000", "EUR", 10, 3, True),
]


@pytest.fixture(autouse=True)
def _pipelines(transactional_db):
    """A browser test's database is emptied after each test, the seeded pipelines with it."""
    from django.apps import apps

    from partnera.sales.defaults import install_defaults

    install_defaults(apps, "en")


@pytest.fixture
def manager_with_deals(make_user, team):
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="ivanova", first_name="Елена",
                        last_name="Иванова", language="en")
    colleague = make_user(Role.ACCOUNT_MANAGER, team=team, username="georgiev", first_name="Георги",
                          last_name="Георгиев", language="en")
    now, today = timezone.now(), timezone.localdate()
    deals = {}
    for i, (position, title, company, amount, currency, close, in_stage, planned) in enumerate(DEALS):
        owner = manager if i % 3 else colleague
        deals[title] = DealFactory(
            owner=owner, team=team, company=CompanyFactory(owner=manager, legal_name=company),
            stage=stage_at(position), title=title,
            amount=Decimal(amount) if amount else None, currency=currency,
            amount_eur=None if amount is None else to_eur(Decimal(amount), currency),
            expected_close_date=today + dt.timedelta(days=close) if close is not None else None,
            stage_entered_at=now - dt.timedelta(days=in_stage),
            next_activity_at=now + dt.timedelta(days=2) if planned else None)
    DealFactory(owner=manager, team=team, company=CompanyFactory(owner=manager, legal_name="Йота Строй ООД"),
                title="Строителни материали", stage=stage_at(6), amount=Decimal("36000"),
                amount_eur=Decimal("36000"), closed_at=now - dt.timedelta(days=4))
    DealFactory(owner=manager, team=team, company=CompanyFactory(owner=manager, legal_name="Капа Текс ЕООД"),
                title="Униформи за персонала", stage=stage_at(7), amount=Decimal("9800"),
                amount_eur=Decimal("9800"), closed_at=now - dt.timedelta(days=8))
    return manager, deals


def js_errors(page) -> list[str]:
    """Errors other than the console's note of a refused move's answer (400 / 409 by design)."""
    return [e for e in page.js_errors
            if not ("Failed to load resource" in e and ("400" in e or "409" in e))]


def card(page, deal):
    return page.locator(f"#deal-{deal.pk}")


def column_cards(page, stage):
    return page.locator(f"#col-cards-{stage.pk}")


def test_drag_a_deal_across_the_board_and_see_it_saved(page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    login(manager)
    page.goto("/sales/board/")
    expect(page.locator(".board-col")).to_have_count(8)
    expect(column_cards(page, stage_at(0)).locator(".deal-card")).to_have_count(3)
    screenshot("board-01-overview", full_page=False)

    # When the manager drags "Пилотен проект Варна" from "first contact" to "meeting arranged"
    deal = deals["Пилотен проект Варна"]
    card(page, deal).drag_to(column_cards(page, stage_at(1)))

    # Then the card sits in the new column, the counts follow, and the move is kept after a reload
    expect(page.locator("#board-status")).to_contain_text("moved to")
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(page.locator(f"#col-head-{stage_at(1).pk} .count")).to_have_text("3")
    expect(page.locator(f"#col-head-{stage_at(0).pk} .count")).to_have_text("2")
    page.reload()
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    deal.refresh_from_db()
    assert deal.stage == stage_at(1)
    assert DealStageChange.objects.filter(deal=deal, to_stage=stage_at(1)).count() == 1
    assert js_errors(page) == []


def test_move_a_deal_with_the_keyboard(page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    login(manager)
    page.goto("/sales/board/")
    deal = deals["Рамков договор логистика"]  # in "meeting arranged", has an amount

    # Focus the card, pick it up, two columns to the right is "offer presented" (needs an amount:
    # it has one), drop it.
    card(page, deal).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#board-live")).to_contain_text("Moving")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#board-live")).to_contain_text("Drop into")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowLeft")
    screenshot("board-02-keyboard-target", full_page=False)
    page.keyboard.press("Enter")

    expect(page.locator("#board-status")).to_contain_text("moved to")
    expect(column_cards(page, stage_at(3)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(card(page, deal)).to_be_focused()
    page.reload()
    expect(column_cards(page, stage_at(3)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    deal.refresh_from_db()
    assert deal.stage == stage_at(3)

    # The card's "Move to…" opens a small dialog with the stages: the same move, no dragging.
    other = deals["Офис консумативи 2027"]
    card(page, other).focus()
    card(page, other).get_by_text("Move to…").click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#move-lost-fields")).to_be_hidden()
    dialog.locator("select[name=stage]").select_option(str(stage_at(1).pk))
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#board-status")).to_contain_text("Офис консумативи 2027” moved to")
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{other.pk}")).to_have_count(1)
    other.refresh_from_db()
    assert other.stage == stage_at(1)
    assert js_errors(page) == []


def test_a_stage_rule_sends_the_card_back_and_lost_asks_why(page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    # A screen wide enough for every column: a drag starts and ends on visible columns.
    page.set_viewport_size({"width": 2700, "height": 900})
    login(manager)
    page.goto("/sales/board/")

    # A deal without an amount dropped on "offer presented": refused, the card goes back.
    bare = deals["Офис консумативи 2027"]
    card(page, bare).drag_to(column_cards(page, stage_at(3)))
    status = page.locator("#board-status")
    expect(status).to_contain_text("needs an expected amount")
    expect(status.locator("a")).to_have_attribute("href", f"/sales/deals/{bare.pk}/")
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{bare.pk}")).to_have_count(1)
    expect(column_cards(page, stage_at(3)).locator(f"#deal-{bare.pk}")).to_have_count(0)
    screenshot("board-03-rule-refused", full_page=False)
    bare.refresh_from_db()
    assert bare.stage == stage_at(0) and bare.version == 1

    # Dropped on "lost": the dialog asks for the reason first; cancelling changes nothing.
    deal = deals["Складово оборудване"]
    card(page, deal).drag_to(column_cards(page, stage_at(7)))
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#move-lost-fields")).to_be_visible()
    expect(dialog).to_contain_text("Складово оборудване")
    screenshot("board-04-lost-dialog", full_page=False)
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    deal.refresh_from_db()
    assert deal.stage == stage_at(1)

    card(page, deal).drag_to(column_cards(page, stage_at(7)))
    reason = Reason.objects.filter(kind=Reason.Kind.DEAL_LOST).order_by("position")[1]
    dialog.locator("select[name=lost_reason]").select_option(str(reason.pk))
    dialog.locator("textarea").fill("Избраха по-евтин доставчик")
    dialog.get_by_role("button", name="Move").click()
    expect(page.locator("#board-status")).to_contain_text("Складово оборудване” moved to")
    expect(column_cards(page, stage_at(7)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    deal = Deal.objects.get(pk=deal.pk)
    assert deal.stage == stage_at(7) and deal.lost_reason == reason
    assert deal.lost_comment == "Избраха по-евтин доставчик"
    screenshot("board-05-after-moves", full_page=False)
    assert js_errors(page) == []


def test_quick_add_and_filters(page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    CompanyFactory(owner=manager, legal_name="Ламбда Хранителни ООД")
    login(manager)
    page.goto("/sales/board/")

    page.locator(".quick-add-toggle").click()
    page.locator("#qa-title").fill("Нов клиент от панаира")
    page.locator("button.btn-primary", has_text="Add deal").click()
    expect(page.locator(".quick-add")).to_contain_text("Choose a company from the list")
    expect(page.locator("#qa-title")).to_have_value("Нов клиент от панаира")
    # (the form came back from the server: wait until htmx has wired its search box)
    wired = "!!(document.querySelector('#qa-company') || {})['htmx-internal-data']"
    for _ in range(50):  # (polled from here: wait_for_function would eval in the page, which CSP forbids)
        if page.evaluate(wired):
            break
        page.wait_for_timeout(100)
    page.locator("#qa-company").fill("Ламбда")
    page.locator(".picker-option", has_text="Ламбда Хранителни").click()
    page.locator("#qa-amount").fill("7 500")
    page.locator("button.btn-primary", has_text="Add deal").click()
    expect(page.locator("#board-status")).to_contain_text("added")
    created = Deal.objects.get(title="Нов клиент от панаира")
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{created.pk}")).to_have_count(1)

    # Only mine: the colleague's deals leave the board and the URL keeps the filter.
    page.locator("input[name=mine]").check()
    page.wait_for_url("**mine=1**")
    colleague_deal = deals["Годишна доставка на опаковки"]
    expect(card(page, colleague_deal)).to_have_count(0)
    expect(card(page, created)).to_have_count(1)
    screenshot("board-06-only-mine", full_page=False)
    assert js_errors(page) == []


def test_a_move_after_the_session_ended_puts_the_card_back_and_says_to_log_in(
        page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    login(manager)
    page.goto("/sales/board/")
    deal = deals["Пилотен проект Варна"]
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{deal.pk}")).to_have_count(1)

    # Given the session ended (logged out elsewhere: the session cookie is gone, the CSRF one stays)
    page.context.clear_cookies(name="sessionid")
    # When the manager drags a card: the server answers with a redirect to the login page
    card(page, deal).drag_to(column_cards(page, stage_at(1)))

    # Then the card goes back where it was, the message says to log in again, nothing moved
    status = page.locator("#board-status")
    expect(status).to_contain_text("Your session has ended")
    expect(status.locator("a", has_text="Log in")).to_have_attribute("href", "/login/?next=/sales/board/")
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{deal.pk}")).to_have_count(0)
    expect(card(page, deal)).not_to_have_class("is-saving")
    screenshot("board-07-session-ended", full_page=False)
    deal.refresh_from_db()
    assert deal.stage == stage_at(0) and deal.version == 1
    assert not DealStageChange.objects.filter(deal=deal, to_stage=stage_at(1)).exists()
    assert js_errors(page) == []


def test_one_move_at_a_time_and_a_failed_one_goes_back(page, login, screenshot, manager_with_deals):
    manager, deals = manager_with_deals
    page.set_viewport_size({"width": 2700, "height": 900})
    login(manager)
    page.goto("/sales/board/")
    first, second = deals["Пилотен проект Варна"], deals["Офис консумативи 2027"]
    held = []
    page.route("**/sales/board/deals/*/move/", lambda route: held.append(route))

    # Given a move whose answer has not come yet
    card(page, first).drag_to(column_cards(page, stage_at(1)))
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(100)
    assert len(held) == 1
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{first.pk}")).to_have_count(1)

    # When a second card is dragged meanwhile: refused, nothing sent, it stays where it is
    card(page, second).drag_to(column_cards(page, stage_at(2)))
    expect(page.locator("#board-status")).to_contain_text("previous move is still being saved")
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{second.pk}")).to_have_count(1)
    page.wait_for_timeout(300)
    assert len(held) == 1

    # And when the first move fails (the network), its card goes back with the message
    held[0].abort()
    expect(page.locator("#board-status")).to_contain_text("The move did not go through")
    expect(column_cards(page, stage_at(0)).locator(f"#deal-{first.pk}")).to_have_count(1)
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{first.pk}")).to_have_count(0)
    screenshot("board-08-move-failed", full_page=False)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stage, second.stage) == (stage_at(0), stage_at(0))

    # Then the next move goes through
    page.unroute("**/sales/board/deals/*/move/")
    card(page, first).drag_to(column_cards(page, stage_at(1)))
    expect(page.locator("#board-status")).to_contain_text("moved to")
    first.refresh_from_db()
    assert first.stage == stage_at(1)
    # (htmx logs the aborted request: its error events, the failed load, and an "undefined")
    aborted = ("htmx:afterRequest", "htmx:sendError", "net::ERR_FAILED")
    assert [e for e in js_errors(page) if not e.startswith(aborted) and "ERR_FAILED" not in e
            and e != "undefined"] == []


def test_keys_typed_in_a_field_never_move_a_picked_up_card(page, login, manager_with_deals):
    manager, deals = manager_with_deals
    login(manager)
    page.goto("/sales/board/")
    deal = deals["Рамков договор логистика"]

    # Given a card picked up with the keyboard and a column to the right chosen
    card(page, deal).focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowRight")
    expect(page.locator(".board-col.kbd-target")).to_have_count(1)

    # When the manager clicks into the "Amount from" filter and types, with a space and Enter
    amount = page.locator("input[name=amount_min]")
    amount.click()
    page.keyboard.type("1 000")
    expect(amount).to_have_value("1 000")

    # Then the move was cancelled: no column targeted, the card where it was, nothing saved
    expect(page.locator(".board-col.kbd-target")).to_have_count(0)
    expect(card(page, deal)).not_to_have_class("kbd-moving")
    expect(column_cards(page, stage_at(1)).locator(f"#deal-{deal.pk}")).to_have_count(1)
    page.wait_for_timeout(300)
    deal.refresh_from_db()
    assert deal.stage == stage_at(1) and deal.version == 1
    assert js_errors(page) == []
