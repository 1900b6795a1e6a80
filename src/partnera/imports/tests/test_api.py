"""/api/v1/imports: upload → dry run, mapping, start, status, report, undo, history, mappings."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from partnera.clients.models import Company
from partnera.clients.tests.factories import valid_eik
from partnera.clients.tests.test_api import ApiClient, assert_error
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.imports.models import ImportMapping, ImportRun, ImportStatus

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
E1, E2 = valid_eik(1), valid_eik(2)
CSV = f"ЕИК;Партньор;Град;Телефон\n{E1};Алфа ООД;София;0888 123 456\n{E2};Бета;Варна;12ab\n"


@pytest.fixture
def api_as(client):
    return lambda user: ApiClient(client, user)


def file(text: str = CSV, name: str = "firmi.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_upload_map_start_and_report(api_as, manager, settings,
                                     django_capture_on_commit_callbacks):
    settings.TASKS = IMMEDIATE
    api = api_as(manager)

    created = api.upload("/imports", {"file": file(), "kind": "companies"})

    assert created.status_code == 201, created.content
    body = created.json()
    run_id = body["id"]
    assert (body["status"], body["columns"], body["mapping"]) == (
        "mapping", ["ЕИК", "Партньор", "Град", "Телефон"], ["eik", "", "city", "phones"])
    assert body["mapping_problems"] == ["Choose the column that holds “Company name”."]
    assert (body["file_format"], body["encoding"], body["delimiter"], body["rows_total"]) == (
        "csv", "utf-8", ";", 2)

    configured = api.patch(f"/imports/{run_id}", {"mapping": {"Партньор": "legal_name"},
                                                  "update": True, "save_as": "Партньори"})

    body = configured.json()
    assert configured.status_code == 200, body
    assert (body["status"], body["phase"], body["mapping"]) == (
        "ready", "dry", ["eik", "legal_name", "city", "phones"])
    assert body["options"] == {"key": "auto", "update": True}
    assert body["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "skipped": 0,
                              "errors": 1}
    assert body["issues"] == [{"row": 3, "column": "Телефон", "field": "phones",
                               "message": "“12ab” is not a phone number.", "level": "error"}]
    assert body["created_preview"] == [{"row": 2, "label": "Алфа ООД", "changed": [],
                                        "record_id": None}]
    assert Company.objects.count() == 0
    assert ImportMapping.objects.get().name == "Партньори"

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(f"/imports/{run_id}/start")

    assert started.status_code == 202
    status = api.get(f"/imports/{run_id}").json()
    company = Company.objects.get()
    assert (status["status"], status["phase"], status["rows_done"], status["percent"]) == (
        "done", "real", 2, 100)
    assert status["counts"]["created"] == 1
    assert status["created_preview"] == [{"row": 2, "label": "Алфа ООД", "changed": [],
                                          "record_id": company.pk}]
    report = api.get(f"/imports/{run_id}/report")
    assert report.status_code == 200
    assert report["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(report.streaming_content).decode()
    assert "“12ab” is not a phone number." in text

    undone = api.post(f"/imports/{run_id}/undo").json()

    assert (undone["reverted"], undone["kept"], undone["run"]["status"]) == (1, [], "undone")
    assert Company.objects.count() == 0


def test_an_upload_with_a_saved_mapping_goes_straight_to_the_dry_run(api_as, manager):
    api = api_as(manager)
    saved = api.post("/imports/mappings", {"kind": "companies", "name": "Партньори",
                                           "columns": {"Партньор": "legal_name"}, "key": "eik"})
    assert saved.status_code == 201
    assert saved.json()["columns"] == {"партньор": "legal_name"}

    body = api.upload("/imports", {"file": file(), "kind": "companies",
                                   "mapping": "Партньори"}).json()

    assert (body["status"], body["mapping"], body["options"]["key"]) == (
        "ready", ["eik", "legal_name", "city", "phones"], "eik")
    listed = api.get("/imports/mappings", {"kind": "companies"}).json()
    assert [m["name"] for m in listed] == ["Партньори"]
    assert api.delete(f"/imports/mappings/{listed[0]['id']}").status_code == 204
    assert ImportMapping.objects.count() == 0


def test_kinds_describe_the_fields_the_caller_may_map(api_as, manager, make_user):
    kinds = {k["name"]: k for k in api_as(manager).get("/imports/kinds").json()}
    kam = make_user(Role.KEY_ACCOUNT_MANAGER, username="kam")
    kam_kinds = {k["name"]: k for k in api_as(kam).get("/imports/kinds").json()}

    company_fields = [f["key"] for f in kinds["companies"]["fields"]]
    assert company_fields[:3] == ["legal_name", "legal_form", "eik"]
    assert "credit_limit" not in company_fields and "owner" not in company_fields
    assert "credit_limit" in [f["key"] for f in kam_kinds["companies"]["fields"]]
    assert set(kinds["companies"]["keys"]) == {"auto", "eik", "vat", "email", "name_city"}
    assert set(kinds["contacts"]["keys"]) == {"auto", "email", "name"}
    department = make_user(Role.DEPARTMENT, username="logistics")
    assert api_as(department).get("/imports/kinds").json() == []


@pytest.mark.parametrize("data,status,code,fields", [
    ({"kind": "companies"}, 400, "validation_error", {"file"}),
    ({"kind": "deals", "file": "csv"}, 400, "validation_error", {"kind"}),
    ({"kind": "companies", "file": "empty"}, 400, "import_file", {"file"}),
    ({"kind": "companies", "file": "junk"}, 400, "import_file", {"file"}),
    ({"kind": "companies", "file": "csv", "key": "phone"}, 400, "validation_error", {"key"}),
    ({"kind": "companies", "file": "csv", "mapping": "Няма"}, 400, "validation_error",
     {"mapping"}),
])
def test_bad_uploads_are_refused_and_store_nothing(api_as, manager, data, status, code, fields):
    files = {"csv": file(), "empty": file(""), "junk": SimpleUploadedFile(
        "x.csv", b"\x00\x01\x02" * 200)}
    payload = {k: (files[v] if k == "file" else v) for k, v in data.items()}
    api = api_as(manager)
    before = db_state()

    response = api.upload("/imports", payload)

    assert_error(response, status, code, fields)
    assert ImportRun.objects.count() == 0
    assert db_state() == before


def test_an_incomplete_mapping_is_refused_with_the_reasons(api_as, manager):
    api = api_as(manager)
    run_id = api.upload("/imports", {"file": file(), "kind": "companies"}).json()["id"]

    response = api.patch(f"/imports/{run_id}", {"mapping": ["eik", "city", "city", ""]})

    body = assert_error(response, 400, "validation_error", {"mapping"})
    assert body["fields"]["mapping"] == [
        "Columns “Партньор” and “Град” both go to “City”; choose one.",
        "Choose the column that holds “Company name”."]
    assert api.post(f"/imports/{run_id}/start").status_code == 409
    assert_error(api.post(f"/imports/{run_id}/dry-run"), 400, "validation_error", {"mapping"})
    assert (ImportRun.objects.get().status, ImportRun.objects.get().dry_run_seq) == (
        ImportStatus.MAPPING, 0)


def test_runs_are_private_to_their_owner_and_administrators(api_as, manager, other_manager,
                                                            admin_user):
    run_id = api_as(manager).upload("/imports", {"file": file(), "kind": "companies"}).json()["id"]
    other = api_as(other_manager)

    for call in (lambda: other.get(f"/imports/{run_id}"),
                 lambda: other.get(f"/imports/{run_id}/report"),
                 lambda: other.patch(f"/imports/{run_id}", {"update": True}),
                 lambda: other.post(f"/imports/{run_id}/start"),
                 lambda: other.post(f"/imports/{run_id}/dry-run"),
                 lambda: other.post(f"/imports/{run_id}/undo")):
        assert_error(call(), 404, "not_found")
    assert other.get("/imports").json()["items"] == []
    admin = api_as(admin_user)
    assert [r["id"] for r in admin.get("/imports").json()["items"]] == [run_id]
    assert admin.get(f"/imports/{run_id}").status_code == 200
    assert_error(admin.post(f"/imports/{run_id}/start"), 403, "permission_denied")
    assert_error(admin.post(f"/imports/{run_id}/dry-run"), 403, "permission_denied")
    assert ImportRun.objects.get().dry_run_seq == 0  # still at the mapping step, never checked


def test_department_members_may_not_upload(api_as, make_user):
    member = make_user(Role.DEPARTMENT, username="logistics")

    response = api_as(member).upload("/imports", {"file": file(), "kind": "companies"})

    assert_error(response, 403, "permission_denied")
    assert ImportRun.objects.count() == 0
