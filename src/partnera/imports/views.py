"""Import pages: history, upload, the run page (mapping, dry run, progress, report), undo."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from partnera.core.errors import Conflict, PermissionDenied, ValidationFailed
from partnera.core.pagination import keyset_page
from partnera.core.visibility import is_administrator
from partnera.core.web import add_errors_to_form, web_errors
from partnera.imports import selectors, services
from partnera.imports.engine import STALE_AFTER
from partnera.imports.forms import MappingForm, UploadForm
from partnera.imports.models import ImportRun, ImportStatus
from partnera.imports.registry import ImportOptions, get_import_kind, import_kinds
from partnera.imports.report import report_csv, report_filename

PAGE_SIZE = 30


def _may_import_anything(user) -> bool:
    return any(k.may_import(user) for k in import_kinds())


@login_required
@require_GET
@web_errors
def import_list(request: HttpRequest) -> HttpResponse:
    qs = selectors.import_run_list(user=request.user)
    page = keyset_page(qs, field="created_at", descending=True, cursor=request.GET.get("cursor"),
                       size=PAGE_SIZE)
    kinds = {k.name: k.label for k in import_kinds()}
    return render(request, "imports/import_list.html", {
        "page": page, "kinds": kinds, "show_user": is_administrator(request.user),
        "may_import": _may_import_anything(request.user),
    })


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def import_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not _may_import_anything(user):
        raise PermissionDenied(_("Your role may not import records."))
    form = UploadForm(request.POST or None, request.FILES or None, user=user,
                      initial={"kind": request.GET.get("kind", "companies")})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                name, data = services.read_upload(form.cleaned_data["file"])
                run = services.import_create(
                    actor=user, kind=form.cleaned_data["kind"], filename=name, data=data,
                    mapping_name=form.cleaned_data.get("mapping") or "")
            except ValidationFailed as exc:
                add_errors_to_form(form, exc)
            else:
                return redirect("imports:import_detail", pk=run.pk)
        status = 400
    mappings = list(selectors.import_mapping_list(user=user))
    kinds = {k.name: k for k in import_kinds() if k.may_import(user)}
    return render(request, "imports/import_new.html", {
        "form": form, "mappings": mappings, "kinds": kinds,
    }, status=status)


def _run_context(request: HttpRequest, run: ImportRun, mapping_form: MappingForm | None = None
                 ) -> dict:
    user = request.user
    kind = get_import_kind(run.kind)
    own = run.user_id == user.pk
    context: dict = {"run": run, "kind": kind, "own": own,
                     "report": run.report or {}, "status": ImportStatus}
    if kind is not None:
        fields = kind.available_fields(run.user)
        labels = {f.key: f.label for f in kind.fields}
        context["labels"] = labels
        if own and run.is_editable:
            context["mapping_form"] = mapping_form or MappingForm(run=run, kind=kind,
                                                                  fields=fields)
        report = run.report or {}
        handler = kind.handler(actor=user, options=ImportOptions(), dry_run=True)
        linked = report.get("phase") == "real" and run.status != ImportStatus.UNDONE

        def url(record_id) -> str:
            return handler.record_url(record_id) if linked and record_id else ""

        preview = report.get("preview", {})
        context["preview_created"] = [(number, label, url(record_id))
                                      for number, label, _changed, record_id
                                      in preview.get("created", [])]
        context["preview_updated"] = [
            (number, label, [labels.get(k, k) for k in changed], url(record_id))
            for number, label, changed, record_id in preview.get("updated", [])
        ]
        context["preview_skipped"] = [
            (number, label, [labels.get(k, k) for k in changed], url(record_id))
            for number, label, changed, record_id in preview.get("skipped", [])
        ]
        context["key_label"] = dict(kind.keys).get((run.options or {}).get("key", "auto"), "")
    context["may_undo"] = run.status in (ImportStatus.DONE, ImportStatus.FAILED) and (
        own or is_administrator(user)) and run.rows_done > 0
    context["may_resume"] = own and run.status == ImportStatus.FAILED
    context["may_recheck"] = own and _dry_run_stalled(run)
    context["issues"] = [
        (number, column, context.get("labels", {}).get(field, ""), message, level)
        for number, column, field, message, level in (run.report or {}).get("issues", [])
    ]
    return context


def _dry_run_stalled(run: ImportRun) -> bool:
    """A dry run waiting or silent for so long that its worker is probably gone: the page offers
    to check again (which takes it over)."""
    if not run.is_checking:
        return False
    since = run.heartbeat_at if run.status == ImportStatus.DRY_RUNNING else run.updated_at
    return since is None or since < timezone.now() - STALE_AFTER


@login_required
@require_GET
@web_errors
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_get(user=request.user, pk=pk)
    return render(request, "imports/import_detail.html", _run_context(request, run))


@login_required
@require_POST
@web_errors
def import_configure(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    run = selectors.import_run_get(user=user, pk=pk)
    kind = services.kind_for(user, run.kind)
    form = MappingForm(request.POST, run=run, kind=kind, fields=kind.available_fields(user))
    if form.is_valid():
        try:
            services.import_configure(
                actor=user, run=run, mapping=form.mapping(),
                options={"key": form.cleaned_data["key"], "update": form.cleaned_data["update"]},
                save_as=form.cleaned_data.get("save_as") or "")
        except ValidationFailed as exc:
            for message in exc.fields.get("mapping", []):
                form.add_error(None, message)
            add_errors_to_form(form, ValidationFailed(exc.message, fields={
                k: v for k, v in exc.fields.items() if k != "mapping"}))
        except Conflict as exc:
            messages.error(request, exc.message)
            return redirect("imports:import_detail", pk=run.pk)
        else:
            if form.cleaned_data.get("save_as"):
                messages.success(request, _("Mapping saved as “%(name)s”.")
                                 % {"name": form.cleaned_data["save_as"]})
            return redirect(reverse("imports:import_detail", args=[run.pk]) + "#dry-run")
    run.refresh_from_db()
    return render(request, "imports/import_detail.html", _run_context(request, run, form),
                  status=400)


def _set_going(request: HttpRequest, pk: int, service, done_message: str) -> HttpResponse:
    """Start or resume a run: the same lookup, the same refusal, back to the run's page."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    try:
        service(actor=request.user, run=run)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done_message)
    return redirect("imports:import_detail", pk=run.pk)


@login_required
@require_POST
@web_errors
def import_start(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_going(request, pk, services.import_start,
                      _("The import started. You can leave this page; it goes on."))


@login_required
@require_POST
@web_errors
def import_dry_run(request: HttpRequest, pk: int) -> HttpResponse:
    """Check again: a new dry run, taking over one that stalled."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    try:
        services.import_dry_run(actor=request.user, run=run)
    except (ValidationFailed, Conflict) as exc:  # incomplete mapping, unreadable file, started
        messages.error(request, exc.message)
    return redirect(reverse("imports:import_detail", args=[run.pk]) + "#dry-run")


@login_required
@require_POST
@web_errors
def import_resume(request: HttpRequest, pk: int) -> HttpResponse:
    return _set_going(request, pk, services.import_resume,
                      _("The import goes on from the batch where it stopped."))


@login_required
@require_GET
@web_errors
def import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress bar of the dry run or the import (polled by HTMX); once it finished, the page
    reloads to the report."""
    run = selectors.import_run_get(user=request.user, pk=pk)
    going = run.status in (ImportStatus.QUEUED, ImportStatus.RUNNING, ImportStatus.DRY_QUEUED,
                           ImportStatus.DRY_RUNNING)
    response = render(request, "imports/partials/progress.html",
                      {"run": run, "status": ImportStatus, "poll": going, "oob": True,
                       "may_recheck": run.user_id == request.user.pk and _dry_run_stalled(run)})
    if not going:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
@web_errors
def import_undo(request: HttpRequest, pk: int) -> HttpResponse:
    run = selectors.import_run_get(user=request.user, pk=pk)
    try:
        result = services.import_undo(actor=request.user, run=run)
    except Conflict as exc:
        messages.error(request, exc.message)
    else:
        if result.kept:
            messages.warning(request, _(
                "Import undone: %(reverted)s records reverted; %(kept)s left as they are (listed "
                "below).") % {"reverted": result.reverted, "kept": len(result.kept)})
        else:
            messages.success(request, _("Import undone: %(reverted)s records reverted.")
                             % {"reverted": result.reverted})
    return redirect("imports:import_detail", pk=run.pk)


@login_required
@require_GET
@web_errors
def import_report(request: HttpRequest, pk: int) -> StreamingHttpResponse:
    run = selectors.import_run_get(user=request.user, pk=pk)
    response = StreamingHttpResponse(report_csv(run, language=translation.get_language()),
                                     content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(run)}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
@web_errors
def mapping_delete(request: HttpRequest, pk: int) -> HttpResponse:
    mapping = selectors.import_mapping_get(user=request.user, pk=pk)
    services.import_mapping_delete(actor=request.user, mapping=mapping)
    messages.success(request, _("Saved mapping “%(name)s” deleted.") % {"name": mapping.name})
    return redirect("imports:import_new")

