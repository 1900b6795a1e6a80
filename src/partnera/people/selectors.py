"""Reads for people and teams."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from partnera.people.models import ApiToken, Department, Team, User


def user_list(*, active_only: bool = False) -> QuerySet[User]:
    qs = User.objects.select_related("team", "department").order_by("first_name", "last_name")
    return qs.filter(is_active=True) if active_only else qs


def team_list() -> QuerySet[Team]:
    return Team.objects.select_related("head").annotate(member_count=Count("members"))


def department_list() -> QuerySet[Department]:
    return Department.objects.annotate(member_count=Count("members"))


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)
