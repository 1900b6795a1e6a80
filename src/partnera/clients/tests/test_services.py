"""Writes to the client base: every service validates, checks the right, writes, and audits.

Every refused or invalid write is checked twice: the exact domain error, and that the database
is exactly as it was before (business rows, tags, shares, audit entry count).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone, translation

from partnera.clients import selectors, services
from partnera.clients.models import Attachment, Company, Contact, Note, Stage, Tag, Tier
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory, valid_eik
from partnera.core.context import Channel, acting
from partnera.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

EIK = "175074752"
OTHER_EIK = "121817309"
PDF_BYTES = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
             b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
PNG_BYTES = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(exc_type, func, **kwargs):
    """Call `func`, expect `exc_type`, and assert that nothing in the database changed."""
    before = db_state()
    with pytest.raises(exc_type) as info:
        func(**kwargs)
    assert db_state() == before
    return info.value


def last_audit() -> AuditEntry:
    return AuditEntry.objects.order_by("-id").first()


@pytest.fixture
def key_account_manager(make_user, team):
    return make_user(Role.KEY_ACCOUNT_MANAGER, team=team, username="kam")


@pytest.fixture
def marketing(make_user):
    return make_user(Role.MARKETING, username="marketing")


@pytest.fixture
def own_company(manager):
    return CompanyFactory(owner=manager, legal_name="Собствена ООД", eik=EIK,
                          vat_number=f"BG{EIK}")


# --- company create -------------------------------------------------------------------------------

def test_create_company_defaults_normalises_tags_and_audits(manager, team):
    # Given an account manager in a team, working through the API
    data = {
        "legal_name": "  Алфа Трейд  ", "legal_form": "OOD", "eik": "BG 175 074 752",
        "vat_number": "175074752", "phones": "0888 123 456, (02) 981 11 11",
        "emails": "Office@Alfa.BG; office@alfa.bg", "city": "Пловдив", "country": "bg",
        "tags": "склад, Склад, vip",
    }
    # When they create a company
    with acting(Channel.API, ip="10.0.0.7"):
        company = services.company_create(actor=manager, data=data)

    # Then it is theirs, in their team, normalised, versioned, tagged and searchable
    company.refresh_from_db()
    assert company.owner == manager
    assert company.team == team
    assert company.created_by == manager
    assert company.legal_name == "Алфа Трейд"
    assert company.eik == EIK
    assert company.vat_number == f"BG{EIK}"
    assert company.phones == ["+359888123456", "+35929811111"]
    assert company.emails == ["office@alfa.bg"]
    assert company.country == "BG"
    assert company.stage == Stage.PROSPECT
    assert company.tier == Tier.STANDARD
    assert company.version == 1
    assert sorted(t.name for t in company.tags.all()) == ["vip", "склад"]
    assert Tag.objects.count() == 2
    assert selectors.company_autocomplete(user=manager, query="алфа трейд") == [company]
    assert selectors.company_autocomplete(user=manager, query="0888123456") == [company]
    # And one audit entry says who, through which channel, and every value set
    entry = AuditEntry.objects.get()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.actor == manager
    assert entry.actor_repr == "manager"
    assert entry.channel == Channel.API
    assert entry.ip == "10.0.0.7"
    assert entry.object_type == "clients.company"
    assert entry.object_id == str(company.pk)
    assert entry.company_id == company.pk
    assert entry.changes["legal_name"] == [None, "Алфа Трейд"]
    assert entry.changes["eik"] == [None, EIK]
    assert entry.changes["phones"] == [None, ["+359888123456", "+35929811111"]]
    assert entry.changes["owner"] == [None, str(manager)]
    assert entry.changes["team"] == [None, str(team)]
    assert entry.changes["tags"] == [None, ["vip", "склад"]]
    assert "credit_limit" not in entry.changes


def test_create_reuses_existing_tag_whatever_its_case(manager):
    Tag.objects.create(name="VIP")

    company = services.company_create(actor=manager, data={"legal_name": "Бета", "tags": ["vip"]})

    assert [t.name for t in company.tags.all()] == ["VIP"]
    assert Tag.objects.count() == 1


BAD_COMPANY_FIELDS = [
    ({"eik": "175074753"}, {"eik": ["This EIK/BULSTAT fails its check digit."]}),
    ({"eik": "12345"}, {"eik": ["An EIK/BULSTAT has 9 or 13 digits."]}),
    ({"vat_number": "BG175074753"}, {"vat_number": ["This VAT number fails its check digit."]}),
    ({"vat_number": "XX1"},
     {"vat_number": ["Enter a VAT number with its country code, e.g. BG175074752."]}),
    ({"emails": "office@"}, {"emails": ["“office@” is not an e-mail address."]}),
    ({"phones": "0888"}, {"phones": ["“0888” is not a valid phone number."]}),
    ({"phones": 123}, {"phones": ["Expected a list of values."]}),
    ({"emails": {"a": "b"}}, {"emails": ["Expected a list of values."]}),
    ({"legal_name": "Я" * 256},
     {"legal_name": ["Ensure this value has at most 255 characters (it has 256)."]}),
    ({"legal_name": ""}, {"legal_name": ["This field cannot be blank."]}),
    ({"legal_name": "   "}, {"legal_name": ["This field cannot be blank."]}),
    ({"legal_name": 123}, {"legal_name": ["Expected text."]}),
    ({"legal_name": ["a"]}, {"legal_name": ["Expected text."]}),
    ({"stage": "bogus"}, {"stage": ["Value 'bogus' is not a valid choice."]}),
    ({"tier": 7}, {"tier": ["Expected text."]}),
    ({"legal_form": "LLC"}, {"legal_form": ["Value 'LLC' is not a valid choice."]}),
    ({"website": "not a url"}, {"website": ["Enter a valid URL."]}),
    ({"country": "Bulgaria"},
     {"country": ["Ensure this value has at most 2 characters (it has 8)."]}),
    ({"owner": 987654}, {"owner": ["Choose an active user."]}),
    ({"owner": "abc"}, {"owner": ["Choose an active user."]}),
    ({"team": 987654}, {"team": ["Choose an existing team."]}),
    ({"parent": 987654}, {"parent": ["Choose a company you can see."]}),
    ({"tags": ["x" * 61]}, {"tags": ["A tag has at most 60 characters."]}),
    ({"tags": 5}, {"tags": ["Expected a list of values."]}),
    ({"eik": "1", "emails": "x", "stage": "bogus"}, {
        "eik": ["An EIK/BULSTAT has 9 or 13 digits."],
        "emails": ["“x” is not an e-mail address."],
        "stage": ["Value 'bogus' is not a valid choice."],
    }),
]


@pytest.mark.parametrize(("bad", "fields"), BAD_COMPANY_FIELDS)
def test_create_with_a_bad_field_is_refused_and_changes_nothing(manager, bad, fields):
    data = {"legal_name": "Валидна ЕООД", "eik": EIK, **bad}

    exc = refused(ValidationFailed, services.company_create, actor=manager, data=data)

    assert exc.code == "validation_error"
    assert exc.status == 400
    assert exc.fields == fields


NUL_MESSAGE = "The text contains a character that is not allowed."


@pytest.mark.parametrize(("bad", "fields"), [
    ({"legal_name": "Алфа\x00Бета"}, {"legal_name": [NUL_MESSAGE]}),
    ({"city": "\x00"}, {"city": [NUL_MESSAGE]}),
])
def test_nul_characters_are_refused_not_a_database_error(manager, bad, fields):
    # PostgreSQL cannot store NUL; the answer is a field error on both databases.
    data = {"legal_name": "Валидна", **bad}

    exc = refused(ValidationFailed, services.company_create, actor=manager, data=data)

    assert exc.fields == fields


def test_nul_in_list_values_is_dropped(manager):
    company = services.company_create(actor=manager, data={
        "legal_name": "Т", "tags": "в\x00ип", "emails": "a\x00b@firma.bg, \x00",
        "phones": ["0888\x00 123 456"]})

    company.refresh_from_db()
    assert [t.name for t in company.tags.all()] == ["вип"]
    assert company.emails == ["ab@firma.bg"]
    assert company.phones == ["+359888123456"]


def test_create_without_legal_name_is_refused(manager):
    exc = refused(ValidationFailed, services.company_create, actor=manager, data={"eik": EIK})

    assert exc.fields == {"legal_name": ["This field cannot be blank."]}


AMOUNT_FORMAT = "Enter an amount, e.g. 12500, 12,500.50 or 12 500,50."
BAD_CONFIDENTIAL = [
    ({"credit_limit": "abc"}, {"credit_limit": [AMOUNT_FORMAT]}),
    ({"credit_limit": "-1"}, {"credit_limit": ["Enter an amount between 0 and 999,999,999,999.99."]}),
    ({"credit_limit": "1 000 000 000 000"},
     {"credit_limit": ["Enter an amount between 0 and 999,999,999,999.99."]}),
    ({"credit_limit": "1e12"}, {"credit_limit": [AMOUNT_FORMAT]}),
    ({"credit_limit": "NaN"}, {"credit_limit": [AMOUNT_FORMAT]}),
    ({"credit_limit": "15,0000"},
     {"credit_limit": ["Enter at most two decimals (cents), e.g. 1955.83 or 1 955,83."]}),
    ({"credit_limit": [1]}, {"credit_limit": [AMOUNT_FORMAT]}),
    ({"payment_terms_days": "soon"}, {"payment_terms_days": ["Enter a whole number."]}),
    ({"payment_terms_days": -3}, {"payment_terms_days": ["Enter a number between 0 and 3650."]}),
    ({"payment_terms_days": True}, {"payment_terms_days": ["Enter a whole number."]}),
    ({"credit_terms": "x" * 2001},
     {"credit_terms": ["Ensure this value has at most 2000 characters (it has 2001)."]}),
]


@pytest.mark.parametrize(("bad", "fields"), BAD_CONFIDENTIAL)
def test_bad_confidential_value_is_refused_for_a_role_holding_the_right(head_of_sales, bad, fields):
    data = {"legal_name": "Валидна ЕООД", **bad}

    exc = refused(ValidationFailed, services.company_create, actor=head_of_sales, data=data)

    assert exc.fields == fields


def test_department_member_may_not_create_a_company(make_user):
    clerk = make_user(Role.DEPARTMENT)

    exc = refused(PermissionDenied, services.company_create, actor=clerk,
                  data={"legal_name": "Нова"})

    assert exc.code == "permission_denied"
    assert exc.status == 403


# --- duplicate EIK --------------------------------------------------------------------------------

def test_duplicate_eik_of_a_visible_company_names_it(manager, own_company):
    exc = refused(ValidationFailed, services.company_create, actor=manager,
                  data={"legal_name": "Копие", "eik": f"BG {EIK}"})

    assert exc.fields == {"eik": ["“Собствена ООД” already has this EIK."]}


def test_duplicate_eik_of_an_invisible_company_does_not_leak_its_name(manager, other_manager):
    CompanyFactory(owner=other_manager, legal_name="Тайна АД", eik=EIK)

    exc = refused(ValidationFailed, services.company_create, actor=manager,
                  data={"legal_name": "Копие", "eik": EIK})

    assert exc.fields == {"eik": ["A company with this EIK is already in the client base."]}
    assert "Тайна" not in str(exc.as_dict())


def test_update_to_an_eik_already_taken_is_refused(manager, own_company):
    second = CompanyFactory(owner=manager, eik=OTHER_EIK)

    exc = refused(ValidationFailed, services.company_update, actor=manager, company=second,
                  data={"eik": EIK}, expected_version=second.version)

    assert exc.fields == {"eik": ["“Собствена ООД” already has this EIK."]}


def test_eik_of_a_deleted_company_may_be_used_again(manager, own_company):
    services.company_delete(actor=manager, company=own_company)

    company = services.company_create(actor=manager, data={"legal_name": "Наследник", "eik": EIK})

    assert company.eik == EIK
    assert Company.all_objects.filter(eik=EIK).count() == 2


# --- update and optimistic locking ----------------------------------------------------------------

def test_update_writes_changed_fields_bumps_version_and_audits_field_changes(manager, own_company):
    phones_before = list(own_company.phones)
    with acting(Channel.WEB):
        services.company_update(actor=manager, company=own_company, expected_version=1,
                                data={"city": "Варна", "phones": ["+359 52 600 000"],
                                      "stage": Stage.DORMANT})

    own_company.refresh_from_db()
    assert own_company.city == "Варна"
    assert own_company.phones == ["+35952600000"]
    assert own_company.stage == Stage.DORMANT
    assert own_company.version == 2
    entry = last_audit()
    assert entry.action == AuditEntry.Action.UPDATE
    assert entry.channel == Channel.WEB
    assert entry.changes == {
        "city": ["София", "Варна"],
        "phones": [phones_before, ["+35952600000"]],
        "stage": [Stage.ACTIVE, Stage.DORMANT],
    }
    assert selectors.company_autocomplete(user=manager, query="варна") == [own_company]


def test_update_without_changes_writes_no_audit_entry(manager, own_company):
    count = AuditEntry.objects.count()

    services.company_update(actor=manager, company=own_company, expected_version=1,
                            data={"city": "София"})

    assert AuditEntry.objects.count() == count
    own_company.refresh_from_db()
    assert own_company.version == 2


def test_update_with_a_stale_version_is_a_conflict_and_changes_nothing(manager, own_company):
    Company.objects.filter(pk=own_company.pk).update(version=2)
    own_company.refresh_from_db()

    exc = refused(VersionConflict, services.company_update, actor=manager, company=own_company,
                  data={"city": "Бургас"}, expected_version=1)

    assert exc.code == "version_conflict"
    assert exc.status == 409
    assert "Someone else changed this record" in exc.message


def test_two_people_editing_the_same_company_never_overwrite_each_other(manager, head_of_sales,
                                                                       own_company):
    # Given two people who opened the same company (version 1)
    mine = selectors.company_get(user=manager, pk=own_company.pk)
    theirs = selectors.company_get(user=head_of_sales, pk=own_company.pk)
    # When the first saves
    services.company_update(actor=head_of_sales, company=theirs, data={"city": "Русе"},
                            expected_version=theirs.version)
    # Then the second's save is refused, with nothing written over the first's
    exc = refused(VersionConflict, services.company_update, actor=manager, company=mine,
                  data={"city": "Плевен"}, expected_version=mine.version)
    assert exc.code == "version_conflict"
    stored = Company.objects.get(pk=own_company.pk)
    assert stored.city == "Русе"
    assert stored.version == 2


def test_stale_copy_without_expected_version_is_still_a_conflict(manager, head_of_sales,
                                                                 own_company):
    mine = Company.objects.get(pk=own_company.pk)
    theirs = Company.objects.get(pk=own_company.pk)
    services.company_update(actor=head_of_sales, company=theirs, data={"city": "Русе"},
                            expected_version=None)

    refused(VersionConflict, services.company_update, actor=manager, company=mine,
            data={"city": "Плевен"}, expected_version=None)

    assert Company.objects.get(pk=own_company.pk).city == "Русе"


@pytest.mark.parametrize(("bad", "fields"), BAD_COMPANY_FIELDS[:14])
def test_update_with_a_bad_field_is_refused_and_changes_nothing(manager, own_company, bad, fields):
    exc = refused(ValidationFailed, services.company_update, actor=manager, company=own_company,
                  data=bad, expected_version=1)

    assert exc.fields == fields


def test_update_of_a_company_the_actor_may_not_change_is_refused(marketing, own_company):
    exc = refused(PermissionDenied, services.company_update, actor=marketing,
                  company=own_company, data={"city": "Бургас"}, expected_version=1)

    assert exc.code == "permission_denied"


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.HEAD_OF_SALES,
                                  Role.KEY_ACCOUNT_MANAGER, Role.DEPARTMENT])
def test_every_write_to_an_invisible_company_answers_not_found(make_user, settings, own_company,
                                                               role):
    # Given someone outside the owner's team, whatever their role (a head of another team too)
    outsider = make_user(role, team=TeamFactory())
    contact = ContactFactory(company=own_company)
    note = NoteFactory(company=own_company, created_by=outsider)
    writes = [
        (services.company_update, {"company": own_company, "data": {"city": "X"},
                                   "expected_version": 1}),
        (services.company_delete, {"company": own_company}),
        (services.company_share, {"company": own_company, "user": outsider}),
        (services.company_unshare, {"company": own_company, "user": outsider}),
        (services.contact_update, {"contact": contact, "data": {"position": "X"},
                                   "expected_version": 1}),
        (services.contact_delete, {"contact": contact}),
        (services.note_create, {"company": own_company, "data": {"body": "X"}}),
        (services.note_update, {"note": note, "data": {"body": "X"}, "expected_version": 1}),
        (services.note_delete, {"note": note}),
        (services.attachment_add, {"company": own_company,
                                   "upload": SimpleUploadedFile("a.pdf", PDF_BYTES)}),
    ]
    for write, kwargs in writes:
        exc = refused(NotFound, write, actor=outsider, **kwargs)
        assert exc.code == "not_found", write.__name__
    assert stored_files(settings) == []


# --- confidential fields --------------------------------------------------------------------------

CONFIDENTIAL_DATA = {"credit_limit": "15 000,50", "payment_terms_days": "30",
                     "credit_terms": "Авансово плащане", "financial_notes": "Закъснява"}


def test_account_manager_may_not_set_confidential_fields_on_create(manager):
    exc = refused(PermissionDenied, services.company_create, actor=manager,
                  data={"legal_name": "Нова", "credit_limit": "1000"})

    assert exc.fields == {"credit_limit": ["Not permitted for your role."]}
    assert exc.message == "Your role may not see or change credit terms and financial notes."


@pytest.mark.parametrize("data", [
    {"credit_limit": "1000"},
    {"payment_terms_days": 0},
    {"financial_notes": "добър платец"},
    {"credit_limit": "abc"},
])
def test_account_manager_may_not_change_confidential_fields(manager, own_company, data):
    exc = refused(PermissionDenied, services.company_update, actor=manager, company=own_company,
                  data=data, expected_version=1)

    assert exc.fields == {name: ["Not permitted for your role."] for name in data}


def test_account_manager_cannot_wipe_or_probe_confidential_values(manager, own_company):
    # Given a company with a credit limit the manager may not see
    Company.objects.filter(pk=own_company.pk).update(credit_limit=Decimal("5000.00"),
                                                     credit_terms="30 дни")
    own_company.refresh_from_db()
    # When the manager sends the field empty (e.g. an API client sending every field)
    services.company_update(actor=manager, company=own_company, expected_version=1,
                            data={"city": "Шумен", "credit_limit": None, "credit_terms": ""})
    # Then the other change is saved and the confidential values are kept, and not audited
    own_company.refresh_from_db()
    assert own_company.city == "Шумен"
    assert own_company.credit_limit == Decimal("5000.00")
    assert own_company.credit_terms == "30 дни"
    assert set(last_audit().changes) == {"city"}
    # And sending the stored value itself is refused like any other (no way to confirm it)
    refused(PermissionDenied, services.company_update, actor=manager, company=own_company,
            data={"credit_limit": "5000.00"}, expected_version=2)


@pytest.mark.parametrize("role", [Role.KEY_ACCOUNT_MANAGER, Role.HEAD_OF_SALES,
                                  Role.ADMINISTRATOR])
def test_roles_holding_the_right_set_confidential_fields(make_user, team, role):
    actor = make_user(role, team=team)

    company = services.company_create(actor=actor, data={"legal_name": "Кредит", **CONFIDENTIAL_DATA})

    company.refresh_from_db()
    assert company.credit_limit == Decimal("15000.50")
    assert company.payment_terms_days == 30
    assert company.credit_terms == "Авансово плащане"
    assert company.financial_notes == "Закъснява"
    assert last_audit().changes["credit_limit"] == [None, "15000.50"]

    services.company_update(actor=actor, company=company, expected_version=1,
                            data={"credit_limit": "20000", "city": "Сливен"})

    company.refresh_from_db()
    assert company.credit_limit == Decimal("20000.00")
    assert last_audit().changes == {"credit_limit": ["15000.50", "20000.00"],
                                    "city": ["", "Сливен"]}


def test_updating_a_company_that_has_a_credit_limit_audits_only_what_changed(head_of_sales,
                                                                            own_company):
    Company.objects.filter(pk=own_company.pk).update(credit_limit=Decimal("5000.00"))
    own_company.refresh_from_db()

    services.company_update(actor=head_of_sales, company=own_company, expected_version=1,
                            data={"city": "Ямбол"})

    assert last_audit().changes == {"city": ["София", "Ямбол"]}


# --- owner reassignment ---------------------------------------------------------------------------

def test_account_manager_may_not_give_a_new_company_to_someone_else(manager, other_manager):
    exc = refused(ValidationFailed, services.company_create, actor=manager,
                  data={"legal_name": "Чужда", "owner": other_manager.pk})

    assert exc.fields == {
        "owner": ["Only a head of sales or an administrator assigns clients to someone else."]}


@pytest.mark.parametrize("role", [Role.ACCOUNT_MANAGER, Role.KEY_ACCOUNT_MANAGER])
def test_managers_may_not_reassign_an_existing_company(make_user, team, manager, own_company,
                                                       other_manager, role):
    actor = manager if role == Role.ACCOUNT_MANAGER else make_user(role, team=team)

    exc = refused(ValidationFailed, services.company_update, actor=actor, company=own_company,
                  data={"owner": other_manager.pk}, expected_version=1)

    assert exc.fields == {
        "owner": ["Only a head of sales or an administrator assigns clients to someone else."]}


def test_manager_may_not_take_over_a_teammates_company(make_user, team, manager):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    company = CompanyFactory(owner=teammate)

    exc = refused(ValidationFailed, services.company_update, actor=manager, company=company,
                  data={"owner": manager.pk}, expected_version=1)

    assert list(exc.fields) == ["owner"]


def test_manager_may_not_orphan_their_company(manager, own_company):
    exc = refused(ValidationFailed, services.company_update, actor=manager, company=own_company,
                  data={"owner": ""}, expected_version=1)

    assert list(exc.fields) == ["owner"]


def test_manager_may_resubmit_the_same_owner(manager, own_company):
    services.company_update(actor=manager, company=own_company, data={"owner": manager.pk},
                            expected_version=1)

    own_company.refresh_from_db()
    assert own_company.owner == manager
    assert own_company.version == 2


@pytest.mark.parametrize("who", ["head", "admin"])
def test_head_of_sales_and_administrator_reassign(head_of_sales, admin_user, own_company,
                                                  other_manager, manager, who):
    actor = head_of_sales if who == "head" else admin_user

    services.company_update(actor=actor, company=own_company, data={"owner": other_manager.pk},
                            expected_version=1)

    own_company.refresh_from_db()
    assert own_company.owner == other_manager
    assert last_audit().changes == {"owner": [str(manager), str(other_manager)]}


# --- parents --------------------------------------------------------------------------------------

def test_parent_cycle_is_refused(manager):
    holding = CompanyFactory(owner=manager, legal_name="Холдинг")
    daughter = CompanyFactory(owner=manager, legal_name="Дъщерна", parent=holding)
    granddaughter = CompanyFactory(owner=manager, legal_name="Внучка", parent=daughter)

    exc = refused(ValidationFailed, services.company_update, actor=manager, company=holding,
                  data={"parent": granddaughter.pk}, expected_version=1)

    assert exc.fields == {"parent": ["This would make the company a subsidiary of itself."]}


def test_company_cannot_be_its_own_parent_or_referrer(manager, own_company):
    exc = refused(ValidationFailed, services.company_update, actor=manager, company=own_company,
                  data={"parent": own_company.pk, "referred_by": own_company.pk},
                  expected_version=1)

    assert exc.fields == {"parent": ["A company cannot be its own parent."],
                          "referred_by": ["A company cannot refer itself."]}


def test_valid_parent_is_set_and_audited(manager, own_company):
    holding = CompanyFactory(owner=manager, legal_name="Холдинг")

    services.company_update(actor=manager, company=own_company, data={"parent": holding.pk},
                            expected_version=1)

    own_company.refresh_from_db()
    assert own_company.parent == holding
    # the id rides along so the timeline can hide the name from readers who may not see it
    assert last_audit().changes == {"parent": [None, "Холдинг"], "parent_id": [None, holding.pk]}


def test_invisible_parent_is_refused(manager, other_manager, own_company):
    hidden = CompanyFactory(owner=other_manager)

    exc = refused(ValidationFailed, services.company_update, actor=manager, company=own_company,
                  data={"parent": hidden.pk}, expected_version=1)

    assert exc.fields == {"parent": ["Choose a company you can see."]}


# --- soft delete and restore ----------------------------------------------------------------------

def test_delete_is_soft_audited_and_restorable(manager, own_company):
    ContactFactory(company=own_company)

    with acting(Channel.WEB):
        services.company_delete(actor=manager, company=own_company)

    assert not Company.objects.filter(pk=own_company.pk).exists()
    stored = Company.all_objects.get(pk=own_company.pk)
    assert stored.deleted_at is not None
    assert stored.deleted_by == manager
    assert stored.version == 2
    assert last_audit().action == AuditEntry.Action.DELETE
    assert last_audit().channel == Channel.WEB
    with pytest.raises(NotFound):
        selectors.company_get(user=manager, pk=own_company.pk)
    assert selectors.contact_list(user=manager).count() == 0
    assert list(selectors.company_deleted_list(user=manager)) == [stored]

    services.company_restore(actor=manager, company=stored)

    restored = Company.objects.get(pk=own_company.pk)
    assert restored.deleted_at is None
    assert restored.deleted_by is None
    assert restored.version == 3
    assert last_audit().action == AuditEntry.Action.RESTORE
    assert selectors.company_get(user=manager, pk=own_company.pk) == restored
    assert selectors.contact_list(user=manager).count() == 1


def test_restore_is_refused_when_another_live_company_took_the_eik(manager, own_company):
    services.company_delete(actor=manager, company=own_company)
    services.company_create(actor=manager, data={"legal_name": "Нова", "eik": EIK})
    deleted = Company.all_objects.get(pk=own_company.pk)

    exc = refused(Conflict, services.company_restore, actor=manager, company=deleted)

    assert exc.code == "conflict"
    assert exc.status == 409
    assert exc.message == ("Another company now has this EIK; merge or change it before "
                           "restoring.")


@pytest.mark.parametrize("role", [Role.MARKETING, Role.KEY_ACCOUNT_MANAGER, Role.ACCOUNT_MANAGER])
def test_only_owner_head_or_admin_deletes(make_user, team, own_company, role):
    actor = make_user(role, team=team)

    refused(PermissionDenied, services.company_delete, actor=actor, company=own_company)


# --- sharing --------------------------------------------------------------------------------------

def test_share_and_unshare_change_visibility(manager, other_manager, own_company):
    with pytest.raises(NotFound):
        selectors.company_get(user=other_manager, pk=own_company.pk)

    services.company_share(actor=manager, company=own_company, user=other_manager)

    assert selectors.company_get(user=other_manager, pk=own_company.pk) == own_company
    assert RecordShare.objects.get().granted_by == manager
    assert last_audit().action == AuditEntry.Action.SHARE
    assert last_audit().changes == {"shared_with": [None, "other"]}
    # Sharing twice changes nothing
    before = db_state()
    services.company_share(actor=manager, company=own_company, user=other_manager)
    assert db_state() == before

    services.company_unshare(actor=manager, company=own_company, user=other_manager)

    assert RecordShare.objects.count() == 0
    assert last_audit().changes == {"shared_with": ["other", None]}
    with pytest.raises(NotFound):
        selectors.company_get(user=other_manager, pk=own_company.pk)


def test_share_by_someone_who_may_not_change_the_company_is_refused(marketing, own_company,
                                                                   other_manager):
    refused(PermissionDenied, services.company_share, actor=marketing, company=own_company,
            user=other_manager)


# --- contacts -------------------------------------------------------------------------------------

def test_create_contact_normalises_and_audits(manager, own_company):
    contact = services.contact_create(actor=manager, data={
        "company": own_company.pk, "first_name": " Мария ", "last_name": "Иванова",
        "phones": "0888 123 456", "emails": "Maria@Firma.BG", "preferred_channel": "email",
    })

    contact.refresh_from_db()
    assert contact.company == own_company
    assert contact.first_name == "Мария"
    assert contact.phones == ["+359888123456"]
    assert contact.emails == ["maria@firma.bg"]
    assert contact.marketing_consent is False
    assert contact.consent_date is None
    entry = last_audit()
    assert entry.action == AuditEntry.Action.CREATE
    assert entry.object_type == "clients.contact"
    assert entry.company_id == own_company.pk
    assert entry.changes["first_name"] == [None, "Мария"]


def test_marketing_consent_requires_a_source(manager, own_company):
    exc = refused(ValidationFailed, services.contact_create, actor=manager, data={
        "company": own_company.pk, "first_name": "Мария", "marketing_consent": True,
    })

    assert exc.fields == {
        "consent_source": ["Say where the consent was given (form, meeting, e-mail …)."]}


def test_marketing_consent_with_a_source_is_dated_today(manager, own_company):
    contact = services.contact_create(actor=manager, data={
        "company": own_company.pk, "first_name": "Мария", "marketing_consent": "on",
        "consent_source": "Формуляр на щанда",
    })

    contact.refresh_from_db()
    assert contact.marketing_consent is True
    assert contact.consent_date == timezone.localdate()
    assert contact.consent_source == "Формуляр на щанда"


def test_given_consent_date_is_kept_and_withdrawn_consent_clears_it(manager, own_company):
    contact = services.contact_create(actor=manager, data={
        "company": own_company.pk, "first_name": "Мария", "marketing_consent": True,
        "consent_source": "e-mail", "consent_date": "2025-03-01",
    })
    assert contact.consent_date == dt.date(2025, 3, 1)

    services.contact_update(actor=manager, contact=contact, data={"marketing_consent": False},
                            expected_version=1)

    contact.refresh_from_db()
    assert contact.marketing_consent is False
    assert contact.consent_date is None
    assert last_audit().changes["consent_date"] == ["2025-03-01", None]


BAD_CONTACT_FIELDS = [
    ({"first_name": ""}, {"first_name": ["This field cannot be blank."]}),
    ({"first_name": "И" * 101},
     {"first_name": ["Ensure this value has at most 100 characters (it has 101)."]}),
    ({"phones": "12"}, {"phones": ["“12” is not a valid phone number."]}),
    ({"emails": "maria"}, {"emails": ["“maria” is not an e-mail address."]}),
    ({"marketing_consent": "maybe"}, {"marketing_consent": ["Expected yes or no."]}),
    ({"consent_date": "01.03.2025", "marketing_consent": True, "consent_source": "x"},
     {"consent_date": ["Enter a date as YYYY-MM-DD."]}),
    ({"preferred_channel": "pigeon"},
     {"preferred_channel": ["Value 'pigeon' is not a valid choice."]}),
    ({"first_name": "Ма\x00рия"}, {"first_name": [NUL_MESSAGE]}),
    ({"company": "1\x00"}, {"company": ["Choose a company you can see."]}),
]


@pytest.mark.parametrize(("bad", "fields"), BAD_CONTACT_FIELDS)
def test_contact_with_a_bad_field_is_refused(manager, own_company, bad, fields):
    data = {"company": own_company.pk, "first_name": "Мария", **bad}

    exc = refused(ValidationFailed, services.contact_create, actor=manager, data=data)

    assert exc.fields == fields


def test_contact_for_an_invisible_or_missing_company_is_refused(manager, other_manager):
    hidden = CompanyFactory(owner=other_manager)

    exc = refused(ValidationFailed, services.contact_create, actor=manager,
                  data={"company": hidden.pk, "first_name": "Мария"})
    assert exc.fields == {"company": ["Choose a company you can see."]}

    exc = refused(ValidationFailed, services.contact_create, actor=manager,
                  data={"first_name": "Мария"})
    assert list(exc.fields) == ["company"]


def test_contact_update_conflict_and_permission(manager, marketing, own_company):
    contact = ContactFactory(company=own_company)
    Contact.objects.filter(pk=contact.pk).update(version=5)

    refused(VersionConflict, services.contact_update, actor=manager, contact=contact,
            data={"position": "Директор"}, expected_version=1)
    refused(PermissionDenied, services.contact_update, actor=marketing, contact=contact,
            data={"position": "Директор"}, expected_version=None)


def test_contact_delete_and_restore_are_audited(manager, own_company):
    contact = ContactFactory(company=own_company)

    services.contact_delete(actor=manager, contact=contact)
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert last_audit().action == AuditEntry.Action.DELETE

    services.contact_restore(actor=manager, contact=Contact.all_objects.get(pk=contact.pk))
    assert Contact.objects.filter(pk=contact.pk).exists()
    assert last_audit().action == AuditEntry.Action.RESTORE


# --- notes ----------------------------------------------------------------------------------------

def test_note_create_and_author_edit(manager, own_company):
    contact = ContactFactory(company=own_company)
    note = services.note_create(actor=manager, company=own_company,
                                data={"body": "  Обсъдихме цените. ", "contact": contact.pk})

    assert note.body == "Обсъдихме цените."
    assert note.contact == contact
    assert note.created_by == manager
    assert last_audit().changes == {"body": [None, "Обсъдихме цените."]}

    services.note_update(actor=manager, note=note, data={"body": "Ново"}, expected_version=1)

    note.refresh_from_db()
    assert note.body == "Ново"
    assert note.version == 2
    assert last_audit().changes == {"body": ["Обсъдихме цените.", "Ново"]}


@pytest.mark.parametrize(("data", "fields"), [
    ({"body": ""}, {"body": ["Write something in the note."]}),
    ({"body": "   "}, {"body": ["Write something in the note."]}),
    ({}, {"body": ["Write something in the note."]}),
    ({"body": 5}, {"body": ["Expected text."]}),
    ({"body": "б" * 10001}, {"body": ["A note has at most 10,000 characters."]}),
    ({"body": "ok", "contact": 987654}, {"contact": ["Choose a contact of this company."]}),
    ({"body": "a\x00b"}, {"body": [NUL_MESSAGE]}),
])
def test_bad_note_is_refused(manager, own_company, data, fields):
    exc = refused(ValidationFailed, services.note_create, actor=manager, company=own_company,
                  data=data)

    assert exc.fields == fields


def test_note_cannot_point_at_a_contact_of_another_company(manager, own_company):
    stranger = ContactFactory(company=CompanyFactory(owner=manager))

    exc = refused(ValidationFailed, services.note_create, actor=manager, company=own_company,
                  data={"body": "ok", "contact": stranger.pk})

    assert exc.fields == {"contact": ["Choose a contact of this company."]}


def test_only_the_author_or_a_head_edits_or_deletes_a_note(make_user, team, manager,
                                                          head_of_sales, own_company):
    teammate = make_user(Role.ACCOUNT_MANAGER, team=team)
    note = NoteFactory(company=own_company, created_by=manager, body="Оригинал")

    exc = refused(PermissionDenied, services.note_update, actor=teammate, note=note,
                  data={"body": "Чуждо"}, expected_version=1)
    assert exc.message == "Only the author of a note (or a head of sales) may change it."
    refused(PermissionDenied, services.note_delete, actor=teammate, note=note)

    services.note_update(actor=head_of_sales, note=note, data={"body": "Поправено"},
                         expected_version=1)
    note.refresh_from_db()
    assert note.body == "Поправено"

    services.note_delete(actor=head_of_sales, note=note)
    assert not Note.objects.filter(pk=note.pk).exists()
    assert last_audit().action == AuditEntry.Action.DELETE


def test_note_update_with_bad_body_or_stale_version_changes_nothing(manager, own_company):
    note = NoteFactory(company=own_company, created_by=manager, body="Оригинал")

    refused(ValidationFailed, services.note_update, actor=manager, note=note,
            data={"body": ""}, expected_version=1)
    refused(VersionConflict, services.note_update, actor=manager, note=note,
            data={"body": "Ново"}, expected_version=7)


def test_note_on_a_company_the_actor_may_not_see_does_not_exist_for_them(make_user, own_company,
                                                                        other_manager):
    clerk = make_user(Role.DEPARTMENT)

    refused(NotFound, services.note_create, actor=other_manager, company=own_company,
            data={"body": "ok"})
    refused(NotFound, services.note_create, actor=clerk, company=own_company,
            data={"body": "ok"})


def test_marketing_may_read_but_not_note_anothers_company(marketing, own_company):
    refused(PermissionDenied, services.note_create, actor=marketing, company=own_company,
            data={"body": "ok"})


def test_department_member_notes_a_company_shared_with_them(make_user, manager, own_company):
    clerk = make_user(Role.DEPARTMENT)
    services.company_share(actor=manager, company=own_company, user=clerk)

    note = services.note_create(actor=clerk, company=own_company, data={"body": "Доставено"})

    assert note.created_by == clerk


# --- attachments ----------------------------------------------------------------------------------

def stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(("name", "content", "content_type"), [
    ("оферта.pdf", PDF_BYTES, "application/pdf"),
    ("лого.PNG", PNG_BYTES, "image/png"),
    ("бележки.txt", "Здравейте".encode(), "text/plain"),
])
def test_attachment_of_an_allowed_type_is_stored_hashed_and_audited(settings, manager, own_company,
                                                                    name, content, content_type):
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")

    attachment = services.attachment_add(actor=manager, company=own_company, upload=upload,
                                         description=" Първа версия ")

    attachment.refresh_from_db()
    assert attachment.original_name == name
    assert attachment.content_type == content_type
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.description == "Първа версия"
    assert attachment.created_by == manager
    with attachment.file.open("rb") as fh:
        assert fh.read() == content
    # Stored under a random name, not the user's
    assert name not in attachment.file.name
    assert [p.name for p in stored_files(settings)] == [attachment.storage_key]
    assert last_audit().changes == {"file": [None, name]}


def test_attachment_name_is_data_never_a_path(manager, own_company):
    upload = SimpleUploadedFile("../../etc/passwd.pdf", PDF_BYTES)

    attachment = services.attachment_add(actor=manager, company=own_company, upload=upload)

    assert attachment.original_name == "passwd.pdf"
    assert attachment.file.name == f"attachments/{own_company.pk}/{attachment.storage_key}"


@pytest.mark.parametrize(("name", "content", "message"), [
    ("virus.exe", b"MZ\x90\x00", "Files of this type are not accepted. Accepted: csv, doc, docx, "
                                 "eml, gif, jpeg, jpg, ods, odt, pdf, png, pptx, txt, xls, xlsx."),
    ("noextension", PDF_BYTES, "Files of this type are not accepted. Accepted: csv, doc, docx, "
                               "eml, gif, jpeg, jpg, ods, odt, pdf, png, pptx, txt, xls, xlsx."),
    ("fake.pdf", PNG_BYTES, "The file's content does not match its “.pdf” extension."),
    ("fake.png", PDF_BYTES, "The file's content does not match its “.png” extension."),
    ("binary.txt", b"abc\x00def", "This does not look like a text file."),
    ("empty.pdf", b"", "The file is empty."),
])
def test_bad_attachment_is_refused_and_nothing_is_stored(settings, manager, own_company, name,
                                                         content, message):
    upload = SimpleUploadedFile(name, content)

    exc = refused(ValidationFailed, services.attachment_add, actor=manager, company=own_company,
                  upload=upload)

    assert exc.fields == {"file": [message]}
    assert stored_files(settings) == []


def test_too_large_attachment_is_refused(settings, manager, own_company):
    settings.PARTNERA_MAX_UPLOAD_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (1024 * 1024))

    exc = refused(ValidationFailed, services.attachment_add, actor=manager, company=own_company,
                  upload=upload)

    assert exc.fields == {"file": ["The file is larger than 1.0\xa0MB."]}
    assert stored_files(settings) == []


def test_attachment_with_too_long_description_is_refused(settings, manager, own_company):
    upload = SimpleUploadedFile("a.pdf", PDF_BYTES)

    exc = refused(ValidationFailed, services.attachment_add, actor=manager, company=own_company,
                  upload=upload, description="д" * 301)

    assert exc.fields == {"description": ["At most 300 characters."]}
    exc = refused(ValidationFailed, services.attachment_add, actor=manager, company=own_company,
                  upload=upload, description="a\x00")
    assert exc.fields == {"description": [NUL_MESSAGE]}
    assert stored_files(settings) == []


def test_attachment_on_a_company_the_actor_may_not_change_is_refused(settings, marketing,
                                                                    own_company):
    refused(PermissionDenied, services.attachment_add, actor=marketing, company=own_company,
            upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    assert stored_files(settings) == []


def test_attachment_delete_is_soft_and_audited(manager, own_company):
    attachment = services.attachment_add(actor=manager, company=own_company,
                                         upload=SimpleUploadedFile("a.pdf", PDF_BYTES))

    services.attachment_delete(actor=manager, attachment=attachment)

    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert Attachment.all_objects.get(pk=attachment.pk).deleted_by == manager
    assert last_audit().action == AuditEntry.Action.DELETE


def test_attachment_download_is_audited(manager, own_company):
    attachment = services.attachment_add(actor=manager, company=own_company,
                                         upload=SimpleUploadedFile("a.pdf", PDF_BYTES))

    services.attachment_downloaded(actor=manager, attachment=attachment)

    entry = last_audit()
    assert entry.action == AuditEntry.Action.DOWNLOAD
    assert entry.object_id == str(attachment.pk)
    assert entry.company_id == own_company.pk


# --- saved views ----------------------------------------------------------------------------------

def test_saved_view_create_replace_and_delete(manager, other_manager):
    view = services.saved_view_create(actor=manager, list_name="companies", name=" Мои ",
                                      query="stage=active")
    again = services.saved_view_create(actor=manager, list_name="companies", name="Мои",
                                       query="tier=key_account")
    assert again.pk == view.pk
    assert again.query == "tier=key_account"

    refused(PermissionDenied, services.saved_view_delete, actor=other_manager, view=again)
    exc = refused(ValidationFailed, services.saved_view_create, actor=manager,
                  list_name="companies", name="", query="")
    assert exc.fields == {"name": ["Give the view a name."]}

    services.saved_view_delete(actor=manager, view=again)
    assert not selectors.saved_view_list(user=manager).exists()


def test_valid_eik_factory_gives_distinct_valid_numbers():
    from partnera.clients.identifiers import normalize_eik

    numbers = {valid_eik(n) for n in range(50)}
    assert len(numbers) == 50
    assert all(normalize_eik(n) == n for n in numbers)
