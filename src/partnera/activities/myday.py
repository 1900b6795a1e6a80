""""My day" panels of the activities domain, and the contact cadences they read.

- today's calls, meetings, visits and presentations of the user (owner or taking part), in the
  user's time-zone day, in time order, done ones ticked;
- overdue tasks and planned activities (due before now, still planned);
- clients not contacted for longer than their tier's cadence (key accounts every 14 days …):
  companies the user owns whose last contact (CompanyContact, kept by the activity services) is
  older than the cadence, or who were never contacted.

Each selector takes the request's HomeView (core.home): "Me" is the user's own records, "My team"
(a head of sales) the records owned by the members of the teams they head — one of the grants of
the visibility rule, intersected with the rule itself, so a colleague's private activity never
shows. Every list is read through an index in the order shown, and counted up to a cap.
An activity of a company in the trash is not shown; a company the user may not see is not named.

The cadences (days per tier) are set by a head of sales or an administrator (`cadence_update`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partnera.activities.models import (
    EVENT_KINDS,
    Activity,
    ActivityStatus,
    CompanyContact,
    ContactCadence,
)
from partnera.activities.selectors import LIVE_COMPANY, activity_visible_q, link_visibility, taking_part_ids
from partnera.clients.models import Company, Tier
from partnera.clients.models import Stage as CompanyStage
from partnera.core.audit import audit_record
from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.home import (
    COUNT_CAP,
    HomePanel,
    HomeView,
    PanelList,
    first_rows,
    panel_list,
    register_home_panel,
)
from partnera.core.models import AuditEntry
from partnera.core.pagination import bounded_count
from partnera.core.roles import EDITOR_ROLES, Role
from partnera.core.visibility import visible_q

CADENCE_MIN_DAYS = 1
CADENCE_MAX_DAYS = 365
# The order clients are raised in (and the cadence page lists the tiers): key accounts first.
TIER_RANK = [Tier.KEY_ACCOUNT, Tier.CORPORATE,
             *(t for t in Tier.values if t not in (Tier.KEY_ACCOUNT, Tier.CORPORATE))]


def link(name: str, args: list | None = None, query: str = "") -> str:
    """The address of a named page, with an optional query string."""
    url = reverse(name, args=args or [])
    return f"{url}?{query}" if query else url


def activity_url(pk: int) -> str:
    return link("activities:activity_detail", [pk])


def see_all_url(panel: str, view: HomeView) -> str:
    return link("activities:myday_panel", [panel],
                query="view=team" if view.team else "")


# --- selectors ------------------------------------------------------------------------------------

def _own_activities(**conditions) -> QuerySet[Activity]:
    """Activities by `conditions` (the user's own, or those they take part in), those of a
    company in the trash left out."""
    return Activity.objects.filter(LIVE_COMPANY, **conditions)


def _first_rows(queryset: QuerySet[Activity], view: HomeView) -> list[Activity]:
    """The first rows of an ordered queryset (core.home.first_rows: picked narrow, then read
    whole with their owner and company), each saying whether the user may see its company
    (`company_visible`, a subquery of the same statement)."""
    picked = queryset.values("pk")[: view.limit]
    rows = (Activity._base_manager.filter(pk__in=picked).order_by(*queryset.query.order_by)
            .select_related("owner", "company")
            .annotate(company_visible=link_visibility(view.user)["company_visible"]))
    return list(rows)


def _team_activities(view: HomeView) -> QuerySet[Activity]:
    """Activities owned by the team's members that the head may see (never a private one of
    someone else, unless the head takes part)."""
    return Activity.objects.filter(activity_visible_q(view.user), owner_id__in=view.owner_ids)


def _today_events(qs: QuerySet[Activity], view: HomeView) -> QuerySet[Activity]:
    return qs.filter(
        status__in=[ActivityStatus.PLANNED, ActivityStatus.DONE], kind__in=sorted(EVENT_KINDS),
        starts_at__gte=view.day_start, starts_at__lt=view.day_end,
    )


def agenda(*, view: HomeView) -> PanelList:
    """Today's calls, meetings, visits and presentations (not cancelled), in time order."""
    order = ("starts_at", "pk")
    if view.team:
        qs = _today_events(_team_activities(view), view).order_by(*order)
        return _decorated(panel_list(qs, view=view, see_all=see_all_url("activities.agenda", view),
                                     items=_first_rows(qs, view)), view)
    # Owned, and taken part in: two index walks merged here (one OR would scan the whole day of
    # everybody's activities).
    uid = view.user.pk
    owned = _today_events(_own_activities(owner_id=uid), view)
    invited = _today_events(_own_activities(pk__in=taking_part_ids(uid)), view).exclude(
        owner_id=uid)
    rows = [*_first_rows(owned.order_by(*order), view),
            *_first_rows(invited.order_by(*order), view)]
    rows.sort(key=lambda a: (a.starts_at, a.pk))
    count_owned, more_owned = bounded_count(owned, cap=_cap(view))
    count_invited, more_invited = bounded_count(invited, cap=_cap(view))
    return _decorated(PanelList(items=rows[: view.limit], count=count_owned + count_invited,
                                capped=more_owned or more_invited,
                                see_all=see_all_url("activities.agenda", view)), view)


def _decorated(result: PanelList, view: HomeView) -> PanelList:
    """What the page shows beside each activity: its address, whether the user only takes part,
    how many days it is overdue."""
    for a in result.items:
        a.url = activity_url(a.pk)
        a.taking_part = a.owner_id != view.user.pk and not view.team
        a.days_overdue = (view.now - a.starts_at).days
    return result


def _cap(view: HomeView) -> int:
    return max(COUNT_CAP, view.limit)


def overdue(*, view: HomeView) -> PanelList:
    """Tasks and activities still planned whose time has passed, the longest overdue first."""
    base = _team_activities(view) if view.team else _own_activities(owner_id=view.user.pk)
    qs = (base.filter(status=ActivityStatus.PLANNED, starts_at__lt=view.now)
          .order_by("starts_at", "pk"))
    return _decorated(panel_list(qs, view=view, see_all=see_all_url("activities.overdue", view),
                                 items=_first_rows(qs, view)), view)


def cadences() -> dict[str, int]:
    """Days without contact allowed per tier; a tier without a row has no cadence."""
    return dict(ContactCadence.objects.values_list("tier", "days"))


def not_contacted_q(now: dt.datetime, days_by_tier: dict[str, int]) -> Q:
    q = Q(pk__in=[])
    for tier, days in sorted(days_by_tier.items()):
        cutoff = now - dt.timedelta(days=days)
        q |= Q(tier=tier) & (Q(last_contact__isnull=True) | Q(last_contact__last_at__lt=cutoff))
    return q


def not_contacted(*, view: HomeView) -> PanelList:
    """Clients whose tier has a cadence and who have not heard from us for longer than it, or
    never did. Lost clients are not chased.

    Key accounts first, then corporate clients, then the rest; within a tier active clients
    first, then dormant ones, then prospects, by name — the order of the owners' tier index
    (owner, tier, stage, name), so each tier is one short walk of the user's own clients that
    stops once the panel is full, whatever the size of the base. (Ordering by the last contact
    instead would make the database walk every company's last contact.)"""
    days_by_tier = cadences()
    if view.team:
        base = Company.objects.filter(visible_q(view.user), owner_id__in=view.owner_ids)
    else:
        base = Company.objects.filter(owner_id=view.user.pk)
    base = base.exclude(stage=CompanyStage.LOST)
    items: list[Company] = []
    for tier in [t for t in TIER_RANK if t in days_by_tier]:
        if len(items) >= view.limit:
            break
        cutoff = view.now - dt.timedelta(days=days_by_tier[tier])
        due = (base.filter(Q(last_contact__isnull=True) | Q(last_contact__last_at__lt=cutoff),
                           tier=tier)
               .select_related("owner", "last_contact").order_by("stage", "legal_name", "pk"))
        items += first_rows(due, view.limit - len(items))
    count, capped = bounded_count(base.filter(not_contacted_q(view.now, days_by_tier)),
                                  cap=_cap(view))
    result = PanelList(items=items, count=count, capped=capped,
                       see_all=see_all_url("activities.not_contacted", view))
    for company in result.items:
        last = _last_contact_at(company)
        company.last_contact_at = last
        company.days_silent = (view.now - last).days if last else None
        company.cadence_days = days_by_tier.get(company.tier)
    return result


def _last_contact_at(company: Company) -> dt.datetime | None:
    try:
        return company.last_contact.last_at
    except CompanyContact.DoesNotExist:
        return None


# --- panels ---------------------------------------------------------------------------------------

def _agenda_panel(*, user, view: HomeView) -> dict:
    return {"list": agenda(view=view), "view": view,
            "plan_url": link("activities:activity_create", query=f"starts_on={view.today}")}


def _overdue_panel(*, user, view: HomeView) -> dict:
    return {"list": overdue(view=view), "view": view}


def _not_contacted_panel(*, user, view: HomeView) -> dict:
    return {"list": not_contacted(view=view), "view": view,
            "can_set_cadence": can_set_cadence(user)}


def _user_out(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.get_username(), "name": str(user)}


def _company_ref(company) -> dict | None:
    return {"id": company.pk, "name": company.legal_name} if company is not None else None


def activity_item(a: Activity) -> dict[str, Any]:
    return {
        "id": a.pk, "kind": a.kind, "subject": a.subject, "starts_at": a.starts_at.isoformat(),
        "duration_minutes": a.duration_minutes, "status": a.status, "done": a.status == "done",
        "private": a.private, "owner": _user_out(a.owner),
        "company": _company_ref(a.company) if getattr(a, "company_visible", False) else None,
        "url": activity_url(a.pk),
    }


def company_item(c: Company) -> dict[str, Any]:
    last = getattr(c, "last_contact_at", None)
    return {
        "id": c.pk, "name": c.legal_name, "tier": c.tier,
        "last_contact_at": last.isoformat() if last else None,
        "days_without_contact": getattr(c, "days_silent", None),
        "cadence_days": getattr(c, "cadence_days", None), "owner": _user_out(c.owner),
        "url": reverse("clients:company_detail", args=[c.pk]),
    }


def _sales_roles(user) -> bool:
    return bool(user.is_superuser or user.role in EDITOR_ROLES)


def register_home_panels() -> None:
    register_home_panel(HomePanel(
        name="activities.agenda", order=10, template="activities/myday/agenda.html",
        context=_agenda_panel, team_view=True, title=gettext_lazy("Today's calls and meetings"),
        api_item=activity_item))
    register_home_panel(HomePanel(
        name="activities.overdue", order=20, template="activities/myday/overdue.html",
        context=_overdue_panel, team_view=True, title=gettext_lazy("Overdue tasks and activities"),
        api_item=activity_item))
    register_home_panel(HomePanel(
        name="activities.not_contacted", order=45, template="activities/myday/not_contacted.html",
        context=_not_contacted_panel, team_view=True,
        title=gettext_lazy("Clients not contacted"), api_item=company_item,
        show_for=_sales_roles))


# --- contact cadences (set by the head of sales) -------------------------------------------------

def can_set_cadence(user) -> bool:
    return bool(user is not None and user.is_authenticated
                and (user.is_superuser or user.role in (Role.HEAD_OF_SALES, Role.ADMINISTRATOR)))


def cadence_rows() -> list[dict[str, Any]]:
    """One row per client tier: its label and its days (None: no cadence)."""
    days = cadences()
    return [{"tier": tier, "label": Tier(tier).label, "days": days.get(tier)} for tier in TIER_RANK]


def _clean_days(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, float) and not value.is_integer():
        raise ValueError
    number = int(str(value).strip()) if isinstance(value, str) else int(value)
    if not CADENCE_MIN_DAYS <= number <= CADENCE_MAX_DAYS:
        raise ValueError
    return number


@transaction.atomic
def cadence_update(*, actor, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Set the days without contact per tier (`{tier: days or None}`; None or "" removes the
    tier's cadence). Only the tiers given change; each change is audited."""
    if not can_set_cadence(actor):
        raise PermissionDenied(_("Only a head of sales or an administrator sets contact cadences."))
    errors: dict[str, list[str]] = {}
    wanted: dict[str, int | None] = {}
    for tier, value in data.items():
        if tier not in Tier.values:
            errors[str(tier)[:50]] = [_("Unknown client tier.")]
            continue
        try:
            wanted[tier] = _clean_days(value)
        except (TypeError, ValueError, OverflowError):
            errors[tier] = [_("Enter a whole number of days from %(min)d to %(max)d, or leave it "
                              "empty for no reminder.") % {"min": CADENCE_MIN_DAYS,
                                                          "max": CADENCE_MAX_DAYS}]
    if errors:
        raise ValidationFailed(fields=errors)
    current = {c.tier: c for c in ContactCadence.objects.select_for_update().filter(tier__in=wanted)}
    for tier, days in wanted.items():
        row = current.get(tier)
        old = row.days if row else None
        if old == days:
            continue
        if days is None:
            assert row is not None
            row.delete()
        elif row is None:
            row = ContactCadence.objects.create(tier=tier, days=days, updated_by=actor)
        else:
            row.days, row.updated_by = days, actor
            row.save(update_fields=["days", "updated_by", "updated_at"])
        action = (AuditEntry.Action.CREATE if old is None else
                  AuditEntry.Action.DELETE if days is None else AuditEntry.Action.UPDATE)
        audit_record(actor=actor, action=action, object_type="activities.contactcadence",
                     object_id=tier, object_repr=str(Tier(tier).label),
                     changes={"days": [old, days]})
    return cadence_rows()

