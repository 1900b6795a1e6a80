"""Writes to leads: create, change, qualify into company + contact + deal, disqualify with a
managed reason, delete and restore; the public web forms a website posts leads through.

Every service validates, checks the actor's right, writes, audits, and schedules its side effects
on commit. Qualification reuses the client base's own services (company_create, contact_create,
deal_create), so their rules (EIK checks, duplicates, stage rules) hold here as everywhere.
"""

from __future__ import annotations

import functools
import secrets
import unicodedata
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnera.clients import identifiers as ids
from partnera.clients.models import Company, Contact
from partnera.clients.models import Source as CompanySource
from partnera.clients.services import company_create, contact_create
from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry
from partnera.core.notifications import notify
from partnera.core.records import bump_version
from partnera.core.roles import Role
from partnera.core.search import search_index_update
from partnera.core.visibility import can_assign, can_change, can_delete, is_administrator, visible_q
from partnera.sales.models import Lead, LeadSource, LeadStatus, Reason, WebForm
from partnera.sales.selectors import lead_visible_q
from partnera.sales.services import deal_create

LEAD_FIELDS = [
    "company_name", "eik", "first_name", "last_name", "position", "email", "phone", "city",
    "message", "source", "source_detail", "referred_by_company", "referred_by_contact", "owner",
    "team", "status",
]
AUDITED_LEAD_FIELDS = [
    *LEAD_FIELDS, "disqualify_reason", "disqualify_comment", "company", "contact", "deal",
    "web_form",
]
# The columns behind LEAD_FIELDS (a foreign key's is its `_id`).
LEAD_COLUMNS = [f"{name}_id" if name in ("referred_by_company", "referred_by_contact", "owner", "team")
                else name for name in LEAD_FIELDS]
OPEN_STATUSES = (LeadStatus.NEW, LeadStatus.WORKING)
WEBFORM_FIELDS = ["name", "owner", "team", "source_detail", "redirect_url", "active"]
AUDITED_WEBFORM_FIELDS = WEBFORM_FIELDS

# Where a lead's source leads in the company's own list of sources.
COMPANY_SOURCE: dict[str, str] = {
    LeadSource.CALL: CompanySource.CALL, LeadSource.EMAIL: CompanySource.INBOUND,
    LeadSource.MEETING: CompanySource.MEETING, LeadSource.CAMPAIGN: CompanySource.CAMPAIGN,
    LeadSource.PRESENTATION: CompanySource.PRESENTATION, LeadSource.FAIR: CompanySource.FAIR,
    LeadSource.REFERRAL: CompanySource.REFERRAL, LeadSource.WEBSITE: CompanySource.WEBSITE,
    LeadSource.PARTNER: CompanySource.PARTNER,
}

Q_LIVE_COMPANY = Q(company__deleted_at__isnull=True)

# Characters no typed text needs: bidirectional overrides (they make text read differently
# from how it is stored) and the byte-order mark.
_INVISIBLE = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


# --- cleaning -------------------------------------------------------------------------------------

def _plain_text(value: Any, *, limit: int, multiline: bool) -> str:
    """Text as a person types it: no control characters (new lines and tabs only where the text
    may hold several lines), no bidirectional overrides, at most `limit` characters."""
    text = cleaning.text(value)
    text = unicodedata.normalize("NFC", text)
    allowed = "\n\r\t" if multiline else ""
    for char in text:
        if (unicodedata.category(char) == "Cc" and char not in allowed) or char in _INVISIBLE:
            raise ValidationError(_("The text contains a character that is not allowed."),
                                  code="invalid")
    if len(text) > limit:
        raise ValidationError(
            _("Ensure this value has at most %(limit)d characters (it has %(n)d).")
            % {"limit": limit, "n": len(text)}, code="max_length")
    return text


def line(limit: int):
    return lambda value: _plain_text(value, limit=limit, multiline=False)


def lines(limit: int):
    return lambda value: _plain_text(value, limit=limit, multiline=True)


def clean_email(value: Any) -> str:
    email = _plain_text(value, limit=254, multiline=False).lower()
    if not email:
        return ""
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(_("Enter a valid e-mail address."), code="invalid") from None
    return email


def clean_phone(value: Any) -> str:
    raw = _plain_text(value, limit=40, multiline=False)
    return ids.normalize_phone(raw) if raw else ""


def clean_eik(value: Any) -> str:
    return ids.normalize_eik(_plain_text(value, limit=20, multiline=False))


def _status(value: Any) -> str:
    status = cleaning.text(value) or LeadStatus.NEW
    if status not in OPEN_STATUSES:
        raise ValidationError(_("A lead is qualified or disqualified through its own action."),
                              code="invalid_choice")
    return status


def _source(value: Any) -> str:
    source = cleaning.text(value)
    if source not in LeadSource.values:
        raise ValidationError(_("Choose a source from the list."), code="invalid_choice")
    return source


def _lead_cleaners(actor) -> dict:
    return {
        "company_name": line(255), "first_name": line(100), "last_name": line(100),
        "position": line(150), "city": line(100), "source_detail": line(200),
        "message": lines(5000),
        "eik": clean_eik, "email": clean_email, "phone": clean_phone,
        "source": _source, "status": _status,
        "referred_by_company": cleaning.visible_ref(
            Company, visible_q(actor), _("Choose a company you can see.")),
        "referred_by_contact": cleaning.visible_ref(
            Contact, visible_q(actor, root="company__") & Q_LIVE_COMPANY,
            _("Choose a contact you can see.")),
        "owner": cleaning.user_ref,
        "team": cleaning.team_ref,
    }


def _check_identity(lead: Lead, errors: dict, *, reachable: bool = False) -> None:
    """A lead names a company or a person; a web lead also says how to reach them."""
    named = lead.company_name or lead.first_name or lead.last_name
    if not named and not {"company_name", "first_name", "last_name"} & set(errors):
        errors.setdefault("company_name", []).append(
            _("Enter a company name or the person's name."))
    if reachable and not (lead.email or lead.phone) and not {"email", "phone"} & set(errors):
        errors.setdefault("email", []).append(_("Enter an e-mail address or a phone number."))


def _check_assignment(actor, lead: Lead, data: dict, *, before: dict | None, errors: dict) -> None:
    """Owner and team as for clients: a head of sales or an administrator assigns anyone; others
    keep a new lead to themselves and their team, and an existing one where it is — except that
    anyone who may change an unowned lead may take it."""
    if can_assign(actor):
        return
    if "owner" in data and "owner" not in errors:
        allowed = {actor.pk} if before is None else {before["owner_id"]}
        if before is not None and before["owner_id"] is None:
            allowed.add(actor.pk)
        if lead.owner_id not in allowed:
            errors.setdefault("owner", []).append(
                _("Only a head of sales or an administrator assigns leads to someone else."))
    if "team" in data and "team" not in errors:
        allowed_team = getattr(actor, "team_id", None) if before is None else before["team_id"]
        if lead.team_id != allowed_team:
            errors.setdefault("team", []).append(
                _("Only a head of sales or an administrator moves leads between teams."))


# --- rights ---------------------------------------------------------------------------------------

def _require_editor(actor) -> None:
    """Leads are worked by the sales roles (not by marketing or the other departments, which
    may read what the rule shows them)."""
    if actor is None or not actor.is_authenticated or actor.role in (Role.DEPARTMENT, Role.MARKETING):
        raise PermissionDenied()


def _require_visible(actor, lead: Lead) -> None:
    if not Lead.all_objects.filter(lead_visible_q(actor), pk=lead.pk).exists():
        raise NotFound()


def _require_can_change(actor, lead: Lead) -> None:
    _require_visible(actor, lead)
    if not can_change(actor, lead) or actor.role in (Role.DEPARTMENT, Role.MARKETING):
        raise PermissionDenied()


def _require_open(lead: Lead) -> None:
    if lead.status not in OPEN_STATUSES:
        raise Conflict(_("This lead is already closed (qualified or disqualified)."))


def _audit(actor, action: str, lead: Lead, changes: dict | None = None) -> None:
    audit_record(actor=actor, action=action, obj=lead, company_id=lead.company_id,
                 changes=changes or {})


def _created_changes(lead: Lead) -> dict:
    after = snapshot(lead, AUDITED_LEAD_FIELDS)
    return {k: [None, v] for k, v in after.items() if v not in (None, "", [])}


# --- leads ----------------------------------------------------------------------------------------

@transaction.atomic
def lead_create(*, actor, data: dict) -> Lead:
    """A new lead, the actor's (and their team's) unless a head of sales or an administrator
    assigns it. It names a company or a person."""
    _require_editor(actor)
    lead = Lead(created_by=actor)
    payload = {"owner": actor, "team": getattr(actor, "team", None), **data}
    errors = cleaning.clean_into(lead, payload, LEAD_FIELDS, _lead_cleaners(actor))
    _check_assignment(actor, lead, data, before=None, errors=errors)
    _check_identity(lead, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    lead.save()
    search_index_update("lead", [lead.pk])
    _audit(actor, AuditEntry.Action.CREATE, lead, _created_changes(lead))
    return lead


@transaction.atomic
def lead_update(*, actor, lead: Lead, data: dict, expected_version: int | None) -> Lead:
    """Change an open lead's fields (status: new or in progress). `expected_version` is the
    version the change was built on: if someone saved since, VersionConflict and nothing changes."""
    _require_can_change(actor, lead)
    _require_open(lead)
    before = snapshot(lead, AUDITED_LEAD_FIELDS)
    ownership = {"owner_id": lead.owner_id, "team_id": lead.team_id}
    errors = cleaning.clean_into(lead, data, LEAD_FIELDS, _lead_cleaners(actor))
    _check_assignment(actor, lead, data, before=ownership, errors=errors)
    _check_identity(lead, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    bump_version(lead, expected_version=expected_version, fields=LEAD_COLUMNS)
    search_index_update("lead", [lead.pk])
    changes = diff(before, snapshot(lead, AUDITED_LEAD_FIELDS))
    if changes:
        _audit(actor, AuditEntry.Action.UPDATE, lead, changes)
    return lead


@transaction.atomic
def lead_delete(*, actor, lead: Lead) -> Lead:
    """Soft delete (restorable), for the lead's owner, a head of sales over it, an administrator."""
    _require_visible(actor, lead)
    if not can_delete(actor, lead):
        raise PermissionDenied()
    if lead.deleted_at is None:
        lead.deleted_at = timezone.now()
        lead.deleted_by = actor
        bump_version(lead, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        search_index_update("lead", [lead.pk])  # out of the index
        _audit(actor, AuditEntry.Action.DELETE, lead)
    return lead


@transaction.atomic
def lead_restore(*, actor, lead: Lead) -> Lead:
    _require_visible(actor, lead)
    if not can_delete(actor, lead):
        raise PermissionDenied()
    if lead.deleted_at is not None:
        lead.deleted_at = None
        lead.deleted_by = None
        bump_version(lead, expected_version=None, fields=["deleted_at", "deleted_by_id"])
        search_index_update("lead", [lead.pk])
        _audit(actor, AuditEntry.Action.RESTORE, lead)
    return lead


# --- qualification --------------------------------------------------------------------------------

def company_defaults(actor, lead: Lead) -> dict:
    """What a new company made from the lead starts with (the caller's values win)."""
    data: dict[str, Any] = {"legal_name": lead.company_name, "eik": lead.eik, "city": lead.city,
                            "source": COMPANY_SOURCE.get(lead.source, "")}
    if lead.referred_by_company_id and Company.objects.filter(
            visible_q(actor), pk=lead.referred_by_company_id).exists():
        data["referred_by"] = lead.referred_by_company_id
    return data


def contact_defaults(lead: Lead) -> dict:
    return {"first_name": lead.first_name, "last_name": lead.last_name,
            "position": lead.position, "emails": [lead.email] if lead.email else [],
            "phones": [lead.phone] if lead.phone else []}


def deal_defaults(actor, lead: Lead, company_name: str = "") -> dict:
    owner = lead.owner if lead.owner is not None and lead.owner.is_active else actor
    team = lead.team if owner == lead.owner else getattr(actor, "team", None)
    return {"title": (company_name or lead.company_name or str(lead))[:200], "owner": owner,
            "team": team}


def _prefixed(prefix: str, error: ValidationFailed) -> ValidationFailed:
    """A part's field errors under the part's prefix (company_legal_name, deal_amount …)."""
    return ValidationFailed(error.message, fields={f"{prefix}{name}": messages
                                                   for name, messages in error.fields.items()})


def _ref(model, value: Any, visible, field: str, message: str):
    if value in (None, ""):
        return None
    pk = value.pk if isinstance(value, model) else value
    try:
        pk = int(pk)
        if not 0 < pk < 2**63:
            raise ValueError(pk)
        return model.objects.filter(visible).get(pk=pk)
    except (model.DoesNotExist, TypeError, ValueError):
        raise ValidationFailed(fields={field: [message]}) from None


@transaction.atomic
def lead_qualify(*, actor, lead: Lead, company: Company | int | None = None,
                 company_data: dict | None = None, contact: Contact | int | None = None,
                 contact_data: dict | None = None, deal_data: dict | None = None,
                 allow_duplicate: bool = False, expected_version: int | None = None) -> Lead:
    """Convert an open lead into a client and a deal, in one step that happens whole or not at all.

    - `company`: an existing company the actor can see (never another); None creates one from
      the lead's values overridden by `company_data` (refused with PossibleDuplicate when it looks
      like a company the actor can see, unless `allow_duplicate`).
    - `contact`: an existing contact of that company; else, when `contact_data` is given (an
      empty dict takes the lead's person as it is), a new contact of the company; else none.
    - `deal_data`: the deal to open (title, pipeline, amount …; sales.services.deal_create).
    Field errors come back under the part's prefix: company_…, contact_…, deal_….
    """
    _require_editor(actor)
    _require_can_change(actor, lead)
    _require_open(lead)
    before = snapshot(lead, AUDITED_LEAD_FIELDS)
    chosen_company = _ref(Company, company, visible_q(actor), "company",
                          _("Choose a company you can see."))
    chosen_contact = _ref(Contact, contact, visible_q(actor, root="company__") & Q_LIVE_COMPANY,
                          "contact", _("Choose a contact you can see."))
    if chosen_contact is not None and (chosen_company is None
                                       or chosen_contact.company_id != chosen_company.pk):
        raise ValidationFailed(fields={"contact": [
            _("Choose a contact of the company the deal is for, or a new contact.")]})
    if chosen_company is None:
        try:
            chosen_company = company_create(
                actor=actor, data={**company_defaults(actor, lead), **(company_data or {})},
                allow_duplicate=allow_duplicate)
        except ValidationFailed as exc:
            raise _prefixed("company_", exc) from None
    if chosen_contact is None and contact_data is not None:
        try:
            chosen_contact = contact_create(
                actor=actor, data={**contact_defaults(lead), **contact_data,
                                   "company": chosen_company.pk},
                allow_duplicate=allow_duplicate)
        except ValidationFailed as exc:
            raise _prefixed("contact_", exc) from None
    defaults = deal_defaults(actor, lead, chosen_company.legal_name)
    try:
        # The deal goes to the lead's owner and team by default (not a choice of the actor's, so
        # no right to assign is needed for it); an owner or team in `deal_data` is checked.
        deal = deal_create(
            actor=actor,
            data={"title": defaults["title"], **(deal_data or {}), "company": chosen_company.pk},
            contacts=[(chosen_contact, "")] if chosen_contact is not None else None,
            assigned_by_system=(defaults["owner"], defaults["team"]))
    except ValidationFailed as exc:
        raise _prefixed("deal_", exc) from None
    lead.company = chosen_company
    lead.contact = chosen_contact
    lead.deal = deal
    lead.status = LeadStatus.QUALIFIED
    lead.closed_at = timezone.now()
    bump_version(lead, expected_version=expected_version,
                 fields=["company_id", "contact_id", "deal_id", "status", "closed_at"])
    _audit(actor, AuditEntry.Action.UPDATE, lead, diff(before, snapshot(lead, AUDITED_LEAD_FIELDS)))
    return lead


@transaction.atomic
def lead_disqualify(*, actor, lead: Lead, reason: Reason | int | None, comment: str = "",
                    expected_version: int | None = None) -> Lead:
    """Close an open lead as not a prospect, for a reason from the managed list (and a comment)."""
    _require_can_change(actor, lead)
    _require_open(lead)
    errors: dict[str, list[str]] = {}
    chosen = None
    if reason in (None, ""):
        errors["reason"] = [_("Choose why the lead is disqualified.")]
    else:
        try:
            pk = int(str(reason.pk if isinstance(reason, Reason) else reason))
            if not 0 < pk < 2**63:
                raise ValueError(pk)
            chosen = Reason.objects.get(pk=pk, kind=Reason.Kind.LEAD_DISQUALIFIED, active=True)
        except (Reason.DoesNotExist, TypeError, ValueError):
            errors["reason"] = [_("Choose a reason from the list.")]
    try:
        text = lines(2000)(comment)
    except ValidationError as exc:
        errors["comment"] = exc.messages
    if errors:
        raise ValidationFailed(fields=errors)
    before = snapshot(lead, AUDITED_LEAD_FIELDS)
    lead.status = LeadStatus.DISQUALIFIED
    lead.disqualify_reason = chosen
    lead.disqualify_comment = text
    lead.closed_at = timezone.now()
    bump_version(lead, expected_version=expected_version,
                 fields=["status", "disqualify_reason_id", "disqualify_comment", "closed_at"])
    _audit(actor, AuditEntry.Action.UPDATE, lead, diff(before, snapshot(lead, AUDITED_LEAD_FIELDS)))
    return lead


# --- web forms ------------------------------------------------------------------------------------

def clean_redirect_url(value: Any) -> str:
    """The thank-you page a visitor is sent to: an absolute http(s) address, nothing else
    (no javascript:, data: or relative addresses)."""
    url = _plain_text(value, limit=500, multiline=False)
    if not url:
        return ""
    parts = urlsplit(url)
    if (parts.scheme.lower() not in ("http", "https") or not parts.hostname or " " in url
            or "\\" in url):
        raise ValidationError(_("Enter an address starting with https:// or http://."),
                              code="invalid")
    return url


def _webform_cleaners() -> dict:
    return {"name": line(120), "source_detail": line(200), "redirect_url": clean_redirect_url,
            "owner": cleaning.user_ref, "team": cleaning.team_ref, "active": cleaning.boolean}


def _require_administrator(actor) -> None:
    if not is_administrator(actor):
        raise PermissionDenied(_("Web forms are managed by administrators."))


def _check_webform(webform: WebForm, errors: dict) -> None:
    if not webform.owner_id and not webform.team_id and not {"owner", "team"} & set(errors):
        errors.setdefault("owner", []).append(_("Choose who receives the leads: a user or a team."))


def new_form_key() -> str:
    return secrets.token_urlsafe(24)


@transaction.atomic
def webform_create(*, actor, data: dict) -> WebForm:
    _require_administrator(actor)
    webform = WebForm(key=new_form_key())
    errors = cleaning.clean_into(webform, {"active": True, **data}, WEBFORM_FIELDS,
                                 _webform_cleaners())
    _check_webform(webform, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    webform.save()
    after = snapshot(webform, AUDITED_WEBFORM_FIELDS)
    audit_record(actor=actor, action=AuditEntry.Action.CREATE, obj=webform,
                 changes={k: [None, v] for k, v in after.items() if v not in (None, "")})
    return webform


@transaction.atomic
def webform_update(*, actor, webform: WebForm, data: dict) -> WebForm:
    _require_administrator(actor)
    before = snapshot(webform, AUDITED_WEBFORM_FIELDS)
    errors = cleaning.clean_into(webform, data, WEBFORM_FIELDS, _webform_cleaners())
    _check_webform(webform, errors)
    if errors:
        raise ValidationFailed(fields=errors)
    webform.save()
    changes = diff(before, snapshot(webform, AUDITED_WEBFORM_FIELDS))
    if changes:
        audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=webform, changes=changes)
    return webform


@transaction.atomic
def webform_rotate_key(*, actor, webform: WebForm) -> WebForm:
    """A new key: the old form address stops working at once (404)."""
    _require_administrator(actor)
    webform.key = new_form_key()
    webform.save(update_fields=["key"])
    audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=webform,
                 changes={"key": ["•••", "•••"]})
    return webform


# --- the public form ------------------------------------------------------------------------------

# The public form's field names (what a website's form posts) → the lead's fields.
PUBLIC_FIELDS = {
    "company": "company_name", "eik": "eik", "first_name": "first_name",
    "last_name": "last_name", "position": "position", "email": "email", "phone": "phone",
    "city": "city", "message": "message",
}


def _public_payload(data: dict[str, str]) -> dict[str, Any]:
    payload: dict[str, Any] = {field: data[name] for name, field in PUBLIC_FIELDS.items()
                               if name in data}
    # One "name" box instead of first and last name: the last word is the family name.
    full_name = data.get("name") or ""
    if full_name and not (payload.get("first_name") or payload.get("last_name")):
        words = full_name.split(" ")
        words = [w for w in words if w]
        payload["first_name"] = " ".join(words[:-1]) if len(words) > 1 else full_name
        payload["last_name"] = words[-1] if len(words) > 1 else ""
    return payload


def _public_cleaners() -> dict:
    return {"company_name": line(255), "first_name": line(100), "last_name": line(100),
            "position": line(150), "city": line(100), "message": lines(5000), "eik": clean_eik,
            "email": clean_email, "phone": clean_phone}


@transaction.atomic
def lead_submit(*, webform: WebForm, data: dict[str, str]) -> Lead:
    """A lead posted by a website visitor through an active web form. It names a company or a
    person and gives an e-mail or a phone; it goes to the form's owner and team, who is told.
    An owner who was deactivated gets nothing: the lead goes to the form's team (no owner), and
    the team's head is told, or else every active administrator (_receivers)."""
    if not webform.active:
        raise NotFound()
    owner = webform.owner if webform.owner is not None and webform.owner.is_active else None
    lead = Lead(source=LeadSource.WEBSITE, web_form=webform, owner=owner,
                team=webform.team, source_detail=webform.source_detail or webform.name)
    payload = _public_payload(data)
    errors = cleaning.clean_into(lead, payload, list(PUBLIC_FIELDS.values()), _public_cleaners())
    _check_identity(lead, errors, reachable=True)
    if errors:
        raise ValidationFailed(fields={_public_name(k): v for k, v in errors.items()})
    lead.save()
    search_index_update("lead", [lead.pk])
    _audit(None, AuditEntry.Action.CREATE, lead, _created_changes(lead))
    for receiver in _receivers(lead, webform):
        transaction.on_commit(functools.partial(_tell_receiver, receiver, lead, webform))
    return lead


def _public_name(field: str) -> str:
    return next((name for name, f in PUBLIC_FIELDS.items() if f == field), field)


def _receivers(lead: Lead, webform: WebForm) -> list:
    """Who is told of a new lead from a form: its (active) owner; else the team's head when
    active and the lead is visible to them; else every active administrator (who see all), so
    someone active always hears of it."""
    if lead.owner is not None:
        return [lead.owner]
    head = webform.team.head if webform.team is not None else None
    if head is not None and head.is_active and Lead.objects.filter(
            lead_visible_q(head), pk=lead.pk).exists():
        return [head]
    user_model = get_user_model()
    return list(user_model.objects.filter(is_active=True).filter(
        Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True)).order_by("pk"))


def _tell_receiver(user, lead: Lead, webform: WebForm) -> None:
    with translation.override(getattr(user, "language", None) or None):
        notify(user=user, kind="lead",
               title=_("New lead from “%(form)s”: %(lead)s") % {"form": webform.name,
                                                                 "lead": str(lead)},
               body=lead.message[:500], url=reverse("sales:lead_detail", args=[lead.pk]))
