"""Importing a spreadsheet through the browser: upload a CSV whose company-name column Partnera
does not recognise, map it, read the dry run, start the import, watch the progress bar, read the
report. The background job is run by the test itself (as `partnera worker` would), one batch at
a time, so the progress bar can be seen part-way. A large file's dry run is such a job too: the
page shows its progress, then its report. Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, valid_eik
from partnera.core.context import Channel, acting
from partnera.core.roles import Role
from partnera.imports import engine
from partnera.imports.models import ImportRun, ImportStatus

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 30


def spreadsheet() -> bytes:
    """What Bulgarian Excel saves as CSV: Windows-1251, semicolons; "Партньор" is the name."""
    lines = ["ЕИК;Партньор;Град;Телефон;Имейл;Етап"]
    for n in range(1, ROWS + 1):
        phone = "0888 12 34 5" if n == 7 else f"0888 {n:03d} {n:03d}"  # row 8: a bad phone
        lines.append(f"{valid_eik(n)};Фирма {n} ООД;Пловдив;{phone};office{n}@firma{n}.bg;"
                     "Активен клиент")
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def test_import_a_csv_with_a_mapping_fix(page, login, screenshot, make_user, team, settings):
    settings.PARTNERA_IMPORT_BATCH_SIZE = 10
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="ivanova", language="en",
                        first_name="Елена", last_name="Иванова")
    CompanyFactory(owner=manager, legal_name="Фирма 1 ООД", eik=valid_eik(1), city="Пловдив")
    login(manager)

    # The upload page, reached from the companies list
    page.goto("/clients/companies/")
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.locator("h1")).to_have_text("New import")
    page.set_input_files("input[name=file]", files=[{
        "name": "клиенти-пловдив.csv", "mimeType": "text/csv", "buffer": spreadsheet()}])
    screenshot("import-01-upload")
    page.get_by_role("button", name="Upload and check").click()

    # The mapping step: every column but "Партньор" was recognised
    expect(page.locator("#mapping .alert")).to_contain_text(
        "Choose the column that holds “Company name”.")
    expect(page.locator("#mapping tr.unmapped")).to_have_count(1)
    expect(page.locator("#mapping tr.unmapped")).to_contain_text("Фирма 2 ООД")
    screenshot("import-02-mapping-needed")
    page.locator("#mapping tr.unmapped select").select_option("legal_name")
    page.get_by_label("Save this mapping as").fill("Пловдивски списък")
    page.get_by_role("button", name="Check (dry run)").click()

    # The dry run: 28 new, 1 existing (left alone), 1 bad phone with its row and column
    dry = page.locator("#dry-run")
    expect(dry.locator(".stat-created .n")).to_have_text(str(ROWS - 2))
    expect(dry.locator(".import-issues")).to_contain_text("Телефон")
    expect(dry.locator(".import-issues tbody tr").first).to_contain_text("8")
    assert Company.objects.count() == 1
    screenshot("import-03-dry-run")

    # Start: the job is queued; the page polls the progress bar
    page.get_by_role("button", name="Start the import").click()
    expect(page.locator("progress")).to_be_visible()
    expect(page.locator("#import-progress")).to_contain_text("Waiting for a worker")
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.QUEUED
    screenshot("import-04-queued")

    seen: list[int] = []

    def after_each_batch(done: int, total: int) -> None:
        # The worker committed a batch: the browser's next poll shows it.
        if done and done < total and not seen:
            expect(page.locator("progress")).to_have_attribute("value", str(done), timeout=10000)
            expect(page.locator("#import-progress")).to_contain_text(f"{done} of {total} rows")
            screenshot("import-05-progress")
            seen.append(done)

    with acting(Channel.JOB):
        engine.execute(run.pk, progress=after_each_batch)
    assert seen == [10]

    # Done: the page reloads by itself and shows the report
    expect(page.locator("#result")).to_be_visible(timeout=10000)
    expect(page.locator("#result .stat-created .n")).to_have_text(str(ROWS - 2))
    expect(page.locator("#result .import-issues")).to_contain_text("is not a")
    screenshot("import-06-report")
    assert Company.objects.count() == ROWS - 1  # 28 new + the one already there
    run.refresh_from_db()
    assert run.counts == {"created": ROWS - 2, "updated": 0, "unchanged": 0, "skipped": 1,
                          "errors": 1}

    # The history lists it
    page.locator(".sidebar").get_by_role("link", name="Imports", exact=True).click()
    expect(page.locator("table.import-list tbody tr")).to_have_count(1)
    expect(page.locator("table.import-list")).to_contain_text("клиенти-пловдив.csv")
    screenshot("import-07-history")
    assert page.js_errors == []


def test_a_large_file_s_dry_run_runs_as_a_job_with_a_progress_bar(page, login, screenshot,
                                                                   make_user, team, settings):
    settings.PARTNERA_IMPORT_BATCH_SIZE = 10
    settings.PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS = 20  # 30 rows: a large file, checked by a job
    manager = make_user(Role.ACCOUNT_MANAGER, team=team, username="ivanova", language="en",
                        first_name="Елена", last_name="Иванова")
    login(manager)
    page.goto("/imports/new/")
    page.set_input_files("input[name=file]", files=[{
        "name": "клиенти-пловдив.csv", "mimeType": "text/csv", "buffer": spreadsheet()}])
    page.get_by_role("button", name="Upload and check").click()
    page.locator("#mapping tr.unmapped select").select_option("legal_name")
    page.get_by_role("button", name="Check (dry run)").click()

    # Queued: the page says so and polls; there is nothing to start yet
    dry = page.locator("#dry-run")
    expect(dry.locator("h2")).to_have_text("Dry run: checking the file")
    expect(page.locator("#import-progress")).to_contain_text("Waiting for a worker to check")
    expect(page.locator("#run-status")).to_have_text("Dry run queued")
    expect(page.get_by_role("button", name="Start the import")).to_have_count(0)
    run = ImportRun.objects.get()
    assert run.status == ImportStatus.DRY_QUEUED

    seen: list[int] = []

    def after_each_batch(done: int, total: int) -> None:
        # The worker recorded a batch: the browser's next poll shows it.
        if done and done < total and not seen:
            expect(page.locator("progress")).to_have_attribute("value", str(done), timeout=10000)
            expect(page.locator("#import-progress")).to_contain_text(
                f"{done} of {total} rows checked")
            expect(page.locator("#run-status")).to_have_text("Dry run in progress")
            page.evaluate("window.scrollTo(0, 0)")
            screenshot("import-08-dry-run-progress")
            seen.append(done)

    with acting(Channel.JOB):
        engine.execute_dry_run(run.pk, seq=run.dry_run_seq, progress=after_each_batch)
    assert seen == [10]

    # Done: the page reloads by itself to the dry run's report, and the import can start
    expect(dry.locator(".stat-created .n")).to_have_text(str(ROWS - 1), timeout=10000)
    expect(dry.locator(".import-issues")).to_contain_text("Телефон")
    expect(page.locator("#run-status")).to_have_text("Dry run done")
    expect(page.get_by_role("button", name="Start the import")).to_be_visible()
    assert Company.objects.count() == 0
    assert page.js_errors == []
