"""REST API for leads (/api/v1/leads …) and the reasons a lead is disqualified for.

Thin: parse into a schema, call a selector or a service (sales.lead_selectors, sales.leads),
render. Visibility, rights and validation are the ones the web pages use; errors become JSON
`{code, message, fields}` in one place (partnera.core.api). A lead the caller may not see answers
404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal, TypeAlias

from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.clients.api import (
    ChannelValue,
    CompanyCreate,
    PageMeta,
    TeamRef,
    UserRef,
    partial_schema,
)
from partnera.core.api import MAX_ID, QuerySchema, RowId, StrictSchema, check_cursor
from partnera.core.money import Currency
from partnera.sales import lead_selectors as selectors
from partnera.sales import leads as services
from partnera.sales.models import LeadSource, LeadStatus

router = Router(tags=["leads"])


if TYPE_CHECKING:
    SourceValue: TypeAlias = str
    StatusValue: TypeAlias = str
    OpenStatusValue: TypeAlias = str
    CurrencyValue: TypeAlias = str
    QualifyCompanyData: TypeAlias = StrictSchema
    LeadUpdate: TypeAlias = StrictSchema
else:
    SourceValue = Literal[tuple(LeadSource.values)]
    StatusValue = Literal[tuple(LeadStatus.values)]
    OpenStatusValue = Literal[LeadStatus.NEW.value, LeadStatus.WORKING.value]
    CurrencyValue = Literal[tuple(Currency.values)]


# --- schemas ----------------------------------------------------------------------------------------

class ReasonRef(Schema):
    id: int
    name: str


class LeadOut(Schema):
    id: int
    company_name: str
    eik: str
    first_name: str
    last_name: str
    position: str
    email: str
    phone: str
    city: str
    message: str
    source: str
    source_detail: str
    referred_by_company: int | None = Field(description="Company id.")
    referred_by_contact: int | None = Field(description="Contact id.")
    status: str
    owner: UserRef | None
    team: TeamRef | None
    disqualify_reason: ReasonRef | None
    disqualify_comment: str
    company: int | None = Field(description="The company it was qualified into.")
    contact: int | None = Field(description="The contact it was qualified into.")
    deal: int | None = Field(description="The deal opened when it was qualified.")
    closed_at: dt.datetime | None
    web_form: int | None = Field(description="The web form it came through.")
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadPage(PageMeta):
    items: list[LeadOut]


class LeadCreate(StrictSchema):
    company_name: str = Field("", max_length=255)
    eik: str = Field("", max_length=20, description="EIK/BULSTAT, 9 or 13 digits.")
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    position: str = Field("", max_length=150)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=40, description="Bulgarian numbers without +359 accepted.")
    city: str = Field("", max_length=100)
    message: str = Field("", max_length=5000, description="The request, in their words.")
    source: SourceValue
    source_detail: str = Field("", max_length=200,
                               description="Which fair, campaign, presentation or partner.")
    referred_by_company: int | None = Field(None, ge=1, le=MAX_ID, description="Company id.")
    referred_by_contact: int | None = Field(None, ge=1, le=MAX_ID, description="Contact id.")
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="User id; defaults to you.")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Team id; defaults to yours.")
    status: OpenStatusValue = LeadStatus.NEW.value


if not TYPE_CHECKING:
    LeadUpdate = partial_schema(
        LeadCreate, "LeadUpdate",
        version=(int, Field(ge=1, description="The `version` you read; a stale one answers 409.")))
    QualifyCompanyData = partial_schema(CompanyCreate, "QualifyCompanyData")


class LeadListQuery(QuerySchema):
    q: str = Field("", max_length=200, description="Company, name, e-mail, city, EIK or phone.")
    status: list[StatusValue] = Field(default_factory=list)
    source: list[SourceValue] = Field(default_factory=list)
    owner: list[RowId] = Field(default_factory=list, description="User ids.")
    team: list[RowId] = Field(default_factory=list, description="Team ids.")
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class QualifyContactData(StrictSchema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    position: str | None = Field(None, max_length=150)
    department: str | None = Field(None, max_length=150)
    emails: list[str] | None = Field(None, max_length=10)
    phones: list[str] | None = Field(None, max_length=10)
    preferred_channel: ChannelValue | None = None


class QualifyDealData(StrictSchema):
    title: str | None = Field(None, max_length=200, description="Defaults to the company name.")
    pipeline: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to the default one.")
    stage: int | None = Field(None, ge=1, le=MAX_ID, description="Defaults to its first stage.")
    amount: str | None = Field(None, max_length=30, description="e.g. 15000.00")
    currency: CurrencyValue | None = None
    expected_close_date: dt.date | None = None
    next_step: str | None = Field(None, max_length=300)
    owner: int | None = Field(None, ge=1, le=MAX_ID,
                              description="Defaults to the lead's owner (else you).")
    team: int | None = Field(None, ge=1, le=MAX_ID)


class QualifyIn(StrictSchema):
    company: int | None = Field(
        None, ge=1, le=MAX_ID,
        description="An existing company you can see; omit it to create one from the lead's "
                    "values and `company_data`.")
    company_data: QualifyCompanyData | None = Field(  # type: ignore[valid-type]
        None, description="The new company's fields (those of POST /companies), over the lead's.")
    contact: int | None = Field(None, ge=1, le=MAX_ID,
                                description="An existing contact of that company.")
    contact_data: QualifyContactData | None = Field(
        None, description="Create a contact: these fields over the lead's person ({} takes the "
                          "lead's person as it is). Omit both `contact` and this: no contact.")
    deal_data: QualifyDealData | None = Field(None, description="The deal to open.")
    allow_duplicate: bool = Field(
        False, description="Create the new company or contact even if it looks like one already "
                           "in the base (else 409 `possible_duplicate` with the `matches`).")
    version: int | None = Field(None, ge=1, description="The lead's `version` you read.")


class DisqualifyIn(StrictSchema):
    reason: int | None = Field(None, ge=1, le=MAX_ID, description="A reason of GET /lead-reasons.")
    comment: str = Field("", max_length=2000)
    version: int | None = Field(None, ge=1, description="The lead's `version` you read.")


# --- rendering ---------------------------------------------------------------------------------------

def _user_ref(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


def lead_out(lead) -> dict:
    return {
        **{name: getattr(lead, name) for name in (
            "company_name", "eik", "first_name", "last_name", "position", "email", "phone", "city",
            "message", "source", "source_detail", "status", "disqualify_comment", "closed_at",
            "version", "created_at", "updated_at")},
        "id": lead.pk,
        "referred_by_company": lead.referred_by_company_id,
        "referred_by_contact": lead.referred_by_contact_id,
        "owner": _user_ref(lead.owner),
        "team": {"id": lead.team.pk, "name": lead.team.name} if lead.team_id else None,
        "disqualify_reason": ({"id": lead.disqualify_reason.pk, "name": lead.disqualify_reason.name}
                              if lead.disqualify_reason_id else None),
        "company": lead.company_id, "contact": lead.contact_id, "deal": lead.deal_id,
        "web_form": lead.web_form_id,
    }


def _fresh(user, lead):
    """The lead as the reader sees it now (its relations loaded once)."""
    return selectors.lead_get(user=user, pk=lead.pk)


# --- endpoints -----------------------------------------------------------------------------------------

@router.get("/leads", response=LeadPage)
def list_leads(request, query: Query[LeadListQuery]):
    """Leads you can see, newest first, one keyset page at a time."""
    filters = selectors.LeadFilters(q=query.q, status=list(query.status),
                                    source=list(query.source), owner=query.owner, team=query.team)
    page = selectors.lead_page(user=request.auth, filters=filters,
                               cursor=check_cursor(query.cursor), size=query.limit)
    count = selectors.lead_count(user=request.auth, filters=filters)
    return {"items": [lead_out(lead) for lead in page.items], "next_cursor": page.next_cursor,
            "count": count[0], "count_is_lower_bound": count[1]}


@router.post("/leads", response={201: LeadOut})
def create_lead(request, payload: LeadCreate):
    """A new lead, yours (and your team's) unless a head of sales or an administrator assigns it."""
    lead = services.lead_create(actor=request.auth, data=payload.model_dump(exclude_unset=True))
    return Status(201, lead_out(_fresh(request.auth, lead)))


@router.get("/leads/{lead_id}", response=LeadOut)
def get_lead(request, lead_id: int):
    return lead_out(selectors.lead_get(user=request.auth, pk=lead_id))


@router.patch("/leads/{lead_id}", response=LeadOut)
def update_lead(request, lead_id: int, payload: LeadUpdate):
    """Change the fields you send of an open lead. Send the `version` you read (409 if stale)."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    lead = selectors.lead_get(user=request.auth, pk=lead_id)
    services.lead_update(actor=request.auth, lead=lead, data=data, expected_version=version)
    return lead_out(_fresh(request.auth, lead))


@router.delete("/leads/{lead_id}", response={204: None})
def delete_lead(request, lead_id: int):
    """Soft delete: the lead leaves every list and can be restored."""
    lead = selectors.lead_get(user=request.auth, pk=lead_id)
    services.lead_delete(actor=request.auth, lead=lead)
    return Status(204, None)


@router.post("/leads/{lead_id}/restore", response=LeadOut)
def restore_lead(request, lead_id: int):
    lead = selectors.lead_get_deleted(user=request.auth, pk=lead_id)
    services.lead_restore(actor=request.auth, lead=lead)
    return lead_out(_fresh(request.auth, lead))


@router.post("/leads/{lead_id}/qualify", response=LeadOut)
def qualify_lead(request, lead_id: int, payload: QualifyIn):
    """Convert an open lead into a company (existing or new), a contact (existing, new or none)
    and a new deal, in one step that happens whole or not at all. Field errors are named after
    their part: `company_legal_name`, `contact_emails`, `deal_amount` …"""
    lead = selectors.lead_get(user=request.auth, pk=lead_id)
    services.lead_qualify(
        actor=request.auth, lead=lead, company=payload.company,
        company_data=payload.company_data.model_dump(exclude_unset=True)
        if payload.company_data is not None else None,
        contact=payload.contact,
        contact_data=payload.contact_data.model_dump(exclude_unset=True)
        if payload.contact_data is not None else None,
        deal_data=payload.deal_data.model_dump(exclude_unset=True)
        if payload.deal_data is not None else None,
        allow_duplicate=payload.allow_duplicate, expected_version=payload.version)
    return lead_out(_fresh(request.auth, lead))


@router.post("/leads/{lead_id}/disqualify", response=LeadOut)
def disqualify_lead(request, lead_id: int, payload: DisqualifyIn):
    """Close an open lead for a reason from GET /lead-reasons, with an optional comment."""
    lead = selectors.lead_get(user=request.auth, pk=lead_id)
    services.lead_disqualify(actor=request.auth, lead=lead, reason=payload.reason,
                             comment=payload.comment, expected_version=payload.version)
    return lead_out(_fresh(request.auth, lead))


@router.get("/lead-reasons", response=list[ReasonRef])
def list_lead_reasons(request):
    """The managed list of reasons a lead is disqualified for (active ones)."""
    return [{"id": r.pk, "name": r.name} for r in selectors.lead_reasons()]
