"""Imports: one run per uploaded file, its outcome batch by batch, what it did to each record (for
undo), and the column mappings people save to reuse.

The machinery is domain-neutral: what a "kind" of import is (companies, contacts …) and how its rows
are validated and written is registered by the domain (partnera.imports.registry).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", _("Needs column mapping")
    DRY_QUEUED = "dry_queued", _("Dry run queued")
    DRY_RUNNING = "dry_running", _("Dry run in progress")
    READY = "ready", _("Dry run done")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    UNDONE = "undone", _("Undone")


class ImportRun(models.Model):
    kind = models.CharField(_("kind"), max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                             related_name="import_runs", verbose_name=_("user"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The uploaded file, kept under a random name; the user's file name is data, never a path.
    file = models.FileField(_("file"), upload_to="imports/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    file_size = models.PositiveBigIntegerField(_("size"), default=0)
    file_format = models.CharField(_("format"), max_length=10)  # csv, xlsx, vcf …
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    delimiter = models.CharField(_("delimiter"), max_length=4, blank=True)
    headers = models.JSONField(_("columns"), default=list)
    header_row = models.PositiveIntegerField(default=1)
    # One field key per file column ("" = not imported).
    mapping = models.JSONField(_("mapping"), default=list)
    # {"key": "auto"|"eik"|…, "update": bool}
    options = models.JSONField(_("options"), default=dict)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices,
                              default=ImportStatus.MAPPING, db_index=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    # The dry run's own progress (rows_done is the real run's: it resumes from it).
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    # Which dry run the run is waiting for: every request for a dry run (and every change of the
    # mapping or the options) counts it up; a dry-run job saves its report only while the number
    # it was given is still the run's, so a job for an outdated configuration never lands.
    dry_run_seq = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    errors = models.PositiveIntegerField(_("errors"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    # The summary shown on the page: the first problems, a preview of the changes.
    report = models.JSONField(_("report"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    dry_run_at = models.DateTimeField(_("dry run"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    # The worker holding the run or its dry run (a random token) and when it last finished a batch.
    worker = models.CharField(max_length=40, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    job_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [models.Index(fields=["user", "-created_at"], name="import_user_idx")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.original_name}"

    @property
    def counts(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "skipped": self.skipped, "errors": self.errors}

    @property
    def is_checking(self) -> bool:
        """The dry run is queued or under way (its report is not there yet)."""
        return self.status in (ImportStatus.DRY_QUEUED, ImportStatus.DRY_RUNNING)

    @property
    def progress_done(self) -> int:
        """Rows done by what is going on: the dry run while it runs, else the import."""
        return self.rows_checked if self.is_checking else self.rows_done

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 100 if self.status == ImportStatus.DONE else 0
        return min(100, self.progress_done * 100 // self.rows_total)

    @property
    def is_finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.UNDONE)

    @property
    def is_editable(self) -> bool:
        """Mapping and options can change (and the dry run be repeated) until the run starts,
        also while a dry run is queued or running (that dry run is then superseded)."""
        return self.status in (ImportStatus.MAPPING, ImportStatus.READY, ImportStatus.DRY_QUEUED,
                               ImportStatus.DRY_RUNNING)


class ImportBatch(models.Model):
    """The outcome of one batch of rows. A real batch is written in the same transaction as the
    records it created or changed, so a committed batch is exactly the work that was done."""

    class Phase(models.TextChoices):
        DRY = "dry", _("dry run")
        REAL = "real", _("import")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="batches")
    phase = models.CharField(max_length=4, choices=Phase.choices)
    number = models.PositiveIntegerField()
    first_row = models.PositiveIntegerField()
    last_row = models.PositiveIntegerField()
    # [[row number, outcome, record id, label, changed fields, [[column, field, message, level]]]]
    rows = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["run", "phase", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "phase", "number"], name="unique_import_batch")
        ]

    def __str__(self) -> str:
        return f"{self.run_id}/{self.phase}/{self.number}"


class ImportRecord(models.Model):
    """What a run did to one record: created it, or updated it (with the values before), so that
    undo can reverse exactly that."""

    class Action(models.TextChoices):
        CREATED = "created", _("created")
        UPDATED = "updated", _("updated")

    run = models.ForeignKey(ImportRun, on_delete=models.CASCADE, related_name="records")
    row = models.PositiveIntegerField()
    object_type = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    # Updated: the previous value of each changed field (as stored); created: empty.
    before = models.JSONField(default=dict, blank=True)
    # The record's version right after the import: undo leaves alone what changed since.
    version = models.PositiveIntegerField(default=1)

    class Meta:
        indexes = [models.Index(fields=["run", "object_type", "object_id"], name="import_rec_idx")]

    def __str__(self) -> str:
        return f"{self.run_id}: {self.action} {self.object_type}#{self.object_id}"


class ImportMapping(models.Model):
    """A named column mapping a user saved: file column header (normalised) → field key."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="import_mappings", verbose_name=_("user"))
    kind = models.CharField(_("kind"), max_length=40)
    name = models.CharField(_("name"), max_length=80)
    columns = models.JSONField(_("columns"), default=dict)
    options = models.JSONField(_("options"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("saved mapping")
        verbose_name_plural = _("saved mappings")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "name"],
                                               name="unique_import_mapping")]

    def __str__(self) -> str:
        return self.name
