"""Merging two companies that are the same client, and dismissing a suggested pair.

`company_merge` keeps one company (the survivor), takes the values chosen field by field from the
other, moves every record that points at the other one to the survivor, and soft-deletes the
other with a pointer to the survivor (`merged_into`). Relations are discovered generically
(Company._meta.related_objects: every foreign key and many-to-many to Company, of this app and
of later ones — deals, orders … move without code here); explicit shares move too. All of it is
one transaction, checked against the versions both records were read at, and audited with a
snapshot of the merged record and the ids of what moved, so it can be reviewed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from partnera.clients import duplicates
from partnera.clients.models import Company, DuplicateDismissal, DuplicatePair, Tag
from partnera.clients.services import (
    AUDITED_COMPANY_FIELDS,
    COMPANY_FIELDS,
    CONFIDENTIAL_FIELDS,
    _check_company_rules,
    _column_names,
    snapshot_from,
)
from partnera.core.audit import _plain, audit_record, diff, snapshot
from partnera.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.visibility import (
    can_assign,
    can_change,
    can_delete,
    can_see_confidential,
    forget_scope,
    visible_q,
)

MULTI_FIELDS = frozenset({"phones", "emails", "tags"})
LINK_FIELDS = frozenset({"parent", "referred_by"})
SURVIVOR, OTHER, BOTH = "survivor", "other", "both"

_excluded_models: set[str] = set()


def register_merge_exclusion(label: str) -> None:
    """A model whose foreign key to Company must stay with the merged company (e.g. a list of
    what an import created, which its undo deletes)."""
    _excluded_models.add(label.lower())


# (survivor, other, moved) -> None, run inside the merge's transaction after every relation moved:
# later domains keep what they derive from a company (last contact, search documents) in step.
# `moved` maps "<app>.<model>.<field>" to the ids of the rows that now point at the survivor.
MergeHook = Callable[[Company, Company, dict[str, list[int]]], None]
_merge_hooks: list[MergeHook] = []


def register_merge_hook(hook: MergeHook) -> None:
    if hook not in _merge_hooks:
        _merge_hooks.append(hook)


# --- the field-by-field plan (what the merge form shows) ---------------------------------------

@dataclass
class MergeField:
    name: str
    label: str
    survivor_value: str
    other_value: str
    default: str  # SURVIVOR, OTHER or BOTH
    multi: bool


def _field(name: str) -> models.Field:
    return cast(models.Field, Company._meta.get_field(name))


def _raw(company: Company, name: str) -> Any:
    if name == "tags":
        return sorted(t.pk for t in company.tags.all())
    return getattr(company, _field(name).attname)


def _empty(value: Any) -> bool:
    return value in (None, "", [])


def _display(actor, company: Company, name: str, visible_ids: set[int]) -> str:
    from partnera.core.formatting import format_phone

    value = _raw(company, name)
    if _empty(value):
        return "—"
    if name == "tags":
        return ", ".join(t.name for t in company.tags.all())
    if name == "phones":
        return ", ".join(format_phone(p) for p in value)
    if name == "emails":
        return ", ".join(value)
    if name in LINK_FIELDS:
        linked = getattr(company, name)
        return linked.legal_name if value in visible_ids else _("(a company you cannot see)")
    if name in ("owner", "team"):
        return str(getattr(company, name))
    field = company._meta.get_field(name)
    if getattr(field, "choices", None):
        return str(getattr(company, f"get_{name}_display")())
    return str(value)


def _choosable(actor) -> list[str]:
    names = [n for n in COMPANY_FIELDS]
    if not can_see_confidential(actor):
        names = [n for n in names if n not in CONFIDENTIAL_FIELDS]
    if not can_assign(actor):
        names = [n for n in names if n not in ("owner", "team")]
    return names


def _default(name: str, mine: Any, theirs: Any) -> str:
    if name in MULTI_FIELDS and not _empty(mine) and not _empty(theirs):
        return BOTH
    return OTHER if _empty(mine) and not _empty(theirs) else SURVIVOR


def merge_plan(*, actor, survivor: Company, other: Company) -> list[MergeField]:
    """The fields whose values differ, each with both values and the default choice: the
    survivor's, or the other's where the survivor's is empty; lists are combined."""
    visible_ids = set(Company.all_objects.filter(visible_q(actor)).filter(
        pk__in=[i for c in (survivor, other) for i in (c.parent_id, c.referred_by_id) if i]
    ).values_list("pk", flat=True))
    fields = []
    for name in _choosable(actor):
        mine, theirs = _raw(survivor, name), _raw(other, name)
        if mine == theirs or (_empty(mine) and _empty(theirs)):
            continue
        fields.append(MergeField(
            name=name, label=str(_field(name).verbose_name).capitalize(),
            survivor_value=_display(actor, survivor, name, visible_ids),
            other_value=_display(actor, other, name, visible_ids),
            default=_default(name, mine, theirs), multi=name in MULTI_FIELDS))
    return fields


# --- merge ------------------------------------------------------------------------------------

def _locked(pk: int) -> Company:
    company = Company.all_objects.select_for_update().filter(pk=pk).first()
    if company is None:
        raise NotFound()
    return company


def _check_choices(actor, choices: dict[str, str]) -> dict[str, list[str]]:
    allowed = set(_choosable(actor))
    errors: dict[str, list[str]] = {}
    for name, choice in choices.items():
        if name not in allowed:
            if name in CONFIDENTIAL_FIELDS or name in ("owner", "team"):
                errors[name] = [_("Not permitted for your role.")]
            else:
                errors[name] = [_("Unknown field.")]
        elif choice not in (SURVIVOR, OTHER, BOTH) or (choice == BOTH and name not in MULTI_FIELDS):
            errors[name] = [_("Choose “survivor”, “other” or, for lists, “both”.")]
    return errors


def _merged_value(name: str, choice: str, mine: Any, theirs: Any) -> Any:
    if choice == SURVIVOR:
        return mine
    if choice == OTHER:
        return theirs
    combined = list(mine or [])
    combined.extend(v for v in theirs or [] if v not in combined)
    return combined


def _full_snapshot(company: Company) -> dict[str, Any]:
    data = {f.attname: _plain(getattr(company, f.attname))
            for f in Company._meta.concrete_fields}
    data["tags"] = sorted(t.name for t in company.tags.all())
    return data


def _move_relations(survivor: Company, other: Company) -> dict[str, list[int]]:
    """Point every record that refers to `other` at `survivor` (deleted ones too, so they can
    still be restored there). Returns {"app.model.field": [ids moved]}."""
    moved: dict[str, list[int]] = {}
    now = timezone.now()
    for rel in Company._meta.related_objects:
        model = cast(type[models.Model], rel.related_model)
        label = model._meta.label_lower
        if label in _excluded_models:
            continue
        if rel.many_to_many:
            m2m = cast(Any, rel)
            through = m2m.through
            to_company = m2m.field.m2m_reverse_field_name()
            source = m2m.field.m2m_field_name()
            rows = through._base_manager.filter(**{to_company: other.pk})
            taken = through._base_manager.filter(**{to_company: survivor.pk}).values(f"{source}_id")
            rows.filter(**{f"{source}_id__in": taken}).delete()
            ids = list(rows.values_list(f"{source}_id", flat=True))
            if ids:
                rows.update(**{to_company: survivor.pk})
            moved[f"{label}.{rel.field.name}"] = sorted(ids)
            continue
        fk = rel.field
        manager = model._base_manager
        qs = manager.filter(**{fk.name: other.pk})
        if model is Company:
            qs = qs.exclude(pk__in=[survivor.pk, other.pk])
        if rel.one_to_one and manager.filter(**{fk.name: survivor.pk}).exists():
            continue  # the survivor has its own; the other's stays with the merged record
        ids = sorted(qs.values_list("pk", flat=True))
        if ids:
            changes: dict[str, Any] = {fk.attname: survivor.pk}
            names = {f.name for f in model._meta.concrete_fields}
            if "version" in names:
                changes["version"] = F("version") + 1  # an edit form read before the move is stale
            if "updated_at" in names:
                changes["updated_at"] = now
            manager.filter(pk__in=ids).update(**changes)
        moved[f"{label}.{fk.name}"] = ids
    # Companies merged earlier into the other one lead to the survivor now.
    earlier = list(Company.all_objects.filter(merged_into=other).values_list("pk", flat=True))
    if earlier:
        Company.all_objects.filter(pk__in=earlier).update(merged_into=survivor)
    moved["clients.company.merged_into"] = sorted(earlier)
    return moved


def _move_shares(survivor: Company, other: Company) -> list[int]:
    """Explicit shares of the other company now share the survivor (one per user)."""
    shares = RecordShare.objects.filter(record_type="clients.company", record_id=other.pk)
    have = set(RecordShare.objects.filter(record_type="clients.company", record_id=survivor.pk)
               .values_list("user_id", flat=True))
    moved = []
    for share in shares:
        if share.user_id not in have:
            moved.append(share.user_id)
            forget_scope(share.user)
    shares.filter(user_id__in=moved).update(record_id=survivor.pk)
    return sorted(moved)


def _search_index(kind: str, ids: Iterable[int]) -> None:
    from partnera.core import search

    update = getattr(search, "search_index_update", None)
    wanted = [i for i in ids if i]
    if update is not None and wanted:
        update(kind, wanted)


@transaction.atomic
def company_merge(*, actor, survivor: Company, other: Company, survivor_version: int | None,
                  other_version: int | None, choices: dict[str, str] | None = None) -> Company:
    """Merge `other` into `survivor`. `choices` maps field names to "survivor", "other" or (for
    phones, e-mails and tags) "both"; fields not named take the default (see merge_plan)."""
    choices = dict(choices or {})
    if survivor.pk == other.pk:
        raise ValidationFailed(_("A company cannot be merged with itself."),
                               fields={"other": [_("Choose another company.")]})
    for company in (survivor, other):
        if not Company.all_objects.filter(visible_q(actor), pk=company.pk).exists():
            raise NotFound()
    first, second = sorted([survivor.pk, other.pk])
    locked = {first: _locked(first), second: _locked(second)}
    survivor, other = locked[survivor.pk], locked[other.pk]
    for company in (survivor, other):
        if company.deleted_at is not None:
            if company.merged_into_id:
                raise Conflict(_("“%(name)s” was already merged into another company.")
                               % {"name": company.legal_name})
            raise Conflict(_("“%(name)s” is in the trash. Restore it first.")
                           % {"name": company.legal_name})
    if not (can_change(actor, survivor) and can_change(actor, other) and can_delete(actor, other)):
        raise PermissionDenied(_("Merging needs the right to change both companies and to delete "
                                 "the one merged away."))
    if (survivor_version is not None and survivor_version != survivor.version) or (
            other_version is not None and other_version != other.version):
        raise VersionConflict()
    errors = _check_choices(actor, choices)
    if errors:
        raise ValidationFailed(fields=errors)

    before = snapshot(survivor, AUDITED_COMPANY_FIELDS)
    merged_record = _full_snapshot(other)
    allowed = set(_choosable(actor))
    tags: list[int] | None = None
    for name in COMPANY_FIELDS:
        mine, theirs = _raw(survivor, name), _raw(other, name)
        choice = choices.get(name) or (_default(name, mine, theirs) if name in allowed
                                       else SURVIVOR)
        if name in CONFIDENTIAL_FIELDS and name not in allowed:
            # Not shown to this role: the survivor keeps its value, or takes the other's if empty.
            choice = _default(name, mine, theirs) if name not in MULTI_FIELDS else SURVIVOR
        value = _merged_value(name, choice, mine, theirs)
        if name == "tags":
            tags = value
            continue
        if name in LINK_FIELDS and value in (survivor.pk, other.pk):
            value = None
        setattr(survivor, _field(name).attname, value)

    # The other company leaves first, so that its EIK may pass to the survivor.
    other.deleted_at = timezone.now()
    other.deleted_by = actor
    other.merged_into = survivor
    from partnera.core.records import bump_version

    bump_version(other, expected_version=None,
                 fields=["deleted_at", "deleted_by_id", "merged_into_id"])
    moved = _move_relations(survivor, other)
    moved["core.recordshare.user"] = _move_shares(survivor, other)

    rule_errors: dict[str, list[str]] = {}
    data = {name: True for name in COMPANY_FIELDS if name not in ("owner", "team")}
    _check_company_rules(actor=actor, company=survivor, data=data, before=None, errors=rule_errors)
    if rule_errors:
        raise ValidationFailed(fields=rule_errors)
    survivor.name_key = duplicates.company_name_key(survivor.legal_name)
    fields = [f for f in COMPANY_FIELDS if f != "tags"]
    try:
        with transaction.atomic():
            bump_version(survivor, expected_version=None,
                         fields=[*_column_names(survivor, fields), "name_key"])
    except IntegrityError:
        raise Conflict(_("Another company has this EIK.")) from None
    if tags is not None:
        survivor.tags.set(Tag.objects.filter(pk__in=tags))

    duplicates.forget_company(other.pk)
    DuplicateDismissal.objects.filter(Q(company_a=other) | Q(company_b=other)).delete()
    duplicates.index_company(survivor)
    changes: dict[str, Any] = diff(snapshot_from(before), snapshot(survivor, AUDITED_COMPANY_FIELDS))
    changes.update({
        "merged_from": [None, other.legal_name], "merged_from_id": [None, other.pk],
        "merged_record": merged_record, "moved": moved,
    })
    audit_record(actor=actor, action=AuditEntry.Action.MERGE, obj=survivor,
                 company_id=survivor.pk, changes=changes)
    audit_record(actor=actor, action=AuditEntry.Action.MERGE, obj=other, company_id=other.pk,
                 changes={"merged_into": [None, survivor.legal_name],
                          "merged_into_id": [None, survivor.pk]})
    # The search index (core.search) is kept in the same transaction, like the records.
    _search_index("company", [survivor.pk, other.pk])
    _search_index("contact", moved.get("clients.contact.company", []))
    for hook in _merge_hooks:
        hook(survivor, other, moved)
    return survivor


# --- "not duplicates" ---------------------------------------------------------------------------

@transaction.atomic
def duplicate_dismiss(*, actor, company: Company, other: Company) -> DuplicateDismissal:
    """Record that two companies are not the same client: the pair is not suggested again."""
    if company.pk == other.pk:
        raise ValidationFailed(fields={"other": [_("Choose another company.")]})
    for record in (company, other):
        if not Company.objects.filter(visible_q(actor), pk=record.pk).exists():
            raise NotFound()
    if not (can_change(actor, company) and can_change(actor, other)):
        raise PermissionDenied()
    a, b = sorted([company.pk, other.pk])
    dismissal, created = DuplicateDismissal.objects.get_or_create(
        company_a_id=a, company_b_id=b, defaults={"dismissed_by": actor})
    DuplicatePair.objects.filter(company_a_id=a, company_b_id=b).delete()
    if created:
        for one, two in ((company, other), (other, company)):
            audit_record(actor=actor, action=AuditEntry.Action.UPDATE, obj=one,
                         company_id=one.pk,
                         changes={"not_duplicate_of": [None, two.legal_name],
                                  "not_duplicate_of_id": [None, two.pk]})
    return dismissal

