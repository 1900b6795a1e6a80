"""Reads for people and teams."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from partnera.core.errors import NotFound
from partnera.people.models import ApiToken, Department, Team, User

USER_SEARCH_FIELDS = ("username", "first_name", "last_name", "email")


def _word_variants(word: str) -> set[str]:
    # SQLite's LIKE folds ASCII only; the usual spellings of a Cyrillic name cover real searches.
    return {word, word.lower(), word.upper(), word.capitalize()}


def user_search_q(query: str) -> Q:
    """Every word of `query` appears in the username, a name or the e-mail."""
    q = Q()
    for word in (query or "").split()[:5]:
        word_q = Q()
        for variant in _word_variants(word[:50]):
            for field in USER_SEARCH_FIELDS:
                word_q |= Q(**{f"{field}__icontains": variant})
        q &= word_q
    return q


def user_list(*, active_only: bool = False, query: str = "") -> QuerySet[User]:
    qs = User.objects.select_related("team", "department").order_by("first_name", "last_name")
    if query:
        qs = qs.filter(user_search_q(query))
    return qs.filter(is_active=True) if active_only else qs


def user_get(*, pk) -> User:
    user = User.objects.select_related("team", "department").filter(pk=pk).first()
    if user is None:
        raise NotFound()
    return user


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("head").annotate(
        member_count=Count("members", filter=Q(members__is_active=True)))


def team_get(*, pk) -> Team:
    team = Team.objects.select_related("head").filter(pk=pk).first()
    if team is None:
        raise NotFound()
    return team


def team_members(*, team: Team) -> QuerySet[User]:
    return User.objects.filter(team=team).select_related("department").order_by(
        "first_name", "last_name", "username")


def department_list() -> QuerySet[Department]:
    return Department.objects.annotate(
        member_count=Count("members", filter=Q(members__is_active=True)))


def department_get(*, pk) -> Department:
    department = Department.objects.filter(pk=pk).first()
    if department is None:
        raise NotFound()
    return department


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def token_get(*, user: User, pk) -> ApiToken:
    """One of `user`'s own tokens; anyone else's answers like a token that does not exist."""
    token = ApiToken.objects.select_related("user").filter(user=user, pk=pk).first()
    if token is None:
        raise NotFound()
    return token


def user_get_by_username(*, username: str) -> User | None:
    return User.objects.filter(username=username).first()
