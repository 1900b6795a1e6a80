"""Writes to the client base. Each validates, checks the actor's right, writes, and audits."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients import duplicates
from partnera.clients import identifiers as ids
from partnera.clients.models import (
    Attachment,
    Company,
    Contact,
    Note,
    SavedView,
    Tag,
)
from partnera.clients.permissions import can_edit_note
from partnera.clients.selectors import company_eik_holder
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.cleaning import (
    boolean as _bool,
)
from partnera.core.cleaning import (
    bounded_text as _bounded_text,
)
from partnera.core.cleaning import (
    clean_into as _clean_into,
)
from partnera.core.cleaning import (
    optional_date as _optional_date,
)
from partnera.core.cleaning import (
    optional_int as _optional_int,
)
from partnera.core.cleaning import (
    optional_money as _optional_money,
)
from partnera.core.cleaning import (
    team_ref as _team_ref,
)
from partnera.core.cleaning import (
    text as _text,
)
from partnera.core.cleaning import (
    user_ref as _user_ref,
)
from partnera.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.records import bump_version
from partnera.core.roles import Role
from partnera.core.search import search_index_update
from partnera.core.uploads import check_upload
from partnera.core.visibility import (
    can_assign,
    can_change,
    can_delete,
    can_see_confidential,
    forget_scope,
    visible_q,
)

COMPANY_FIELDS = [
    "legal_name", "legal_form", "eik", "vat_number", "industry", "size", "country", "region",
    "city", "registered_address", "postal_address", "website", "phones", "emails", "stage",
    "tier", "owner", "team", "source", "referred_by", "parent", "tags",
    "credit_limit", "payment_terms_days", "credit_terms", "financial_notes",
]
# What the audit log keeps of a company: the fields, plus the ids behind the links to other
# companies, so the timeline can hide the name of a linked company the reader may not see.
AUDITED_COMPANY_FIELDS = [*COMPANY_FIELDS, "parent_id", "referred_by_id"]
CONFIDENTIAL_FIELDS = frozenset({"credit_limit", "payment_terms_days", "credit_terms",
                                 "financial_notes"})
CONTACT_FIELDS = [
    "company", "first_name", "last_name", "position", "department", "emails", "phones",
    "preferred_channel", "marketing_consent", "consent_date", "consent_source",
]
AUDITED_CONTACT_FIELDS = [*CONTACT_FIELDS, "company_id"]
def EIK_TAKEN() -> str:
    return _("A company with this EIK is already in the client base.")


# --- helpers ------------------------------------------------------------------------------------

def _column_names(obj: models.Model, fields: Iterable[str]) -> list[str]:
    """The attribute names save(update_fields=…) takes for these model fields (`owner` → `owner_id`)."""
    names = []
    for name in fields:
        field = obj._meta.get_field(name)
        if not isinstance(field, models.Field):
            raise TypeError(f"{type(obj).__name__}.{name} is not a concrete field")
        names.append(field.attname)
    return names


def _require_visible(actor, company: Company) -> None:
    """Views and API handlers hand the services records read through the selectors; the rule
    holds here too, whoever calls: a company the actor may not see does not exist for them."""
    if not Company.all_objects.filter(visible_q(actor), pk=company.pk).exists():
        raise NotFound()


R = TypeVar("R", Contact, Note, Attachment)


def _require_restorable_below(actor, company: Company) -> None:
    """A deleted contact, note or file comes back only below a live company the actor can see:
    below a company in the trash it would stay invisible, so the company is restored first."""
    row = Company.all_objects.filter(visible_q(actor), pk=company.pk).values("deleted_at").first()
    if row is None:
        raise NotFound()
    if row["deleted_at"] is not None:
        raise Conflict(_("“%(name)s” is in the trash. Restore the company first.")
                       % {"name": company.legal_name})


def _restore_below(actor, record: R, *, may: bool, refusal: str | None = None) -> R:
    """Bring back a deleted contact, note or file below a live, visible company, when `may`
    (the same right as deleting it). Restoring a record that is not deleted changes nothing."""
    _require_visible(actor, record.company)
    if not may:
        raise PermissionDenied(refusal)
    _require_restorable_below(actor, record.company)
    if record.deleted_at is not None:
        record.deleted_at = None
        record.deleted_by = None
        bump_version(record, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        audit_record(actor=actor, action=AuditEntry.Action.RESTORE, obj=record,
                     company_id=record.company_id)
    return record










def _visible_company_ref(actor):
    def clean(value: Any) -> Company | None:
        if value in (None, ""):
            return None
        pk = value.pk if isinstance(value, Company) else value
        try:
            return Company.objects.filter(visible_q(actor)).get(pk=int(pk))
        except (Company.DoesNotExist, TypeError, ValueError):
            raise ValidationError(_("Choose a company you can see."), code="invalid_choice") from None
    return clean


def _tags(value: Any) -> list[Tag]:
    names = ids.split_list(value)
    if len(names) > 30:
        raise ValidationError(_("At most 30 tags."))
    tags = []
    for name in names:
        if len(name) > 60:
            raise ValidationError(_("A tag has at most 60 characters."))
        tag = _existing_tag(name) or Tag.objects.create(name=name)
        if tag not in tags:
            tags.append(tag)
    return tags


def _existing_tag(name: str) -> Tag | None:
    # The same tag whatever its case, Cyrillic included: SQLite's iexact folds ASCII only, so the
    # candidates come from a case-insensitive regex (Python's re on SQLite) and are compared here.
    key = name.casefold()
    candidates = Tag.objects.filter(name__iregex=f"^{re.escape(name)}$").order_by("pk")[:20]
    return next((t for t in candidates if t.name.casefold() == key), None)


def _company_cleaners(actor) -> dict:
    return {
        "eik": ids.normalize_eik,
        "vat_number": ids.normalize_vat,
        "phones": ids.normalize_phones,
        "emails": ids.normalize_emails,
        "owner": _user_ref,
        "team": _team_ref,
        "referred_by": _visible_company_ref(actor),
        "parent": _visible_company_ref(actor),
        "credit_limit": _optional_money,
        "payment_terms_days": _optional_int,
        "country": lambda v: _text(v).upper(),
        "credit_terms": _bounded_text(2000),
        "financial_notes": _bounded_text(5000),
    }



def _without_confidential(*, actor, data: dict) -> dict:
    """What a role without the right to confidential fields may send: any value there is refused
    (even the stored one, so that nobody can probe it); empty ones (an API client sending every
    field) are dropped, so they neither wipe the stored values nor reveal whether there are any."""
    if can_see_confidential(actor):
        return data
    sent = sorted(f for f in CONFIDENTIAL_FIELDS if f in data and data[f] not in (None, ""))
    if sent:
        raise PermissionDenied(
            _("Your role may not see or change credit terms and financial notes."),
            fields={f: [_("Not permitted for your role.")] for f in sent},
        )
    return {k: v for k, v in data.items() if k not in CONFIDENTIAL_FIELDS}


def _check_company_rules(*, actor, company: Company, data: dict, before: dict | None,
                         errors: dict) -> None:
    privileged = actor is None or can_assign(actor)
    if "team" in data and not privileged and "team" not in errors:
        # A new company goes to the creator's team; an existing one keeps its team.
        allowed_team = before.get("team_id") if before is not None else getattr(actor, "team_id", None)
        if company.team_id != allowed_team:
            errors.setdefault("team", []).append(
                _("Only a head of sales or an administrator moves clients between teams."))
    if "owner" in data and actor is not None and "owner" not in errors:
        # A new company may only be the creator's own; an existing one keeps its owner.
        allowed_owner = before.get("owner_id") if before is not None else actor.pk
        if not privileged and company.owner_id != allowed_owner:
            errors.setdefault("owner", []).append(
                _("Only a head of sales or an administrator assigns clients to someone else.")
            )
    if company.parent_id and company.pk and company.parent_id == company.pk:
        errors.setdefault("parent", []).append(_("A company cannot be its own parent."))
    elif company.parent_id and company.pk:
        seen, node = {company.pk}, company.parent
        while node is not None:
            if node.pk in seen:
                errors.setdefault("parent", []).append(
                    _("This would make the company a subsidiary of itself."))
                break
            seen.add(node.pk)
            node = node.parent
    if company.referred_by_id and company.pk and company.referred_by_id == company.pk:
        errors.setdefault("referred_by", []).append(_("A company cannot refer itself."))
    taken, holder = company_eik_holder(user=actor, eik=company.eik, exclude_pk=company.pk)
    if taken:
        message = (_("“%(name)s” already has this EIK.") % {"name": holder.legal_name}
                   if holder is not None else EIK_TAKEN())
        errors.setdefault("eik", []).append(message)


# --- companies ---------------------------------------------------------------------------------

@transaction.atomic
def company_create(*, actor, data: dict, allow_duplicate: bool = False) -> Company:
    """Create a company. Unless `allow_duplicate`, a company that looks like one the actor can
    already see (same EIK/VAT, e-mail, phone or a similar name) is refused with
    PossibleDuplicate listing those companies (clients.duplicates); hidden ones are never told."""
    if actor is not None and actor.role == Role.DEPARTMENT:
        raise PermissionDenied()
    data = _without_confidential(actor=actor, data=data)
    company = Company(created_by=actor)
    defaults = {"owner": actor, "team": getattr(actor, "team", None)}
    payload = {**{k: v for k, v in defaults.items() if v is not None}, **data}
    errors = _clean_into(company, payload, COMPANY_FIELDS, _company_cleaners(actor))
    _check_company_rules(actor=actor, company=company, data=data, before=None, errors=errors)
    if errors:
        raise ValidationFailed(fields=errors)
    if not allow_duplicate:
        matches = duplicates.match_company_record(company, user=actor)
        if matches:
            raise duplicates.PossibleDuplicate(matches)
    company.name_key = duplicates.company_name_key(company.legal_name)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise ValidationFailed(fields={"eik": [EIK_TAKEN()]}) from None
    if "tags" in data:
        company.tags.set(_tags_or_error(data["tags"]))
    duplicates.index_company(company)
    search_index_update("company", [company.pk])
    after = snapshot(company, AUDITED_COMPANY_FIELDS)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=company, company_id=company.pk,
                 changes={k: [None, v] for k, v in after.items() if v not in (None, "", [])})
    return company


def _tags_or_error(value) -> list[Tag]:
    try:
        return _tags(value)
    except ValidationError as exc:
        raise ValidationFailed(fields={"tags": exc.messages}) from None


@transaction.atomic
def company_update(*, actor, company: Company, data: dict, expected_version: int | None) -> Company:
    """Change a company. `expected_version` is the version the user's form or request was built on;
    if someone saved in between, nothing is written and VersionConflict is raised."""
    _require_visible(actor, company)
    if not can_change(actor, company):
        raise PermissionDenied()
    if expected_version is not None and expected_version != company.version:
        raise VersionConflict()
    data = _without_confidential(actor=actor, data=data)
    before = snapshot(company, AUDITED_COMPANY_FIELDS)
    before["owner_id"] = company.owner_id
    before["team_id"] = company.team_id
    errors = _clean_into(company, data, COMPANY_FIELDS, _company_cleaners(actor))
    _check_company_rules(actor=actor, company=company, data=data, before=before, errors=errors)
    tags = None
    if "tags" in data:
        try:
            tags = _tags(data["tags"])
        except ValidationError as exc:
            errors["tags"] = exc.messages
    if errors:
        raise ValidationFailed(fields=errors)
    company.name_key = duplicates.company_name_key(company.legal_name)
    fields = [f for f in COMPANY_FIELDS if f != "tags"]
    db_fields = [*_column_names(company, fields), "name_key"]
    try:
        with transaction.atomic():
            bump_version(company, expected_version=expected_version, fields=db_fields)
    except IntegrityError:
        raise ValidationFailed(fields={"eik": [EIK_TAKEN()]}) from None
    if tags is not None:
        company.tags.set(tags)
    duplicates.index_company(company)
    search_index_update("company", [company.pk])  # and its contacts' (they hold its name)
    before_plain = snapshot_from(before)
    changes = diff(before_plain, snapshot(company, AUDITED_COMPANY_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=company,
                     company_id=company.pk, changes=changes)
    return company


def snapshot_from(before: dict) -> dict:
    return {k: v for k, v in before.items() if k in AUDITED_COMPANY_FIELDS}


@transaction.atomic
def company_delete(*, actor, company: Company) -> Company:
    _require_visible(actor, company)
    if not can_delete(actor, company):
        raise PermissionDenied()
    company.deleted_at = timezone.now()
    company.deleted_by = actor
    bump_version(company, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    duplicates.forget_company(company.pk)
    search_index_update("company", [company.pk])  # out of the index, with its contacts
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=company, company_id=company.pk)
    return company


@transaction.atomic
def company_restore(*, actor, company: Company) -> Company:
    _require_visible(actor, company)
    if not can_delete(actor, company):
        raise PermissionDenied()
    if company.merged_into_id:
        raise Conflict(_("“%(name)s” was merged into another company; its contacts, notes and "
                         "files are there now.") % {"name": company.legal_name})
    taken = _("Another company now has this EIK; merge or change it before restoring.")
    if company.eik and Company.objects.filter(eik=company.eik).exists():
        raise Conflict(taken)
    company.deleted_at = None
    company.deleted_by = None
    try:
        with transaction.atomic():
            bump_version(company, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    except IntegrityError:  # another company took the EIK between the check and the write
        raise Conflict(taken) from None
    duplicates.index_company(company)
    search_index_update("company", [company.pk])  # back in the index, with its live contacts
    audit_record(actor=actor, action=AuditEntry.Action.RESTORE, obj=company, company_id=company.pk)
    return company


@transaction.atomic
def company_share(*, actor, company: Company, user) -> RecordShare:
    _require_visible(actor, company)
    if not can_change(actor, company):
        raise PermissionDenied()
    share, created = RecordShare.objects.get_or_create(
        record_type="clients.company", record_id=company.pk, user=user,
        defaults={"granted_by": actor},
    )
    if created:
        forget_scope(user)
        audit_record(actor=actor, action=AuditEntry.Action.SHARE, obj=company,
                     company_id=company.pk, changes={"shared_with": [None, user.get_username()]})
    return share


@transaction.atomic
def company_unshare(*, actor, company: Company, user) -> None:
    _require_visible(actor, company)
    if not can_change(actor, company):
        raise PermissionDenied()
    deleted, _n = RecordShare.objects.filter(
        record_type="clients.company", record_id=company.pk, user=user
    ).delete()
    if deleted:
        forget_scope(user)
        audit_record(actor=actor, action=AuditEntry.Action.UNSHARE, obj=company,
                     company_id=company.pk, changes={"shared_with": [user.get_username(), None]})


# --- contacts ------------------------------------------------------------------------------------

def _contact_cleaners(actor) -> dict:
    return {
        "company": _visible_company_ref(actor),
        "emails": ids.normalize_emails,
        "phones": ids.normalize_phones,
        "marketing_consent": _bool,
        "consent_date": _optional_date,
    }


def _check_contact_rules(contact: Contact, errors: dict) -> None:
    if contact.marketing_consent and not contact.consent_date:
        contact.consent_date = timezone.localdate()
    if contact.marketing_consent and not contact.consent_source:
        errors.setdefault("consent_source", []).append(
            _("Say where the consent was given (form, meeting, e-mail …)."))
    if not contact.marketing_consent:
        contact.consent_date = None


@transaction.atomic
def contact_create(*, actor, data: dict, allow_duplicate: bool = False) -> Contact:
    """Add a contact. Unless `allow_duplicate`, an e-mail or phone that another live contact the
    actor can see already has is refused with PossibleDuplicate naming those contacts."""
    contact = Contact(created_by=actor)
    errors = _clean_into(contact, data, CONTACT_FIELDS, _contact_cleaners(actor))
    if "company" not in errors and contact.company_id is None:
        errors["company"] = [_("Choose a company you can see.")]
    if contact.company_id and not can_change(actor, contact.company):
        raise PermissionDenied()
    _check_contact_rules(contact, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    if not allow_duplicate:
        matches = duplicates.match_contact(
            {"emails": contact.emails, "phones": contact.phones}, user=actor)
        if matches:
            raise duplicates.PossibleDuplicate(matches, message=_(
                "Another contact already has this e-mail or phone. Check it, or confirm that "
                "this is a different person."))
    contact.save()
    duplicates.index_contact(contact)
    search_index_update("contact", [contact.pk])
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=contact,
                 company_id=contact.company_id,
                 changes={k: [None, v] for k, v in snapshot(contact, AUDITED_CONTACT_FIELDS).items()
                          if v not in (None, "", [], False)})
    return contact


@transaction.atomic
def contact_update(*, actor, contact: Contact, data: dict, expected_version: int | None) -> Contact:
    _require_visible(actor, contact.company)
    if not can_change(actor, contact.company):
        raise PermissionDenied()
    if expected_version is not None and expected_version != contact.version:
        raise VersionConflict()
    before = snapshot(contact, AUDITED_CONTACT_FIELDS)
    errors = _clean_into(contact, data, CONTACT_FIELDS, _contact_cleaners(actor))
    if contact.company_id and "company" in data and not can_change(actor, contact.company):
        errors.setdefault("company", []).append(_("Choose a company you can see."))
    _check_contact_rules(contact, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    db_fields = _column_names(contact, CONTACT_FIELDS)
    bump_version(contact, expected_version=expected_version, fields=db_fields)
    duplicates.index_contact(contact)
    search_index_update("contact", [contact.pk])  # a move brings the new company's name
    changes = diff(before, snapshot(contact, AUDITED_CONTACT_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=contact,
                     company_id=contact.company_id, changes=changes)
    return contact


@transaction.atomic
def contact_delete(*, actor, contact: Contact) -> Contact:
    _require_visible(actor, contact.company)
    if not can_change(actor, contact.company):
        raise PermissionDenied()
    contact.deleted_at = timezone.now()
    contact.deleted_by = actor
    bump_version(contact, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    search_index_update("contact", [contact.pk])
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=contact,
                 company_id=contact.company_id)
    return contact


@transaction.atomic
def contact_restore(*, actor, contact: Contact) -> Contact:
    """Bring a deleted contact back, for whoever may change its company."""
    restored = _restore_below(actor, contact, may=can_change(actor, contact.company))
    search_index_update("contact", [restored.pk])
    return restored


# --- notes ---------------------------------------------------------------------------------------

def _clean_note_body(value: Any) -> str:
    body = _text(value)
    if not body:
        raise ValidationError(_("Write something in the note."), code="required")
    if len(body) > 10000:
        raise ValidationError(_("A note has at most 10,000 characters."), code="max_length")
    return body


@transaction.atomic
def note_create(*, actor, company: Company, data: dict) -> Note:
    _require_visible(actor, company)
    if not can_change(actor, company) and not (actor and actor.role == Role.DEPARTMENT):
        raise PermissionDenied()
    note = Note(company=company, created_by=actor)
    errors: dict[str, list[str]] = {}
    try:
        note.body = _clean_note_body(data.get("body"))
    except ValidationError as exc:
        errors["body"] = exc.messages
    contact_ref = data.get("contact")
    if contact_ref not in (None, ""):
        contact = Contact.objects.filter(company=company, pk=_safe_int(contact_ref)).first()
        if contact is None:
            errors["contact"] = [_("Choose a contact of this company.")]
        note.contact = contact
    if errors:
        raise ValidationFailed(fields=errors)
    note.save()
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=note, company_id=company.pk,
                 changes={"body": [None, note.body]})
    return note


def _safe_int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


@transaction.atomic
def note_update(*, actor, note: Note, data: dict, expected_version: int | None) -> Note:
    _require_visible(actor, note.company)
    if not can_edit_note(actor, note):
        raise PermissionDenied(_("Only the author of a note (or a head of sales) may change it."))
    if expected_version is not None and expected_version != note.version:
        raise VersionConflict()
    before = note.body
    try:
        note.body = _clean_note_body(data.get("body"))
    except ValidationError as exc:
        raise ValidationFailed(fields={"body": exc.messages}) from None
    bump_version(note, expected_version=expected_version, fields=["body"])
    if before != note.body:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=note,
                     company_id=note.company_id, changes={"body": [before, note.body]})
    return note


@transaction.atomic
def note_delete(*, actor, note: Note) -> Note:
    _require_visible(actor, note.company)
    if not can_edit_note(actor, note):
        raise PermissionDenied(_("Only the author of a note (or a head of sales) may delete it."))
    note.deleted_at = timezone.now()
    note.deleted_by = actor
    bump_version(note, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=note, company_id=note.company_id)
    return note


@transaction.atomic
def note_restore(*, actor, note: Note) -> Note:
    """Bring a deleted note back: the same people who may delete it (its author, an
    administrator, the head of sales over its company), below a live company."""
    return _restore_below(
        actor, note, may=can_edit_note(actor, note),
        refusal=_("Only the author of a note (or a head of sales) may restore it."))


# --- attachments ---------------------------------------------------------------------------------

@transaction.atomic
def attachment_add(*, actor, company: Company, upload: UploadedFile, description: str = "") -> Attachment:
    _require_visible(actor, company)
    if not can_change(actor, company):
        raise PermissionDenied()
    name, content_type = check_upload(upload)  # which files: partnera.core.uploads
    assert upload.size is not None  # check_upload turns away a file without a size
    try:
        description = _text(description)
    except ValidationError as exc:
        raise ValidationFailed(fields={"description": exc.messages}) from None
    if len(description) > 300:
        raise ValidationFailed(fields={"description": [_("At most 300 characters.")]})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        company=company, created_by=actor, original_name=name, content_type=content_type,
        size=upload.size, sha256=digest.hexdigest(), description=description,
        storage_key=secrets.token_hex(16),
    )
    attachment.file.save(attachment.storage_key, upload, save=False)
    try:
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=attachment,
                 company_id=company.pk, changes={"file": [None, name]})
    return attachment


@transaction.atomic
def attachment_delete(*, actor, attachment: Attachment) -> Attachment:
    _require_visible(actor, attachment.company)
    if not can_change(actor, attachment.company):
        raise PermissionDenied()
    attachment.deleted_at = timezone.now()
    attachment.deleted_by = actor
    bump_version(attachment, expected_version=None, fields=["deleted_at", "deleted_by_id"])
    audit_record(actor=actor, action=AuditEntry.Action.DELETE, obj=attachment,
                 company_id=attachment.company_id)
    return attachment


@transaction.atomic
def attachment_restore(*, actor, attachment: Attachment) -> Attachment:
    """Bring a deleted file back (its stored content was kept), for whoever may change its
    company."""
    return _restore_below(actor, attachment, may=can_change(actor, attachment.company))


def attachment_downloaded(*, actor, attachment: Attachment) -> None:
    audit_record(actor=actor, action=AuditEntry.Action.DOWNLOAD, obj=attachment,
                 company_id=attachment.company_id)


def attachment_open(*, actor, attachment: Attachment) -> File:
    """The stored file, opened for a download that is audited; NotFound when the stored content
    is missing (the web page and the API answer 404 alike)."""
    try:
        handle = attachment.file.open("rb")
    except OSError:
        raise NotFound() from None
    attachment_downloaded(actor=actor, attachment=attachment)
    return handle


# --- saved views ---------------------------------------------------------------------------------

@transaction.atomic
def saved_view_create(*, actor, list_name: str, name: str, query: str) -> SavedView:
    name = (name or "").replace("\x00", "").strip()
    query = (query or "").replace("\x00", "")
    errors = {}
    if not name:
        errors["name"] = [_("Give the view a name.")]
    elif len(name) > 80:
        errors["name"] = [_("At most 80 characters.")]
    if len(query or "") > 1000:
        errors["query"] = [_("Too many filters to save.")]
    if errors:
        raise ValidationFailed(fields=errors)
    view, _created = SavedView.objects.update_or_create(
        user=actor, list_name=list_name, name=name, defaults={"query": query or ""}
    )
    return view


@transaction.atomic
def saved_view_delete(*, actor, view: SavedView) -> None:
    if view.user_id != actor.pk:
        raise PermissionDenied()
    view.delete()
