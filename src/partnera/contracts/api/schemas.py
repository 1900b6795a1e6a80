"""Schemas of the contracts API and the functions that render records into them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Literal, TypeAlias

from django.conf import settings
from django.urls import reverse
from ninja import Schema
from pydantic import Field

from partnera.contracts.models import ContractStatus, ObligationStatus
from partnera.contracts.selectors import CONTRACT_SORTS, FULL, Checklist, ContractSections
from partnera.core.api import QuerySchema, Ref, RowId, StrictSchema, UserRef
from partnera.core.money import Currency

if TYPE_CHECKING:
    StatusValue: TypeAlias = str
    CurrencyValue: TypeAlias = str
    LanguageValue: TypeAlias = str
    SortValue: TypeAlias = str
    ObligationStatusValue: TypeAlias = str
else:
    StatusValue = Literal[tuple(ContractStatus.values)]
    CurrencyValue = Literal[tuple(Currency.values)]
    LanguageValue = Literal[tuple(code for code, _name in settings.LANGUAGES)]
    SortValue = Literal[tuple(CONTRACT_SORTS)]
    ObligationStatusValue = Literal[tuple([*ObligationStatus.values, "all"])]

AMOUNT_HELP = ("A number with at most 2 decimals, or text such as \"12,500.50\" or "
               "\"12 500,50\".")


class ChecklistItemOut(Schema):
    kind: Ref
    present: bool
    documents: int = Field(description="Live documents of this kind.")


class ChecklistOut(Schema):
    complete: bool = Field(description="Every document the contract type requires is there.")
    items: list[ChecklistItemOut]


class ContractOut(Schema):
    id: int
    number: str
    title: str
    status: str
    contract_type: Ref
    company: Ref
    signatory: Ref | None
    offer: Ref | None
    deal: Ref | None
    owner: UserRef | None
    team: Ref | None
    start_date: dt.date | None
    end_date: dt.date | None
    notice_days: int
    notice_date: dt.date | None = Field(description="The last day to give notice (end − notice).")
    auto_renew: bool
    value: Decimal | None
    currency: str
    value_eur: Decimal | None
    payment_days: int | None
    payment_terms: str
    special_conditions: str
    language: str
    signed_on: dt.date | None
    ended_on: dt.date | None
    termination_reason: str
    terms_version: int = Field(description="The number of the current version of the terms.")
    allowed_transitions: list[str] = Field(description="Statuses the contract may move to.")
    all_documents_present: bool
    missing_documents: list[Ref]
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ContractPage(Schema):
    items: list[ContractOut]
    next_cursor: str | None
    count: int = Field(description="Contracts matching the filters, counted up to 1000.")
    count_is_lower_bound: bool


class ContractCreate(StrictSchema):
    title: str | None = Field(None, max_length=200, description="From an offer: its title.")
    contract_type: RowId
    company: RowId | None = Field(None, description="Required unless `offer` is given.")
    offer: RowId | None = Field(None, description="An accepted offer: the contract starts from "
                                                  "its client, deal, net total, currency, "
                                                  "language and title.")
    signatory: RowId | None = None
    deal: RowId | None = None
    owner: RowId | None = Field(None, description="User id; defaults to you.")
    team: RowId | None = Field(None, description="Team id; defaults to yours.")
    language: LanguageValue | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    notice_days: int | None = Field(None, ge=0, le=3650,
                                    description="Defaults to the type's usual notice period.")
    auto_renew: bool = False
    value: Decimal | str | None = Field(None, description=AMOUNT_HELP)
    currency: CurrencyValue | None = None
    payment_days: int | None = Field(None, ge=0, le=3650)
    payment_terms: str = Field("", max_length=4000)
    special_conditions: str = Field("", max_length=8000)


class ContractUpdate(StrictSchema):
    title: str | None = Field(None, max_length=200)
    contract_type: RowId | None = None
    signatory: RowId | None = None
    deal: RowId | None = None
    owner: RowId | None = None
    team: RowId | None = None
    language: LanguageValue | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    notice_days: int | None = Field(None, ge=0, le=3650)
    auto_renew: bool | None = None
    value: Decimal | str | None = Field(None, description=AMOUNT_HELP)
    currency: CurrencyValue | None = None
    payment_days: int | None = Field(None, ge=0, le=3650)
    payment_terms: str | None = Field(None, max_length=4000)
    special_conditions: str | None = Field(None, max_length=8000)
    note: str = Field("", max_length=300, description="What changed; for a signed contract, "
                                                      "the annex that changes the terms.")
    version: int = Field(ge=1, description="The `version` you read; a stale one answers 409.")


class TransitionIn(StrictSchema):
    status: StatusValue
    signed_on: dt.date | None = Field(None, description="Required to become `signed`.")
    ended_on: dt.date | None = Field(None, description="fulfilled/terminated: defaults to today.")
    reason: str = Field("", max_length=2000, description="Required to become `terminated`.")
    version: int | None = Field(None, ge=1, description="If sent, a stale version answers 409.")


class ContractListQuery(QuerySchema):
    q: str = Field("", max_length=100, description="Words in the number, title or client's name.")
    status: list[StatusValue] = Field(default_factory=list)
    owner: list[RowId] = Field(default_factory=list)
    team: list[RowId] = Field(default_factory=list)
    contract_type: list[RowId] = Field(default_factory=list)
    company: RowId | None = None
    ending_within: int | None = Field(None, ge=0, le=3650,
                                      description="In force and ending within this many days.")
    to_renew: bool = Field(False, description="Active, notice within 30 days or end within 60.")
    sort: SortValue = "updated"
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class VersionOut(Schema):
    number: int
    note: str
    terms: dict
    created_at: dt.datetime
    created_by: UserRef | None


class LineChangeOut(Schema):
    op: str = Field(description="\" \" unchanged, \"-\" removed, \"+\" added.")
    text: str


class TermChangeOut(Schema):
    field: str
    label: str
    before: str
    after: str
    lines: list[LineChangeOut] = Field(description="Long texts: the lines that changed.")


class DiffOut(Schema):
    from_version: int
    to_version: int
    changes: list[TermChangeOut]


class DiffQuery(QuerySchema):
    from_version: int = Field(ge=1)
    to_version: int = Field(ge=1)


class DocumentOut(Schema):
    id: int
    contract: int
    kind: Ref
    file_name: str
    content_type: str
    size: int
    sha256: str
    description: str
    signed_on: dt.date | None
    created_by: UserRef | None
    created_at: dt.datetime
    deleted_at: dt.datetime | None
    download_url: str


class DocumentQuery(QuerySchema):
    deleted: bool = Field(False, description="true: the deleted documents (to restore).")


class ObligationOut(Schema):
    id: int
    contract: Ref = Field(description="The contract (`name` is its number).")
    title: str
    due_date: dt.date
    owner: UserRef | None
    department: Ref | None
    is_milestone: bool
    status: str
    done_at: dt.datetime | None
    done_by: UserRef | None


class ObligationIn(StrictSchema):
    title: str = Field(max_length=200)
    due_date: dt.date
    owner: RowId | None = Field(None, description="Without owner or department: the contract "
                                                  "owner's.")
    department: RowId | None = None
    is_milestone: bool = False


class ObligationUpdate(StrictSchema):
    title: str | None = Field(None, max_length=200)
    due_date: dt.date | None = None
    owner: RowId | None = None
    department: RowId | None = None
    is_milestone: bool | None = None


class ObligationQuery(QuerySchema):
    scope: Literal["mine", "all"] = Field(
        "mine", description="mine: yours and your department's; all: of every contract you see.")
    status: ObligationStatusValue = "open"
    due_before: dt.date | None = None
    limit: int = Field(100, ge=1, le=500)


class ConditionOut(Schema):
    id: int
    contract: int
    name: str
    product: Ref | None
    line: Ref | None
    category: Ref | None
    discount_percent: Decimal | None
    fixed_price: Decimal | None
    currency: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    active: bool = Field(description="Applied by the pricing engine (the contract is in force).")


class ConditionIn(StrictSchema):
    name: str = Field("", max_length=150, description="Empty: named after what it grants.")
    product: RowId | None = None
    line: RowId | None = None
    category: RowId | None = None
    discount_percent: Decimal | None = Field(None, description="Above 0, at most 100.")
    fixed_price: Decimal | None = Field(None, description="A fixed unit price instead.")
    currency: CurrencyValue = Currency.EUR.value
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str = Field("", max_length=300, description="What changed; required once the "
                      "contract is signed or active: the annex that changes the conditions.")


class ConditionUpdate(StrictSchema):
    name: str | None = Field(None, max_length=150)
    product: RowId | None = None
    line: RowId | None = None
    category: RowId | None = None
    discount_percent: Decimal | None = None
    fixed_price: Decimal | None = None
    currency: CurrencyValue | None = None
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None
    note: str = Field("", max_length=300, description="What changed; required once the "
                      "contract is signed or active: the annex that changes the conditions.")


class ConditionDeleteQuery(QuerySchema):
    note: str = Field("", max_length=300, description="What changed; required once the "
                      "contract is signed or active: the annex that changes the conditions.")


class HiddenRef(Schema):
    id: int
    name: str | None = Field(description="null when you may not see it.")


class ReferralOut(Schema):
    id: int
    contract: int
    referrer_company: HiddenRef | None
    referrer_contact: HiddenRef | None
    reward: str
    reward_amount: Decimal | None
    currency: str
    settled_at: dt.datetime | None = Field(description="Set by marketing when the reward is paid.")


class ReferralIn(StrictSchema):
    referrer_company: RowId | None = None
    referrer_contact: RowId | None = None
    reward: str = Field(max_length=300)
    reward_amount: Decimal | str | None = Field(None, description=AMOUNT_HELP)
    currency: CurrencyValue = Currency.EUR.value


class ReferralUpdate(StrictSchema):
    referrer_company: RowId | None = None
    referrer_contact: RowId | None = None
    reward: str | None = Field(None, max_length=300)
    reward_amount: Decimal | str | None = None
    currency: CurrencyValue | None = None


class ContractTypeOut(Schema):
    id: int
    name: str
    required_documents: list[Ref]
    template: str
    default_notice_days: int
    active: bool


class ContractTypeIn(StrictSchema):
    name: str = Field(max_length=120)
    required_documents: list[RowId] = Field(default_factory=list, max_length=50)
    template: str = Field("", max_length=20000)
    default_notice_days: int = Field(30, ge=0, le=3650)
    active: bool = True


class ContractTypeUpdate(StrictSchema):
    name: str | None = Field(None, max_length=120)
    required_documents: list[RowId] | None = Field(None, max_length=50)
    template: str | None = Field(None, max_length=20000)
    default_notice_days: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class DocumentKindOut(Schema):
    id: int
    name: str
    position: int
    active: bool


class DocumentKindIn(StrictSchema):
    name: str = Field(max_length=120)
    position: int = Field(0, ge=0, le=3650)
    active: bool = True


class DocumentKindUpdate(StrictSchema):
    name: str | None = Field(None, max_length=120)
    position: int | None = Field(None, ge=0, le=3650)
    active: bool | None = None


class SettingsQuery(QuerySchema):
    include_inactive: bool = Field(False, description="Administrators: the inactive ones too.")


# --- rendering ---------------------------------------------------------------------------------------

def user_ref(user) -> dict | None:
    return None if user is None else {"id": user.pk, "username": user.username, "name": str(user)}


def ref(obj, name: str = "name") -> dict | None:
    return None if obj is None else {"id": obj.pk, "name": str(getattr(obj, name))}


def checklist_out(checklist: Checklist) -> dict:
    return {"complete": checklist.complete,
            "items": [{"kind": ref(item.kind), "present": item.present,
                       "documents": item.documents} for item in checklist.items]}


def contract_out(contract, *, checklist: Checklist, transitions: tuple[str, ...],
                 sections: ContractSections = FULL) -> dict:
    """The contract as the API shows it; to a department member who reads it only in part
    (contracts.selectors.contract_sections_for) its header: no offer, deal, special conditions
    or documents, and the value and payment terms for finance only."""
    out = {
        "id": contract.pk, "number": contract.number, "title": contract.title,
        "status": contract.status, "contract_type": ref(contract.contract_type),
        "company": {"id": contract.company_id, "name": contract.company.legal_name},
        "signatory": {"id": contract.signatory_id, "name": str(contract.signatory)}
        if contract.signatory else None,
        "offer": {"id": contract.offer_id, "name": str(contract.offer)} if contract.offer else None,
        "deal": ref(contract.deal, "title"), "owner": user_ref(contract.owner),
        "team": ref(contract.team), "start_date": contract.start_date,
        "end_date": contract.end_date, "notice_days": contract.notice_days,
        "notice_date": contract.notice_date, "auto_renew": contract.auto_renew,
        "value": contract.value, "currency": contract.currency, "value_eur": contract.value_eur,
        "payment_days": contract.payment_days, "payment_terms": contract.payment_terms,
        "special_conditions": contract.special_conditions, "language": contract.language,
        "signed_on": contract.signed_on, "ended_on": contract.ended_on,
        "termination_reason": contract.termination_reason,
        "terms_version": contract.terms_version, "allowed_transitions": list(transitions),
        "all_documents_present": checklist.complete,
        "missing_documents": [ref(k) for k in checklist.missing],
        "version": contract.version, "created_at": contract.created_at,
        "updated_at": contract.updated_at,
    }
    if sections.limited:
        out.update(offer=None, deal=None, special_conditions="", missing_documents=[],
                   allowed_transitions=[])
        if not sections.money:
            out.update(value=None, value_eur=None, payment_days=None, payment_terms="")
    return out


def document_out(document) -> dict:
    return {
        "id": document.pk, "contract": document.contract_id, "kind": ref(document.kind),
        "file_name": document.original_name, "content_type": document.content_type,
        "size": document.size, "sha256": document.sha256, "description": document.description,
        "signed_on": document.signed_on, "created_by": user_ref(document.created_by),
        "created_at": document.created_at, "deleted_at": document.deleted_at,
        "download_url": reverse("api:download_contract_document",
                                kwargs={"document_id": document.pk}),
    }


def obligation_out(obligation) -> dict:
    return {
        "id": obligation.pk,
        "contract": {"id": obligation.contract_id, "name": obligation.contract.number},
        "title": obligation.title, "due_date": obligation.due_date,
        "owner": user_ref(obligation.owner), "department": ref(obligation.department),
        "is_milestone": obligation.is_milestone, "status": obligation.status,
        "done_at": obligation.done_at, "done_by": user_ref(obligation.done_by),
    }


def condition_out(rule) -> dict:
    return {
        "id": rule.pk, "contract": rule.contract_id, "name": rule.name,
        "product": ref(rule.product), "line": ref(rule.line), "category": ref(rule.category),
        "discount_percent": rule.discount_percent, "fixed_price": rule.fixed_price,
        "currency": rule.currency, "valid_from": rule.valid_from, "valid_to": rule.valid_to,
        "active": rule.active,
    }


def referral_out(clause) -> dict:
    return {
        "id": clause.pk, "contract": clause.contract_id,
        "referrer_company": {"id": clause.referrer_company_id,
                             "name": clause.referrer_company.legal_name
                             if getattr(clause, "referrer_company_shown", False) else None}
        if clause.referrer_company else None,
        "referrer_contact": {"id": clause.referrer_contact_id,
                             "name": str(clause.referrer_contact)
                             if getattr(clause, "referrer_contact_shown", False) else None}
        if clause.referrer_contact else None,
        "reward": clause.reward, "reward_amount": clause.reward_amount,
        "currency": clause.currency, "settled_at": clause.settled_at,
    }


def contract_type_out(contract_type) -> dict:
    return {"id": contract_type.pk, "name": contract_type.name,
            "required_documents": [ref(k) for k in contract_type.required_documents.all()],
            "template": contract_type.template,
            "default_notice_days": contract_type.default_notice_days,
            "active": contract_type.active}


def document_kind_out(kind) -> dict:
    return {"id": kind.pk, "name": kind.name, "position": kind.position, "active": kind.active}
