"""The background jobs of imports (django-tasks; `partnera worker` runs them): the dry run of a
large file, and the import itself."""

from __future__ import annotations

from django_tasks import task

from partnera.core.context import Channel, acting


@task()
def check_import_task(run_id: int, seq: int) -> str:
    """Make an import's dry run number `seq`. Safe to run twice: a second worker finds the dry run
    taken (or done) and does nothing; one that was superseded (the mapping or the options changed
    since it was queued) is not made; one whose worker went silent is taken over."""
    from partnera.imports import engine
    from partnera.imports.readers import FileProblem

    with acting(Channel.JOB):
        try:
            run = engine.execute_dry_run(run_id, seq=seq)
        except FileProblem:
            return "refused"  # the run is back at the mapping step, with the reason
    return run.status if run is not None else "taken"


@task()
def run_import_task(run_id: int) -> str:
    """Run or resume one import. Safe to run twice: it continues after the last committed batch,
    and a second worker finds the run taken and does nothing."""
    from partnera.imports import engine

    with acting(Channel.JOB):
        run = engine.execute(run_id)
    return run.status if run is not None else "taken"
