"""Pipeline settings for administrators: pipelines, stages (order, probability, outcome, usual
days, rules) and the managed lists of reasons. Everyone else gets 403. The services
(sales.pipelines) validate and audit; a refused form comes back with the errors next to its
fields (400), a refused button with the reason as a message."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from partnera.core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from partnera.core.visibility import is_administrator
from partnera.core.web import add_errors_to_form, web_errors
from partnera.sales import pipelines as services
from partnera.sales import selectors
from partnera.sales.forms import PipelineForm, ReasonForm, StageForm
from partnera.sales.models import Pipeline, Reason, StageOutcome


def admin_only(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise PermissionDenied()
        return view(request, *args, **kwargs)

    return login_required(web_errors(wrapper))


def _refused(request: HttpRequest, exc: DomainError) -> None:
    problems = [m for msgs in exc.fields.values() for m in msgs]
    messages.error(request, " ".join(dict.fromkeys(problems)) if problems else exc.message)


# --- pipelines -----------------------------------------------------------------------------------

def _pipelines_context(create_form: PipelineForm | None = None) -> dict:
    pipelines = list(selectors.pipeline_list(include_inactive=True).annotate(
        stage_count=Count("stages", filter=Q(stages__active=True), distinct=True),
        open_deals=Count("deals", filter=Q(deals__status=StageOutcome.OPEN,
                                           deals__deleted_at__isnull=True), distinct=True),
    ).prefetch_related("stages").order_by("position", "pk"))  # GROUP BY drops Meta.ordering
    rows = [(p, services.pipeline_problems(p, list(p.stages.all())) if p.active else [])
            for p in pipelines]
    return {"rows": rows, "create_form": create_form or PipelineForm()}


@admin_only
@require_GET
def settings_pipelines(request: HttpRequest) -> HttpResponse:
    return render(request, "sales/settings_pipelines.html", _pipelines_context())


@admin_only
@require_POST
def settings_pipeline_create(request: HttpRequest) -> HttpResponse:
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            pipeline = services.pipeline_create(actor=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Pipeline “%(name)s” created with a first open stage, a "
                                        "won and a lost stage. Rename them and add the stages "
                                        "you work in.") % {"name": pipeline.name})
            return redirect("sales:settings_pipeline", pk=pipeline.pk)
    return render(request, "sales/settings_pipelines.html", _pipelines_context(form), status=400)


def _pipeline_context(pipeline: Pipeline, *, pipeline_form: PipelineForm | None = None,
                      stage_forms: dict[int, StageForm] | None = None,
                      new_stage_form: StageForm | None = None) -> dict:
    stages = list(pipeline.stages.order_by("position", "pk").prefetch_related("rules").annotate(
        open_deals=Count("deals", filter=Q(deals__status=StageOutcome.OPEN,
                                           deals__deleted_at__isnull=True))))
    forms = stage_forms or {}
    return {
        "pipeline": pipeline,
        "problems": services.pipeline_problems(pipeline, stages),
        "pipeline_form": pipeline_form or PipelineForm(
            initial={"name": pipeline.name, "kind": pipeline.kind}),
        "stage_rows": [(s, forms.get(s.pk) or StageForm(stage=s), first, last) for s, first, last in
                       ((s, i == 0, i == len(stages) - 1) for i, s in enumerate(stages))],
        "new_stage_form": new_stage_form or StageForm(initial={"probability": "",
                                                               "outcome": StageOutcome.OPEN,
                                                               "active": True}),
    }


@admin_only
@require_GET
def settings_pipeline(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = selectors.pipeline_get(pk=pk)
    return render(request, "sales/settings_pipeline.html", _pipeline_context(pipeline))


@admin_only
@require_POST
def settings_pipeline_update(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = selectors.pipeline_get(pk=pk)
    form = PipelineForm(request.POST)
    if form.is_valid():
        try:
            services.pipeline_update(actor=request.user, pipeline=pipeline, data=form.cleaned_data)
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Pipeline saved."))
            return redirect("sales:settings_pipeline", pk=pipeline.pk)
    pipeline = selectors.pipeline_get(pk=pk)
    return render(request, "sales/settings_pipeline.html",
                  _pipeline_context(pipeline, pipeline_form=form), status=400)


@admin_only
@require_POST
def settings_pipeline_default(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = selectors.pipeline_get(pk=pk)
    try:
        services.pipeline_set_default(actor=request.user, pipeline=pipeline)
    except ValidationFailed as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("“%(name)s” is now the default pipeline.") % {"name": pipeline.name})
    return redirect("sales:settings_pipeline", pk=pipeline.pk)


@admin_only
@require_POST
def settings_pipeline_active(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = selectors.pipeline_get(pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.pipeline_set_active(actor=request.user, pipeline=pipeline, active=active)
    except ValidationFailed as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Pipeline activated.") if active else _("Pipeline deactivated."))
    return redirect("sales:settings_pipeline", pk=pipeline.pk)


# --- stages --------------------------------------------------------------------------------------

@admin_only
@require_POST
def settings_stage_create(request: HttpRequest, pk: int) -> HttpResponse:
    pipeline = selectors.pipeline_get(pk=pk)
    form = StageForm(request.POST)
    if form.is_valid():
        try:
            stage = services.stage_create(actor=request.user, pipeline=pipeline,
                                          data=form.service_data(),
                                          requirements=form.cleaned_data.get("rules") or [])
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Stage “%(name)s” added.") % {"name": stage.name})
            return redirect(reverse("sales:settings_pipeline", args=[pipeline.pk]) + f"#stage-{stage.pk}")
    return render(request, "sales/settings_pipeline.html",
                  _pipeline_context(pipeline, new_stage_form=form), status=400)


@admin_only
@require_POST
def settings_stage_update(request: HttpRequest, pk: int) -> HttpResponse:
    stage = selectors.stage_get(pk=pk)
    form = StageForm(request.POST, stage=stage)
    if form.is_valid():
        try:
            services.stage_update(actor=request.user, stage=stage, data=form.service_data(),
                                  requirements=form.cleaned_data.get("rules") or [])
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Stage saved."))
            return redirect(reverse("sales:settings_pipeline", args=[stage.pipeline_id])
                            + f"#stage-{stage.pk}")
    return render(request, "sales/settings_pipeline.html",
                  _pipeline_context(stage.pipeline, stage_forms={stage.pk: form}), status=400)


@admin_only
@require_POST
def settings_stage_move(request: HttpRequest, pk: int) -> HttpResponse:
    stage = selectors.stage_get(pk=pk)
    try:
        services.stage_move(actor=request.user, stage=stage, direction=request.POST.get("direction", ""))
    except ValidationFailed as exc:
        _refused(request, exc)
    return redirect(reverse("sales:settings_pipeline", args=[stage.pipeline_id]) + f"#stage-{stage.pk}")


# --- reasons -------------------------------------------------------------------------------------

def _reasons_context(*, create_forms: dict[str, ReasonForm] | None = None,
                     edit_forms: dict[int, ReasonForm] | None = None) -> dict:
    create_forms = create_forms or {}
    edit_forms = edit_forms or {}
    lists = []
    for kind, label in Reason.Kind.choices:
        reasons = list(selectors.reason_list(kind=kind, include_inactive=True))
        lists.append({
            "kind": kind, "label": label,
            "rows": [(r, edit_forms.get(r.pk) or ReasonForm(initial={"name": r.name}, prefix=f"r{r.pk}"))
                     for r in reasons],
            "create_form": create_forms.get(kind) or ReasonForm(prefix=kind),
        })
    return {"lists": lists}


@admin_only
@require_GET
def settings_reasons(request: HttpRequest) -> HttpResponse:
    return render(request, "sales/settings_reasons.html", _reasons_context())


@admin_only
@require_POST
def settings_reason_create(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in Reason.Kind.values:
        raise NotFound()
    form = ReasonForm(request.POST, prefix=kind)
    if form.is_valid():
        try:
            reason = services.reason_create(actor=request.user, kind=kind,
                                            name=form.cleaned_data["name"])
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Reason “%(name)s” added.") % {"name": reason.name})
            return redirect(reverse("sales:settings_reasons") + f"#reasons-{kind}")
    return render(request, "sales/settings_reasons.html",
                  _reasons_context(create_forms={kind: form}), status=400)


@admin_only
@require_POST
def settings_reason_update(request: HttpRequest, pk: int) -> HttpResponse:
    reason = selectors.reason_get(pk=pk)
    form = ReasonForm(request.POST, prefix=f"r{reason.pk}")
    if form.is_valid():
        try:
            services.reason_update(actor=request.user, reason=reason,
                                   data={"name": form.cleaned_data["name"]})
        except ValidationFailed as exc:
            add_errors_to_form(form, exc)
        else:
            messages.success(request, _("Reason renamed."))
            return redirect(reverse("sales:settings_reasons") + f"#reasons-{reason.kind}")
    return render(request, "sales/settings_reasons.html",
                  _reasons_context(edit_forms={reason.pk: form}), status=400)


@admin_only
@require_POST
def settings_reason_active(request: HttpRequest, pk: int) -> HttpResponse:
    reason = selectors.reason_get(pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.reason_update(actor=request.user, reason=reason, data={"active": active})
    except ValidationFailed as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Reason activated.") if active else _("Reason deactivated."))
    return redirect(reverse("sales:settings_reasons") + f"#reasons-{reason.kind}")
