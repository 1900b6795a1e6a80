"""The administrator's contract settings: contract types (the documents each requires, its text
template, its usual notice period) and the kinds of documents. Deactivated ones stay on the
contracts and documents that use them; new ones cannot choose them."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partnera.contracts.models import ContractType, DocumentKind
from partnera.contracts.permissions import may_manage_settings
from partnera.contracts.services.common import restored_on_error
from partnera.contracts.templating import template_problems
from partnera.core import cleaning
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry

TYPE_FIELDS = ["name", "template", "default_notice_days", "active"]
KIND_FIELDS = ["name", "position", "active"]


def _require_admin(actor) -> None:
    if not may_manage_settings(actor):
        raise PermissionDenied(_("Only an administrator changes contract settings."))


def _kinds(value: Any) -> list[DocumentKind]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list | tuple | set) else [value]
    ids = []
    for item in items:
        try:
            ids.append(int(getattr(item, "pk", item) or 0))
        except (TypeError, ValueError):
            raise ValidationError(_("Choose kinds of documents from the list."),
                                  code="invalid_choice") from None
    kinds = list(DocumentKind.objects.filter(pk__in=ids))
    if len(kinds) != len(set(ids)):
        raise ValidationError(_("Choose kinds of documents from the list."), code="invalid_choice")
    return kinds


def _position(value: Any) -> int:
    number = cleaning.optional_int(value)
    return 0 if number is None else number


TYPE_CLEANERS = {
    "name": cleaning.bounded_text(120),
    "template": cleaning.bounded_text(20000),
    "default_notice_days": lambda v: cleaning.optional_int(v) if v not in (None, "") else 30,
    "active": cleaning.boolean,
}
KIND_CLEANERS = {"name": cleaning.bounded_text(120), "position": _position,
                 "active": cleaning.boolean}


def _other_names(model, obj) -> set[str]:
    """The other rows' names, folded here: SQLite's iexact folds Latin letters only."""
    return {name.casefold() for name in
            model.objects.exclude(pk=obj.pk).values_list("name", flat=True)}


def _unique_name(model, obj, errors: dict) -> None:
    if "name" in errors:
        return
    if not obj.name:
        errors["name"] = [_("Give it a name.")]
    elif obj.name.casefold() in _other_names(model, obj):
        errors["name"] = [_("This name is already used.")]


def _store(obj, errors: dict) -> None:
    """Save a contract type or kind of document once no field is refused; a name another row
    took meanwhile is refused as such."""
    if errors:
        raise ValidationFailed(fields=errors)
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationFailed(fields={"name": [_("This name is already used.")]}) from None


def _audit(actor, action: str, obj, before: dict, fields: list[str]) -> None:
    """The audit entry of a save: always for a new row, for a changed one only when it changed."""
    changes = diff(before, snapshot(obj, fields))
    if changes or action == AuditEntry.Action.CREATE:
        audit_record(actor=actor, action=action, obj=obj, changes=changes)


def _save_type(actor, contract_type: ContractType, data: dict, action: str) -> ContractType:
    with restored_on_error(contract_type):
        return _save_type_checked(actor, contract_type, data, action)


def _save_type_checked(actor, contract_type: ContractType, data: dict, action: str) -> ContractType:
    before = snapshot(contract_type, [*TYPE_FIELDS, "required_documents"])
    errors = cleaning.clean_into(contract_type, data, TYPE_FIELDS, TYPE_CLEANERS)
    _unique_name(ContractType, contract_type, errors)
    required = None
    if "required_documents" in data:
        try:
            required = _kinds(data["required_documents"])
        except ValidationError as exc:
            errors["required_documents"] = exc.messages
    if "template" not in errors:
        problems = template_problems(contract_type.template)
        if problems:
            errors["template"] = problems
    _store(contract_type, errors)
    if required is not None:
        contract_type.required_documents.set(required)
    _audit(actor, action, contract_type, before, [*TYPE_FIELDS, "required_documents"])
    return contract_type


@transaction.atomic
def contract_type_create(*, actor, data: dict) -> ContractType:
    _require_admin(actor)
    return _save_type(actor, ContractType(), data, AuditEntry.Action.CREATE)


@transaction.atomic
def contract_type_update(*, actor, contract_type: ContractType, data: dict) -> ContractType:
    _require_admin(actor)
    return _save_type(actor, contract_type, data, AuditEntry.Action.UPDATE)


def _save_kind(actor, kind: DocumentKind, data: dict, action: str) -> DocumentKind:
    with restored_on_error(kind):
        return _save_kind_checked(actor, kind, data, action)


def _save_kind_checked(actor, kind: DocumentKind, data: dict, action: str) -> DocumentKind:
    before = snapshot(kind, KIND_FIELDS)
    errors = cleaning.clean_into(kind, data, KIND_FIELDS, KIND_CLEANERS)
    _unique_name(DocumentKind, kind, errors)
    _store(kind, errors)
    _audit(actor, action, kind, before, KIND_FIELDS)
    return kind


@transaction.atomic
def document_kind_create(*, actor, data: dict) -> DocumentKind:
    _require_admin(actor)
    return _save_kind(actor, DocumentKind(), data, AuditEntry.Action.CREATE)


@transaction.atomic
def document_kind_update(*, actor, kind: DocumentKind, data: dict) -> DocumentKind:
    _require_admin(actor)
    return _save_kind(actor, kind, data, AuditEntry.Action.UPDATE)
