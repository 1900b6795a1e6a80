"""REST API for people: who am I, my API tokens, and (administrators) users and teams."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status
from pydantic import Field

from partnera.core.api import QuerySchema, StrictSchema, TeamRef, UserRef, check_cursor
from partnera.core.errors import PermissionDenied
from partnera.core.pagination import bounded_count, keyset_page
from partnera.core.visibility import can_see_confidential, is_administrator
from partnera.people import selectors, services

router = Router()


class DepartmentRef(Schema):
    id: int
    name: str
    kind: str


class MeOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    team: TeamRef | None
    department: DepartmentRef | None
    language: str
    time_zone: str
    is_active: bool
    is_administrator: bool
    can_see_confidential: bool = Field(
        description="Whether company credit terms and financial notes are shown to you.")


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str
    role: str
    team: TeamRef | None
    department: DepartmentRef | None
    is_active: bool


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None
    count: int
    count_is_lower_bound: bool


class TeamOut(Schema):
    id: int
    name: str
    head: UserRef | None
    shares_clients: bool
    member_count: int


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the secret, to tell tokens apart.")
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    is_active: bool


class TokenCreated(TokenOut):
    secret: str = Field(description="The token itself. Shown this once; only its hash is stored.")


class TokenIn(StrictSchema):
    name: str = Field("", max_length=100, description="What the token is for, e.g. “ERP sync”.")


class UserListQuery(QuerySchema):
    q: str = Field("", max_length=200, description="Words in the username, name or e-mail.")
    active_only: bool = False
    cursor: str | None = Field(None, max_length=1000)
    limit: int = Field(50, ge=1, le=200)


def _team(team) -> dict | None:
    return {"id": team.pk, "name": team.name} if team else None


def _department(department) -> dict | None:
    if department is None:
        return None
    return {"id": department.pk, "name": department.name, "kind": department.kind}


def _user(user) -> dict:
    return {"id": user.pk, "username": user.username, "first_name": user.first_name,
            "last_name": user.last_name, "email": user.email, "role": user.role,
            "team": _team(user.team), "department": _department(user.department),
            "is_active": user.is_active}


def _token(token) -> dict:
    return {"id": token.pk, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at, "last_used_at": token.last_used_at,
            "revoked_at": token.revoked_at, "is_active": token.is_active}


def _require_administrator(user) -> None:
    if not is_administrator(user):
        raise PermissionDenied()


@router.get("/me", response=MeOut, tags=["people"])
def me(request):
    user = request.auth
    return {**_user(user), "language": user.language, "time_zone": user.time_zone,
            "is_administrator": is_administrator(user),
            "can_see_confidential": can_see_confidential(user)}


@router.get("/tokens", response=list[TokenOut], tags=["tokens"])
def list_tokens(request):
    """Your own API tokens, newest first, revoked ones included."""
    return [_token(t) for t in selectors.token_list(user=request.auth)]


@router.post("/tokens", response={201: TokenCreated}, tags=["tokens"])
def create_token(request, payload: TokenIn):
    """A new token for you. The response carries the secret; it is never shown again."""
    token, secret = services.token_create(actor=request.auth, user=request.auth, name=payload.name)
    return Status(201, {**_token(token), "secret": secret})


@router.delete("/tokens/{token_id}", response={204: None}, tags=["tokens"])
def revoke_token(request, token_id: int):
    """Revoke one of your tokens: it stops working at once."""
    token = selectors.token_get(user=request.auth, pk=token_id)
    services.token_revoke(actor=request.auth, token=token)
    return Status(204, None)


@router.get("/users", response=UserPage, tags=["people"])
def list_users(request, query: Query[UserListQuery]):
    """Every user (administrators only)."""
    _require_administrator(request.auth)
    users = selectors.user_list(active_only=query.active_only, query=query.q)
    page = keyset_page(users, field="username", descending=False,
                       cursor=check_cursor(query.cursor), size=query.limit)
    count, more = bounded_count(users)
    return {"items": [_user(u) for u in page.items], "next_cursor": page.next_cursor,
            "count": count, "count_is_lower_bound": more}


@router.get("/teams", response=list[TeamOut], tags=["people"])
def list_teams(request):
    """Every team with its head and member count (administrators only)."""
    _require_administrator(request.auth)
    return [{"id": t.pk, "name": t.name,
             "head": ({"id": t.head.pk, "username": t.head.username, "name": str(t.head)}
                      if t.head else None),
             "shares_clients": t.shares_clients, "member_count": t.member_count}
            for t in selectors.team_list().order_by("name")]
