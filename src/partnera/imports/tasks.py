"""The background job that runs an import (django-tasks; `partnera worker` runs it)."""

from __future__ import annotations

from django_tasks import task

from partnera.core.context import Channel, acting


@task()
def run_import_task(run_id: int) -> str:
    """Run or resume one import. Safe to run twice: it continues after the last committed batch,
    and a second worker finds the run taken and does nothing."""
    from partnera.imports import engine

    with acting(Channel.JOB):
        run = engine.execute(run_id)
    return run.status if run is not None else "taken"
