"""The one record-visibility rule. Every read of a client record goes through `visible_q`.

A user sees a client record when
- they are an administrator (or marketing, which reads the whole base for segmentation);
- they own it;
- it belongs to a team that shares its clients and they are in that team;
- it belongs to, or is owned by a member of, a team they head (head of sales);
- it was shared with them explicitly (a RecordShare row);
- a domain registered a department rule that grants it (later issues: orders, complaints).

Models below a root record (contacts, notes, files below a company) pass `root="company__"`.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, Q

from partnera.core.roles import CONFIDENTIAL_ROLES, EDITOR_ROLES, READ_ALL_ROLES, Role

NOTHING = Q(pk__in=[])

# (user, root_prefix, record_type) -> Q granting extra visibility to department members. Later
# domains add rules such as "logistics sees the companies whose orders it fulfils". The rule is
# asked for every kind of record the visibility rule guards ("clients.company" with a root for
# what hangs below a company, "sales.deal", "activities.activity" …): it returns NOTHING for the
# kinds it does not grant, so a rule written for companies never filters deals by company fields.
DepartmentRule = Callable[[object, str, str], Q]
_department_rules: list[DepartmentRule] = []


def register_department_rule(rule: DepartmentRule) -> None:
    if rule not in _department_rules:
        _department_rules.append(rule)


@dataclass(frozen=True)
class Scope:
    user_id: int | None
    role: str | None
    sees_all: bool
    team_ids: tuple[int, ...]  # teams whose records the user sees by team
    member_ids: tuple[int, ...]  # owners whose records the user sees (a head's team members)
    headed_team_ids: tuple[int, ...] = ()  # teams a head of sales leads


def scope_for(user) -> Scope:
    """Compute (and memoise on the user object for the request) what a user's rule resolves to."""
    cached = getattr(user, "_partnera_scope", None)
    if cached is not None:
        return cached
    if user is None or not user.is_authenticated or not user.is_active:
        scope = Scope(None, None, False, (), ())
    elif user.is_superuser or user.role in READ_ALL_ROLES:
        scope = Scope(user.pk, user.role, True, (), ())
    else:
        team_model = apps.get_model("people", "Team")
        team_ids: set[int] = set()
        member_ids: set[int] = set()
        headed: list[int] = []
        if user.team_id and team_model.objects.filter(pk=user.team_id, shares_clients=True).exists():
            team_ids.add(user.team_id)
        if user.role == Role.HEAD_OF_SALES:
            headed = list(team_model.objects.filter(head=user).values_list("pk", flat=True))
            team_ids.update(headed)
            user_model = apps.get_model("people", "User")  # not type(user): request.user is lazy
            member_ids.update(
                user_model.objects.filter(team_id__in=headed).values_list("pk", flat=True)
            )
        scope = Scope(user.pk, user.role, False, tuple(sorted(team_ids)), tuple(sorted(member_ids)),
                      tuple(sorted(headed)))
    with contextlib.suppress(AttributeError):
        user._partnera_scope = scope
    return scope


def forget_scope(user) -> None:
    if hasattr(user, "_partnera_scope"):
        del user._partnera_scope


def _pk_path(root: str) -> str:
    return "pk" if not root else root[:-2] + "_id"


def visible_branches(user, *, root: str = "", record_type: str = "clients.company") -> list[Q] | None:
    """The rule as its separate grants (own, shared, team, team members, department rules).

    None means the user sees every record. Lists walk each grant through its own index and merge
    the pages (core.pagination.keyset_page), which stays fast when one grant covers most rows.
    """
    scope = scope_for(user)
    if scope.user_id is None:
        return []
    if scope.sees_all:
        return None
    share_model = apps.get_model("core", "RecordShare")
    shared = share_model.objects.filter(user_id=scope.user_id, record_type=record_type).values(
        "record_id"
    )
    branches = [Q(**{f"{root}owner_id": scope.user_id}), Q(**{f"{_pk_path(root)}__in": shared})]
    if scope.team_ids:
        branches.append(Q(**{f"{root}team_id__in": scope.team_ids}))
    if scope.member_ids:
        branches.append(Q(**{f"{root}owner_id__in": scope.member_ids}))
    if scope.role == Role.DEPARTMENT:
        # A rule that grants nothing for this record type is no branch (an empty IN cannot be
        # compiled into the per-grant SQL that lists and the search build).
        granted = (rule(user, root, record_type) for rule in _department_rules)
        branches.extend(q for q in granted if q != NOTHING)
    return branches


def visible_q(user, *, root: str = "", record_type: str = "clients.company") -> Q:
    """Q that keeps the rows of a model the user may see. `root` leads to the owned record."""
    return grants_q(visible_branches(user, root=root, record_type=record_type))


def grants_q(branches: list[Q] | None) -> Q:
    """One Q for a rule given as its branches: every row (None), no row (NOTHING) or any grant."""
    if branches is None:
        return Q()
    if not branches:
        return NOTHING
    return functools.reduce(operator.or_, branches)


# Deals, contracts and orders live below a company: they go to the trash and come back with it.
LIVE_COMPANY = Q(company__deleted_at__isnull=True)


def below_company_branches(user, *, record_type: str,
                           extra: Callable[[int], Q] | None = None) -> list[Q] | None:
    """The grants on a record that lives below a company (deal, contract, order): the rule on its
    own owner and team (shares and department rules included), the company's owner (the account
    manager follows every such record of their client) and the domain's `extra(user_id)` grant.

    One place, so the three domains cannot drift apart; each grant stays its own branch so that
    lists walk it through its own index. None: the user sees every record (LIVE_COMPANY aside)."""
    branches = visible_branches(user, record_type=record_type)
    user_id = scope_for(user).user_id
    if branches is None or user_id is None:
        return branches
    branches.append(Q(company__owner_id=user_id))
    if extra is not None:
        branches.append(extra(user_id))
    return branches


def can_see_confidential(user) -> bool:
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role in CONFIDENTIAL_ROLES:
        return True
    # Finance works with credit terms as part of its job.
    department = getattr(user, "department", None)
    return bool(user.role == Role.DEPARTMENT and department and department.kind == "finance")


def can_change(user, record: Model, *, is_visible: bool = True) -> bool:
    """May the user change a record they can see? Editors may; others only what they own."""
    if not is_visible or user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role in EDITOR_ROLES:
        return True
    return getattr(record, "owner_id", None) == user.pk


def can_delete(user, record: Model) -> bool:
    """Deleting a client record is for its owner, a head of sales over it, or an administrator."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser or user.role == Role.ADMINISTRATOR:
        return True
    if user.role == Role.HEAD_OF_SALES and heads_record(user, record):
        return True
    return getattr(record, "owner_id", None) == user.pk


def heads_record(user, record: Model) -> bool:
    """Is the record in a team this head of sales leads (by team, or owned by a member)?"""
    if user.role != Role.HEAD_OF_SALES:
        return False
    scope = scope_for(user)
    return (getattr(record, "owner_id", None) in scope.member_ids
            or getattr(record, "team_id", None) in scope.headed_team_ids)


def can_assign(user) -> bool:
    """Choosing a client's owner and team is for a head of sales or an administrator."""
    return bool(user and user.is_authenticated
                and (user.is_superuser or user.role in (Role.HEAD_OF_SALES, Role.ADMINISTRATOR)))


def is_administrator(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_superuser or user.role == Role.ADMINISTRATOR))
