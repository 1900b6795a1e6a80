"""REST API of the duplicates finder and of merging (/api/v1/companies/duplicates, …/merge).

Mounted before the clients router (config/api_urls.py), so that /companies/duplicates is not
taken for a company id. Creating a company or a contact that looks like one already there answers
409 `possible_duplicate` with the matches the caller may see (clients.api, services).
"""

from __future__ import annotations

from typing import Literal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.clients import duplicates, merge, selectors
from partnera.clients.api import MAX_ID, CompanyOut, company_out
from partnera.core.api import QuerySchema, StrictSchema, check_cursor
from partnera.core.visibility import can_see_confidential

router = Router()


class DuplicateReasonOut(Schema):
    code: str = Field(description="eik, vat_eik, vat, email, domain, phone, name, "
                                  "similar_name or city.")
    value: str
    points: int
    text: str = Field(description="The reason in the caller's language.")


class PairCompany(Schema):
    id: int
    name: str
    eik: str
    city: str
    version: int


class PairOut(Schema):
    score: int = Field(description="0–100: the reasons combined.")
    company: PairCompany
    other: PairCompany
    reasons: list[DuplicateReasonOut]


class PairPage(Schema):
    items: list[PairOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page.")


class PairQuery(QuerySchema):
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


Choice = Literal["survivor", "other", "both"]


class MergeIn(StrictSchema):
    other: int = Field(ge=1, le=MAX_ID, description="The company merged into this one (it is "
                                                    "then deleted, pointing here).")
    version: int = Field(ge=1, description="The `version` of this company you read.")
    other_version: int = Field(ge=1, description="The `version` of the other company you read.")
    fields: dict[str, Choice] = Field(
        default_factory=dict,
        description="Per field, whose value survives: \"survivor\" (this company's), \"other\", or "
                    "for phones, emails and tags \"both\" (combined). Fields not named keep this "
                    "company's value, or take the other's where this one's is empty; lists are "
                    "combined.")


class DismissIn(StrictSchema):
    company: int = Field(ge=1, le=MAX_ID)
    other: int = Field(ge=1, le=MAX_ID)


def _pair_company(company) -> dict:
    return {"id": company.pk, "name": company.legal_name, "eik": company.eik,
            "city": company.city, "version": company.version}


@router.get("/companies/duplicates", response=PairPage, tags=["duplicates"])
def list_duplicates(request, query: Query[PairQuery]):
    """Likely duplicate pairs among the companies you can see (both of each pair), best score
    first, with the reasons. Pairs marked "not duplicates" are not listed."""
    page, rows = duplicates.duplicate_pair_page(user=request.auth, cursor=check_cursor(query.cursor),
                                                size=query.limit)
    return {"items": [{"score": r.score, "company": _pair_company(r.a), "other": _pair_company(r.b),
                       "reasons": [x.as_dict() for x in r.reasons]} for r in rows],
            "next_cursor": page.next_cursor}


@router.post("/companies/duplicates/dismiss", response={204: None}, tags=["duplicates"])
def dismiss_duplicate(request, payload: DismissIn):
    """Mark two companies as not duplicates: the pair is not suggested again."""
    company = selectors.company_get(user=request.auth, pk=payload.company)
    other = selectors.company_get(user=request.auth, pk=payload.other)
    merge.duplicate_dismiss(actor=request.auth, company=company, other=other)
    return Status(204, None)


@router.post("/companies/{company_id}/merge", response=CompanyOut, exclude_unset=True,
             tags=["duplicates"])
def merge_company(request, company_id: int, payload: MergeIn):
    """Merge `other` into this company: the chosen values survive, every related record moves
    here, the other company is deleted (its merge is audited with a snapshot of it). Needs the
    right to change both and to delete the other; stale versions answer 409 and change nothing."""
    survivor = duplicates.company_get_any(user=request.auth, pk=company_id)
    other = duplicates.company_get_any(user=request.auth, pk=payload.other)
    company = merge.company_merge(actor=request.auth, survivor=survivor, other=other,
                                  survivor_version=payload.version,
                                  other_version=payload.other_version,
                                  choices=dict(payload.fields))
    company = selectors.company_get(user=request.auth, pk=company.pk)
    return company_out(company, confidential=can_see_confidential(request.auth))
