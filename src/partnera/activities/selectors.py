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


def activity_deleted_list(*, user) -> QuerySet[Activity]:
    """The deleted activities the user may see (the trash they may restore from)."""
    return Activity.all_objects.filter(deleted_at__isnull=False).filter(activity_visible_q(user))


def activity_get_deleted(*, user, pk) -> Activity:
    queryset = activity_deleted_list(user=user).select_related("owner", "team", "company", "deal")
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def company_activities(*, user, company_id: int, limit: int = 5) -> dict[str, list[Activity]]:
    """A company's planned activities (the soonest first, overdue included) and its latest done
    ones, as the user may see them."""
    from partnera.activities.models import ActivityStatus

    qs = activity_queryset(user=user).filter(company_id=company_id).select_related("owner", "deal")
    return {
        "planned": list(qs.filter(status=ActivityStatus.PLANNED).order_by("starts_at", "pk")[:limit]),
        "done": list(qs.filter(status=ActivityStatus.DONE).order_by("-starts_at", "-pk")[:limit]),
    }


def deal_activities(*, user, deal_id: int, limit: int = 5) -> dict[str, list[Activity]]:
    """A deal's planned and latest done activities, as the user may see them."""
    from partnera.activities.models import ActivityStatus

    qs = activity_queryset(user=user).filter(deal_id=deal_id).select_related("owner", "company")
    return {
        "planned": list(qs.filter(status=ActivityStatus.PLANNED).order_by("starts_at", "pk")[:limit]),
        "done": list(qs.filter(status=ActivityStatus.DONE).order_by("-starts_at", "-pk")[:limit]),
    }


def activity_visible_branches(user) -> list[Q]:
    """The rule as its separate grants (core.visibility.visible_branches), for lists that walk
    each grant through its own index: what the user owns, what they take part in, and each grant
    of the rule over the activities that are not private."""
    scope = scope_for(user)
    if scope.user_id is None:
        return []
    from partnera.core.visibility import visible_branches

    own = [Q(owner_id=scope.user_id), _taking_part(scope.user_id)]
    grants = visible_branches(user, record_type="activities.activity")
    if grants is None:
        return [*own, Q(private=False)]
    return [*own, *(Q(private=False) & grant for grant in grants)]
