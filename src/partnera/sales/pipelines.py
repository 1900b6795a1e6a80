"""Pipeline settings: pipelines, their stages and stage rules, and the managed lists of reasons.

Administrators only. Every write is validated, audited, and keeps one invariant: an active
pipeline is always usable — it has at least one active open stage, one active won stage and one
active lost stage — so a deal can always be opened, won and lost in it. A new pipeline therefore
starts with three stages (one open, won, lost) that the administrator renames and extends.

A stage that holds open deals cannot be deactivated or closed (the message says how many); a
stage that holds any deal keeps its outcome, so a deal's status always matches its stage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from partnera.core import cleaning
from partnera.core.audit import audit_record, diff
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.visibility import is_administrator
from partnera.sales.models import (
    Deal,
    Pipeline,
    PipelineKind,
    Reason,
    Requirement,
    Stage,
    StageOutcome,
    StageRule,
)

PIPELINE_FIELDS = ["name", "kind"]
STAGE_FIELDS = ["name", "probability", "outcome", "usual_days", "active"]


def _require_admin(actor) -> None:
    if not is_administrator(actor):
        raise PermissionDenied()


def _name(limit: int):
    def clean(value: Any) -> str:
        name = cleaning.text(value)
        if not name:
            raise ValidationError(_("This field is required."), code="required")
        if len(name) > limit:
            raise ValidationError(_("At most %(n)d characters.") % {"n": limit}, code="max_length")
        return name
    return clean


def _choice(choices) -> Any:
    def clean(value: Any) -> str:
        text = cleaning.text(value)
        if text not in choices.values:
            raise ValidationError(_("Choose one of the listed values."), code="invalid_choice")
        return text
    return clean


def _probability(value: Any) -> int:
    if value in (None, ""):
        raise ValidationError(_("Enter a win probability from 0 to 100."), code="required")
    if isinstance(value, bool):
        raise ValidationError(_("Enter a win probability from 0 to 100."), code="type")
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(_("Enter a win probability from 0 to 100."), code="type") from None
    if not 0 <= number <= 100:
        raise ValidationError(_("Enter a win probability from 0 to 100."), code="range")
    return number


def _apply(obj, data: dict, fields: list[str], cleaners: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name in fields:
        if name not in data:
            continue
        try:
            setattr(obj, name, cleaners[name](data[name]))
        except ValidationError as exc:
            errors[name] = exc.messages
    return errors


def _values(obj, fields: list[str]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}


def _audit(actor, action: str, obj, changes: dict) -> None:
    audit_record(actor=actor, action=action, obj=obj, changes=changes)


# --- what makes a pipeline usable ---------------------------------------------------------------

def pipeline_problems(pipeline: Pipeline, stages: Sequence[Stage] | None = None) -> list[str]:
    """What an active pipeline lacks to be usable (empty when it is)."""
    if stages is None:
        stages = list(pipeline.stages.all())
    outcomes = {s.outcome for s in stages if s.active}
    problems = []
    if StageOutcome.OPEN not in outcomes:
        problems.append(_("A pipeline needs at least one active open stage."))
    if StageOutcome.WON not in outcomes:
        problems.append(_("A pipeline needs at least one active won stage."))
    if StageOutcome.LOST not in outcomes:
        problems.append(_("A pipeline needs at least one active lost stage."))
    return problems


def _check_usable(pipeline: Pipeline, stages: list[Stage], field: str) -> None:
    if not pipeline.active:
        return
    problems = pipeline_problems(pipeline, stages)
    if problems:
        raise ValidationFailed(problems[0], fields={field: problems})


def _open_deals_in(stage: Stage) -> int:
    return Deal.objects.filter(stage=stage, status=StageOutcome.OPEN).count()


# --- pipelines ----------------------------------------------------------------------------------

def _pipeline_cleaners() -> dict:
    return {"name": _name(120), "kind": _choice(PipelineKind)}


def _unique_pipeline_name(pipeline: Pipeline) -> dict[str, list[str]]:
    # Compared in Python: SQLite folds the case of ASCII letters only (pipelines are few).
    if any(p.name.casefold() == pipeline.name.casefold()
           for p in Pipeline.objects.exclude(pk=pipeline.pk).only("name")):
        return {"name": [_("Another pipeline already has this name.")]}
    return {}


@transaction.atomic
def pipeline_create(*, actor, data: dict) -> Pipeline:
    """A new active pipeline with a first open stage, a won and a lost stage (rename them)."""
    _require_admin(actor)
    pipeline = Pipeline(kind=PipelineKind.OTHER)
    errors = _apply(pipeline, {"kind": PipelineKind.OTHER, **data}, PIPELINE_FIELDS,
                    _pipeline_cleaners())
    if "name" not in data:
        errors.setdefault("name", [_("This field is required.")])
    if not errors:
        errors = _unique_pipeline_name(pipeline)
    if errors:
        raise ValidationFailed(fields=errors)
    pipeline.position = (Pipeline.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    pipeline.is_default = not Pipeline.objects.filter(active=True).exists()
    pipeline.save()
    starters = [(_("First contact"), 10, StageOutcome.OPEN, 14), (_("Won"), 100, StageOutcome.WON, None),
                (_("Lost"), 0, StageOutcome.LOST, None)]
    Stage.objects.bulk_create([
        Stage(pipeline=pipeline, name=name, position=i, probability=p, outcome=o, usual_days=d)
        for i, (name, p, o, d) in enumerate(starters)])
    _audit(actor, AuditEntry.Action.CREATE, pipeline,
           {"name": [None, pipeline.name], "kind": [None, pipeline.kind],
            "stages": [None, [s[0] for s in starters]]})
    return pipeline


@transaction.atomic
def pipeline_update(*, actor, pipeline: Pipeline, data: dict) -> Pipeline:
    """Rename a pipeline or change its kind."""
    _require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    before = _values(pipeline, PIPELINE_FIELDS)
    errors = _apply(pipeline, data, PIPELINE_FIELDS, _pipeline_cleaners())
    if not errors:
        errors = _unique_pipeline_name(pipeline)
    if errors:
        raise ValidationFailed(fields=errors)
    changes = diff(before, _values(pipeline, PIPELINE_FIELDS))
    if changes:
        pipeline.save(update_fields=list(changes))
        _audit(actor, AuditEntry.Action.UPDATE, pipeline, changes)
    return pipeline


@transaction.atomic
def pipeline_set_default(*, actor, pipeline: Pipeline) -> Pipeline:
    """The pipeline new deals open in when none is chosen. It must be active and usable."""
    _require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if not pipeline.active:
        raise ValidationFailed(_("Activate the pipeline before making it the default."),
                               fields={"is_default": [_("Activate the pipeline first.")]})
    problems = pipeline_problems(pipeline)
    if problems:
        raise ValidationFailed(problems[0], fields={"is_default": problems})
    if not pipeline.is_default:
        previous = list(Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk))
        Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)
        pipeline.is_default = True
        pipeline.save(update_fields=["is_default"])
        _audit(actor, AuditEntry.Action.UPDATE, pipeline,
               {"is_default": [False, True],
                "previous_default": [", ".join(p.name for p in previous) or None, None]})
    return pipeline


@transaction.atomic
def pipeline_set_active(*, actor, pipeline: Pipeline, active: bool) -> Pipeline:
    """Deactivate a pipeline (no new deals, no moves into it) or bring it back. The default
    pipeline and one that still holds open deals stay active."""
    _require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    active = cleaning.boolean(active)
    if active == pipeline.active:
        return pipeline
    if not active:
        if pipeline.is_default:
            raise ValidationFailed(
                _("This is the default pipeline. Make another pipeline the default first."),
                fields={"active": [_("Make another pipeline the default first.")]})
        open_deals = Deal.objects.filter(pipeline=pipeline, status=StageOutcome.OPEN).count()
        if open_deals:
            message = ngettext(
                "%(n)d open deal is still in this pipeline. "
                "Move it to another pipeline or close it first.",
                "%(n)d open deals are still in this pipeline. "
                "Move them to another pipeline or close them first.",
                open_deals) % {"n": open_deals}
            raise ValidationFailed(message, fields={"active": [message]})
    else:
        problems = pipeline_problems(pipeline)
        if problems:
            raise ValidationFailed(problems[0], fields={"active": problems})
    pipeline.active = active
    pipeline.save(update_fields=["active"])
    _audit(actor, AuditEntry.Action.UPDATE, pipeline, {"active": [not active, active]})
    return pipeline


# --- stages -------------------------------------------------------------------------------------

def _stage_cleaners() -> dict:
    return {"name": _name(120), "probability": _probability, "outcome": _choice(StageOutcome),
            "usual_days": cleaning.optional_int, "active": cleaning.boolean}


def _unique_stage_name(stage: Stage, siblings: list[Stage]) -> dict[str, list[str]]:
    if any(s.pk != stage.pk and s.name.casefold() == stage.name.casefold() for s in siblings):
        return {"name": [_("Another stage of this pipeline already has this name.")]}
    return {}


def _renumber(stages: list[Stage]) -> None:
    for index, stage in enumerate(stages):
        if stage.position != index:
            stage.position = index
            Stage.objects.filter(pk=stage.pk).update(position=index)


def _stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(Stage.objects.select_for_update().filter(pipeline=pipeline).order_by("position", "id"))


@transaction.atomic
def stage_create(*, actor, pipeline: Pipeline, data: dict,
                 requirements: list[str] | None = None) -> Stage:
    """Add a stage. An open stage goes after the last open one (before won and lost); a closed
    stage goes last. Reorder with stage_move."""
    _require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    stages = _stages_of(pipeline)
    payload = {"outcome": StageOutcome.OPEN, "active": True, **data}
    if payload.get("probability") in (None, ""):
        payload["probability"] = {StageOutcome.WON: 100, StageOutcome.LOST: 0}.get(
            payload["outcome"], payload.get("probability"))
    stage = Stage(pipeline=pipeline)
    errors = _apply(stage, payload, STAGE_FIELDS, _stage_cleaners())
    if "name" not in data:
        errors.setdefault("name", [_("This field is required.")])
    wanted, rule_errors = _requirements(requirements or [])
    errors.update(rule_errors)
    if not errors:
        errors = _unique_stage_name(stage, stages)
    if errors:
        raise ValidationFailed(fields=errors)
    if stage.outcome == StageOutcome.OPEN:
        index = max((i + 1 for i, s in enumerate(stages) if s.outcome == StageOutcome.OPEN), default=0)
    else:
        index = len(stages)
    stages.insert(index, stage)
    stage.position = index
    stage.save()
    _renumber(stages)
    StageRule.objects.bulk_create([StageRule(stage=stage, requirement=r) for r in wanted])
    _audit(actor, AuditEntry.Action.CREATE, stage, {
        "pipeline": [None, pipeline.name], **{f: [None, getattr(stage, f)] for f in STAGE_FIELDS},
        "rules": [None, wanted]})
    return stage


@transaction.atomic
def stage_update(*, actor, stage: Stage, data: dict, requirements: list[str] | None = None) -> Stage:
    """Rename a stage, change its probability, outcome, usual days or active flag, and (when
    `requirements` is given) replace its rules."""
    _require_admin(actor)
    pipeline = Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    stages = _stages_of(pipeline)
    stage = next(s for s in stages if s.pk == stage.pk)
    before = _values(stage, STAGE_FIELDS)
    errors = _apply(stage, data, STAGE_FIELDS, _stage_cleaners())
    wanted: list[str] = []
    if requirements is not None:
        wanted, rule_errors = _requirements(requirements)
        errors.update(rule_errors)
    if not errors:
        errors = _unique_stage_name(stage, stages)
    if errors:
        raise ValidationFailed(fields=errors)
    if before["active"] and not stage.active:
        holding = _open_deals_in(stage)
        if holding:
            message = ngettext(
                "%(n)d open deal is still in this stage. Move it to another stage first.",
                "%(n)d open deals are still in this stage. Move them to another stage first.",
                holding) % {"n": holding}
            raise ValidationFailed(message, fields={"active": [message]})
    if before["outcome"] != stage.outcome:
        holding = Deal.all_objects.filter(stage=stage).count()
        if holding:
            message = ngettext(
                "%(n)d deal is in this stage, so its outcome stays. Add a new stage instead.",
                "%(n)d deals are in this stage, so its outcome stays. Add a new stage instead.",
                holding) % {"n": holding}
            raise ValidationFailed(message, fields={"outcome": [message]})
    field = "active" if before["active"] != stage.active else "outcome"
    _check_usable(pipeline, stages, field)
    changes = diff(before, _values(stage, STAGE_FIELDS))
    if changes:
        stage.save(update_fields=list(changes))
    if requirements is not None:
        current = sorted(stage.rules.values_list("requirement", flat=True))
        if current != sorted(wanted):
            StageRule.objects.filter(stage=stage).exclude(requirement__in=wanted).delete()
            StageRule.objects.bulk_create([StageRule(stage=stage, requirement=r)
                                           for r in wanted if r not in current])
            changes["rules"] = [current, sorted(wanted)]
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, stage, changes)
    return stage


def _requirements(values: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    wanted: list[str] = []
    for value in values or []:
        if not isinstance(value, str) or value not in Requirement.values:
            return [], {"rules": [_("Choose requirements from the list.")]}
        if value not in wanted:
            wanted.append(value)
    return wanted, {}


@transaction.atomic
def stage_set_rules(*, actor, stage: Stage, requirements: list[str]) -> Stage:
    """Replace what a deal must have before it may enter the stage."""
    return stage_update(actor=actor, stage=stage, data={}, requirements=requirements)


@transaction.atomic
def stage_move(*, actor, stage: Stage, direction: str) -> Stage:
    """Move a stage one place up or down in its pipeline."""
    _require_admin(actor)
    if direction not in ("up", "down"):
        raise ValidationFailed(fields={"direction": [_("Choose up or down.")]})
    pipeline = Pipeline.objects.select_for_update().get(pk=stage.pipeline_id)
    stages = _stages_of(pipeline)
    index = next(i for i, s in enumerate(stages) if s.pk == stage.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(stages):
        return stages[index]
    before = [s.name for s in stages]
    stages[index], stages[other] = stages[other], stages[index]
    _renumber(stages)
    _audit(actor, AuditEntry.Action.UPDATE, pipeline,
           {"stage_order": [before, [s.name for s in stages]]})
    return next(s for s in stages if s.pk == stage.pk)


def stage_reorder(*, actor, pipeline: Pipeline, order: list[int]) -> list[Stage]:
    """Put the pipeline's stages in the given order (every stage id once)."""
    _require_admin(actor)
    with transaction.atomic():
        pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
        stages = _stages_of(pipeline)
        by_id = {s.pk: s for s in stages}
        try:
            ids = [int(i) for i in order]
        except (TypeError, ValueError):
            ids = []
        if sorted(ids) != sorted(by_id):
            raise ValidationFailed(fields={"order": [_("List every stage of the pipeline once.")]})
        before = [s.name for s in stages]
        ordered = [by_id[i] for i in ids]
        _renumber(ordered)
        after = [s.name for s in ordered]
        if before != after:
            _audit(actor, AuditEntry.Action.UPDATE, pipeline, {"stage_order": [before, after]})
        return ordered


# --- reasons ------------------------------------------------------------------------------------

def _unique_reason(reason: Reason) -> dict[str, list[str]]:
    if any(r.name.casefold() == reason.name.casefold()
           for r in Reason.objects.filter(kind=reason.kind).exclude(pk=reason.pk).only("name")):
        return {"name": [_("This list already has this reason.")]}
    return {}


@transaction.atomic
def reason_create(*, actor, kind: str, name: Any) -> Reason:
    _require_admin(actor)
    reason = Reason()
    errors = _apply(reason, {"kind": kind, "name": name}, ["kind", "name"],
                    {"kind": _choice(Reason.Kind), "name": _name(150)})
    if not errors:
        errors = _unique_reason(reason)
    if errors:
        raise ValidationFailed(fields=errors)
    reason.position = (Reason.objects.filter(kind=reason.kind).aggregate(m=Max("position"))["m"]
                       or 0) + 1
    reason.save()
    _audit(actor, AuditEntry.Action.CREATE, reason,
           {"kind": [None, reason.kind], "name": [None, reason.name]})
    return reason


@transaction.atomic
def reason_update(*, actor, reason: Reason, data: dict) -> Reason:
    """Rename a reason or (de)activate it. Past deals and leads keep the reason they were given."""
    _require_admin(actor)
    reason = Reason.objects.select_for_update().get(pk=reason.pk)
    before = _values(reason, ["name", "active"])
    errors = _apply(reason, data, ["name", "active"], {"name": _name(150), "active": cleaning.boolean})
    if not errors:
        errors = _unique_reason(reason)
    if errors:
        raise ValidationFailed(fields=errors)
    if before["active"] and not reason.active and not Reason.objects.filter(
            Q(kind=reason.kind, active=True) & ~Q(pk=reason.pk)).exists():
        message = _("Keep at least one active reason in the list.")
        raise ValidationFailed(message, fields={"active": [message]})
    changes = diff(before, _values(reason, ["name", "active"]))
    if changes:
        reason.save(update_fields=list(changes))
        _audit(actor, AuditEntry.Action.UPDATE, reason, changes)
    return reason
