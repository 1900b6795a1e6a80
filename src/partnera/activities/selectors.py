"""Reads of activities, always through the one visibility rule.

An activity is seen by its owner and by the colleagues taking part, private or not. Anyone else
sees it only when it is not private and the rule (core.visibility) grants its owner and team:
a teammate in a team that shares its clients, the head of sales over the owner, an administrator.
A private activity is never shown to anyone else, an administrator included.
An activity of a company in the trash is gone with it (until the company is restored); one with
no company stays.

Seeing an activity does not mean seeing what it links to: its company, deal, lead and client
contacts are shown only to whoever may see them by their own rule (`with_link_visibility`,
`visible_contacts`); a deleted deal is seen by nobody, so its activities stay but no longer
link to it.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from partnera.activities.models import Activity
from partnera.core.records import get_visible
from partnera.core.visibility import NOTHING, scope_for, visible_q

# The activity's company is alive (or it has none). Written as two conditions so that the join
# to the company is only needed where a company is set (and "My day" keeps to the activity's
# own indexes).
LIVE_COMPANY = Q(company__isnull=True) | Q(company__deleted_at__isnull=True)


def taking_part_ids(user_id: int) -> QuerySet:
    """The ids of the activities a colleague takes part in (a subquery)."""
    through = Activity.participant_users.through
    return through.objects.filter(user_id=user_id).values("activity_id")


def taking_part_q(user_id: int) -> Q:
    return Q(pk__in=taking_part_ids(user_id))


def activity_visible_q(user, *, live_company: bool = True) -> Q:
    """The activities the user may see. `live_company=False` keeps those of a company in the
    trash too (the activities' own trash, whose restore then asks for the company first)."""
    scope = scope_for(user)
    if scope.user_id is None:
        return NOTHING
    own = Q(owner_id=scope.user_id) | taking_part_q(scope.user_id)
    rule = own | (Q(private=False) & visible_q(user, record_type="activities.activity"))
    return LIVE_COMPANY & rule if live_company else rule


def activity_queryset(*, user) -> QuerySet[Activity]:
    """Every live activity the user may see (not yet filtered or ordered)."""
    return Activity.objects.filter(activity_visible_q(user))


def link_visibility(user) -> dict[str, Exists]:
    """Annotations telling whether the user may see an activity's company, deal and lead (each
    by its own rule; a deleted one is seen by nobody): `company_visible`, `deal_visible`,
    `lead_visible`. Subqueries of the same statement, so a list stays one query."""
    from partnera.clients.selectors import company_visible
    from partnera.sales.models import Lead
    from partnera.sales.selectors import deal_queryset, lead_visible_q

    return {
        "company_visible": Exists(company_visible(user=user).filter(pk=OuterRef("company_id"))),
        "deal_visible": Exists(deal_queryset(user=user).filter(pk=OuterRef("deal_id"))),
        "lead_visible": Exists(Lead.objects.filter(lead_visible_q(user), pk=OuterRef("lead_id"))),
    }


def with_link_visibility(queryset: QuerySet[Activity], *, user) -> QuerySet[Activity]:
    return queryset.annotate(**link_visibility(user))


def visible_contacts(user) -> Prefetch:
    """Prefetch of the client contacts taking part that the user may see, into
    `activity.visible_contacts` (one query for a whole list)."""
    from partnera.clients.selectors import contact_visible

    return Prefetch("participant_contacts", to_attr="visible_contacts",
                    queryset=contact_visible(user=user).order_by("last_name", "first_name", "pk"))


def contacts_seen(activity: Activity, *, user) -> list:
    """The client contacts taking part that the user may see: the prefetched ones
    (`visible_contacts`) or, for one activity, read now."""
    found = getattr(activity, "visible_contacts", None)
    if found is None:
        from partnera.clients.selectors import contact_visible

        found = list(contact_visible(user=user).filter(activities=activity)
                     .order_by("last_name", "first_name", "pk"))
        activity.visible_contacts = found  # type: ignore[attr-defined]
    return found


def activity_get(*, user, pk) -> Activity:
    queryset = with_link_visibility(
        activity_queryset(user=user).select_related("owner", "team", "company", "deal", "lead"),
        user=user)
    return get_visible(queryset, pk, user=user, company_id_attr="company_id")


def activity_deleted_list(*, user) -> QuerySet[Activity]:
    """The deleted activities the user may see (the trash they may restore from)."""
    return Activity.all_objects.filter(deleted_at__isnull=False).filter(
        activity_visible_q(user, live_company=False))


def activity_get_deleted(*, user, pk) -> Activity:
    queryset = with_link_visibility(
        activity_deleted_list(user=user).select_related("owner", "team", "company", "deal"),
        user=user)
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

    own = [Q(owner_id=scope.user_id), taking_part_q(scope.user_id)]
    grants = visible_branches(user, record_type="activities.activity")
    if grants is None:
        return [*own, Q(private=False)]
    return [*own, *(Q(private=False) & grant for grant in grants)]
