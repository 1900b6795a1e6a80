"""Reads of activities, always through the one visibility rule.

An activity is seen by its owner and by the colleagues taking part, private or not. Anyone else
sees it only when it is not private and the rule (core.visibility) grants its owner and team:
a teammate in a team that shares its clients, the head of sales over the owner, an administrator.
A private activity is never shown to anyone else, an administrator included.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from partnera.activities.models import Activity
from partnera.core.records import get_visible
from partnera.core.visibility import NOTHING, scope_for, visible_q


def _taking_part(user_id: int) -> Q:
    through = Activity.participant_users.through
    return Q(pk__in=through.objects.filter(user_id=user_id).values("activity_id"))


def activity_visible_q(user) -> Q:
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    own = Q(owner_id=scope.user_id) | _taking_part(scope.user_id)
    return own | (Q(private=False) & visible_q(user, record_type="activities.activity"))


def activity_queryset(*, user) -> QuerySet[Activity]:
    """Every live activity the user may see (not yet filtered or ordered)."""
    return Activity.objects.filter(activity_visible_q(user))


def activity_get(*, user, pk) -> Activity:
    queryset = activity_queryset(user=user).select_related("owner", "team", "company", "deal", "lead")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")
