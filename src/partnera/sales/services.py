"""Writes to deals: create, change, move between stages (stage rules enforced, every move kept),
win, lose, delete and restore. Pipelines, stages, rules, reasons, leads and web forms have their
own modules beside this one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients.models import Company, Contact
from partnera.clients.models import Stage as RelationshipStage
from partnera.clients.services import company_update
from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry
from partnera.core.money import Currency, to_eur
from partnera.core.records import bump_version
from partnera.core.roles import Role
from partnera.core.search import search_index_update
from partnera.core.visibility import can_assign, can_change, can_delete, visible_q
from partnera.sales.models import (
    ContactRole,
    Deal,
    DealContact,
    DealStageChange,
    Pipeline,
    Reason,
    Requirement,
    Stage,
    StageOutcome,
)
from partnera.sales.selectors import (
    deal_rule_q,
    deal_visible_q,
    default_pipeline,
    first_open_stage,
)

DEAL_FIELDS = [
    "title", "company", "pipeline", "owner", "team", "amount", "currency", "expected_close_date",
    "products", "competitors", "next_step",
]
AUDITED_DEAL_FIELDS = [*DEAL_FIELDS, "stage", "lost_reason", "lost_comment", "status"]
MAX_LIST_ITEMS = 30
# A deal's contact and its role in the decision: the contact, or its id (as posted: unchecked).
ContactChoice = tuple[Contact | int | str, str]


# --- cleaning -----------------------------------------------------------------------------------

def _free_list(value: Any) -> list[str]:
    """A free list of short names (products of interest, competitors): text with commas, new lines
    or semicolons, or a JSON list. Blank items and repeats go."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list | tuple) else str(value).replace(";", "\n").replace(
        ",", "\n").splitlines()
    names: list[str] = []
    for item in items:
        name = cleaning.text(item)
        if not name:
            continue
        if len(name) > 120:
            raise ValidationError(_("Each item has at most 120 characters."), code="max_length")
        if name.casefold() not in {n.casefold() for n in names}:
            names.append(name)
    if len(names) > MAX_LIST_ITEMS:
        raise ValidationError(_("At most %(n)d items.") % {"n": MAX_LIST_ITEMS}, code="max_items")
    return names


def _currency(value: Any) -> str:
    code = cleaning.text(value).upper() or Currency.EUR
    if code not in Currency.values:
        raise ValidationError(_("Choose EUR or BGN."), code="invalid_choice")
    return code


def _pipeline_ref(value: Any) -> Pipeline | None:
    if value in (None, ""):
        return None
    if isinstance(value, Pipeline):
        return value
    try:
        return Pipeline.objects.get(pk=int(value), active=True)
    except (Pipeline.DoesNotExist, TypeError, ValueError):
        raise ValidationError(_("Choose an active pipeline."), code="invalid_choice") from None


def _deal_cleaners(actor) -> dict:
    return {
        "company": cleaning.visible_ref(Company, visible_q(actor), _("Choose a company you can see.")),
        "pipeline": _pipeline_ref,
        "owner": cleaning.user_ref,
        "team": cleaning.team_ref,
        "amount": cleaning.optional_money,
        "currency": _currency,
        "expected_close_date": cleaning.optional_date,
        "products": _free_list,
        "competitors": _free_list,
    }


def _stage_in(pipeline: Pipeline, value: Any) -> Stage:
    if isinstance(value, Stage):
        stage = value
    else:
        try:
            stage = Stage.objects.get(pk=int(value))
        except (Stage.DoesNotExist, TypeError, ValueError):
            raise ValidationFailed(fields={"stage": [_("Choose a stage of this pipeline.")]}) from None
    if stage.pipeline_id != pipeline.pk or not stage.active:
        raise ValidationFailed(fields={"stage": [_("Choose a stage of this pipeline.")]})
    return stage


# --- stage rules --------------------------------------------------------------------------------

def _has_decision_maker(deal: Deal) -> bool:
    return deal.pk is not None and DealContact.objects.filter(
        deal=deal, role__in=[ContactRole.DECISION_MAKER, ContactRole.ECONOMIC_BUYER]).exists()


def rule_failures(deal: Deal, stage: Stage) -> dict[str, list[str]]:
    """What the deal lacks to enter `stage`, by field, in the words the user sees."""
    checks = {
        Requirement.AMOUNT: ("amount", lambda: deal.amount is not None and deal.amount > 0,
                             _("“%(stage)s” needs an expected amount.")),
        Requirement.CLOSE_DATE: ("expected_close_date", lambda: deal.expected_close_date is not None,
                                 _("“%(stage)s” needs an expected close date.")),
        Requirement.CONTACT: ("contacts", lambda: deal.pk is not None and deal.deal_contacts.exists(),
                              _("“%(stage)s” needs at least one contact of the client.")),
        Requirement.DECISION_MAKER: ("contacts", lambda: _has_decision_maker(deal),
                                     _("“%(stage)s” needs a decision maker among the contacts.")),
        Requirement.PRODUCTS: ("products", lambda: bool(deal.products),
                               _("“%(stage)s” needs the products or product lines of interest.")),
        Requirement.NEXT_ACTIVITY: ("next_activity", lambda: deal.next_activity_at is not None,
                                    _("“%(stage)s” needs a scheduled next activity.")),
        Requirement.NEXT_STEP: ("next_step", lambda: bool(deal.next_step),
                                _("“%(stage)s” needs a next step.")),
    }
    failures: dict[str, list[str]] = {}
    for rule in stage.rules.all():
        field, passes, message = checks[Requirement(rule.requirement)]
        if not passes():
            failures.setdefault(field, []).append(message % {"stage": stage.name})
    return failures


def _record_stage_change(*, actor, deal: Deal, from_stage: Stage | None, to_stage: Stage, at) -> None:
    """Keep the move; call before the deal enters `to_stage` (it reads when it entered the last)."""
    seconds = None
    if from_stage is not None and deal.stage_entered_at is not None:
        seconds = int((at - deal.stage_entered_at).total_seconds())
    DealStageChange.objects.create(deal=deal, from_stage=from_stage, to_stage=to_stage, at=at,
                                   by=actor if getattr(actor, "pk", None) else None,
                                   seconds_in_from=seconds)


def _enter_stage(deal: Deal, stage: Stage, at) -> None:
    deal.stage = stage
    deal.status = stage.outcome
    deal.stage_entered_at = at
    deal.closed_at = at if stage.outcome != StageOutcome.OPEN else None


def _lost_reason(value: Any) -> Reason | None:
    if value in (None, ""):
        return None
    if isinstance(value, Reason):
        return value
    try:
        return Reason.objects.get(pk=int(value), kind=Reason.Kind.DEAL_LOST, active=True)
    except (Reason.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(fields={"lost_reason": [_("Choose a reason from the list.")]}) from None


# --- deals --------------------------------------------------------------------------------------

def _require_editor(actor) -> None:
    if actor is None or not actor.is_authenticated or actor.role in (Role.DEPARTMENT, Role.MARKETING):
        raise PermissionDenied()


def _require_can_change(actor, deal: Deal) -> None:
    if not Deal.all_objects.filter(deal_visible_q(actor), pk=deal.pk).exists():
        raise NotFound()
    if not can_change(actor, deal):
        raise PermissionDenied()


def _audit(actor, action: str, deal: Deal, changes: dict) -> None:
    audit_record(actor=actor, action=action, obj=deal, company_id=deal.company_id, changes=changes)
    # Every recorded write also keeps the deal's search document (title, company) in step, in
    # the same transaction; a deleted deal's document goes.
    if action != AuditEntry.Action.UPDATE or {"title", "company"} & set(changes):
        search_index_update("deal", [deal.pk])


def _check_assignment(actor, deal: Deal, errors: dict, *, allowed_owner_ids: set,
                      allowed_team_ids: set) -> None:
    """A new deal is the actor's (and their team's), or goes where the code that opened it said;
    handing it to anyone else is for a head of sales or an administrator (as in deal_update)."""
    if can_assign(actor):
        return
    if "owner" not in errors and deal.owner_id not in allowed_owner_ids:
        errors["owner"] = [_("Only a head of sales or an administrator assigns deals to someone else.")]
    if "team" not in errors and deal.team_id not in allowed_team_ids:
        errors["team"] = [_("Only a head of sales or an administrator moves deals between teams.")]


@transaction.atomic
def deal_create(*, actor, data: dict, contacts: Sequence[ContactChoice] | None = None,
                assigned_by_system: tuple[Any, Any] | None = None) -> Deal:
    """Open a deal for a company the actor can see, in the given (else the default) pipeline and
    stage (else its first open stage). The stage's rules apply to a new deal as to a moved one.

    The deal is the actor's and their team's unless a head of sales or an administrator names
    another owner or team in `data`. `assigned_by_system` — (owner, team), passed by code only,
    never from input (lead qualification: the lead's owner and team) — is the default instead
    of the actor's, and may stand without that right; any other owner or team in `data` still
    needs it.
    """
    _require_editor(actor)
    deal = Deal(created_by=actor)
    default_owner, default_team = (actor, getattr(actor, "team", None)) \
        if assigned_by_system is None else assigned_by_system
    payload = {"owner": default_owner, "team": default_team, "currency": Currency.EUR, **data}
    if payload.get("pipeline") in (None, ""):
        payload["pipeline"] = default_pipeline()
        if payload["pipeline"] is None:
            raise ValidationFailed(fields={"pipeline": [
                _("There is no active pipeline. Ask an administrator to set one up.")]})
    # The stage is set below, once the pipeline is known.
    placeholder = first_open_stage(payload["pipeline"]) if isinstance(payload["pipeline"], Pipeline) \
        else Stage.objects.filter(outcome=StageOutcome.OPEN).first()
    if placeholder is not None:
        deal.stage = placeholder
    errors = cleaning.clean_into(deal, payload, DEAL_FIELDS, _deal_cleaners(actor))
    _check_assignment(actor, deal, errors,
                      allowed_owner_ids={actor.pk, getattr(default_owner, "pk", None)},
                      allowed_team_ids={getattr(actor, "team_id", None),
                                        getattr(default_team, "pk", None)})
    if errors:
        raise ValidationFailed(fields=errors)
    stage: Stage | None
    if data.get("stage") not in (None, ""):
        stage = _stage_in(deal.pipeline, data["stage"])
    else:
        stage = first_open_stage(deal.pipeline)
        if stage is None:
            raise ValidationFailed(fields={"stage": [_("This pipeline has no open stage.")]})
    if stage.outcome == StageOutcome.LOST:
        raise ValidationFailed(fields={"stage": [_("A new deal cannot start as lost.")]})
    now = timezone.now()
    _enter_stage(deal, stage, now)
    deal.amount_eur = to_eur(deal.amount, deal.currency) if deal.amount is not None else None
    deal.save()
    if contacts:
        _set_contacts(actor, deal, contacts)
    failures = rule_failures(deal, stage)
    if failures:
        raise ValidationFailed(_("The deal does not meet the rules of its stage yet."), fields=failures)
    _record_stage_change(actor=actor, deal=deal, from_stage=None, to_stage=stage, at=now)
    after = snapshot(deal, AUDITED_DEAL_FIELDS)
    _audit(actor, AuditEntry.Action.CREATE, deal,
           {k: [None, v] for k, v in after.items() if v not in (None, "", [])})
    return deal


@transaction.atomic
def deal_update(*, actor, deal: Deal, data: dict, expected_version: int | None) -> Deal:
    """Change a deal's fields (not its stage: deal_move_stage moves it). The current stage's rules
    still hold afterwards: removing the amount of a deal in "offer presented" is refused."""
    _require_can_change(actor, deal)
    before = snapshot(deal, AUDITED_DEAL_FIELDS)
    owner_before, team_before = deal.owner_id, deal.team_id
    fields = [f for f in DEAL_FIELDS if f != "pipeline"]
    errors = cleaning.clean_into(deal, data, fields, _deal_cleaners(actor))
    if "pipeline" in data and str(getattr(data["pipeline"], "pk", data["pipeline"])) != str(
            deal.pipeline_id):
        errors["pipeline"] = [_("Move the deal to a stage of the other pipeline instead.")]
    if not can_assign(actor):
        # Handing a deal to someone else (or another team) is for a head of sales or an admin.
        if "owner" not in errors and deal.owner_id != owner_before:
            errors["owner"] = [_("Only a head of sales or an administrator assigns deals to someone else.")]
        if "team" not in errors and deal.team_id != team_before:
            errors["team"] = [_("Only a head of sales or an administrator moves deals between teams.")]
    if errors:
        raise ValidationFailed(fields=errors)
    failures = rule_failures(deal, deal.stage)
    if failures:
        raise ValidationFailed(_("The deal would no longer meet the rules of its stage."),
                               fields=failures)
    deal.amount_eur = to_eur(deal.amount, deal.currency) if deal.amount is not None else None
    columns = {f.name: f.attname for f in deal._meta.concrete_fields}
    bump_version(deal, expected_version=expected_version,
                 fields=[columns[f] for f in fields] + ["amount_eur"])
    changes = diff(before, snapshot(deal, AUDITED_DEAL_FIELDS))
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, deal, changes)
    if (deal.owner_id, deal.team_id) != (owner_before, team_before):
        # The deal's open offers follow it (who changes them, who approves their discounts).
        from partnera.sales.offers.services import offers_follow_deal  # offers build on deals

        offers_follow_deal(actor=actor, deal=deal)
    return deal


@transaction.atomic
def deal_set_contacts(*, actor, deal: Deal, contacts: Sequence[ContactChoice],
                      expected_version: int | None = None) -> Deal:
    """Replace the deal's contacts and their roles in the decision. With `expected_version`,
    a deal someone changed since it was read answers VersionConflict."""
    _require_can_change(actor, deal)
    if expected_version is not None and not Deal.all_objects.filter(
            pk=deal.pk, version=expected_version).exists():
        raise VersionConflict()
    before = snapshot_contacts(deal)
    _set_contacts(actor, deal, contacts)
    failures = rule_failures(deal, deal.stage)
    if failures:
        raise ValidationFailed(_("The deal would no longer meet the rules of its stage."),
                               fields=failures)
    after = snapshot_contacts(deal)
    if before != after:
        bump_version(deal, expected_version=expected_version, fields=[])
        _audit(actor, AuditEntry.Action.UPDATE, deal, {"contacts": [before, after]})
    return deal


def snapshot_contacts(deal: Deal) -> list[str]:
    return sorted(f"{dc.contact} ({dc.get_role_display()})" if dc.role else str(dc.contact)
                  for dc in deal.deal_contacts.select_related("contact"))


def _set_contacts(actor, deal: Deal, contacts: Sequence[ContactChoice]) -> None:
    wanted: dict[int, str] = {}
    for ref, role in contacts:
        pk = ref.pk if isinstance(ref, Contact) else ref
        if role and role not in ContactRole.values:
            raise ValidationFailed(fields={"contacts": [_("Choose a role from the list.")]})
        try:
            wanted[int(pk)] = role or ""
        except (TypeError, ValueError):
            raise ValidationFailed(fields={"contacts": [_("Choose contacts of the deal's company.")]}
                                   ) from None
    found = set(Contact.objects.filter(pk__in=wanted, company_id=deal.company_id)
                .values_list("pk", flat=True))
    if found != set(wanted):
        raise ValidationFailed(fields={"contacts": [_("Choose contacts of the deal's company.")]})
    DealContact.objects.filter(deal=deal).exclude(contact_id__in=wanted).delete()
    existing = {dc.contact_id: dc for dc in DealContact.objects.filter(deal=deal)}
    for pk, role in wanted.items():
        if pk in existing:
            if existing[pk].role != role:
                DealContact.objects.filter(pk=existing[pk].pk).update(role=role)
        else:
            DealContact.objects.create(deal=deal, contact_id=pk, role=role)


@transaction.atomic
def deal_move_stage(*, actor, deal: Deal, stage: Stage | int, expected_version: int | None = None,
                    lost_reason: Reason | int | None = None, lost_comment: str = "") -> Deal:
    """Move a deal to another stage of its pipeline (or of another pipeline: it moves there).

    The target stage's rules must hold; a lost stage needs a reason from the managed list. Every
    move is kept (DealStageChange) with the time spent in the stage it left.
    """
    _require_can_change(actor, deal)
    target = _locked_stage(stage if isinstance(stage, Stage) else _stage_by_id(stage))
    if not target.active or not target.pipeline.active:
        raise ValidationFailed(fields={"stage": [_("Choose an active stage.")]})
    # The deal's row too: two moves of one deal run one after the other.
    version = (Deal.all_objects.select_for_update().filter(pk=deal.pk)
               .values_list("version", flat=True).first())
    if expected_version is not None and version != expected_version:
        # A move made from a stale page: say so before judging the rules on what it showed.
        raise VersionConflict()
    if target.pk == deal.stage_id:
        return deal
    before = snapshot(deal, AUDITED_DEAL_FIELDS)
    errors = rule_failures(deal, target)
    reason = None
    try:
        comment = cleaning.text(lost_comment)
    except ValidationError as exc:
        errors.setdefault("lost_comment", []).extend(exc.messages)
        comment = ""
    if len(comment) > 2000:
        errors.setdefault("lost_comment", []).append(_("At most 2000 characters."))
    if target.outcome == StageOutcome.LOST:
        reason = _lost_reason(lost_reason)
        if reason is None:
            errors.setdefault("lost_reason", []).append(_("Choose why the deal was lost."))
    if errors:
        raise ValidationFailed(_("The deal cannot move to “%(stage)s” yet.") % {"stage": target.name},
                               fields=errors)
    from_stage = deal.stage
    now = timezone.now()
    _record_stage_change(actor=actor, deal=deal, from_stage=from_stage, to_stage=target, at=now)
    _enter_stage(deal, target, now)
    deal.pipeline = target.pipeline
    deal.lost_reason = reason
    deal.lost_comment = comment if reason else ""
    bump_version(deal, expected_version=expected_version,
                 fields=["stage_id", "pipeline_id", "status", "stage_entered_at", "closed_at",
                         "lost_reason_id", "lost_comment"])
    _audit(actor, AuditEntry.Action.UPDATE, deal, diff(before, snapshot(deal, AUDITED_DEAL_FIELDS)))
    if target.outcome == StageOutcome.WON:
        _won_makes_a_client(actor, deal)
    return deal


def _won_makes_a_client(actor, deal: Deal) -> None:
    """A won deal makes its company an active client: a prospect becomes one, a dormant or lost
    client is won back. Through the client base's own service (checked and audited there), and
    only when the actor may change the company; otherwise its owner decides."""
    company = Company.objects.filter(visible_q(actor), pk=deal.company_id).exclude(
        stage=RelationshipStage.ACTIVE).first()
    if company is not None and can_change(actor, company):
        company_update(actor=actor, company=company, data={"stage": RelationshipStage.ACTIVE},
                       expected_version=None)


def _locked_stage(stage: Stage) -> Stage:
    """The stage re-read under lock (PostgreSQL; SQLite writes one at a time anyway), its pipeline
    locked first, in the order the pipeline settings lock them (sales.pipelines): a deactivation
    running at the same time either commits first, and the stage is then seen inactive, or waits
    for this transaction and then counts the deal that came in."""
    Pipeline.objects.select_for_update(no_key=True).filter(pk=stage.pipeline_id).first()
    return (Stage.objects.select_for_update(no_key=True, of=("self",)).select_related("pipeline")
            .get(pk=stage.pk))


def _stage_by_id(value: Any) -> Stage:
    try:
        return Stage.objects.select_related("pipeline").get(pk=int(value))
    except (Stage.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(fields={"stage": [_("Choose an active stage.")]}) from None


@transaction.atomic
def deal_delete(*, actor, deal: Deal) -> Deal:
    if not Deal.all_objects.filter(deal_visible_q(actor), pk=deal.pk).exists():
        raise NotFound()
    if not can_delete(actor, deal):
        raise PermissionDenied()
    if deal.deleted_at is None:
        deal.deleted_at = timezone.now()
        deal.deleted_by = actor
        bump_version(deal, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        _audit(actor, AuditEntry.Action.DELETE, deal, {})
    return deal


@transaction.atomic
def deal_restore(*, actor, deal: Deal) -> Deal:
    # The rule alone: a deal below a deleted company is refused with the reason, not as unknown.
    if not Deal.all_objects.filter(deal_rule_q(actor), pk=deal.pk).exists():
        raise NotFound()
    if not can_delete(actor, deal):
        raise PermissionDenied()
    if deal.company.deleted_at is not None:
        raise ValidationFailed(_("Restore the company first."))
    if deal.deleted_at is not None and deal.status == StageOutcome.OPEN:
        # An open deal only shows in an active stage of an active pipeline: restoring it into
        # one deactivated meanwhile would put it on no board column and in no total.
        stage = _locked_stage(deal.stage)
        if not stage.pipeline.active:
            raise ValidationFailed(
                _("The pipeline “%(pipeline)s” is no longer active. Reactivate it first, "
                  "then restore the deal.") % {"pipeline": stage.pipeline.name})
        if not stage.active:
            raise ValidationFailed(
                _("The stage “%(stage)s” is no longer active. Reactivate it first, "
                  "then restore the deal.") % {"stage": stage.name})
    if deal.deleted_at is not None:
        deal.deleted_at = None
        deal.deleted_by = None
        bump_version(deal, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        _audit(actor, AuditEntry.Action.RESTORE, deal, {})
    return deal
