"""A deal's life in a real browser: open it from the company page, move it through the stages on
the deal page (a stage rule refuses the move and says what is missing; fix it, move again), then
mark it lost with a reason from the managed list. The administrator looks at the pipeline
settings and the pipeline report. Screenshots land in test-artifacts/screenshots/."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.roles import Role
from partnera.sales.models import Deal, DealStageChange, Reason
from partnera.sales.tests.factories import DealFactory, stage_at

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _default_pipelines(db):
    """A transactional test starts from a flushed database: seed what migration 0002 seeds."""
    from django.apps import apps

    from partnera.sales.defaults import install_defaults

    install_defaults(apps, "en")


@pytest.fixture
def account_manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="petrova", first_name="Мария",
                     last_name="Петрова", language="en")


def test_manager_opens_moves_and_loses_a_deal(page, login, screenshot, account_manager):
    # Given a client with two contacts, and a few other deals of the manager
    company = CompanyFactory(owner=account_manager, legal_name="Алфа Трейд")
    ContactFactory(company=company, first_name="Георги", last_name="Иванов",
                   position="Търговски директор")
    ContactFactory(company=company, first_name="Ана", last_name="Колева", position="Снабдяване")
    for n, (stage, amount) in enumerate([(1, "8500"), (3, "24000"), (4, "61200.50")]):
        DealFactory(owner=account_manager, title=f"Доставка {n + 1}", stage=stage_at(stage),
                    amount=Decimal(amount), amount_eur=Decimal(amount),
                    next_activity_at=timezone.now() + dt.timedelta(days=n + 1) if n else None)
    login(account_manager)

    # When they open a deal from the company page
    page.goto(f"/clients/companies/{company.pk}/")
    expect(page.locator("#deals")).to_contain_text("No open deals")
    page.locator("#deals a", has_text="New deal").click()
    page.fill("input[name=title]", "Годишна доставка на хартия")
    page.fill("input[name=amount]", "18 500,00")
    page.fill("input[name=expected_close_date]", "2026-11-30")
    page.fill("textarea[name=products]", "Офис хартия, Тонери")
    page.fill("textarea[name=competitors]", "Офис Експрес")
    page.fill("input[name=next_step]", "Среща с търговския директор")
    page.locator("main form button.btn-primary").click()

    # Then the deal page shows it in the first stage, flagged without a next activity
    expect(page.locator("h1")).to_contain_text("Годишна доставка на хартия")
    deal = Deal.objects.get(title="Годишна доставка на хартия")
    assert deal.company == company and deal.amount == Decimal("18500.00")
    expect(page.locator(".step-current")).to_contain_text(stage_at(0).name)
    expect(page.locator("#details")).to_contain_text("No next activity")
    expect(page.locator("#details")).to_contain_text("Офис Експрес")

    # When they move it to "meeting arranged", then try "needs identified" without a contact
    page.locator(".stage-progress button", has_text=stage_at(1).name).click()
    expect(page.locator(".step-current")).to_contain_text(stage_at(1).name)
    page.locator(".stage-progress button", has_text=stage_at(2).name).click()

    # Then the move is refused, saying what is missing, and the deal stays where it was
    expect(page.locator(".move-error")).to_contain_text("needs at least one contact")
    expect(page.locator(".step-current")).to_contain_text(stage_at(1).name)
    assert Deal.objects.get(pk=deal.pk).stage == stage_at(1)
    screenshot("deals-01-rule-failure")

    # When they name the decision maker and move again
    page.locator(".move-error a", has_text="Complete the deal").click()
    georgi = page.locator("tr", has_text="Георги Иванов")
    georgi.locator("input[type=checkbox]").check()
    georgi.locator("select").select_option("decision_maker")
    page.locator("main form button.btn-primary").click()
    expect(page.locator("#contacts")).to_contain_text("Decision maker")
    page.locator(".stage-progress button", has_text=stage_at(2).name).click()

    # Then it moves, and the timeline tells each move with the time spent
    expect(page.locator(".step-current")).to_contain_text(stage_at(2).name)
    expect(page.locator("#timeline")).to_contain_text(f"Moved to “{stage_at(2).name}”")
    expect(page.locator("#timeline")).to_contain_text(f"From “{stage_at(1).name}”")
    screenshot("deals-02-deal-page")

    # And the company page lists it in its "Deals" panel
    page.goto(f"/clients/companies/{company.pk}/")
    expect(page.locator("#deals")).to_contain_text("Годишна доставка на хартия")
    page.locator("#deals").scroll_into_view_if_needed()
    screenshot("deals-07-company-panel", full_page=False)
    page.locator("#deals a", has_text="Годишна доставка на хартия").click()

    # When the client chooses a competitor: mark the deal lost with a reason
    page.locator(".lost-form summary").click()
    reason = Reason.objects.filter(kind="deal_lost", active=True).order_by("position").first()
    page.locator("select[name=lost_reason]").select_option(str(reason.pk))
    page.fill("textarea[name=lost_comment]", "Избраха по-евтин доставчик.")
    page.locator(".lost-form button[type=submit]").click()

    # Then the lost banner shows the reason and the comment, and the history is kept
    expect(page.locator(".deal-banner-lost")).to_contain_text(reason.name)
    expect(page.locator(".deal-banner-lost")).to_contain_text("Избраха по-евтин доставчик.")
    deal.refresh_from_db()
    assert deal.status == "lost" and deal.lost_reason == reason
    assert list(DealStageChange.objects.filter(deal=deal).order_by("at", "id")
                .values_list("to_stage", flat=True)) == [
        stage_at(0).pk, stage_at(1).pk, stage_at(2).pk, stage_at(7).pk]
    screenshot("deals-03-lost")

    # And the deal list shows the deals with amounts, weighted amounts and the flag
    page.goto("/sales/deals/")
    expect(page.locator("table.deals tbody tr")).to_have_count(4)
    expect(page.locator("table.deals")).to_contain_text("61,200.50 EUR")
    expect(page.locator("table.deals .flag-no-activity").first).to_be_visible()
    screenshot("deals-04-list")

    # And the company timeline tells the deal's story
    page.goto(f"/clients/companies/{company.pk}/")
    expect(page.locator("#timeline")).to_contain_text("Deal “Годишна доставка на хартия” lost")
    # (the refused move answered 400, which the browser logs; nothing else went wrong)
    errors = [e for e in page.js_errors if "status of 400" not in e]
    assert not errors, errors


def test_administrator_sees_settings_and_the_report(page, login, screenshot, make_user,
                                                    account_manager):
    from partnera.sales.tests.test_reports import history

    admin = make_user(Role.ADMINISTRATOR, username="admin", language="en")
    # Deals with a history: (stage, days spent in the stage before) from their first stage on
    for path, amount in [([(0, 0), (1, 3), (3, 9)], "24000"), ([(0, 0), (1, 5), (7, 12)], "8000"),
                         ([(0, 0), (7, 2)], "3000"), ([(1, 0), (3, 6), (5, 15)], "40000"),
                         ([(0, 0), (1, 4), (3, 7), (4, 10), (6, 20)], "61200.50"),
                         ([(0, 0)], "5000"), ([(0, 0), (1, 2)], "12000")]:
        history(account_manager, path, amount=amount)
    login(admin)

    page.goto("/sales/settings/pipelines/")
    expect(page.locator("table.pipelines")).to_contain_text("Default")
    page.locator("table.pipelines a").first.click()
    expect(page.locator(".stage-setting")).to_have_count(8)
    # Make "meeting arranged" require a next step, through the checkboxes
    row = page.locator(f"#stage-{stage_at(1).pk}")
    row.locator("input[value=next_step]").check()
    row.locator("button", has_text="Save stage").click()
    expect(page.locator(".message")).to_contain_text("Stage saved")
    assert list(stage_at(1).rules.values_list("requirement", flat=True)) == ["next_step"]
    # A probability out of range is refused next to the field
    row = page.locator(f"#stage-{stage_at(2).pk}")
    row.locator("input[name=probability]").fill("140")
    row.locator("button", has_text="Save stage").click()
    expect(page.locator(f"#stage-{stage_at(2).pk} .error")).to_contain_text("0 to 100")
    page.locator(f"#stage-{stage_at(1).pk}").scroll_into_view_if_needed()
    screenshot("deals-05-settings", full_page=False)

    page.goto("/sales/settings/reasons/")
    expect(page.locator("#reasons-deal_lost")).to_be_visible()

    page.goto("/sales/reports/pipeline/")
    expect(page.locator("table.report tbody tr")).to_have_count(8)
    screenshot("deals-06-report")
    errors = [e for e in page.js_errors if "status of 400" not in e]
    assert not errors, errors
