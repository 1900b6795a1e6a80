"""The dry run of a large file as a background job: queued on upload, its progress on the page and
in the API, the same report as the dry run made at once, superseded when the mapping or the
options change, taken over when its worker goes silent, and the import refused until it is done.

The jobs are run the way `partnera worker` runs them: queued in the database backend when the
request commits, then the worker command processes the queue (or, to look at the page part-way,
the job's own entry point with a progress hook, as the command line uses it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, valid_eik
from partnera.core.context import Channel, acting
from partnera.core.errors import Conflict
from partnera.core.tests.api_client import ApiClient
from partnera.core.tests.dbstate import db_state
from partnera.imports import engine, services
from partnera.imports.models import ImportBatch, ImportRun, ImportStatus
from partnera.imports.tasks import check_import_task
from partnera.imports.tests.helpers import issues, outcomes

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# The worker command ends its database connection when it is done: tests that run it commit for
# real (as the orders' and reminders' worker tests do).
WORKER = pytest.mark.django_db(transaction=True)
ROWS = 6


def spreadsheet(rows: int = ROWS) -> str:
    """Row 4 has a bad phone; row 2 is a company already in the base, in another city."""
    lines = ["ЕИК;Име на фирма;Град;Телефон"]
    for n in range(1, rows + 1):
        phone = "12ab" if n == 3 else f"0888 {n:03d} {n:03d}"
        lines.append(f"{valid_eik(n)};Фирма {n} ООД;Пловдив;{phone}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def large(settings):
    """Every file counts as large (its dry run is a job), the queue is the database's, and a
    batch is two rows, so a job reports progress part-way."""
    settings.PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS = 2
    settings.PARTNERA_IMPORT_BATCH_SIZE = 2
    settings.TASKS = DATABASE_TASKS


@pytest.fixture
def existing(manager):
    return CompanyFactory(owner=manager, legal_name="Фирма 1 ООД", eik=valid_eik(1), city="Варна")


def upload(client, text: str = spreadsheet(), name: str = "firmi.csv"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("imports:import_new"), {"kind": "companies", "file": file})


def run_worker() -> str:
    out = StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", stdout=out,
                 stderr=out)
    return out.getvalue()


def dry_batches(run: ImportRun) -> list[list]:
    return [b.rows for b in run.batches.filter(phase=ImportBatch.Phase.DRY).order_by("number")]


def run_row(run: ImportRun) -> Mapping[str, object]:
    return ImportRun.objects.filter(pk=run.pk).values().get()


@WORKER
def test_a_large_file_is_queued_and_the_job_gives_the_report_the_request_would(
        logged_in, manager, existing, large, settings, django_capture_on_commit_callbacks):
    client = logged_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client)

    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert (run.status, run.rows_total, run.rows_checked, run.dry_run_seq) == (
        ImportStatus.DRY_QUEUED, ROWS, 0, 1)
    job = DBTaskResult.objects.get()
    assert (job.task_path, job.args_kwargs["args"]) == (
        "partnera.imports.tasks.check_import_task", [run.pk, 1])
    assert run.job_id == str(job.pk)
    assert not run.batches.exists()

    run_worker()

    run.refresh_from_db()
    job.refresh_from_db()
    assert (job.status, job.return_value) == ("SUCCESSFUL", ImportStatus.READY)
    assert (run.status, run.rows_checked, run.worker, run.message) == (
        ImportStatus.READY, ROWS, "", "")
    assert run.counts == {"created": ROWS - 2, "updated": 0, "unchanged": 0, "skipped": 1,
                          "errors": 1}
    assert Company.objects.count() == 1
    # The same file checked at once, in the request, gives the very same report.
    settings.PARTNERA_IMPORT_INLINE_DRY_RUN_ROWS = 5000
    upload(client, name="same.csv")
    at_once = ImportRun.objects.get(original_name="same.csv")
    assert at_once.status == ImportStatus.READY
    assert DBTaskResult.objects.count() == 1  # no job for it
    assert run.report == at_once.report
    assert dry_batches(run) == dry_batches(at_once)
    assert (run.counts, run.warnings) == (at_once.counts, at_once.warnings)
    assert issues(run) == [(4, "Телефон", "“12ab” is not a phone number.")]
    page = client.get(reverse("imports:import_detail", args=[run.pk])).content.decode()
    assert "Dry run: what the import will do" in page
    assert 'id="start-import"' in page


def test_the_page_shows_the_dry_run_s_progress_while_it_runs(logged_in, manager, large,
                                                             django_capture_on_commit_callbacks):
    client = logged_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    run = ImportRun.objects.get()
    detail = reverse("imports:import_detail", args=[run.pk])
    progress = reverse("imports:import_progress", args=[run.pk])

    queued = client.get(detail).content.decode()
    assert "Dry run: checking the file" in queued
    assert "Waiting for a worker to check the file…" in queued
    assert f'hx-get="{progress}" hx-trigger="every 1s"' in queued
    assert "Apply and check again" in queued  # the mapping can still change
    assert 'id="start-import"' not in queued
    assert "Download report (CSV)" not in queued
    seen: list[tuple[int, str, str]] = []

    def look(done: int, total: int) -> None:
        # The job has recorded a batch: what the page and its poll show now.
        partial = client.get(progress, HTTP_HX_REQUEST="true")
        page = client.get(detail).content.decode()
        seen.append((done, partial.get("HX-Refresh", ""), partial.content.decode()))
        assert f'<progress max="{total}" value="{done}"' in page
        assert f"{done} of {total} rows checked" in page

    with acting(Channel.JOB):
        engine.execute_dry_run(run.pk, seq=run.dry_run_seq, progress=look)

    assert [(done, refresh) for done, refresh, _html in seen] == [(2, ""), (4, ""), (6, "")]
    first = seen[0][2]
    assert "33%" in first and "2 of 6 rows checked" in first
    assert "Checking every row; nothing is written." in first
    assert 'id="run-status" hx-swap-oob="true">Dry run in progress<' in first
    done = client.get(progress, HTTP_HX_REQUEST="true")
    assert done["HX-Refresh"] == "true"  # finished: the page reloads to the report
    assert "Dry run: what the import will do" in client.get(detail).content.decode()


@WORKER
def test_changing_the_options_while_the_dry_run_is_queued_drops_its_report(
        logged_in, manager, existing, large, django_capture_on_commit_callbacks):
    client = logged_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    run = ImportRun.objects.get()
    assert run.dry_run_seq == 1

    with django_capture_on_commit_callbacks(execute=True):
        changed = client.post(reverse("imports:import_configure", args=[run.pk]), {
            "col-0": "eik", "col-1": "legal_name", "col-2": "city", "col-3": "phones",
            "key": "auto", "update": "on"})

    run.refresh_from_db()
    assert changed.status_code == 302
    assert (run.status, run.dry_run_seq, run.options["update"]) == (
        ImportStatus.DRY_QUEUED, 2, True)
    jobs = list(DBTaskResult.objects.order_by("enqueued_at").values_list("args_kwargs",
                                                                          flat=True))
    assert [j["args"] for j in jobs] == [[run.pk, 1], [run.pk, 2]]
    # The first job (for the old options) finds its dry run superseded and writes nothing.
    assert check_import_task.call(run.pk, 1) == "taken"
    assert (run_row(run)["status"], run.batches.count()) == (ImportStatus.DRY_QUEUED, 0)

    run_worker()

    run.refresh_from_db()
    assert run.status == ImportStatus.READY
    # Updating is on: the company in Варна would move to Пловдив (the old options: left alone).
    assert (run.updated, run.skipped) == (1, 0)
    assert outcomes(run)[2] == "updated"
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [
        "ready", "taken"]


def test_changing_the_mapping_while_the_dry_run_runs_stops_it_and_its_report_never_lands(
        manager, existing, large, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_create(actor=manager, kind="companies", filename="firmi.csv",
                                     data=spreadsheet().encode())
    batches_seen: list[int] = []

    def change_mapping_midway(done: int, total: int) -> None:
        batches_seen.append(done)
        if done == 2:
            # Someone leaves the phones out while the worker is at the first batch (the new
            # dry run's job is queued; this test runs it below).
            services.import_configure(actor=manager, run=ImportRun.objects.get(pk=run.pk),
                                      mapping={"Телефон": ""})

    with acting(Channel.JOB):
        stopped = engine.execute_dry_run(run.pk, seq=1, progress=change_mapping_midway)

    assert stopped is not None
    assert batches_seen == [2]  # the next batch found the dry run superseded and stopped
    assert (stopped.status, stopped.dry_run_seq, stopped.worker) == (
        ImportStatus.DRY_QUEUED, 2, "")
    assert (stopped.report.get("phase"), stopped.errors, stopped.batches.count()) == (None, 0, 0)

    assert check_import_task.call(run.pk, 2) == ImportStatus.READY

    run.refresh_from_db()
    assert run.mapping == ["eik", "legal_name", "city", ""]
    assert (run.errors, issues(run)) == (0, [])  # the phone column is no longer checked


def test_starting_the_import_during_the_dry_run_is_refused_and_changes_nothing(
        logged_in, manager, large, django_capture_on_commit_callbacks):
    client = logged_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    run = ImportRun.objects.get()
    api = ApiClient(client, manager)

    for claimed in (False, True):
        if claimed:
            engine.claim_dry_run(run.pk, run.dry_run_seq)  # a worker is at it
        before = (run_row(run), db_state(), DBTaskResult.objects.count())

        web = client.post(reverse("imports:import_start", args=[run.pk]), follow=True)
        response = api.post(f"/imports/{run.pk}/start")
        with pytest.raises(Conflict) as refused:
            services.import_run_now(actor=manager, run=ImportRun.objects.get(pk=run.pk))

        message = "The dry run is not finished yet. Wait for its report, then start the import."
        assert message in web.content.decode()
        assert response.status_code == 409
        assert response.json()["message"] == message
        assert refused.value.message == message
        assert (run_row(run), db_state(), DBTaskResult.objects.count()) == before
    assert Company.objects.count() == 0


def test_a_dry_run_whose_worker_went_silent_is_taken_over(manager, large,
                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        run = services.import_create(actor=manager, kind="companies", filename="firmi.csv",
                                     data=spreadsheet().encode())
    # A worker took it and died after the first batch.
    _run, dead = engine.claim_dry_run(run.pk, 1)
    ImportRun.objects.filter(pk=run.pk).update(rows_checked=2)

    # While it is fresh, a second job leaves it alone.
    assert check_import_task.call(run.pk, 1) == "taken"
    assert (run_row(run)["worker"], run_row(run)["rows_checked"]) == (dead, 2)

    # Once silent for longer than STALE_AFTER, the job (run again) takes it over.
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - engine.STALE_AFTER - dt.timedelta(seconds=1))
    assert check_import_task.call(run.pk, 1) == ImportStatus.READY

    run.refresh_from_db()
    assert (run.status, run.worker, run.rows_checked, run.errors) == (
        ImportStatus.READY, "", ROWS, 1)
    assert len(dry_batches(run)) == ROWS // 2
    # The dead worker, were it to wake up, may no longer record anything.
    assert not ImportRun.objects.filter(pk=run.pk, worker=dead).exists()
    assert check_import_task.call(run.pk, 1) == "taken"  # and a finished dry run is not redone


@WORKER
def test_the_page_offers_to_check_again_when_the_dry_run_stalled(
        logged_in, manager, large, django_capture_on_commit_callbacks):
    client = logged_in(manager)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client)
    run = ImportRun.objects.get()
    engine.claim_dry_run(run.pk, 1)
    detail = reverse("imports:import_detail", args=[run.pk])
    assert "Check again" not in client.get(detail).content.decode()  # it is moving
    ImportRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - engine.STALE_AFTER - dt.timedelta(minutes=1))
    progress = client.get(reverse("imports:import_progress", args=[run.pk])).content.decode()
    assert "The dry run has not moved for a while." in progress
    assert 'id="check-again"' in client.get(detail).content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(reverse("imports:import_dry_run", args=[run.pk]))
    run_worker()

    run.refresh_from_db()
    assert again.status_code == 302
    assert (run.status, run.dry_run_seq, run.rows_checked) == (ImportStatus.READY, 2, ROWS)
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [
        "ready", "taken"]


@WORKER
def test_the_api_answers_202_with_the_progress_then_the_report(
        client, manager, existing, large, django_capture_on_commit_callbacks):
    api = ApiClient(client, manager)
    with django_capture_on_commit_callbacks(execute=True):
        created = api.upload("/imports", {
            "file": SimpleUploadedFile("firmi.csv", spreadsheet().encode()),
            "kind": "companies"})
    body = created.json()
    run_id = body["id"]
    assert created.status_code == 201
    assert (body["status"], body["rows_total"], body["rows_checked"], body["percent"]) == (
        "dry_queued", ROWS, 0, 0)

    with django_capture_on_commit_callbacks(execute=True):
        patched = api.patch(f"/imports/{run_id}", {"update": True})
    assert patched.status_code == 202
    assert (patched.json()["status"], patched.json()["options"]["update"]) == ("dry_queued", True)

    def poll(done: int, total: int) -> None:
        if done == 2:
            state = api.get(f"/imports/{run_id}").json()
            polled.append((state["status"], state["rows_checked"], state["percent"]))

    polled: list[tuple] = []
    with acting(Channel.JOB):
        engine.execute_dry_run(run_id, seq=ImportRun.objects.get().dry_run_seq, progress=poll)
    assert polled == [("dry_running", 2, 33)]

    report = api.get(f"/imports/{run_id}").json()
    assert (report["status"], report["phase"], report["rows_checked"]) == ("ready", "dry", ROWS)
    assert report["counts"] == {"created": ROWS - 2, "updated": 1, "unchanged": 0, "skipped": 0,
                                "errors": 1}
    assert report["issues"] == [{"row": 4, "column": "Телефон", "field": "phones",
                                 "message": "“12ab” is not a phone number.", "level": "error"}]

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"/imports/{run_id}/dry-run")
    assert again.status_code == 202
    assert (again.json()["status"], again.json()["counts"]["created"]) == ("dry_queued", 0)
    run_worker()
    assert api.get(f"/imports/{run_id}").json()["counts"]["created"] == ROWS - 2
    assert Company.objects.count() == 1


def test_a_small_file_is_still_checked_at_once_by_the_api(client, manager, settings):
    settings.TASKS = DATABASE_TASKS
    api = ApiClient(client, manager)
    run_id = api.upload("/imports", {
        "file": SimpleUploadedFile("firmi.csv", spreadsheet().encode()),
        "kind": "companies"}).json()["id"]

    again = api.post(f"/imports/{run_id}/dry-run")

    assert again.status_code == 200
    assert (again.json()["status"], again.json()["counts"]["created"]) == ("ready", ROWS - 1)
    assert DBTaskResult.objects.count() == 0


def test_the_command_line_makes_a_large_dry_run_in_its_own_process(tmp_path, manager, large):
    path = tmp_path / "firmi.csv"
    path.write_text(spreadsheet(), encoding="utf-8")
    out, err = StringIO(), StringIO()

    with acting(Channel.CLI), pytest.raises(CommandError) as exited:
        call_command("import", "companies", str(path), "--user", "manager", "--dry-run",
                     stdout=out, stderr=err)

    run = ImportRun.objects.get()
    assert exited.value.returncode == 2  # one row has a problem
    assert run.status == ImportStatus.READY
    assert f"[##############################] 100% {ROWS}/{ROWS} rows" in err.getvalue()
    assert "  would create          5" in out.getvalue()
    assert DBTaskResult.objects.count() == 0
