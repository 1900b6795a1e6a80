"""REST API for the client base: companies, contacts, notes and files (/api/v1/…).

Thin by design: parse the request into a schema, call a selector or a service, render the result.
Visibility, permissions, validation of identifiers and the audit log all live in the selectors and
services the web UI uses too; errors become HTTP in one place (partnera.core.api).

Confidential company fields (credit_limit, payment_terms_days, credit_terms, financial_notes) are
*omitted* from the output for users who may not see them (core.visibility.can_see_confidential),
so a missing key means "not for you" and `null` means "not set".
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, create_model
from pydantic.fields import FieldInfo

from partnera.clients import selectors, services
from partnera.clients.models import Channel, CompanySize, LegalForm, Source, Stage, Tier
from partnera.core.api import (
    MAX_ID,
    CompanyRef,
    QuerySchema,
    RowId,
    StrictSchema,
    TeamRef,
    UserRef,
    check_cursor,
)
from partnera.core.errors import NotFound, ValidationFailed
from partnera.core.pagination import bounded_count, keyset_page
from partnera.core.visibility import can_change, can_see_confidential
from partnera.core.web import download_response

router = Router()


# Literal types built from the model choices, so the OpenAPI schema lists the allowed values.
# A type checker cannot evaluate a Literal built at run time; to it each of these is a str.
if TYPE_CHECKING:
    LegalFormValue: TypeAlias = str
    SizeValue: TypeAlias = str
    SourceValue: TypeAlias = str
    ChannelValue: TypeAlias = str
    StageValue: TypeAlias = str
    TierValue: TypeAlias = str
    CompanySort: TypeAlias = str
    ContactSort: TypeAlias = str
else:
    LegalFormValue = Literal[tuple(["", *LegalForm.values])]
    SizeValue = Literal[tuple(["", *CompanySize.values])]
    SourceValue = Literal[tuple(["", *Source.values])]
    ChannelValue = Literal[tuple(["", *Channel.values])]
    StageValue = Literal[tuple(Stage.values)]
    TierValue = Literal[tuple(Tier.values)]
    CompanySort = Literal[tuple(selectors.COMPANY_SORTS)]
    ContactSort = Literal[tuple(selectors.CONTACT_SORTS)]


def partial_schema(base: type[StrictSchema], name: str, **extra: Any) -> type[StrictSchema]:
    """`base` with every field optional (PATCH: only the fields sent are changed), plus `extra`."""
    fields: dict[str, Any] = {}
    for field_name, info in base.model_fields.items():
        optional = FieldInfo.merge_field_infos(info, default=None)
        optional.default_factory = None
        annotation = info.annotation
        if annotation is None:
            raise TypeError(f"{base.__name__}.{field_name} has no type annotation")
        fields[field_name] = (annotation | None, optional)
    fields.update(extra)
    return create_model(name, __base__=StrictSchema, **fields)


# --- output schemas -------------------------------------------------------------------------------

class CompanyOut(Schema):
    id: int
    legal_name: str
    display_name: str
    legal_form: str
    eik: str
    vat_number: str
    industry: str
    size: str
    country: str
    region: str
    city: str
    registered_address: str
    postal_address: str
    website: str
    phones: list[str]
    emails: list[str]
    stage: str
    tier: str
    owner: UserRef | None
    team: TeamRef | None
    source: str
    referred_by: int | None
    parent: int | None
    tags: list[str]
    credit_limit: Decimal | None = Field(
        None, description="Confidential: present only for roles with the right to credit terms.")
    payment_terms_days: int | None = Field(None, description="Confidential (see credit_limit).")
    credit_terms: str | None = Field(None, description="Confidential (see credit_limit).")
    financial_notes: str | None = Field(None, description="Confidential (see credit_limit).")
    version: int = Field(description="Send it back with PATCH; a stale version answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ContactOut(Schema):
    id: int
    company: CompanyRef
    first_name: str
    last_name: str
    position: str
    department: str
    emails: list[str]
    phones: list[str]
    preferred_channel: str
    marketing_consent: bool
    consent_date: dt.date | None
    consent_source: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class NoteOut(Schema):
    id: int
    company: int
    contact: int | None
    body: str
    created_by: UserRef | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class AttachmentOut(Schema):
    id: int
    company: int
    file_name: str
    content_type: str
    size: int
    sha256: str
    description: str
    created_by: UserRef | None
    created_at: dt.datetime
    download_url: str


class DeletedMeta(Schema):
    deleted_at: dt.datetime
    deleted_by: UserRef | None


class DeletedContactOut(ContactOut, DeletedMeta):
    pass


class DeletedNoteOut(NoteOut, DeletedMeta):
    pass


class DeletedAttachmentOut(DeletedMeta):
    id: int
    company: int
    file_name: str
    content_type: str
    size: int
    description: str
    created_by: UserRef | None
    created_at: dt.datetime


class DeletedRecords(Schema):
    contacts: list[DeletedContactOut] = Field(
        description="Deleted contacts you may restore, the most recently deleted first.")
    notes: list[DeletedNoteOut] = Field(
        description="Deleted notes you may restore, the most recently deleted first.")
    attachments: list[DeletedAttachmentOut] = Field(
        description="Deleted files you may restore, the most recently deleted first.")
    truncated: bool = Field(description="True when a list holds `limit` items and more exist.")


class PageMeta(Schema):
    next_cursor: str | None = Field(
        description="Pass as `cursor` to get the next page; null on the last page.")
    count: int = Field(description="Rows matching the filters, counted up to 1000.")
    count_is_lower_bound: bool = Field(description="True when more than `count` rows match.")


class CompanyPage(PageMeta):
    items: list[CompanyOut]


class ContactPage(PageMeta):
    items: list[ContactOut]


class NotePage(PageMeta):
    items: list[NoteOut]


class AttachmentPage(PageMeta):
    items: list[AttachmentOut]


# --- input schemas ----------------------------------------------------------------------------------

class CompanyCreate(StrictSchema):
    legal_name: str = Field(max_length=255)
    legal_form: LegalFormValue = ""
    eik: str = Field("", max_length=20, description="EIK/BULSTAT, 9 or 13 digits with check digit.")
    vat_number: str = Field("", max_length=20, description="EU VAT number, e.g. BG175074752.")
    industry: str = Field("", max_length=120)
    size: SizeValue = ""
    country: str = Field("BG", max_length=2, description="ISO 3166 country code.")
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    registered_address: str = Field("", max_length=500)
    postal_address: str = Field("", max_length=500)
    website: str = Field("", max_length=300)
    phones: list[str] = Field(default_factory=list, max_length=10,
                              description="Phone numbers; Bulgarian ones without +359 are accepted.")
    emails: list[str] = Field(default_factory=list, max_length=10)
    stage: StageValue = Stage.PROSPECT.value
    tier: TierValue = Tier.STANDARD.value
    owner: int | None = Field(None, ge=1, le=MAX_ID, description="User id; defaults to you.")
    team: int | None = Field(None, ge=1, le=MAX_ID, description="Team id; defaults to yours.")
    source: SourceValue = ""
    referred_by: int | None = Field(None, ge=1, le=MAX_ID, description="Company id.")
    parent: int | None = Field(None, ge=1, le=MAX_ID, description="Company id.")
    tags: list[str] = Field(default_factory=list, max_length=30)
    credit_limit: Decimal | None = Field(None, description="Confidential; EUR.")
    payment_terms_days: int | None = Field(None, ge=0, le=3650, description="Confidential.")
    credit_terms: str = Field("", max_length=2000, description="Confidential.")
    financial_notes: str = Field("", max_length=5000, description="Confidential.")


if TYPE_CHECKING:
    # Built at run time, so a type checker only knows it is a schema.
    CompanyUpdate: TypeAlias = StrictSchema
else:
    CompanyUpdate = partial_schema(
        CompanyCreate, "CompanyUpdate",
        version=(int, Field(ge=1, description="The `version` you read; a stale one answers 409.")),
    )


class CompanyCreateIn(CompanyCreate):
    allow_duplicate: bool = Field(
        False, description="Save even if the company looks like one already in the base "
                           "(else 409 `possible_duplicate` with the `matches` you may see).")


class CompanyFilterQuery(QuerySchema):
    """The companies list's filters (the list and its export take the same)."""

    q: str = Field("", max_length=200, description="Search name, EIK, VAT, city, e-mail, phone.")
    stage: list[StageValue] = Field(default_factory=list)
    tier: list[TierValue] = Field(default_factory=list)
    owner: list[RowId] = Field(default_factory=list, description="User ids.")
    team: list[RowId] = Field(default_factory=list, description="Team ids.")
    tag: list[str] = Field(default_factory=list, description="Tag names (exact).")
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    industry: str = Field("", max_length=120)
    sort: CompanySort = "name"


class CompanyListQuery(CompanyFilterQuery):
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class ShareIn(StrictSchema):
    user: int = Field(ge=1, le=MAX_ID, description="Id of the user to share the company with.")


class ContactCreate(StrictSchema):
    company: int = Field(ge=1, le=MAX_ID, description="Company id.")
    first_name: str = Field(max_length=100)
    last_name: str = Field("", max_length=100)
    position: str = Field("", max_length=150)
    department: str = Field("", max_length=150)
    emails: list[str] = Field(default_factory=list, max_length=10)
    phones: list[str] = Field(default_factory=list, max_length=10)
    preferred_channel: ChannelValue = ""
    marketing_consent: bool = False
    consent_date: dt.date | None = None
    consent_source: str = Field("", max_length=200)


if TYPE_CHECKING:
    # Built at run time, so a type checker only knows it is a schema.
    ContactUpdate: TypeAlias = StrictSchema
else:
    ContactUpdate = partial_schema(
        ContactCreate, "ContactUpdate",
        version=(int, Field(ge=1, description="The `version` you read; a stale one answers 409.")),
    )


class ContactCreateIn(ContactCreate):
    allow_duplicate: bool = Field(
        False, description="Save even if another contact has one of these e-mails or phones "
                           "(else 409 `possible_duplicate` with the `matches` you may see).")


class ContactFilterQuery(QuerySchema):
    """The contacts list's filters (the list and its export take the same)."""

    q: str = Field("", max_length=200)
    company: int | None = Field(None, ge=1, le=MAX_ID)
    consent: bool | None = None
    sort: ContactSort = "name"


class ContactListQuery(ContactFilterQuery):
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class PageQuery(QuerySchema):
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


class DeletedQuery(QuerySchema):
    limit: int = Field(50, ge=1, le=200, description="At most this many of each kind.")


class NoteCreate(StrictSchema):
    body: str = Field(max_length=10000)
    contact: int | None = Field(None, ge=1, le=MAX_ID, description="A contact of the company.")


class NoteUpdate(StrictSchema):
    body: str = Field(max_length=10000)
    version: int = Field(ge=1)


# --- rendering -----------------------------------------------------------------------------------------

def _user_ref(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": str(user)}


def company_out(company, *, confidential: bool) -> dict:
    data = {
        "id": company.pk, "legal_name": company.legal_name, "display_name": company.display_name,
        "legal_form": company.legal_form, "eik": company.eik, "vat_number": company.vat_number,
        "industry": company.industry, "size": company.size, "country": company.country,
        "region": company.region, "city": company.city,
        "registered_address": company.registered_address,
        "postal_address": company.postal_address, "website": company.website,
        "phones": company.phones, "emails": company.emails, "stage": company.stage,
        "tier": company.tier, "owner": _user_ref(company.owner),
        "team": {"id": company.team.pk, "name": company.team.name} if company.team else None,
        "source": company.source, "referred_by": company.referred_by_id,
        "parent": company.parent_id, "tags": [t.name for t in company.tags.all()],
        "version": company.version, "created_at": company.created_at,
        "updated_at": company.updated_at,
    }
    if confidential:
        data.update(credit_limit=company.credit_limit,
                    payment_terms_days=company.payment_terms_days,
                    credit_terms=company.credit_terms, financial_notes=company.financial_notes)
    return data


def contact_out(contact) -> dict:
    return {
        "id": contact.pk,
        "company": {"id": contact.company_id, "name": contact.company.display_name},
        "first_name": contact.first_name, "last_name": contact.last_name,
        "position": contact.position, "department": contact.department,
        "emails": contact.emails, "phones": contact.phones,
        "preferred_channel": contact.preferred_channel,
        "marketing_consent": contact.marketing_consent, "consent_date": contact.consent_date,
        "consent_source": contact.consent_source, "version": contact.version,
        "created_at": contact.created_at, "updated_at": contact.updated_at,
    }


def note_out(note) -> dict:
    return {
        "id": note.pk, "company": note.company_id, "contact": note.contact_id, "body": note.body,
        "created_by": _user_ref(note.created_by), "version": note.version,
        "created_at": note.created_at, "updated_at": note.updated_at,
    }


def attachment_out(attachment) -> dict:
    return {
        "id": attachment.pk, "company": attachment.company_id,
        "file_name": attachment.original_name, "content_type": attachment.content_type,
        "size": attachment.size, "sha256": attachment.sha256,
        "description": attachment.description, "created_by": _user_ref(attachment.created_by),
        "created_at": attachment.created_at,
        "download_url": reverse("api:download_attachment",
                                kwargs={"attachment_id": attachment.pk}),
    }


def _deleted_meta(record) -> dict:
    return {"deleted_at": record.deleted_at, "deleted_by": _user_ref(record.deleted_by)}


def deleted_attachment_out(attachment) -> dict:
    return {
        "id": attachment.pk, "company": attachment.company_id,
        "file_name": attachment.original_name, "content_type": attachment.content_type,
        "size": attachment.size, "description": attachment.description,
        "created_by": _user_ref(attachment.created_by), "created_at": attachment.created_at,
        **_deleted_meta(attachment),
    }


def _page(items: list, page, count: tuple[int, bool]) -> dict:
    return {"items": items, "next_cursor": page.next_cursor, "count": count[0],
            "count_is_lower_bound": count[1]}


# --- companies -------------------------------------------------------------------------------------------

def company_filters(query: CompanyFilterQuery) -> selectors.CompanyFilters:
    return selectors.CompanyFilters(
        q=query.q, stage=list(query.stage), tier=list(query.tier), owner=query.owner,
        team=query.team, tag=selectors.tag_ids_by_name(query.tag), region=query.region, city=query.city,
        industry=query.industry,
    )


def contact_filters(query: ContactFilterQuery) -> selectors.ContactFilters:
    return selectors.ContactFilters(q=query.q, company=query.company, consent=query.consent)


@router.get("/companies", response=CompanyPage, exclude_unset=True, tags=["companies"])
def list_companies(request, query: Query[CompanyListQuery]):
    """Companies you can see, filtered and sorted, one keyset page at a time."""
    filters = company_filters(query)
    page = selectors.company_page(user=request.auth, filters=filters, sort=query.sort,
                                  cursor=check_cursor(query.cursor), size=query.limit)
    confidential = can_see_confidential(request.auth)
    items = [company_out(c, confidential=confidential) for c in page.items]
    return _page(items, page, selectors.company_count(user=request.auth, filters=filters))


@router.post("/companies", response={201: CompanyOut}, exclude_unset=True, tags=["companies"])
def create_company(request, payload: CompanyCreateIn):
    """Create a company. One that looks like a company you can see (same EIK/VAT, e-mail, phone,
    or a similar name) answers 409 `possible_duplicate` listing them, unless `allow_duplicate`."""
    data = payload.model_dump(exclude_unset=True)
    allow = bool(data.pop("allow_duplicate", False))
    company = services.company_create(actor=request.auth, data=data, allow_duplicate=allow)
    return Status(201, company_out(company, confidential=can_see_confidential(request.auth)))


@router.get("/companies/{company_id}", response=CompanyOut, exclude_unset=True, tags=["companies"])
def get_company(request, company_id: int):
    company = selectors.company_get(user=request.auth, pk=company_id)
    return company_out(company, confidential=can_see_confidential(request.auth))


@router.patch("/companies/{company_id}", response=CompanyOut, exclude_unset=True,
              tags=["companies"])
def update_company(request, company_id: int, payload: CompanyUpdate):
    """Change the fields you send. Send the `version` you read; if someone saved since, 409."""
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    company = selectors.company_get(user=request.auth, pk=company_id)
    company = services.company_update(actor=request.auth, company=company, data=data,
                                      expected_version=version)
    return company_out(company, confidential=can_see_confidential(request.auth))


@router.delete("/companies/{company_id}", response={204: None}, tags=["companies"])
def delete_company(request, company_id: int):
    """Soft delete: the company leaves every list and can be restored."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    services.company_delete(actor=request.auth, company=company)
    return Status(204, None)


@router.post("/companies/{company_id}/restore", response=CompanyOut, exclude_unset=True,
             tags=["companies"])
def restore_company(request, company_id: int):
    company = selectors.company_get_deleted(user=request.auth, pk=company_id)
    company = services.company_restore(actor=request.auth, company=company)
    return company_out(company, confidential=can_see_confidential(request.auth))


@router.get("/companies/{company_id}/deleted", response=DeletedRecords, tags=["companies"])
def list_deleted(request, company_id: int, query: Query[DeletedQuery]):
    """The deleted contacts, notes and files of a company that you may restore (contacts and
    files: if you may change the company; notes: if you may delete them)."""
    user = request.auth
    company = selectors.company_get(user=user, pk=company_id)
    fetch = query.limit + 1
    contacts: list = []
    files: list = []
    if can_change(user, company):
        contacts = list(selectors.contact_deleted_list(user=user, company_id=company.pk)[:fetch])
        files = list(selectors.attachment_deleted_list(user=user, company_id=company.pk)[:fetch])
    notes = list(selectors.note_deleted_restorable(user=user, company=company)[:fetch])
    truncated = any(len(rows) > query.limit for rows in (contacts, notes, files))
    return {
        "contacts": [{**contact_out(c), **_deleted_meta(c)} for c in contacts[:query.limit]],
        "notes": [{**note_out(n), **_deleted_meta(n)} for n in notes[:query.limit]],
        "attachments": [deleted_attachment_out(a) for a in files[:query.limit]],
        "truncated": truncated,
    }


def _share_target(user_id: int):
    from partnera.people.selectors import user_get

    try:
        user = user_get(pk=user_id)
    except NotFound:
        user = None
    if user is None or not user.is_active:
        raise ValidationFailed(fields={"user": [_("Choose an active user.")]})
    return user


@router.post("/companies/{company_id}/shares", response={204: None}, tags=["companies"])
def share_company(request, company_id: int, payload: ShareIn):
    """Let one more user see this company (an explicit share)."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    services.company_share(actor=request.auth, company=company, user=_share_target(payload.user))
    return Status(204, None)


@router.delete("/companies/{company_id}/shares/{user_id}", response={204: None},
               tags=["companies"])
def unshare_company(request, company_id: int, user_id: int):
    company = selectors.company_get(user=request.auth, pk=company_id)
    services.company_unshare(actor=request.auth, company=company, user=_share_target(user_id))
    return Status(204, None)


# --- notes -----------------------------------------------------------------------------------------------

@router.get("/companies/{company_id}/notes", response=NotePage, tags=["notes"])
def list_notes(request, company_id: int, query: Query[PageQuery]):
    company = selectors.company_get(user=request.auth, pk=company_id)
    notes = selectors.note_list(user=request.auth, company_id=company.pk)
    page = keyset_page(notes, field="created_at", descending=True,
                       cursor=check_cursor(query.cursor), size=query.limit)
    return _page([note_out(n) for n in page.items], page, bounded_count(notes))


@router.post("/companies/{company_id}/notes", response={201: NoteOut}, tags=["notes"])
def create_note(request, company_id: int, payload: NoteCreate):
    company = selectors.company_get(user=request.auth, pk=company_id)
    note = services.note_create(actor=request.auth, company=company,
                                data=payload.model_dump(exclude_unset=True))
    return Status(201, note_out(note))


@router.get("/notes/{note_id}", response=NoteOut, tags=["notes"])
def get_note(request, note_id: int):
    return note_out(selectors.note_get(user=request.auth, pk=note_id))


@router.patch("/notes/{note_id}", response=NoteOut, tags=["notes"])
def update_note(request, note_id: int, payload: NoteUpdate):
    note = selectors.note_get(user=request.auth, pk=note_id)
    note = services.note_update(actor=request.auth, note=note, data={"body": payload.body},
                                expected_version=payload.version)
    return note_out(note)


@router.delete("/notes/{note_id}", response={204: None}, tags=["notes"])
def delete_note(request, note_id: int):
    note = selectors.note_get(user=request.auth, pk=note_id)
    services.note_delete(actor=request.auth, note=note)
    return Status(204, None)


@router.post("/notes/{note_id}/restore", response=NoteOut, tags=["notes"])
def restore_note(request, note_id: int):
    """Bring back a deleted note; 409 while its company is in the trash."""
    note = selectors.note_get_deleted(user=request.auth, pk=note_id)
    return note_out(services.note_restore(actor=request.auth, note=note))


# --- attachments -------------------------------------------------------------------------------------------

@router.get("/companies/{company_id}/attachments", response=AttachmentPage, tags=["files"])
def list_attachments(request, company_id: int, query: Query[PageQuery]):
    company = selectors.company_get(user=request.auth, pk=company_id)
    files = selectors.attachment_list(user=request.auth, company_id=company.pk)
    page = keyset_page(files, field="created_at", descending=True,
                       cursor=check_cursor(query.cursor), size=query.limit)
    return _page([attachment_out(a) for a in page.items], page, bounded_count(files))


@router.post("/companies/{company_id}/attachments", response={201: AttachmentOut}, tags=["files"])
def upload_attachment(request, company_id: int, file: File[UploadedFile],
                      description: Form[str] = ""):
    """Upload a file (multipart/form-data: `file`, optional `description`)."""
    company = selectors.company_get(user=request.auth, pk=company_id)
    attachment = services.attachment_add(actor=request.auth, company=company, upload=file,
                                         description=description)
    return Status(201, attachment_out(attachment))


@router.get("/attachments/{attachment_id}", response=AttachmentOut, tags=["files"])
def get_attachment(request, attachment_id: int):
    return attachment_out(selectors.attachment_get(user=request.auth, pk=attachment_id))


@router.get("/attachments/{attachment_id}/download", tags=["files"],
            url_name="download_attachment")
def download_attachment(request, attachment_id: int):
    """The file itself, streamed; only when you can see its company (else 404)."""
    attachment = selectors.attachment_get(user=request.auth, pk=attachment_id)
    handle = services.attachment_open(actor=request.auth, attachment=attachment)
    return download_response(handle, filename=attachment.original_name,
                             content_type=attachment.content_type)


@router.delete("/attachments/{attachment_id}", response={204: None}, tags=["files"])
def delete_attachment(request, attachment_id: int):
    attachment = selectors.attachment_get(user=request.auth, pk=attachment_id)
    services.attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)


@router.post("/attachments/{attachment_id}/restore", response=AttachmentOut, tags=["files"])
def restore_attachment(request, attachment_id: int):
    """Bring back a deleted file; 409 while its company is in the trash."""
    attachment = selectors.attachment_get_deleted(user=request.auth, pk=attachment_id)
    return attachment_out(services.attachment_restore(actor=request.auth, attachment=attachment))


# --- contacts ------------------------------------------------------------------------------------------

@router.get("/contacts", response=ContactPage, tags=["contacts"])
def list_contacts(request, query: Query[ContactListQuery]):
    filters = contact_filters(query)
    page = selectors.contact_page(user=request.auth, filters=filters, sort=query.sort,
                                  cursor=check_cursor(query.cursor), size=query.limit)
    return _page([contact_out(c) for c in page.items], page,
                 selectors.contact_count(user=request.auth, filters=filters))


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"])
def create_contact(request, payload: ContactCreateIn):
    """Add a contact. An e-mail or phone another contact you can see already has answers 409
    `possible_duplicate` listing them, unless `allow_duplicate`."""
    data = payload.model_dump(exclude_unset=True)
    allow = bool(data.pop("allow_duplicate", False))
    contact = services.contact_create(actor=request.auth, data=data, allow_duplicate=allow)
    return Status(201, contact_out(contact))


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def get_contact(request, contact_id: int):
    return contact_out(selectors.contact_get(user=request.auth, pk=contact_id))


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"])
def update_contact(request, contact_id: int, payload: ContactUpdate):
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    contact = services.contact_update(actor=request.auth, contact=contact, data=data,
                                      expected_version=version)
    return contact_out(contact)


@router.delete("/contacts/{contact_id}", response={204: None}, tags=["contacts"])
def delete_contact(request, contact_id: int):
    contact = selectors.contact_get(user=request.auth, pk=contact_id)
    services.contact_delete(actor=request.auth, contact=contact)
    return Status(204, None)


@router.post("/contacts/{contact_id}/restore", response=ContactOut, tags=["contacts"])
def restore_contact(request, contact_id: int):
    """Bring back a deleted contact; 409 while its company is in the trash."""
    contact = selectors.contact_get_deleted(user=request.auth, pk=contact_id)
    return contact_out(services.contact_restore(actor=request.auth, contact=contact))
