"""Retention of uploaded import files: the files of imports that ended long enough ago are removed
(`partnera imports cleanup`, its job); the runs, their reports and their undo stay; a run that can
still be started or resumed keeps its file; the pages say "file removed"."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from partnera.clients.models import Company
from partnera.clients.tests.factories import valid_eik
from partnera.core.errors import Conflict, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.tests.dbstate import db_state
from partnera.imports import engine, services
from partnera.imports.models import ImportRun, ImportStatus
from partnera.imports.retention import cleanup_import_files_task, import_files_cleanup
from partnera.imports.tests.helpers import dry_run, run_import

pytestmark = pytest.mark.django_db

def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def companies_csv(n: int, *names: str) -> str:
    rows = "".join(f"{valid_eik(n * 10 + i)};{name};София\n" for i, name in enumerate(names))
    return "ЕИК;Име на фирма;Град\n" + rows


def stored(run: ImportRun) -> Path:
    return Path(django_settings.MEDIA_ROOT) / run.file.name


def fresh(run: ImportRun) -> ImportRun:
    return ImportRun.objects.get(pk=run.pk)


def failed_run(actor, n: int) -> ImportRun:
    """An import that stopped: its user was deactivated before the worker took it."""
    run = dry_run(actor, "companies", companies_csv(n, "Спряна"))
    services.import_start(actor=actor, run=run)
    type(actor).objects.filter(pk=actor.pk).update(is_active=False)
    engine.execute(run.pk)
    type(actor).objects.filter(pk=actor.pk).update(is_active=True)
    run = fresh(run)
    assert run.status == ImportStatus.FAILED
    return run


@pytest.fixture
def runs(manager):
    """Runs in every state; the "old" ones ended (or were last touched) long ago."""
    made = {
        "done_old": run_import(manager, "companies", companies_csv(1, "Алфа", "Бета")),
        "done_recent": run_import(manager, "companies", companies_csv(2, "Гама")),
        "undone_old": run_import(manager, "companies", companies_csv(3, "Делта")),
        "failed_old": failed_run(manager, 4),
        "failed_recent": failed_run(manager, 5),
        "ready_old": dry_run(manager, "companies", companies_csv(6, "Готова")),
        "mapping_old": dry_run(manager, "companies", "Нещо;Друго\nа;б\n"),
        "queued_old": dry_run(manager, "companies", companies_csv(7, "Чака")),
        "running_old": dry_run(manager, "companies", companies_csv(8, "Тече")),
    }
    services.import_undo(actor=manager, run=made["undone_old"])
    services.import_start(actor=manager, run=made["queued_old"])
    old, month = ago(400), ago(31)
    ImportRun.objects.update(created_at=old, updated_at=old)
    ImportRun.objects.filter(pk=made["done_old"].pk).update(finished_at=month)
    ImportRun.objects.filter(pk=made["done_recent"].pk).update(finished_at=ago(29))
    ImportRun.objects.filter(pk=made["undone_old"].pk).update(finished_at=old, undone_at=month)
    ImportRun.objects.filter(pk=made["failed_old"].pk).update(heartbeat_at=month)
    ImportRun.objects.filter(pk=made["failed_recent"].pk).update(heartbeat_at=ago(1))
    # A worker took it and went silent long ago: it may be resumed, so it keeps its file.
    ImportRun.objects.filter(pk=made["running_old"].pk).update(
        status=ImportStatus.RUNNING, worker="w", heartbeat_at=old, started_at=old)
    made = {name: fresh(run) for name, run in made.items()}
    assert made["mapping_old"].status == ImportStatus.MAPPING
    assert made["ready_old"].status == ImportStatus.READY
    assert made["queued_old"].status == ImportStatus.QUEUED
    assert made["undone_old"].status == ImportStatus.UNDONE
    assert all(stored(run).is_file() for run in made.values())
    return made


REMOVED = ("done_old", "undone_old", "failed_old")


def test_only_the_files_of_runs_that_ended_over_the_retention_are_removed(runs):
    reports = {name: run.report for name, run in runs.items()}
    paths = {name: stored(run) for name, run in runs.items()}

    result = import_files_cleanup()  # PARTNERA_IMPORT_FILE_DAYS: 30

    assert (result.runs, result.failed) == (3, 0)
    assert result.bytes == sum(runs[name].file_size for name in REMOVED)
    for name, run in runs.items():
        after = fresh(run)
        if name in REMOVED:
            assert (after.file.name, paths[name].exists()) == ("", False), name
        else:
            assert (after.file.name, paths[name].is_file()) == (run.file.name, True), name
        # The run itself, its status and its report stay as they were.
        assert (after.status, after.report, after.original_name) == (
            run.status, reports[name], run.original_name), name
    entries = AuditEntry.objects.filter(object_type="imports.importrun", changes__has_key="file")
    assert sorted(int(e.object_id) for e in entries) == sorted(runs[n].pk for n in REMOVED)
    # Again: nothing more to do.
    assert import_files_cleanup().runs == 0


def test_the_retention_follows_the_setting_and_the_days_given(runs, settings):
    settings.PARTNERA_IMPORT_FILE_DAYS = 40
    assert import_files_cleanup().runs == 0

    assert import_files_cleanup(days=10).runs == 4  # and the run done 29 days ago
    assert import_files_cleanup(days=0).runs == 1  # the failed run of yesterday
    assert fresh(runs["failed_recent"]).file.name == ""
    assert fresh(runs["ready_old"]).file.name == runs["ready_old"].file.name


def test_negative_days_are_refused_and_nothing_changes(runs):
    before = db_state()

    with pytest.raises(ValidationFailed):
        import_files_cleanup(days=-1)
    with pytest.raises(CommandError):
        call_command("imports", "cleanup", "--days", "-1", stdout=StringIO())

    assert db_state() == before
    assert all(stored(run).is_file() for run in runs.values())


def test_report_and_undo_still_work_once_the_file_is_gone(runs, manager, logged_in):
    run = runs["done_old"]
    import_files_cleanup()
    client = logged_in(manager)

    report = client.get(reverse("imports:import_report", args=[run.pk]),
                        HTTP_ACCEPT_LANGUAGE="en")
    result = services.import_undo(actor=manager, run=fresh(run))

    assert report.status_code == 200
    lines = b"".join(report.streaming_content).decode("utf-8-sig").splitlines()
    assert len(lines) == 3  # the header and the two rows
    assert result.reverted == 2
    assert fresh(run).status == ImportStatus.UNDONE
    assert not Company.objects.filter(legal_name__in=["Алфа", "Бета"]).exists()


def test_the_pages_say_file_removed_and_a_failed_run_can_no_longer_be_resumed(runs, manager,
                                                                              logged_in):
    import_files_cleanup()
    client = logged_in(manager)

    history = client.get(reverse("imports:import_list"), HTTP_ACCEPT_LANGUAGE="en")
    done = client.get(reverse("imports:import_detail", args=[runs["done_old"].pk]),
                      HTTP_ACCEPT_LANGUAGE="en").content.decode()
    recent = client.get(reverse("imports:import_detail", args=[runs["done_recent"].pk]),
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    failed = client.get(reverse("imports:import_detail", args=[runs["failed_old"].pk]),
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()
    resumable = client.get(reverse("imports:import_detail", args=[runs["failed_recent"].pk]),
                           HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert history.content.decode().count("file removed") == 3
    assert "file removed" in done and "file removed" not in recent
    assert "can no longer be resumed" in failed
    assert reverse("imports:import_resume", args=[runs["failed_old"].pk]) not in failed
    assert "can no longer be resumed" not in resumable and "file removed" not in resumable
    assert reverse("imports:import_resume", args=[runs["failed_recent"].pk]) in resumable


def test_resuming_a_run_whose_file_was_removed_is_refused_and_nothing_changes(runs, manager,
                                                                             logged_in):
    import_files_cleanup()
    run = fresh(runs["failed_old"])
    client = logged_in(manager)
    before, jobs = db_state(), DBTaskResult.objects.count()
    stored_run = ImportRun.objects.filter(pk=run.pk).values().get()

    with pytest.raises(Conflict, match="can no longer be resumed"):
        services.import_resume(actor=manager, run=run)
    response = client.post(reverse("imports:import_resume", args=[run.pk]),
                           HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "can no longer be resumed" in response.content.decode()
    assert ImportRun.objects.filter(pk=run.pk).values().get() == stored_run
    assert DBTaskResult.objects.count() == jobs
    assert db_state() == before


def test_the_command_removes_them_and_says_how_many(runs):
    out = StringIO()
    call_command("imports", "cleanup", stdout=out)
    again = StringIO()
    call_command("imports", "cleanup", "--days", "0", stdout=again)

    assert out.getvalue().startswith("Removed the files of 3 imports that ended more than 30 "
                                     "days ago (")
    assert again.getvalue().startswith("Removed the files of 2 imports that ended more than 0 "
                                       "days ago (")
    # Left: the runs that can still be started or resumed (mapping, ready, queued, running).
    assert ImportRun.objects.exclude(file="").count() == 4
    entry = AuditEntry.objects.filter(changes__has_key="file").first()
    assert entry is not None and entry.channel == "cli"


def test_the_command_can_leave_it_to_a_worker_and_the_job_is_idempotent(runs):
    out = StringIO()
    call_command("imports", "cleanup", "--days", "10", "--enqueue", stdout=out)

    job = DBTaskResult.objects.get()
    assert job.task_path == "partnera.imports.retention.cleanup_import_files_task"
    assert job.args_kwargs["args"] == [10]
    assert ImportRun.objects.exclude(file="").count() == 9  # nothing done yet
    first = cleanup_import_files_task.call(10)
    second = cleanup_import_files_task.call(10)
    assert (first["removed"], second["removed"]) == (4, 0)
    assert AuditEntry.objects.filter(changes__has_key="file", channel="job").count() == 4
