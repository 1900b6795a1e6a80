"""The permission matrix: every role against every web page and API endpoint of the client base.

Given one company owned by an account manager, with a contact, a note, a PDF file, a saved view
and an explicit share, each (role, operation) cell is its own test. The expected answer is
derived from the one rule in partnera.core.visibility:

- a record the role may see and may change/delete  → 200/302 (API 200/201/204), and it changed;
- a record the role sees but may not change         → 403, and nothing changed;
- a record the role may not see                     → 404, answered exactly like a record that
  does not exist (id 999999: same status, same page template, same JSON body), nothing changed;
- nobody logged in                                  → redirect to the login page / API 401.

"Nothing changed" compares every row of companies, contacts, notes, files, shares and saved views
(all fields, version and deleted_at included) and the stored files on disk (name and checksum).
Department members (logistics) see no client record until a domain registers a department rule
(core.visibility.register_department_rule; none exists yet), so "department" is a hidden-record
role and "department_shared" (the company shared with them explicitly) is the read-only one,
which may still add notes (clients.services.note_create).

The second half checks that a hidden record never shows in a list, a count, the search, the
autocomplete, the trash, the start page or an API list.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import resolve, reverse

from partnera.clients import services
from partnera.clients.forms import CompanyForm
from partnera.clients.models import (
    Attachment,
    Company,
    Contact,
    DuplicateDismissal,
    Note,
    SavedView,
)
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory
from partnera.core.models import RecordShare
from partnera.core.roles import Role
from partnera.imports.models import ImportMapping, ImportRun, ImportStatus
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory
from partnera.people.tests.factories import make_user as new_user

pytestmark = pytest.mark.django_db

API = "/api/v1"
MISSING = 999999
COMPANY_NAME = "Зетаком Секрет"
CONTACT_LAST = "Тайнов"
NOTE_BODY = "Бележка за преговорите със Зетаком"
FILE_NAME = "оферта-зетаком.pdf"


# --- test data ---------------------------------------------------------------------------------

def small_pdf(text: str = "Offer") -> bytes:
    """A real, well-formed one-page PDF (catalog, page tree, page, content stream, font, xref)."""
    content = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def pdf_upload(name: str = FILE_NAME) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, small_pdf(), content_type="application/pdf")


# Roles of the matrix. Capabilities follow partnera.core.visibility:
#   read      visible_q lets the role see the company (and what hangs below it)
#   change    can_change: editors (AM, KAM, head, admin) on what they see; others only their own
#   delete    can_delete: owner, head of sales, administrator (delete and restore)
#   note      may edit/delete the owner's note: its author, head of sales, administrator
#   note_add  may add a note: who may change, and department members on what they see
#   create    may create a company: everyone but department members
#   own_view  owns the saved view
CAPS: dict[str, set[str]] = {
    "owner": {"read", "change", "delete", "note", "note_add", "create", "own_view"},
    "other_manager": {"create"},
    "teammate_shared": {"read", "change", "note_add", "create"},
    "teammate_private": {"create"},
    "kam_other_team": {"create"},
    "kam_shared": {"read", "change", "note_add", "create"},
    "head_of_own_team": {"read", "change", "delete", "note", "note_add", "create"},
    "head_of_other_team": {"create"},
    "marketing": {"read", "create"},
    "department": set(),
    "department_shared": {"read", "note_add"},
    "admin": {"read", "change", "delete", "note", "note_add", "create", "admin"},
}
ROLES = [*CAPS, "anonymous"]
LOGGED_IN = list(CAPS)


@dataclass
class World:
    role: str
    actor: object | None
    owner: object
    team: object
    company: Company
    contact: Contact
    note: Note
    attachment: Attachment
    view: SavedView
    bystander: object  # already has an explicit share
    target: object  # the user a share operation shares with
    twin: Company | None = None  # a likely duplicate of the company, seen by the same people
    import_run: ImportRun | None = None  # the owner's import of a file (see _imports)
    import_mapping: ImportMapping | None = None  # the owner's saved column mapping

    @property
    def ids(self) -> dict[str, int]:
        ids = {"company": self.company.pk, "contact": self.contact.pk, "note": self.note.pk,
               "attachment": self.attachment.pk, "view": self.view.pk,
               "bystander": self.bystander.pk, "target": self.target.pk}
        if self.twin is not None:
            ids["twin"] = self.twin.pk
        if self.import_run is not None and self.import_mapping is not None:
            ids["import"] = self.import_run.pk
            ids["mapping"] = self.import_mapping.pk
        return ids


def build_world(role: str, *, company_deleted: bool = False, records_deleted: bool = False,
                twin: bool = False, imports: str = "", **company_fields) -> World:
    """The owner's company with everything below it, and the user acting in `role`
    (`records_deleted`: the owner deleted the contact, the note and the file)."""
    team = TeamFactory(shares_clients=role != "teammate_private")
    owner = new_user(Role.ACCOUNT_MANAGER, team=team, username="owner")
    company = CompanyFactory(owner=owner, legal_name=COMPANY_NAME, **company_fields)
    contact = ContactFactory(company=company, first_name="Тодор", last_name=CONTACT_LAST,
                             created_by=owner)
    note = NoteFactory(company=company, contact=contact, body=NOTE_BODY, created_by=owner)
    attachment = services.attachment_add(actor=owner, company=company, upload=pdf_upload(),
                                         description="Оферта за 2026")
    view = services.saved_view_create(actor=owner, list_name="companies", name="Активни",
                                      query="stage=active")
    bystander = new_user(Role.ACCOUNT_MANAGER, username="bystander")
    services.company_share(actor=owner, company=company, user=bystander)
    target = new_user(Role.ACCOUNT_MANAGER, username="target")
    actor = _actor(role, owner=owner, team=team, company=company)
    if records_deleted:
        services.contact_delete(actor=owner, contact=Contact.objects.get(pk=contact.pk))
        services.note_delete(actor=owner, note=Note.objects.get(pk=note.pk))
        services.attachment_delete(actor=owner, attachment=attachment)
    if company_deleted:
        services.company_delete(actor=owner, company=Company.objects.get(pk=company.pk))
    company = Company.all_objects.get(pk=company.pk)
    duplicate = _twin(company) if twin else None
    run, mapping = _imports(owner, imports) if imports else (None, None)
    return World(role, actor, owner, team, company, Contact.all_objects.get(pk=contact.pk),
                 Note.all_objects.get(pk=note.pk), attachment, view, bystander, target, duplicate,
                 run, mapping)


IMPORT_CSV = "ЕИК;Име на фирма\n{eik};{name}\n"


def _imports(owner, status: str) -> tuple[ImportRun, ImportMapping]:
    """The owner's import of a one-company file: dry run done ("ready"), imported ("done"), or
    stopped ("failed"); and a column mapping the owner saved."""
    from partnera.clients.tests.factories import valid_eik
    from partnera.imports import engine
    from partnera.imports import services as import_services

    data = IMPORT_CSV.format(eik=valid_eik(424242), name="Импортирана Фирма").encode()
    run = import_services.import_create(actor=owner, kind="companies", filename="firmi.csv",
                                        data=data)
    if status in ("done", "failed"):
        import_services.import_start(actor=owner, run=run)
        if status == "done":
            engine.execute(run.pk)
        else:
            ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.FAILED,
                                                       message="The import stopped.")
    mapping = ImportMapping.objects.create(user=owner, kind="companies", name="Счетоводство",
                                           columns={"фирма": "legal_name"})
    return ImportRun.objects.get(pk=run.pk), mapping


def import_upload(name: str = "нови.csv") -> SimpleUploadedFile:
    from partnera.clients.tests.factories import valid_eik

    data = IMPORT_CSV.format(eik=valid_eik(515151), name="Качена Фирма").encode()
    return SimpleUploadedFile(name, data, content_type="text/csv")


def _twin(company: Company) -> Company:
    """A likely duplicate of the owner's company (for merging and "not duplicates"), shared with
    the same people, so every role sees it exactly as it sees the company."""
    twin = CompanyFactory(owner=company.owner, legal_name="Zetakom Sekret", eik="",
                          vat_number="")
    for share in RecordShare.objects.filter(record_type="clients.company", record_id=company.pk):
        RecordShare.objects.create(record_type="clients.company", record_id=twin.pk,
                                   user=share.user, granted_by=share.granted_by)
    return twin


def _actor(role: str, *, owner, team, company):
    if role == "owner":
        return owner
    if role == "other_manager":
        return new_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="other")
    if role in ("teammate_shared", "teammate_private"):
        return new_user(Role.ACCOUNT_MANAGER, team=team, username="mate")
    if role in ("kam_other_team", "kam_shared"):
        kam = new_user(Role.KEY_ACCOUNT_MANAGER, team=TeamFactory(), username="kam")
        if role == "kam_shared":
            services.company_share(actor=owner, company=company, user=kam)
        return kam
    if role == "head_of_own_team":
        head = new_user(Role.HEAD_OF_SALES, username="head")
        team.head = head
        team.save()
        return head
    if role == "head_of_other_team":
        head = new_user(Role.HEAD_OF_SALES, username="head2")
        new_user(Role.ACCOUNT_MANAGER, team=TeamFactory(head=head), username="sub")
        return head
    if role == "marketing":
        return new_user(Role.MARKETING, username="marketer")
    if role in ("department", "department_shared"):
        member = new_user(Role.DEPARTMENT, username="logistics")
        if role == "department_shared":
            services.company_share(actor=owner, company=company, user=member)
        return member
    if role == "admin":
        return new_user(Role.ADMINISTRATOR, username="admin")
    assert role == "anonymous"
    return None


def stored_files() -> dict[str, str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def state() -> dict:
    """Everything a refused operation must leave as it was."""
    return {
        "companies": list(Company.all_objects.order_by("pk").values()),
        "company_tags": list(Company.tags.through.objects.order_by("pk").values()),
        "contacts": list(Contact.all_objects.order_by("pk").values()),
        "notes": list(Note.all_objects.order_by("pk").values()),
        "attachments": list(Attachment.all_objects.order_by("pk").values()),
        "shares": list(RecordShare.objects.order_by("pk").values()),
        "share_count": RecordShare.objects.count(),
        "saved_views": list(SavedView.objects.order_by("pk").values()),
        "files": stored_files(),
        "duplicate_dismissals": list(DuplicateDismissal.objects.order_by("pk").values()),
        "imports": list(ImportRun.objects.order_by("pk").values()),
        "import_mappings": list(ImportMapping.objects.order_by("pk").values()),
    }


# --- operations ----------------------------------------------------------------------------------

def company_form_data(company: Company, **changes) -> dict:
    """What the company edit form posts back unchanged, plus `changes`."""
    data = {k: ("" if v is None else v) for k, v in CompanyForm.initial_from(company).items()}
    data.update(changes)
    return data


def contact_form_data(contact: Contact, **changes) -> dict:
    data = {
        "company": str(contact.company_id), "first_name": contact.first_name,
        "last_name": contact.last_name, "position": contact.position,
        "department": contact.department, "emails": "\n".join(contact.emails),
        "phones": "\n".join(contact.phones), "preferred_channel": contact.preferred_channel,
        "consent_source": contact.consent_source, "version": contact.version,
    }
    data.update(changes)
    return data


@dataclass(frozen=True)
class Op:
    name: str
    method: str
    path: Callable[[dict], str]
    needs: str  # "any", or a capability from CAPS
    ok: int
    data: Callable[[World, dict], dict] | None = None
    record: str | None = "company"  # the id swapped for MISSING in the "does not exist" request
    hidden: int = 404  # the answer for a record the role may not see (== for a missing one)
    deleted: bool = False  # the company is in the trash before the operation
    records_deleted: bool = False  # the contact, note and file are deleted before the operation
    api: bool = False
    multipart: bool = False
    twin: bool = False  # the world holds a likely duplicate of the company (ids["twin"])
    imports: str = ""  # the world holds the owner's import in this state (ids["import"])

    @property
    def writes(self) -> bool:
        return self.method != "get"

    def __str__(self) -> str:
        return self.name


def url(name: str, *keys: str, query: Callable[[dict], str] | None = None):
    def build(ids: dict) -> str:
        path = reverse(name, args=[ids[k] for k in keys])
        return path + (query(ids) if query else "")
    return build


def api_url(template: str):
    return lambda ids: API + template.format(**ids)


WEB_OPS = [
    Op("company_list", "get", url("clients:company_list"), "any", 200, record=None),
    Op("company_create_page", "get", url("clients:company_create"), "any", 200, record=None),
    Op("company_create", "post", url("clients:company_create"), "create", 302, record=None,
       data=lambda w, ids: {"legal_name": "Нова Фирма", "stage": "prospect", "tier": "standard",
                            "country": "BG"}),
    Op("company_check", "get",
       url("clients:company_check", query=lambda ids: f"?eik=&pk={ids['company']}"), "read", 200),
    Op("company_autocomplete", "get",
       url("clients:company_autocomplete", query=lambda ids: "?q=зетаком"), "any", 200,
       record=None),
    Op("company_trash", "get", url("clients:company_trash"), "any", 200, record=None),
    Op("saved_view_create", "post", url("clients:saved_view_create"), "any", 302, record=None,
       data=lambda w, ids: {"name": "Моят изглед", "query": "stage=active"}),
    Op("saved_view_delete", "post", url("clients:saved_view_delete", "view"), "own_view", 302,
       record="view"),
    Op("company_detail", "get", url("clients:company_detail", "company"), "read", 200),
    Op("company_edit_page", "get", url("clients:company_edit", "company"), "change", 200),
    Op("company_edit", "post", url("clients:company_edit", "company"), "change", 302,
       data=lambda w, ids: company_form_data(w.company, city="Пловдив")),
    Op("company_delete", "post", url("clients:company_delete", "company"), "delete", 302),
    Op("company_restore", "post", url("clients:company_restore", "company"), "delete", 302,
       deleted=True),
    Op("company_share", "post", url("clients:company_share", "company"), "change", 302,
       data=lambda w, ids: {"user": str(ids["target"])}),
    Op("company_unshare", "post", url("clients:company_unshare", "company", "bystander"),
       "change", 302),
    Op("company_timeline", "get", url("clients:company_timeline", "company"), "read", 200),
    Op("note_create", "post", url("clients:note_create", "company"), "note_add", 302,
       data=lambda w, ids: {"body": "Нова бележка"}),
    Op("attachment_upload", "post", url("clients:attachment_upload", "company"), "change", 302,
       data=lambda w, ids: {"file": pdf_upload("договор.pdf"), "description": "Договор"}),
    Op("note_item", "get", url("clients:note_item", "note"), "read", 302, record="note"),
    Op("note_edit_page", "get", url("clients:note_edit", "note"), "note", 200, record="note"),
    Op("note_edit", "post", url("clients:note_edit", "note"), "note", 302, record="note",
       data=lambda w, ids: {"body": "Променена бележка", "version": w.note.version}),
    Op("note_delete", "post", url("clients:note_delete", "note"), "note", 302, record="note"),
    Op("attachment_download", "get", url("clients:attachment_download", "attachment"), "read",
       200, record="attachment"),
    Op("attachment_delete", "post", url("clients:attachment_delete", "attachment"), "change", 302,
       record="attachment"),
    Op("contact_list", "get", url("clients:contact_list"), "any", 200, record=None),
    Op("contact_list_of_company", "get",
       url("clients:contact_list", query=lambda ids: f"?company={ids['company']}"), "read", 200),
    Op("contact_create_page", "get",
       url("clients:contact_create", query=lambda ids: f"?company={ids['company']}"), "read", 200),
    # The company is a field of the form: a hidden one is refused like a missing one (400).
    Op("contact_create", "post", url("clients:contact_create"), "change", 302, hidden=400,
       data=lambda w, ids: {"company": str(ids["company"]), "first_name": "Нов",
                            "last_name": "Контакт"}),
    Op("contact_detail", "get", url("clients:contact_detail", "contact"), "read", 200,
       record="contact"),
    Op("contact_edit_page", "get", url("clients:contact_edit", "contact"), "change", 200,
       record="contact"),
    Op("contact_edit", "post", url("clients:contact_edit", "contact"), "change", 302,
       record="contact", data=lambda w, ids: contact_form_data(w.contact, position="Търговец")),
    Op("contact_delete", "post", url("clients:contact_delete", "contact"), "change", 302,
       record="contact"),
    Op("contact_restore", "post", url("clients:contact_restore", "contact"), "change", 302,
       record="contact", records_deleted=True),
    Op("note_restore", "post", url("clients:note_restore", "note"), "note", 302, record="note",
       records_deleted=True),
    Op("attachment_restore", "post", url("clients:attachment_restore", "attachment"), "change",
       302, record="attachment", records_deleted=True),
    Op("contact_note_create", "post", url("clients:contact_note_create", "contact"), "note_add",
       302, record="contact", data=lambda w, ids: {"body": "Бележка за контакта"}),
    # Downloads: the filtered lists (every page, only what the role sees) and vCards.
    Op("company_export", "get", url("clients:company_export"), "any", 200, record=None),
    Op("company_export_xlsx", "get",
       url("clients:company_export", query=lambda ids: "?format=xlsx&stage=active"), "any", 200,
       record=None),
    Op("company_contacts_vcard", "get", url("clients:company_contacts_vcard", "company"), "read",
       200),
    Op("contact_export", "get", url("clients:contact_export", query=lambda ids: "?format=vcf"),
       "any", 200, record=None),
    Op("contact_export_of_company", "get",
       url("clients:contact_export", query=lambda ids: f"?company={ids['company']}"), "read", 200),
    Op("contact_vcard", "get", url("clients:contact_vcard", "contact"), "read", 200,
       record="contact"),
    # Likely duplicates: the finder, "not duplicates", merging (twin: a duplicate of the company).
    Op("duplicate_list", "get", url("clients:duplicate_list"), "any", 200, record=None, twin=True),
    Op("duplicate_dismiss", "post", url("clients:duplicate_dismiss"), "change", 302, twin=True,
       data=lambda w, ids: {"company": str(ids["company"]), "other": str(ids["twin"])}),
    Op("company_merge_pick", "get", url("clients:company_merge", "company"), "change", 200),
    Op("company_merge_page", "get",
       url("clients:company_merge", "company", query=lambda ids: f"?other={ids['twin']}"),
       "delete", 200, twin=True),
    Op("company_merge", "post", url("clients:company_merge", "company"), "delete", 302,
       twin=True, data=lambda w, ids: {"other": str(ids["twin"]),
                                       "survivor_version": str(w.company.version),
                                       "other_version": str(w.twin.version if w.twin else 0),
                                       "choice_legal_name": "other"}),
    # Pages outside the client base that list or search it.
    Op("home", "get", url("home"), "any", 200, record=None),
    Op("search", "get", url("core:search", query=lambda ids: "?q=зетаком"), "any", 200,
       record=None),
    Op("audit_log", "get", url("core:audit_log"), "admin", 200, record=None),
    Op("user_list", "get", url("people:user_list"), "admin", 200, record=None),
    # Imports: anyone who may create companies imports; a run (and a saved mapping) is its
    # owner's — an administrator may look at it and undo it, nobody else sees it.
    Op("import_list", "get", url("imports:import_list"), "any", 200, record=None,
       imports="ready"),
    Op("import_new_page", "get", url("imports:import_new"), "create", 200, record=None),
    Op("import_new", "post", url("imports:import_new"), "create", 302, record=None,
       data=lambda w, ids: {"kind": "companies", "file": import_upload()}),
    Op("import_detail", "get", url("imports:import_detail", "import"), "see_import", 200,
       record="import", imports="ready"),
    Op("import_progress", "get", url("imports:import_progress", "import"), "see_import", 200,
       record="import", imports="ready"),
    Op("import_report", "get", url("imports:import_report", "import"), "see_import", 200,
       record="import", imports="ready"),
    Op("import_configure", "post", url("imports:import_configure", "import"), "own_import", 302,
       record="import", imports="ready",
       data=lambda w, ids: {"col-0": "eik", "col-1": "legal_name", "key": "eik", "update": "on"}),
    Op("import_dry_run", "post", url("imports:import_dry_run", "import"), "own_import", 302,
       record="import", imports="ready"),
    Op("import_start", "post", url("imports:import_start", "import"), "own_import", 302,
       record="import", imports="ready"),
    Op("import_resume", "post", url("imports:import_resume", "import"), "own_import", 302,
       record="import", imports="failed"),
    Op("import_undo", "post", url("imports:import_undo", "import"), "see_import", 302,
       record="import", imports="done"),
    Op("import_mapping_delete", "post", url("imports:mapping_delete", "mapping"), "own_mapping",
       302, record="mapping", imports="ready"),
]

API_OPS = [
    Op("api_company_list", "get", api_url("/companies"), "any", 200, record=None, api=True),
    Op("api_company_create", "post", api_url("/companies"), "create", 201, record=None, api=True,
       data=lambda w, ids: {"legal_name": "Нова Фирма"}),
    Op("api_company_get", "get", api_url("/companies/{company}"), "read", 200, api=True),
    Op("api_company_patch", "patch", api_url("/companies/{company}"), "change", 200, api=True,
       data=lambda w, ids: {"version": w.company.version, "city": "Пловдив"}),
    Op("api_company_delete", "delete", api_url("/companies/{company}"), "delete", 204, api=True),
    Op("api_company_restore", "post", api_url("/companies/{company}/restore"), "delete", 200,
       api=True, deleted=True),
    Op("api_company_deleted", "get", api_url("/companies/{company}/deleted"), "read", 200,
       api=True, records_deleted=True),
    Op("api_company_share", "post", api_url("/companies/{company}/shares"), "change", 204,
       api=True, data=lambda w, ids: {"user": ids["target"]}),
    Op("api_company_unshare", "delete", api_url("/companies/{company}/shares/{bystander}"),
       "change", 204, api=True),
    Op("api_note_restore", "post", api_url("/notes/{note}/restore"), "note", 200, record="note",
       api=True, records_deleted=True),
    Op("api_note_list", "get", api_url("/companies/{company}/notes"), "read", 200, api=True),
    Op("api_note_create", "post", api_url("/companies/{company}/notes"), "note_add", 201,
       api=True, data=lambda w, ids: {"body": "Нова бележка"}),
    Op("api_note_get", "get", api_url("/notes/{note}"), "read", 200, record="note", api=True),
    Op("api_note_patch", "patch", api_url("/notes/{note}"), "note", 200, record="note", api=True,
       data=lambda w, ids: {"body": "Променена бележка", "version": w.note.version}),
    Op("api_note_delete", "delete", api_url("/notes/{note}"), "note", 204, record="note",
       api=True),
    Op("api_attachment_restore", "post", api_url("/attachments/{attachment}/restore"), "change",
       200, record="attachment", api=True, records_deleted=True),
    Op("api_attachment_list", "get", api_url("/companies/{company}/attachments"), "read", 200,
       api=True),
    Op("api_attachment_upload", "post", api_url("/companies/{company}/attachments"), "change",
       201, api=True, multipart=True,
       data=lambda w, ids: {"file": pdf_upload("договор.pdf"), "description": "Договор"}),
    Op("api_attachment_get", "get", api_url("/attachments/{attachment}"), "read", 200,
       record="attachment", api=True),
    Op("api_attachment_download", "get", api_url("/attachments/{attachment}/download"), "read",
       200, record="attachment", api=True),
    Op("api_attachment_delete", "delete", api_url("/attachments/{attachment}"), "change", 204,
       record="attachment", api=True),
    Op("api_contact_restore", "post", api_url("/contacts/{contact}/restore"), "change", 200,
       record="contact", api=True, records_deleted=True),
    Op("api_contact_list", "get", api_url("/contacts"), "any", 200, record=None, api=True),
    Op("api_duplicate_list", "get", api_url("/companies/duplicates"), "any", 200, record=None,
       api=True, twin=True),
    Op("api_duplicate_dismiss", "post", api_url("/companies/duplicates/dismiss"), "change", 204,
       api=True, twin=True, data=lambda w, ids: {"company": ids["company"], "other": ids["twin"]}),
    Op("api_company_merge", "post", api_url("/companies/{company}/merge"), "delete", 200,
       api=True, twin=True,
       data=lambda w, ids: {"other": ids["twin"], "version": w.company.version,
                            "other_version": w.twin.version if w.twin else 1,
                            "fields": {"legal_name": "other"}}),
    Op("api_company_export", "get", api_url("/companies/export?format=xlsx"), "any", 200,
       record=None, api=True),
    Op("api_company_contacts_vcard", "get", api_url("/companies/{company}/vcard"), "read", 200,
       api=True),
    Op("api_contact_export", "get", api_url("/contacts/export?format=csv"), "any", 200,
       record=None, api=True),
    Op("api_contact_export_of_company", "get",
       api_url("/contacts/export?format=vcf&company={company}"), "read", 200, api=True),
    Op("api_contact_vcard", "get", api_url("/contacts/{contact}/vcard"), "read", 200,
       record="contact", api=True),
    Op("api_contact_create", "post", api_url("/contacts"), "change", 201, api=True, hidden=400,
       data=lambda w, ids: {"company": ids["company"], "first_name": "Нов"}),
    Op("api_contact_get", "get", api_url("/contacts/{contact}"), "read", 200, record="contact",
       api=True),
    Op("api_contact_patch", "patch", api_url("/contacts/{contact}"), "change", 200,
       record="contact", api=True,
       data=lambda w, ids: {"version": w.contact.version, "position": "Търговец"}),
    Op("api_contact_delete", "delete", api_url("/contacts/{contact}"), "change", 204,
       record="contact", api=True),
    Op("api_import_list", "get", api_url("/imports"), "any", 200, record=None, api=True,
       imports="ready"),
    Op("api_import_kinds", "get", api_url("/imports/kinds"), "any", 200, record=None, api=True),
    Op("api_import_upload", "post", api_url("/imports"), "create", 201, record=None, api=True,
       multipart=True, data=lambda w, ids: {"kind": "companies", "file": import_upload()}),
    Op("api_import_get", "get", api_url("/imports/{import}"), "see_import", 200,
       record="import", api=True, imports="ready"),
    Op("api_import_report", "get", api_url("/imports/{import}/report"), "see_import", 200,
       record="import", api=True, imports="ready"),
    Op("api_import_configure", "patch", api_url("/imports/{import}"), "own_import", 200,
       record="import", api=True, imports="ready",
       data=lambda w, ids: {"key": "eik", "update": True}),
    Op("api_import_dry_run", "post", api_url("/imports/{import}/dry-run"), "own_import", 200,
       record="import", api=True, imports="ready"),
    Op("api_import_start", "post", api_url("/imports/{import}/start"), "own_import", 202,
       record="import", api=True, imports="ready"),
    Op("api_import_resume", "post", api_url("/imports/{import}/resume"), "own_import", 202,
       record="import", api=True, imports="failed"),
    Op("api_import_undo", "post", api_url("/imports/{import}/undo"), "see_import", 200,
       record="import", api=True, imports="done"),
    Op("api_import_mapping_list", "get", api_url("/imports/mappings"), "any", 200, record=None,
       api=True, imports="ready"),
    Op("api_import_mapping_save", "post", api_url("/imports/mappings"), "create", 201,
       record=None, api=True,
       data=lambda w, ids: {"kind": "companies", "name": "Нова", "columns": {"фирма": "legal_name"}}),
    Op("api_import_mapping_delete", "delete", api_url("/imports/mappings/{mapping}"),
       "own_mapping", 204, record="mapping", api=True, imports="ready"),
    Op("api_search", "get", api_url("/search?q=зетаком"), "any", 200, record=None, api=True),
]


def expected(role: str, op: Op) -> int | str:
    """The answer the rule gives: a status, "hidden" (as if missing) or "login"."""
    if role == "anonymous":
        return "login"
    caps = CAPS[role]
    if op.needs == "any":
        return op.ok
    if op.needs in ("create", "admin"):
        return op.ok if op.needs in caps else 403
    if op.needs == "own_view":
        return op.ok if "own_view" in caps else "hidden"
    if op.needs == "own_mapping":  # the owner's saved mapping: nobody else's business
        return op.ok if role == "owner" else "hidden"
    if op.needs == "see_import":  # the owner's import: the owner and administrators
        return op.ok if role == "owner" or "admin" in caps else "hidden"
    if op.needs == "own_import":  # changing or starting it: the owner only
        return op.ok if role == "owner" else 403 if "admin" in caps else "hidden"
    if "read" not in caps:
        return "hidden"
    return op.ok if op.needs in caps else 403


# --- sending -------------------------------------------------------------------------------------

def api_headers(user) -> dict:
    if user is None:
        return {"HTTP_ACCEPT_LANGUAGE": "en"}
    _token, secret = token_create(actor=None, user=user, name="matrix")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


def send(client: Client, op: Op, world: World, ids: dict, headers: dict):
    path = op.path(ids)
    data = op.data(world, ids) if op.data else None
    if op.method == "get":
        return client.get(path, **headers)
    if op.method == "delete":
        return client.delete(path, **headers)
    if op.api and not op.multipart:
        body = json.dumps(data or {})
        if op.method == "patch":
            return client.patch(path, body, content_type="application/json", **headers)
        return client.post(path, body, content_type="application/json", **headers)
    return client.post(path, data or {}, **headers)


def template_names(response) -> list[str]:
    return [t.name for t in (response.templates or []) if t.name]


def client_for(world: World) -> tuple[Client, dict]:
    client = Client()
    if world.actor is not None:
        client.force_login(world.actor)
    return client, {"HTTP_ACCEPT_LANGUAGE": "en"}


def check_cell(role: str, op: Op) -> None:
    world = build_world(role, company_deleted=op.deleted, records_deleted=op.records_deleted,
                        twin=op.twin, imports=op.imports)
    if op.api:
        client, headers = Client(), api_headers(world.actor)
    else:
        client, headers = client_for(world)
    outcome = expected(role, op)
    before = state()

    response = send(client, op, world, world.ids, headers)

    after = state()
    if outcome == "login":
        if op.api:
            assert response.status_code == 401
            assert response.json()["code"] == "not_authenticated"
        else:
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login") + "?next=")
        assert after == before
    elif outcome == "hidden":
        assert response.status_code == op.hidden, response.content[:300]
        assert after == before
        missing = send(client, op, world, {**world.ids, op.record: MISSING}, headers)
        assert missing.status_code == response.status_code
        if op.api:
            assert response.json() == missing.json()
            if op.hidden == 404:
                assert response.json()["code"] == "not_found"
        else:
            assert template_names(response) == template_names(missing)
        assert state() == before
    elif outcome == 403:
        assert response.status_code == 403, response.content[:300]
        if op.api:
            assert response.json()["code"] == "permission_denied"
        assert after == before
    else:
        assert response.status_code == outcome, response.content[:500]
        if op.writes:
            assert after != before
        else:
            assert after == before


@pytest.mark.parametrize("op", WEB_OPS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_web_view(role, op):
    check_cell(role, op)


@pytest.mark.parametrize("op", API_OPS, ids=str)
@pytest.mark.parametrize("role", ROLES)
def test_api_endpoint(role, op):
    check_cell(role, op)


def test_matrix_covers_every_client_url_name():
    """Every URL name of clients/urls.py is exercised by at least one web operation."""
    from partnera.clients.urls import urlpatterns

    ids = dict.fromkeys(("company", "twin", "contact", "note", "attachment", "view", "bystander",
                         "target", "import", "mapping"), 1)
    covered = {resolve(op.path(ids).split("?")[0]).url_name for op in WEB_OPS}
    assert {p.name for p in urlpatterns} <= covered


def test_matrix_covers_every_import_url_name():
    """Every URL name of imports/urls.py, and every /api/v1/imports endpoint, is exercised."""
    from partnera.imports.api import router
    from partnera.imports.urls import urlpatterns

    ops = [op for op in WEB_OPS if op.name.startswith("import")]
    covered = {resolve(op.path({"import": 1, "mapping": 1})).url_name for op in ops}
    assert {p.name for p in urlpatterns} <= covered
    endpoints = {(method.lower(), "/imports" + path.replace("{int:run_id}", "{import}")
                  .replace("{int:mapping_id}", "{mapping}").rstrip("/"))
                 for path, operations in router.path_operations.items()
                 for operation in operations.operations for method in operation.methods}
    tested = {(op.method, op.path({"import": "{import}", "mapping": "{mapping}"})
               .removeprefix(API)) for op in API_OPS if op.name.startswith("api_import")}
    assert endpoints <= tested


# --- a hidden record never shows anywhere -----------------------------------------------------

@pytest.mark.parametrize("role", LOGGED_IN)
def test_hidden_records_never_listed_counted_or_found(role):
    world = build_world(role)
    visible = "read" in CAPS[role]
    client, headers = client_for(world)
    before = state()

    companies = client.get(reverse("clients:company_list"), **headers)
    filtered = client.get(reverse("clients:company_list"), {"q": "зетаком"}, **headers)
    contacts = client.get(reverse("clients:contact_list"), **headers)
    found = client.get(reverse("core:search"), {"q": "зетаком"}, **headers)
    found_contact = client.get(reverse("core:search"), {"q": CONTACT_LAST}, **headers)
    found_htmx = client.get(reverse("core:search"), {"q": "зетаком"}, HTTP_HX_REQUEST="true",
                            **headers)
    picked = client.get(reverse("clients:company_autocomplete"), {"q": "зетаком"}, **headers)
    picked_label = client.get(reverse("clients:company_autocomplete"),
                              {"parent_label": "Зетаком"}, **headers)
    home = client.get(reverse("home"), **headers)

    for response in (companies, filtered, contacts, found, found_contact, found_htmx, picked,
                     picked_label, home):
        assert response.status_code == 200
    assert (COMPANY_NAME in companies.content.decode()) is visible
    assert companies.context["count"] == int(visible)
    assert [c.pk for c in companies.context["page"].items] == ([world.company.pk] if visible else [])
    assert filtered.context["count"] == int(visible)
    assert (CONTACT_LAST in contacts.content.decode()) is visible
    assert contacts.context["count"] == int(visible)
    assert (COMPANY_NAME in found.content.decode()) is visible
    # A contact is found by their company's name too.
    assert [(h.kind, h.pk) for h in found.context["hits"]] == (
        [("company", world.company.pk), ("contact", world.contact.pk)] if visible else [])
    assert [h.pk for h in found_contact.context["hits"]] == (
        [world.contact.pk] if visible else [])
    assert (COMPANY_NAME in found_htmx.content.decode()) is visible
    assert (COMPANY_NAME in picked.content.decode()) is visible
    assert (COMPANY_NAME in picked_label.content.decode()) is visible
    assert (COMPANY_NAME in home.content.decode()) is visible
    assert (NOTE_BODY in home.content.decode()) is visible

    api = Client()
    auth = api_headers(world.actor)
    listed = api.get(f"{API}/companies", **auth).json()
    searched = api.get(f"{API}/companies", {"q": "зетаком"}, **auth).json()
    listed_contacts = api.get(f"{API}/contacts", **auth).json()
    searched_contacts = api.get(f"{API}/contacts", {"q": CONTACT_LAST}, **auth).json()
    by_company = api.get(f"{API}/contacts", {"company": world.company.pk}, **auth).json()
    assert [c["id"] for c in listed["items"]] == ([world.company.pk] if visible else [])
    assert listed["count"] == int(visible)
    assert searched["count"] == int(visible)
    assert [c["id"] for c in listed_contacts["items"]] == ([world.contact.pk] if visible else [])
    assert listed_contacts["count"] == int(visible)
    assert searched_contacts["count"] == int(visible)
    assert by_company["count"] == int(visible)
    searched_all = api.get(f"{API}/search", {"q": "зетаком"}, **auth).json()
    assert [(h["kind"], h["id"]) for h in searched_all["items"]] == (
        [("company", world.company.pk), ("contact", world.contact.pk)] if visible else [])
    assert state() == before


@pytest.mark.parametrize("role", LOGGED_IN)
def test_hidden_deleted_company_never_in_the_trash(role):
    world = build_world(role, company_deleted=True)
    visible = "read" in CAPS[role]
    client, headers = client_for(world)

    trash = client.get(reverse("clients:company_trash"), **headers)

    assert trash.status_code == 200
    assert (COMPANY_NAME in trash.content.decode()) is visible
    assert [c.pk for c in trash.context["page"].items] == ([world.company.pk] if visible else [])


@pytest.mark.parametrize("role", [r for r in LOGGED_IN if "read" in CAPS[r]])
def test_company_page_shows_shares_only_to_who_may_change(role):
    """The list of people a company is shared with is part of managing it, not of reading it."""
    world = build_world(role)
    client, headers = client_for(world)

    page = client.get(reverse("clients:company_detail", args=[world.company.pk]), **headers)

    shares = {s.user_id for s in page.context["shares"]}
    if "change" in CAPS[role]:
        assert world.bystander.pk in shares
    else:
        assert shares == set()


def test_a_head_of_sales_sees_their_team_members_companies_outside_the_team():
    """A company owned by a member of a headed team but filed under no team is still the head's."""
    team = TeamFactory(shares_clients=False)
    head = new_user(Role.HEAD_OF_SALES, username="boss")
    team.head = head
    team.save()
    member = new_user(Role.ACCOUNT_MANAGER, team=team, username="member")
    company = CompanyFactory(owner=member, team=None, legal_name="Извън Екипа")
    api = Client()

    seen = api.get(f"{API}/companies/{company.pk}", **api_headers(head))
    outsider = api.get(f"{API}/companies/{company.pk}",
                       **api_headers(new_user(Role.HEAD_OF_SALES, username="boss2")))

    assert seen.status_code == 200
    assert outsider.status_code == 404


# --- references to records the reader may not see ------------------------------------------------

def test_references_to_hidden_companies_are_refused_like_missing_ones():
    """Pointing a contact, a parent or a referrer at a hidden company answers exactly like
    pointing at a company that does not exist, and changes nothing."""
    world = build_world("owner")
    hidden = CompanyFactory(owner=new_user(Role.ACCOUNT_MANAGER, team=TeamFactory(),
                                           username="stranger"), legal_name="Скрита Фирма")
    api, auth = Client(), api_headers(world.owner)
    calls = [
        ("patch", f"/contacts/{world.contact.pk}", {"version": world.contact.version,
                                                     "company": "{id}"}),
        ("patch", f"/companies/{world.company.pk}", {"version": world.company.version,
                                                      "parent": "{id}"}),
        ("patch", f"/companies/{world.company.pk}", {"version": world.company.version,
                                                      "referred_by": "{id}"}),
        ("post", "/contacts", {"company": "{id}", "first_name": "Нов"}),
    ]
    before = state()
    for method, path, body in calls:
        answers = []
        for target in (hidden.pk, MISSING):
            payload = {k: (target if v == "{id}" else v) for k, v in body.items()}
            response = getattr(api, method)(API + path, json.dumps(payload),
                                            content_type="application/json", **auth)
            answers.append((response.status_code, response.json()))
        assert answers[0] == answers[1], (path, body)
        assert answers[0][0] == 400
    assert "Скрита" not in json.dumps(answers)
    assert state() == before


def test_company_page_does_not_reveal_a_hidden_parent_or_referrer():
    """An administrator links the owner's company to a company the owner may not see. The owner's
    company page (details and timeline) and the API must not show that company's name.

    The timeline shows the audit entry of the change, and core.audit.snapshot records foreign
    keys by their label (str(company)), so the hidden company's legal name is shown.
    """
    world = build_world("owner")
    stranger = new_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="stranger")
    hidden = CompanyFactory(owner=stranger, legal_name="Скрита Майка")
    referrer = CompanyFactory(owner=stranger, legal_name="Скрит Препоръчител")
    admin = new_user(Role.ADMINISTRATOR, username="admin")
    services.company_update(actor=admin, company=Company.objects.get(pk=world.company.pk),
                            data={"parent": hidden.pk, "referred_by": referrer.pk},
                            expected_version=world.company.version)
    client, headers = client_for(world)

    page = client.get(reverse("clients:company_detail", args=[world.company.pk]), **headers)
    older = client.get(reverse("clients:company_timeline", args=[world.company.pk]),
                       {"before": "2999-01-01T00:00:00+00:00"}, **headers)
    over_api = Client().get(f"{API}/companies/{world.company.pk}", **api_headers(world.owner))

    assert page.status_code == older.status_code == over_api.status_code == 200
    assert page.context["parent"] is None
    assert page.context["referred_by"] is None
    assert "Скрит" not in over_api.content.decode()
    assert "Скрит" not in older.content.decode()
    assert "Скрит" not in page.content.decode()
