"""The kanban board: columns per stage with totals, drag and drop (and a keyboard/no-JS "Move to…"
form) to move a deal, "show more" per column, filters in the URL, quick add.

Thin views: parse → sales.board selectors / sales.services → render. Moves answer HTMX requests
with the refreshed columns as out-of-band swaps (and the message in the status region); plain
form posts redirect back to the board, or show the move page with what is missing.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.clients.models import Tier
from partnera.core import cleaning
from partnera.core.errors import PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.money import Currency
from partnera.core.roles import Role
from partnera.core.visibility import can_change
from partnera.core.web import add_errors_to_form, is_htmx, web_errors
from partnera.people import selectors as people_selectors
from partnera.sales import board as sel
from partnera.sales.deal_list import parse_month
from partnera.sales.models import Deal, Reason, Stage, StageOutcome
from partnera.sales.selectors import deal_get, pipeline_list, reason_list
from partnera.sales.services import deal_create, deal_move_stage

BLANK = [("", "—")]


# --- forms --------------------------------------------------------------------------------------

class BoardFilterForm(forms.Form):
    """The board's filters (GET). A bad value is shown next to its field and left out."""

    owner = forms.TypedChoiceField(label=gettext_lazy("Owner"), required=False, coerce=int,
                                   empty_value=None)
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int,
                                  empty_value=None)
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), required=False)
    amount_min = forms.CharField(label=gettext_lazy("Amount from, €"), required=False,
                                 max_length=20)
    amount_max = forms.CharField(label=gettext_lazy("Amount to, €"), required=False,
                                 max_length=20)
    close_month = forms.CharField(label=gettext_lazy("Closing in"), required=False,
                                  max_length=7)
    mine = forms.BooleanField(label=gettext_lazy("Only mine"), required=False)

    def __init__(self, data, *, users, teams):
        super().__init__(data)
        self.fields["owner"].choices = [("", _("Everyone")), *((u.pk, str(u)) for u in users)]
        self.fields["team"].choices = [("", _("Every team")), *((t.pk, t.name) for t in teams)]
        self.fields["tier"].choices = [("", _("Every tier")), *Tier.choices]

    def _amount(self, name: str) -> Decimal | None:
        try:
            return cleaning.optional_money(self.cleaned_data.get(name))
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None

    def clean_amount_min(self):
        return self._amount("amount_min")

    def clean_amount_max(self):
        return self._amount("amount_max")

    def clean_close_month(self):
        value = self.cleaned_data.get("close_month")
        if not value:
            return None
        month = parse_month(value)
        if month is None:
            raise ValidationError(_("Choose a month, e.g. 2026-03."))
        return month

    def filters(self) -> sel.BoardFilters:
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return sel.BoardFilters(
            owner=data.get("owner"), team=data.get("team"), tier=data.get("tier") or "",
            amount_min=data.get("amount_min"), amount_max=data.get("amount_max"),
            close_month=data.get("close_month"), mine=bool(data.get("mine")))


class QuickAddForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Deal"), max_length=200,
                            error_messages={"required": gettext_lazy("Name the deal.")})
    company = forms.IntegerField(label=gettext_lazy("Company"), min_value=1, max_value=2**63 - 1,
                                 error_messages={
                                     "required": gettext_lazy("Choose a company from the list."),
                                     "invalid": gettext_lazy("Choose a company from the list.")})
    company_label = forms.CharField(required=False, max_length=255)
    amount = forms.CharField(label=gettext_lazy("Amount"), required=False, max_length=30)
    currency = forms.ChoiceField(label=gettext_lazy("Currency"), choices=Currency.choices,
                                 initial=Currency.EUR)


# --- helpers ------------------------------------------------------------------------------------

def _deal_url_pattern() -> str:
    """The deal page's URL with "0" for the id: reversed once per page, not once per card."""
    return reverse("sales:deal_detail", args=[0])


def deal_url(pk: int, pattern: str | None = None) -> str:
    pattern = pattern or _deal_url_pattern()
    return pattern.replace("/0/", f"/{pk}/", 1)


def may_add_deals(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role not in (
        Role.DEPARTMENT, Role.MARKETING)))


def _filters_from(query: QueryDict, *, users=None, teams=None) -> tuple[BoardFilterForm, sel.BoardFilters]:
    users = list(people_selectors.user_list(active_only=True)) if users is None else users
    teams = list(people_selectors.team_list().order_by("name")) if teams is None else teams
    form = BoardFilterForm(query, users=users, teams=teams)
    return form, form.filters()


def _filters_quick(query: QueryDict) -> sel.BoardFilters:
    """The filters of a request the board makes (show more, move): no choice lists needed, an
    unknown owner or team simply matches nothing."""
    def number(key):
        try:
            value = int(query.get(key, ""))
        except ValueError:
            return None
        return value if 0 < value < 2**63 else None

    def money(key):
        try:
            return cleaning.optional_money(query.get(key) or None)
        except ValidationError:
            return None

    tier = query.get("tier", "")
    return sel.BoardFilters(
        owner=number("owner"), team=number("team"), tier=tier if tier in Tier.values else "",
        amount_min=money("amount_min"), amount_max=money("amount_max"),
        close_month=parse_month(query.get("close_month")), mine=query.get("mine") in ("1", "on"))


def _board_query(pipeline, filters: sel.BoardFilters) -> str:
    return urlencode({"pipeline": pipeline.pk, **filters.as_query()})


def _board_url(query: str) -> str:
    return reverse("sales:board") + (f"?{query}" if query else "")


def _labels() -> dict[str, str]:
    """The texts every card repeats, translated once per page."""
    return {
        "closed": _("Closed"), "expected": _("Expected close date"),
        "overdue_title": _("Expected close date — overdue"), "overdue": _("Overdue:"),
        "days_title": _("Days in this stage"), "stuck": _("stuck"),
        "no_next_title": _("No scheduled next activity"), "no_next": _("No next activity"),
        "move_to": _("Move to…"),
    }


def _prepare(request, columns: list[sel.Column], stages: list[Stage], query: str) -> list[sel.Column]:
    """What the column templates show besides the selectors' data, formatted once here (a board
    shows hundreds of cards): labels, links, and the cards' HTML."""
    user = request.user
    now = timezone.now()
    today = timezone.localdate()
    pattern = _deal_url_pattern()
    move_pattern = reverse("sales:board_move", args=[0])
    labels = _labels()
    for column in columns:
        stage = column.stage
        # The move page (the "Move to…" link without JS) comes back to this board.
        column.move_query = "?" + urlencode({"query": query}) if query else ""
        column.total_label = sel.money_label(column.totals.total)
        column.weighted_label = sel.money_label(column.totals.weighted)
        if column.next_cursor:
            column.more_url = (reverse("sales:board_column", args=[stage.pk]) + "?"
                               + urlencode({**QueryDict(query).dict(), "cursor": column.next_cursor}))
            column.more_label = (ngettext("Show more ({n} more)", "Show more ({n} more)",
                                          column.more_count).format(n=column.more_count)
                                 if column.more_count else _("Show more"))
        cards = sel.decorate(column.cards, stage, today=today, now=now)
        for card in cards:
            card.url = deal_url(card.deal.pk, pattern)
            card.move_url = move_pattern.replace("/0/", f"/{card.deal.pk}/", 1)
            card.can_move = can_change(user, card.deal)
        column.cards_html = mark_safe("".join(_card_html(c, column, labels) for c in cards))  # noqa: S308
    return columns


def _card_html(card: sel.Card, column: sel.Column, labels: dict[str, str]) -> SafeString:
    """One card. Built here with format_html (every value escaped) rather than by the template
    engine: a board shows up to 240 cards at once, which cost ~45 ms of CPU through a template
    and ~8 ms here (benchmarks/kanban.py)."""
    deal, stuck = card.deal, card.is_stuck
    owner = format_html('<span class="owner-badge" title="{}">{}</span>', card.owner_name,
                        card.owner_initials) if card.owner_initials else ""
    amount = format_html('<span class="deal-amount">{}</span>', card.amount_label) \
        if card.amount_label else ""
    date = ""
    if card.date_label:
        title = labels["closed"] if column.closed else (
            labels["overdue_title"] if card.is_overdue else labels["expected"])
        date = format_html('<span class="deal-date{}" title="{}">{}{}</span>',
                           " overdue" if card.is_overdue else "", title,
                           format_html('<span class="sr-only">{} </span>', labels["overdue"])
                           if card.is_overdue else "", card.date_label)
    flags = []
    if card.days_label:
        flags.append(format_html('<span class="flag{}" title="{}">{}{}</span>',
                                 " flag-stuck" if stuck else "", labels["days_title"],
                                 card.days_label, f" · {labels['stuck']}" if stuck else ""))
    if card.no_next_activity:
        flags.append(format_html('<span class="flag flag-no-next" title="{}">{}</span>',
                                 labels["no_next_title"], labels["no_next"]))
    if card.can_move:
        flags.append(format_html('<a class="card-move" href="{}{}" draggable="false" '
                                 'data-move-link>{}</a>', card.move_url, column.move_query,
                                 labels["move_to"]))
    return format_html(
        '<article class="deal-card{}{}" id="deal-{}" tabindex="0"{} data-deal="{}" data-version="{}" '
        'data-stage="{}" data-title="{}">\n'
        '  <div class="deal-top"><a class="deal-title" href="{}" draggable="false">{}</a>{}</div>\n'
        '  <div class="deal-company">{}</div>\n'
        '  <div class="deal-meta">{}{}</div>\n'
        '  {}\n</article>\n',
        " is-stuck" if stuck else "", " can-move" if card.can_move else "", str(deal.pk),
        format_html(' draggable="true" data-move="{}"', card.move_url) if card.can_move else "",
        str(deal.pk), str(deal.version), str(column.stage.pk), deal.title,
        card.url, deal.title, owner,
        deal.company.legal_name,
        amount, date,
        format_html('<div class="deal-flags">{}</div>', mark_safe("".join(flags))) if flags else "")  # noqa: S308 (parts built by format_html)


def _column_context(request, pipeline, filters, query: str, columns, stages) -> dict:
    return {
        "pipeline": pipeline, "filters": filters, "board_query": query,
        "columns": _prepare(request, columns, stages, query), "stages": stages,
        "first_open_id": next((s.pk for s in stages if not s.is_closed), None),
        "recent_days": sel.RECENT_CLOSED_DAYS, "live_board": True,
    }


# --- the board ----------------------------------------------------------------------------------

def _board_page(request, *, quick_form: QuickAddForm | None = None, status: int = 200) -> HttpResponse:
    user = request.user
    pipelines = list(pipeline_list())
    pipeline = sel.board_pipeline(request.GET.get("pipeline"), pipelines)
    users = list(people_selectors.user_list(active_only=True))
    teams = list(people_selectors.team_list().order_by("name"))
    form, filters = _filters_from(request.GET, users=users, teams=teams)
    context = {"pipelines": pipelines, "form": form, "active_filters": filters.active_count()}
    if pipeline is None:
        return render(request, "sales/board.html", {**context, "pipeline": None}, status=status)
    stages = sel.board_stages(pipeline)
    query = _board_query(pipeline, filters)
    columns = sel.board_columns(user=user, pipeline=pipeline, filters=filters, stages=stages)
    context.update(_column_context(request, pipeline, filters, query, columns, stages))
    context.update({
        "may_add": may_add_deals(user),
        "quick_form": quick_form or QuickAddForm(initial={"currency": Currency.EUR}),
        "lost_reasons": list(reason_list(kind=Reason.Kind.DEAL_LOST)),
    })
    return render(request, "sales/board.html", context, status=status)


@login_required
@require_GET
@web_errors
def board(request: HttpRequest) -> HttpResponse:
    return _board_page(request)


def _stage_or_404(pk) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(
        pk=pk, active=True, pipeline__active=True).first()
    if stage is None:
        raise Http404()
    return stage


@login_required
@require_GET
@web_errors
def board_column(request: HttpRequest, stage_pk: int) -> HttpResponse:
    """The next cards of one column ("show more"): for HTMX the cards and the next button;
    without JS a page of that column."""
    stage = _stage_or_404(stage_pk)
    pipeline = stage.pipeline
    filters = _filters_quick(request.GET)
    query = _board_query(pipeline, filters)
    stages = sel.board_stages(pipeline)
    cards, next_cursor = sel.stage_cards(user=request.user, stage=stage, filters=filters,
                                         cursor=request.GET.get("cursor"))
    column = sel.Column(stage=stage, totals=sel.Totals(), cards=cards, next_cursor=next_cursor)
    context = _column_context(request, pipeline, filters, query, [column], stages)
    context.update({"column": column, "board_url": _board_url(query), "live_board": False})
    if is_htmx(request):
        return render(request, "sales/partials/board_more.html", context)
    return render(request, "sales/board_column.html", context)


# --- moving a deal ------------------------------------------------------------------------------

def _positive_int(value) -> int | None:
    """A positive id or version number from a form, else None."""
    try:
        version = int(value)
    except (TypeError, ValueError):
        return None
    return version if 0 < version < 2**63 else None


def _reason_ref(value) -> int | None:
    """The lost reason's id as posted: none, or an id (0 for anything else, which the service
    refuses as not on the list)."""
    if not value:
        return None
    return _positive_int(value) or 0


def _refreshed(request, deal: Deal, query: str, stage_ids: list[int]) -> dict:
    """The columns of the deal's pipeline whose stages are among `stage_ids`, fresh."""
    filters = _filters_quick(QueryDict(query))
    pipeline = deal.pipeline
    stages = sel.board_stages(pipeline)
    wanted = [s for s in stages if s.pk in set(stage_ids)]
    columns = sel.board_columns(user=request.user, pipeline=pipeline, filters=filters, stages=wanted)
    return _column_context(request, pipeline, filters, _board_query(pipeline, filters), columns, stages)


def _clean_board_query(raw: str) -> str:
    """The board query a move carries, reduced to the known keys."""
    keys = {"pipeline", "owner", "team", "tier", "amount_min", "amount_max", "close_month", "mine"}
    query = QueryDict(raw[:1000] if isinstance(raw, str) else "")
    return urlencode([(k, str(v)) for k, v in query.items() if k in keys and v])


def _move_page(request, deal: Deal, *, error=None, stage_id=None, query: str = "",
               status: int = 200) -> HttpResponse:
    stages = sel.board_stages(deal.pipeline)
    return render(request, "sales/board_move.html", {
        "deal": deal, "stages": stages, "error": error,
        "chosen": stage_id or deal.stage_id,
        "lost_reasons": list(reason_list(kind=Reason.Kind.DEAL_LOST)),
        "lost_stage_ids": [s.pk for s in stages if s.outcome == StageOutcome.LOST],
        "reason_chosen": request.POST.get("lost_reason", ""),
        "comment": request.POST.get("lost_comment", ""),
        "board_query": query, "board_url": _board_url(query),
        "deal_url": deal_url(deal.pk),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def board_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to another stage. GET: the move page (the keyboard and no-JS way, and where a
    lost reason is asked for without JS). POST: the move, through deal_move_stage."""
    deal = deal_get(user=request.user, pk=pk)
    if request.method == "GET":
        query = _clean_board_query(request.GET.get("query", ""))
        return _move_page(request, deal, stage_id=_positive_int(request.GET.get("stage")), query=query)

    query = _clean_board_query(request.POST.get("query", ""))
    from_id = deal.stage_id
    claimed_from = _positive_int(request.POST.get("from"))
    stage_id = _positive_int(request.POST.get("stage"))
    version = _positive_int(request.POST.get("version"))
    target = Stage.objects.filter(pk=stage_id).first() if stage_id else None
    htmx = is_htmx(request)
    try:
        if target is None:
            raise ValidationFailed(fields={"stage": [_("Choose a stage.")]})
        deal_move_stage(actor=request.user, deal=deal, stage=target, expected_version=version,
                        lost_reason=_reason_ref(request.POST.get("lost_reason")),
                        lost_comment=request.POST.get("lost_comment", ""))
    except VersionConflict:
        message = _("Someone else changed “%(title)s” meanwhile; the board shows it as it is "
                    "now. Move it again if you still want to.") % {"title": deal.title}
        if not htmx:
            current = deal_get(user=request.user, pk=pk)
            return _move_page(request, current, error={"message": message, "fields": {}},
                              stage_id=stage_id, query=query, status=409)
        current = Deal.objects.filter(pk=deal.pk).values_list("stage_id", flat=True).first()
        ids = [i for i in (claimed_from, from_id, current, stage_id) if i]
        return _move_answer(request, deal, query, ids, level="error", message=message, status=409)
    except ValidationFailed as exc:
        problems = [m for msgs in exc.fields.values() for m in msgs] or [exc.message]
        if not htmx:
            return _move_page(request, deal, error={"message": exc.message, "problems": problems},
                              stage_id=stage_id, query=query, status=400)
        ids = [i for i in (claimed_from, from_id, stage_id) if i]
        return _move_answer(request, deal, query, ids, level="error", message=exc.message,
                            problems=problems, link=True, status=400)
    deal.refresh_from_db(fields=["stage", "version"])
    message = _("“%(title)s” moved to “%(stage)s”.") % {"title": deal.title, "stage": target.name}
    if not htmx:
        messages.success(request, message)
        return redirect(_board_url(query or urlencode({"pipeline": deal.pipeline_id})))
    ids = [i for i in (claimed_from, from_id, target.pk) if i]
    return _move_answer(request, deal, query, ids, level="ok", message=message)


MOVE_MARKER_HEADER = "X-Partnera-Board"
MOVE_MARKER = "moved"


def _move_answer(request, deal: Deal, query: str, stage_ids: list[int], *, level: str,
                 message: str, problems=None, link: bool = False, status: int = 200) -> HttpResponse:
    context = _refreshed(request, deal, query, stage_ids)
    context.update({"level": level, "message": message, "problems": problems or [],
                    "deal": deal, "deal_url": deal_url(deal.pk) if link else ""})
    response = render(request, "sales/partials/board_move_result.html", context, status=status)
    # board.js counts a move as answered only with this marker: a login page reached through a
    # redirect (the session ended) or any other page is not the board's answer.
    response[MOVE_MARKER_HEADER] = MOVE_MARKER
    return response


# --- quick add ----------------------------------------------------------------------------------

@login_required
@require_POST
@web_errors
def board_quick_add(request: HttpRequest) -> HttpResponse:
    """Open a deal from the top of the first column. Errors next to the fields, input kept."""
    if not may_add_deals(request.user):
        raise PermissionDenied()
    query = _clean_board_query(request.POST.get("query", ""))
    pipeline = sel.board_pipeline(QueryDict(query).get("pipeline"))
    form = QuickAddForm(request.POST)
    created = None
    if form.is_valid() and pipeline is not None:
        try:
            created = deal_create(actor=request.user, data={
                "title": form.cleaned_data["title"], "company": form.cleaned_data["company"],
                "amount": form.cleaned_data["amount"], "currency": form.cleaned_data["currency"],
                "pipeline": pipeline.pk})
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
    if created is not None:
        message = _("Deal “%(title)s” added.") % {"title": created.title}
        if not is_htmx(request):
            messages.success(request, message)
            return redirect(_board_url(query))
        fresh = QuickAddForm(initial={"currency": form.cleaned_data["currency"]})
        context = _refreshed(request, created, query, [created.stage_id])
        context.update({"quick_form": fresh, "level": "ok", "message": message,
                        "may_add": True, "with_form": True})
        return render(request, "sales/partials/board_move_result.html", context)
    if not is_htmx(request):
        request.GET = QueryDict(query)
        return _board_page(request, quick_form=form, status=400)
    return render(request, "sales/partials/board_quick_add.html",
                  {"quick_form": form, "board_query": query, "may_add": True}, status=400)
