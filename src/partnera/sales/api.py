"""REST API of pipelines, stages, stage rules, reasons and deals (/api/v1/…).

Thin like the client base's API (clients/api.py): parse into a schema, call a selector or a
service, render. The same services as the web pages hold every rule — a stage rule refuses a move
here exactly as on the deal page (400 `validation_error` naming what is missing in `fields`);
visibility answers 404 for a hidden deal; pipeline settings are for administrators (403).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.db import transaction
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.clients.models import Tier
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema, UserRef, check_cursor
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.money import Currency
from partnera.core.visibility import is_administrator
from partnera.sales import deal_list as listing
from partnera.sales import pipelines, selectors, services
from partnera.sales.models import (
    ContactRole,
    Deal,
    DealStageChange,
    PipelineKind,
    Reason,
    Requirement,
    StageOutcome,
)

router = Router()


if TYPE_CHECKING:
    KindValue: TypeAlias = str
    OutcomeValue: TypeAlias = str
    RequirementValue: TypeAlias = str
    ReasonKindValue: TypeAlias = str
    RoleValue: TypeAlias = str
    CurrencyValue: TypeAlias = str
    TierValue: TypeAlias = str
    DealSort: TypeAlias = str
else:
    KindValue = Literal[tuple(PipelineKind.values)]
    OutcomeValue = Literal[tuple(StageOutcome.values)]
    RequirementValue = Literal[tuple(Requirement.values)]
    ReasonKindValue = Literal[tuple(Reason.Kind.values)]
    RoleValue = Literal[tuple(["", *ContactRole.values])]
    CurrencyValue = Literal[tuple(Currency.values)]
    TierValue = Literal[tuple(Tier.values)]
    DealSort = Literal[tuple(listing.DEAL_SORTS)]


def _require_admin(user) -> None:
    if not is_administrator(user):
        raise PermissionDenied()


# --- output schemas -------------------------------------------------------------------------------

class StageOut(Schema):
    id: int
    pipeline: int
    name: str
    position: int
    probability: int = Field(description="Win probability in percent (0–100).")
    outcome: str = Field(description="open, won or lost.")
    usual_days: int | None = Field(description="How long a deal usually stays; longer is stuck.")
    active: bool
    rules: list[str] = Field(description="What a deal needs before it may enter the stage.")


class PipelineOut(Schema):
    id: int
    name: str
    kind: str
    is_default: bool
    position: int
    active: bool
    problems: list[str] = Field(description="Why an active pipeline is not usable (empty if it is).")
    stages: list[StageOut]


class ReasonOut(Schema):
    id: int
    kind: str
    name: str
    position: int
    active: bool


class StageRef(Schema):
    id: int
    name: str
    probability: int
    outcome: str


class DealContactOut(Schema):
    contact: Ref
    role: str


class DealOut(Schema):
    id: int
    title: str
    company: Ref
    pipeline: Ref
    stage: StageRef
    status: str = Field(description="open, won or lost (the stage's outcome).")
    owner: UserRef | None
    team: Ref | None
    amount: Decimal | None
    currency: str
    amount_eur: Decimal | None = Field(description="The amount in euro (BGN at 1.95583).")
    weighted_amount: Decimal | None = Field(
        description="amount × the stage's win probability, in the deal's currency.")
    expected_close_date: dt.date | None
    products: list[str]
    competitors: list[str]
    next_step: str
    next_activity_at: dt.datetime | None
    no_next_activity: bool = Field(description="An open deal with no scheduled next activity.")
    stage_entered_at: dt.datetime | None
    closed_at: dt.datetime | None
    lost_reason: Ref | None
    lost_comment: str
    contacts: list[DealContactOut]
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime


class DealPage(Schema):
    items: list[DealOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.")
    count: int = Field(description="Deals matching the filters, counted up to 1000.")
    count_is_lower_bound: bool = Field(description="True when more than `count` deals match.")


class StageChangeOut(Schema):
    id: int
    from_stage: Ref | None = Field(description="Null for the deal's entry into its pipeline.")
    to_stage: StageRef
    at: dt.datetime
    by: UserRef | None
    seconds_in_from: int | None = Field(description="How long the deal stayed in `from_stage`.")


# --- input schemas ---------------------------------------------------------------------------------

class PipelineCreate(StrictSchema):
    name: str = Field(max_length=200)
    kind: KindValue = PipelineKind.OTHER.value


class PipelineUpdate(StrictSchema):
    name: str | None = Field(None, max_length=200)
    kind: KindValue | None = None
    active: bool | None = Field(None, description="false deactivates (no open deals, not default).")
    is_default: Literal[True] | None = Field(
        None, description="true makes it the default pipeline (the previous one stops being it).")


class StageCreate(StrictSchema):
    name: str = Field(max_length=200)
    probability: int | None = Field(None, description="0–100; defaults to 100 for won, 0 for lost.")
    outcome: OutcomeValue = StageOutcome.OPEN.value
    usual_days: int | None = None
    active: bool = True
    rules: list[RequirementValue] = Field(default_factory=list, max_length=20)


class StageUpdate(StrictSchema):
    name: str | None = Field(None, max_length=200)
    probability: int | None = None
    outcome: OutcomeValue | None = None
    usual_days: int | None = Field(None, description="null clears it (send the key).")
    active: bool | None = None
    rules: list[RequirementValue] | None = Field(None, max_length=20,
                                                 description="Replaces the stage's rules.")


class StageOrderIn(StrictSchema):
    stages: list[RowId] = Field(max_length=200, description="Every stage id of the pipeline, in order.")


class RulesIn(StrictSchema):
    rules: list[RequirementValue] = Field(max_length=20)


class ReasonCreate(StrictSchema):
    kind: ReasonKindValue = Reason.Kind.DEAL_LOST.value
    name: str = Field(max_length=200)


class ReasonUpdate(StrictSchema):
    name: str | None = Field(None, max_length=200)
    active: bool | None = None


class ReasonQuery(QuerySchema):
    kind: ReasonKindValue = Reason.Kind.DEAL_LOST.value
    include_inactive: bool = False


class PipelineQuery(QuerySchema):
    include_inactive: bool = Field(False, description="Administrators: inactive pipelines too.")


class DealContactIn(StrictSchema):
    contact: RowId
    role: RoleValue = ""


AMOUNT_HELP = ("A number with at most 2 decimals, or text such as \"12,500.50\" or "
               "\"12 500,50\" (the last . or , followed by 1-2 digits is the decimal mark; "
               "groups of 3 digits are thousands).")


class DealCreate(StrictSchema):
    title: str = Field(max_length=200)
    company: RowId
    pipeline: RowId | None = Field(None, description="Defaults to the default pipeline.")
    stage: RowId | None = Field(None, description="Defaults to the pipeline's first open stage.")
    owner: RowId | None = Field(None, description="User id; defaults to you.")
    team: RowId | None = Field(None, description="Team id; defaults to yours.")
    amount: Decimal | str | None = Field(None, description=AMOUNT_HELP)
    currency: CurrencyValue = Currency.EUR.value
    expected_close_date: dt.date | None = None
    products: list[str] = Field(default_factory=list, max_length=30)
    competitors: list[str] = Field(default_factory=list, max_length=30)
    next_step: str = Field("", max_length=300)
    contacts: list[DealContactIn] = Field(default_factory=list, max_length=100)


class DealUpdate(StrictSchema):
    title: str | None = Field(None, max_length=200)
    owner: RowId | None = None
    team: RowId | None = None
    amount: Decimal | str | None = Field(None, description=AMOUNT_HELP)
    currency: CurrencyValue | None = None
    expected_close_date: dt.date | None = None
    products: list[str] | None = Field(None, max_length=30)
    competitors: list[str] | None = Field(None, max_length=30)
    next_step: str | None = Field(None, max_length=300)
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")


class MoveIn(StrictSchema):
    stage: RowId
    lost_reason: RowId | None = Field(None, description="Required for a lost stage (deal-reasons).")
    lost_comment: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")


class ContactsIn(StrictSchema):
    contacts: list[DealContactIn] = Field(max_length=100)
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")


class DealListQuery(QuerySchema):
    q: str = Field("", max_length=100, description="Words in the title or the company's name.")
    pipeline: RowId | None = None
    stage: list[RowId] = Field(default_factory=list)
    owner: list[RowId] = Field(default_factory=list, description="User ids.")
    team: list[RowId] = Field(default_factory=list, description="Team ids.")
    tier: list[TierValue] = Field(default_factory=list, description="The company's tier.")
    status: list[OutcomeValue] = Field(default_factory=list)
    amount_min: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"),
                                       description="In euro (amounts in lev converted).")
    amount_max: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"),
                                       description="In euro.")
    close_month: str = Field("", pattern=r"^(\d{4}-\d{2})?$", description="YYYY-MM.")
    no_next_activity: bool = Field(False, description="Open deals with no scheduled activity.")
    company: RowId | None = None
    sort: DealSort = "updated"
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class HistoryQuery(QuerySchema):
    limit: int = Field(200, ge=1, le=1000)


# --- rendering --------------------------------------------------------------------------------------

def _user(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


def _ref(obj, name: str = "name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": getattr(obj, name)}


def stage_out(stage, rules: list[str] | None = None) -> dict:
    return {
        "id": stage.pk, "pipeline": stage.pipeline_id, "name": stage.name, "position": stage.position,
        "probability": stage.probability, "outcome": stage.outcome, "usual_days": stage.usual_days,
        "active": stage.active,
        "rules": rules if rules is not None else [r.requirement for r in stage.rules.all()],
    }


def pipeline_out(pipeline) -> dict:
    stages = list(pipeline.stages.all())
    return {
        "id": pipeline.pk, "name": pipeline.name, "kind": pipeline.kind,
        "is_default": pipeline.is_default, "position": pipeline.position, "active": pipeline.active,
        "problems": pipelines.pipeline_problems(pipeline, stages) if pipeline.active else [],
        "stages": [stage_out(s) for s in sorted(stages, key=lambda s: (s.position, s.pk))],
    }


def _stage_ref(stage) -> dict:
    return {"id": stage.pk, "name": stage.name, "probability": stage.probability,
            "outcome": stage.outcome}


def deal_out(deal: Deal) -> dict:
    return {
        "id": deal.pk, "title": deal.title,
        "company": {"id": deal.company_id, "name": deal.company.legal_name},
        "pipeline": _ref(deal.pipeline), "stage": _stage_ref(deal.stage), "status": deal.status,
        "owner": _user(deal.owner), "team": _ref(deal.team),
        "amount": deal.amount, "currency": deal.currency, "amount_eur": deal.amount_eur,
        "weighted_amount": listing.weighted_amount(deal),
        "expected_close_date": deal.expected_close_date, "products": deal.products,
        "competitors": deal.competitors, "next_step": deal.next_step,
        "next_activity_at": deal.next_activity_at,
        "no_next_activity": deal.status == StageOutcome.OPEN and deal.next_activity_at is None,
        "stage_entered_at": deal.stage_entered_at, "closed_at": deal.closed_at,
        "lost_reason": _ref(deal.lost_reason), "lost_comment": deal.lost_comment,
        "contacts": [{"contact": {"id": dc.contact_id, "name": str(dc.contact)}, "role": dc.role}
                     for dc in deal.deal_contacts.all()],
        "version": deal.version, "created_at": deal.created_at, "updated_at": deal.updated_at,
    }


def _reason_out(reason) -> dict:
    return {"id": reason.pk, "kind": reason.kind, "name": reason.name, "position": reason.position,
            "active": reason.active}


def _pipeline_fresh(pk: int):
    return selectors.pipeline_list(include_inactive=True).prefetch_related("stages__rules").get(pk=pk)


def _deal_fresh(user, pk: int) -> Deal:
    """The deal as stored now (after a write), with what deal_out reads."""
    deal = selectors.deal_get(user=user, pk=pk)
    prefetch_related_objects([deal], "deal_contacts__contact")
    return deal


def _contacts(items) -> list[tuple[int, str]]:
    return [(item.contact, item.role) for item in items]


# --- pipelines, stages, rules ----------------------------------------------------------------------

@router.get("/pipelines", response=list[PipelineOut], tags=["pipelines"])
def list_pipelines(request, query: Query[PipelineQuery]):
    """Pipelines with their stages, win probabilities and stage rules (active ones; an
    administrator may ask for the inactive too)."""
    include = query.include_inactive and is_administrator(request.auth)
    items = selectors.pipeline_list(include_inactive=include).prefetch_related("stages__rules")
    return [pipeline_out(p) for p in items]


@router.post("/pipelines", response={201: PipelineOut}, tags=["pipelines"])
def create_pipeline(request, payload: PipelineCreate):
    """Administrators: a new pipeline, created with a first open stage, a won and a lost stage."""
    _require_admin(request.auth)
    pipeline = pipelines.pipeline_create(actor=request.auth, data=payload.model_dump())
    return Status(201, pipeline_out(_pipeline_fresh(pipeline.pk)))


@router.get("/pipelines/{pipeline_id}", response=PipelineOut, tags=["pipelines"])
def get_pipeline(request, pipeline_id: int):
    pipeline = selectors.pipeline_get(pk=pipeline_id, include_inactive=is_administrator(request.auth))
    return pipeline_out(_pipeline_fresh(pipeline.pk))


@router.patch("/pipelines/{pipeline_id}", response=PipelineOut, tags=["pipelines"])
def update_pipeline(request, pipeline_id: int, payload: PipelineUpdate):
    """Administrators: rename, change the kind, (de)activate, or make the default."""
    _require_admin(request.auth)
    pipeline = selectors.pipeline_get(pk=pipeline_id)
    data = payload.model_dump(exclude_unset=True)
    fields = {k: v for k, v in data.items() if k in ("name", "kind") and v is not None}
    with transaction.atomic():  # all or nothing: a refused step undoes the ones before it
        if fields:
            pipeline = pipelines.pipeline_update(actor=request.auth, pipeline=pipeline, data=fields)
        if data.get("active") is not None:
            pipeline = pipelines.pipeline_set_active(actor=request.auth, pipeline=pipeline,
                                                     active=data["active"])
        if data.get("is_default"):
            pipelines.pipeline_set_default(actor=request.auth, pipeline=pipeline)
    return pipeline_out(_pipeline_fresh(pipeline.pk))


@router.post("/pipelines/{pipeline_id}/stages", response={201: StageOut}, tags=["pipelines"])
def create_stage(request, pipeline_id: int, payload: StageCreate):
    """Administrators: add a stage (an open one goes after the last open stage)."""
    _require_admin(request.auth)
    pipeline = selectors.pipeline_get(pk=pipeline_id)
    data = payload.model_dump(exclude={"rules"})
    stage = pipelines.stage_create(actor=request.auth, pipeline=pipeline, data=data,
                                   requirements=list(payload.rules))
    return Status(201, stage_out(selectors.stage_get(pk=stage.pk)))


@router.put("/pipelines/{pipeline_id}/stage-order", response=PipelineOut, tags=["pipelines"])
def order_stages(request, pipeline_id: int, payload: StageOrderIn):
    """Administrators: put the stages in this order (every stage id of the pipeline once)."""
    _require_admin(request.auth)
    pipeline = selectors.pipeline_get(pk=pipeline_id)
    pipelines.stage_reorder(actor=request.auth, pipeline=pipeline, order=list(payload.stages))
    return pipeline_out(_pipeline_fresh(pipeline.pk))


@router.patch("/stages/{stage_id}", response=StageOut, tags=["pipelines"])
def update_stage(request, stage_id: int, payload: StageUpdate):
    """Administrators: rename, probability, outcome, usual days, active, rules."""
    _require_admin(request.auth)
    stage = selectors.stage_get(pk=stage_id)
    data = payload.model_dump(exclude_unset=True)
    rules = data.pop("rules", None)
    stage = pipelines.stage_update(actor=request.auth, stage=stage, data=data, requirements=rules)
    return stage_out(selectors.stage_get(pk=stage.pk))


@router.put("/stages/{stage_id}/rules", response=StageOut, tags=["pipelines"])
def set_stage_rules(request, stage_id: int, payload: RulesIn):
    """Administrators: replace what a deal needs before it may enter the stage."""
    _require_admin(request.auth)
    stage = selectors.stage_get(pk=stage_id)
    pipelines.stage_set_rules(actor=request.auth, stage=stage, requirements=list(payload.rules))
    return stage_out(selectors.stage_get(pk=stage.pk))


# --- reasons ---------------------------------------------------------------------------------------

@router.get("/deal-reasons", response=list[ReasonOut], tags=["pipelines"])
def list_reasons(request, query: Query[ReasonQuery]):
    """The managed list a lost deal's reason comes from (`kind=lead_disqualified`: the reasons
    for disqualifying a lead)."""
    include = query.include_inactive and is_administrator(request.auth)
    return [_reason_out(r) for r in selectors.reason_list(kind=query.kind, include_inactive=include)]


@router.post("/deal-reasons", response={201: ReasonOut}, tags=["pipelines"])
def create_reason(request, payload: ReasonCreate):
    _require_admin(request.auth)
    reason = pipelines.reason_create(actor=request.auth, kind=payload.kind, name=payload.name)
    return Status(201, _reason_out(reason))


@router.patch("/deal-reasons/{reason_id}", response=ReasonOut, tags=["pipelines"])
def update_reason(request, reason_id: int, payload: ReasonUpdate):
    """Administrators: rename or (de)activate a reason; past records keep theirs."""
    _require_admin(request.auth)
    reason = selectors.reason_get(pk=reason_id)
    data = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    return _reason_out(pipelines.reason_update(actor=request.auth, reason=reason, data=data))


# --- deals ----------------------------------------------------------------------------------------

def deal_filters(query: DealListQuery) -> listing.DealFilters:
    return listing.DealFilters(
        q=" ".join(query.q.split()), pipeline=query.pipeline, stage=list(query.stage),
        owner=list(query.owner), team=list(query.team), tier=list(query.tier),
        status=list(query.status), amount_min=query.amount_min, amount_max=query.amount_max,
        close_month=listing.parse_month(query.close_month),
        no_next_activity=query.no_next_activity, company=query.company)


@router.get("/deals", response=DealPage, tags=["deals"])
def list_deals(request, query: Query[DealListQuery]):
    """Deals you can see, filtered as on the deal list, one keyset page at a time."""
    if query.close_month and listing.parse_month(query.close_month) is None:
        raise ValidationFailed(fields={"close_month": [_("Enter a month as YYYY-MM.")]})
    filters = deal_filters(query)
    page = listing.deal_page(user=request.auth, filters=filters, sort=query.sort,
                             cursor=check_cursor(query.cursor), size=query.limit)
    prefetch_related_objects(page.items, "deal_contacts__contact", "lost_reason")
    count, more = listing.deal_count(user=request.auth, filters=filters)
    return {"items": [deal_out(d) for d in page.items], "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more}


@router.post("/deals", response={201: DealOut}, tags=["deals"])
def create_deal(request, payload: DealCreate):
    """Open a deal for a company you can see. The stage's rules apply as on a move (400)."""
    data = payload.model_dump(exclude={"contacts"}, exclude_unset=True)
    deal = services.deal_create(actor=request.auth, data=data, contacts=_contacts(payload.contacts))
    return Status(201, deal_out(_deal_fresh(request.auth, deal.pk)))


@router.get("/deals/{deal_id}", response=DealOut, tags=["deals"])
def get_deal(request, deal_id: int):
    return deal_out(_deal_fresh(request.auth, deal_id))


@router.patch("/deals/{deal_id}", response=DealOut, tags=["deals"])
def update_deal(request, deal_id: int, payload: DealUpdate):
    """Change the fields you send (not the stage: POST …/move). Send the `version` you read."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_update(actor=request.auth, deal=deal, data=data, expected_version=version)
    return deal_out(_deal_fresh(request.auth, deal.pk))


@router.delete("/deals/{deal_id}", response={204: None}, tags=["deals"])
def delete_deal(request, deal_id: int):
    """Soft delete: the deal leaves every list and can be restored."""
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_delete(actor=request.auth, deal=deal)
    return Status(204, None)


@router.post("/deals/{deal_id}/restore", response=DealOut, tags=["deals"])
def restore_deal(request, deal_id: int):
    deal = selectors.deal_get_deleted(user=request.auth, pk=deal_id)
    services.deal_restore(actor=request.auth, deal=deal)
    return deal_out(_deal_fresh(request.auth, deal.pk))


@router.post("/deals/{deal_id}/move", response=DealOut, tags=["deals"])
def move_deal(request, deal_id: int, payload: MoveIn):
    """Move the deal to a stage. Its rules must hold (else 400 naming what is missing in
    `fields`); a lost stage needs `lost_reason` from GET /deal-reasons."""
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_move_stage(actor=request.auth, deal=deal, stage=payload.stage,
                             expected_version=payload.version, lost_reason=payload.lost_reason,
                             lost_comment=payload.lost_comment)
    return deal_out(_deal_fresh(request.auth, deal.pk))


@router.put("/deals/{deal_id}/contacts", response=DealOut, tags=["deals"])
def set_deal_contacts(request, deal_id: int, payload: ContactsIn):
    """Replace the deal's contacts (of its company) and their roles in the decision."""
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    services.deal_set_contacts(actor=request.auth, deal=deal, contacts=_contacts(payload.contacts),
                               expected_version=payload.version)
    return deal_out(_deal_fresh(request.auth, deal.pk))


@router.get("/deals/{deal_id}/history", response=list[StageChangeOut], tags=["deals"])
def deal_history(request, deal_id: int, query: Query[HistoryQuery]):
    """Every stage change of the deal, oldest first, with the time spent in the stage it left."""
    deal = selectors.deal_get(user=request.auth, pk=deal_id)
    changes = (DealStageChange.objects.filter(deal=deal)
               .select_related("from_stage", "to_stage", "by").order_by("at", "id")[: query.limit])
    return [{"id": c.pk, "from_stage": _ref(c.from_stage), "to_stage": _stage_ref(c.to_stage),
             "at": c.at, "by": _user(c.by), "seconds_in_from": c.seconds_in_from} for c in changes]
