"""How long an import keeps its uploaded file.

The file (ImportRun.file, default storage) is read while the run may still need it: until the run
starts (the mapping can change and the dry run be made again), while it is queued or running, and
after it failed, for as long as it may be resumed. Once a run ended — done, undone, or failed — and
PARTNERA_IMPORT_FILE_DAYS days (30 by default) have passed, `import_files_cleanup` deletes the file
and clears the run's `file`. The run stays, with its report (its batches) and what it did to each
record (undo needs nothing else). A failed run whose file was removed can no longer be resumed: its
page says so; uploading the file again imports the rest (rows already imported come out unchanged).

`partnera imports cleanup [--days N]` runs it (once a night, like the other scheduled commands), or
puts `cleanup_import_files_task` on the queue for a worker (--enqueue).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from partnera.core.audit import audit_record
from partnera.core.context import Channel, acting
from partnera.core.errors import ValidationFailed
from partnera.core.models import AuditEntry
from partnera.imports.models import ImportRun, ImportStatus

logger = logging.getLogger("partnera.imports")

CHUNK = 200  # runs locked and cleaned per transaction

# The statuses in which a run has ended, and the moment it ended: done when it finished, undone
# when it was undone, failed when it stopped (the engine's last heartbeat). A run being mapped,
# ready to start, queued or running keeps its file whatever its age.
ENDED_AT = {
    ImportStatus.DONE: "finished_at",
    ImportStatus.UNDONE: "undone_at",
    ImportStatus.FAILED: "heartbeat_at",
}


@dataclass
class FilesRemoved:
    """What a cleanup did: the runs whose file it removed (and their size), the files it could not
    remove (the storage refused; they are tried again next time)."""

    runs: int = 0
    bytes: int = 0
    failed: int = 0


def import_file_days() -> int:
    return int(getattr(settings, "PARTNERA_IMPORT_FILE_DAYS", 30))


def _ended_before(cutoff: dt.datetime) -> Q:
    condition = Q(pk__in=[])
    for status, field in ENDED_AT.items():
        condition |= Q(status=status, **{f"{field}__lt": cutoff})
        # A run from before the moment was recorded: its last change stands in for it.
        condition |= Q(status=status, **{f"{field}__isnull": True}, updated_at__lt=cutoff)
    return condition


def import_files_expired(*, days: int | None = None, now: dt.datetime | None = None
                         ) -> QuerySet[ImportRun]:
    """The runs that ended more than `days` days ago (PARTNERA_IMPORT_FILE_DAYS by default) and
    still have their file."""
    days = import_file_days() if days is None else days
    if days < 0:
        raise ValidationFailed(fields={"days": [_("Give a number of days, 0 or more.")]})
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    return ImportRun.objects.filter(_ended_before(cutoff)).exclude(file="")


def import_files_cleanup(*, days: int | None = None, now: dt.datetime | None = None
                         ) -> FilesRemoved:
    """Delete the stored files of the runs that ended more than `days` days ago and clear their
    `file`; each removal is audited. Safe to run twice or concurrently: each run is locked and
    checked again before its file goes, so a run resumed meanwhile keeps it."""
    expired = import_files_expired(days=days, now=now)
    result = FilesRemoved()
    last = 0
    while True:
        with transaction.atomic():
            runs = list(expired.filter(pk__gt=last).select_for_update().order_by("pk")[:CHUNK])
            if not runs:
                break
            last = runs[-1].pk
            cleared = []
            for run in runs:
                try:
                    run.file.storage.delete(run.file.name)  # a file already gone is no error
                except Exception:
                    logger.exception("Could not remove the file of import %s", run.pk)
                    result.failed += 1
                    continue
                cleared.append(run)
            ImportRun.objects.filter(pk__in=[r.pk for r in cleared]).update(file="")
            for run in cleared:
                audit_record(actor=None, action=AuditEntry.Action.UPDATE, obj=run,
                             object_repr=str(run)[:300],
                             changes={"file": [run.original_name, ""]})
                result.runs += 1
                result.bytes += run.file_size
    return result


@task()
def cleanup_import_files_task(days: int | None = None) -> dict[str, int]:
    """Remove the files of the imports that ended more than `days` days ago (default
    PARTNERA_IMPORT_FILE_DAYS). Idempotent (`partnera imports cleanup --enqueue` queues it)."""
    with acting(Channel.JOB):
        result = import_files_cleanup(days=days)
    return {"removed": result.runs, "bytes": result.bytes, "failed": result.failed}
