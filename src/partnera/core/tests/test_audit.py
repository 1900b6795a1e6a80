"""The audit log: append-only, field-level, attributable (who, when, through which channel),
and it records failed logins and denied accesses too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.utils import timezone

from partnera.clients.models import Company
from partnera.clients.tests.factories import CompanyFactory, TagFactory
from partnera.core.audit import audit_record, diff, snapshot
from partnera.core.context import Channel, acting, current
from partnera.core.middleware import RequestContextMiddleware
from partnera.core.models import AuditEntry
from partnera.people.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(manager) -> AuditEntry:
    return audit_record(actor=manager, action=AuditEntry.Action.UPDATE, object_type="x",
                        object_id="1", object_repr="X", changes={"a": [1, 2]})


# --- append-only ---------------------------------------------------------------------------------

def test_an_entry_cannot_be_saved_again(entry):
    entry.object_repr = "changed"

    with pytest.raises(TypeError, match="append-only"):
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).object_repr == "X"


def test_an_entry_cannot_be_deleted(entry):
    with pytest.raises(TypeError, match="append-only"):
        entry.delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_the_log_cannot_be_updated_or_deleted_in_bulk(entry):
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.all().update(object_repr="changed")
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).update(changes={})
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.all().delete()
    with pytest.raises(TypeError, match="append-only"):
        AuditEntry.objects.filter(pk=entry.pk).delete()

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (stored.object_repr, stored.changes) == ("X", {"a": [1, 2]})


def test_a_removed_user_stays_named_in_the_log(make_user):
    temp = make_user(username="temporary")
    written = audit_record(actor=temp, action=AuditEntry.Action.LOGIN, obj=temp)

    temp.delete()

    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.actor is None
    assert stored.actor_repr == "temporary"


# --- who, what, when, where ----------------------------------------------------------------------

def test_entry_records_who_what_when_and_the_default_channel(manager):
    company = CompanyFactory(owner=manager, legal_name="Одит ООД")
    before = timezone.now()

    written = audit_record(actor=manager, action=AuditEntry.Action.DELETE, obj=company,
                           company_id=company.pk)

    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.actor == manager
    assert stored.actor_repr == "manager"
    assert stored.action == "delete"
    assert stored.channel == Channel.SYSTEM
    assert stored.ip is None
    assert stored.object_type == "clients.company"
    assert stored.object_id == str(company.pk)
    assert stored.object_repr == "Одит ООД"
    assert stored.company_id == company.pk
    assert before <= stored.at <= timezone.now()
    assert stored.at.utcoffset() == dt.timedelta(0)  # stored and read in UTC


@pytest.mark.parametrize("channel", [Channel.WEB, Channel.API, Channel.IMPORT, Channel.JOB,
                                     Channel.CLI])
def test_channel_and_ip_come_from_the_acting_context(manager, channel):
    with acting(channel, ip="192.0.2.10", request_id="r1"):
        assert current().request_id == "r1"
        written = audit_record(actor=manager, action=AuditEntry.Action.LOGIN, obj=manager)

    stored = AuditEntry.objects.get(pk=written.pk)
    assert stored.channel == channel
    assert stored.ip == "192.0.2.10"
    assert current().channel == Channel.SYSTEM  # restored afterwards


def test_nested_contexts_restore_the_outer_one(manager):
    with acting(Channel.JOB):
        with acting(Channel.IMPORT):
            inner = audit_record(actor=manager, action=AuditEntry.Action.CREATE, object_type="x")
        outer = audit_record(actor=manager, action=AuditEntry.Action.CREATE, object_type="x")

    assert AuditEntry.objects.get(pk=inner.pk).channel == Channel.IMPORT
    assert AuditEntry.objects.get(pk=outer.pk).channel == Channel.JOB


@pytest.mark.parametrize(("path", "channel"), [("/companies/", Channel.WEB),
                                               ("/api/v1/companies", Channel.API)])
def test_middleware_sets_the_channel_per_request(manager, path, channel):
    def view(request):
        audit_record(actor=manager, action=AuditEntry.Action.DOWNLOAD, object_type="x")
        return "ok"

    request = RequestFactory().get(path, REMOTE_ADDR="198.51.100.4")
    assert RequestContextMiddleware(view)(request) == "ok"

    stored = AuditEntry.objects.get()
    assert (stored.channel, stored.ip) == (channel, "198.51.100.4")
    assert current().channel == Channel.SYSTEM


def test_long_representations_are_cut_to_fit(manager):
    written = audit_record(actor=manager, action=AuditEntry.Action.CREATE, object_type="x",
                           object_repr="Я" * 400)

    assert len(AuditEntry.objects.get(pk=written.pk).object_repr) == 300


# --- field-level before / after ------------------------------------------------------------------

def test_snapshot_reads_plain_values_relations_and_tags(manager, team):
    parent = CompanyFactory(legal_name="Майка")
    company = CompanyFactory(owner=manager, team=team, parent=parent, credit_limit=Decimal("12.50"),
                             phones=["+359888123456"])
    company.tags.add(TagFactory(name="б"), TagFactory(name="а"))

    data = snapshot(company, ["legal_name", "owner", "team", "parent", "credit_limit", "phones",
                              "tags", "created_at", "referred_by"])

    assert data == {
        "legal_name": company.legal_name,
        "owner": str(manager),
        "team": str(team),
        "parent": "Майка",
        "credit_limit": "12.50",
        "phones": ["+359888123456"],
        "tags": ["а", "б"],
        "created_at": company.created_at.isoformat(),
        "referred_by": None,
    }


def test_diff_keeps_only_changed_fields_as_before_after_pairs():
    before = {"a": 1, "b": "x", "c": ["1"], "d": None}
    after = {"a": 1, "b": "y", "c": ["1", "2"], "d": None, "e": "new"}

    assert diff(before, after) == {"b": ["x", "y"], "c": [["1"], ["1", "2"]], "e": [None, "new"]}


def test_field_changes_are_stored_as_json(manager):
    company = CompanyFactory(owner=manager, credit_limit=Decimal("1.00"))
    before = snapshot(company, ["credit_limit", "city"])
    Company.objects.filter(pk=company.pk).update(credit_limit=Decimal("2.00"), city="Русе")
    company.refresh_from_db()

    written = audit_record(actor=manager, action=AuditEntry.Action.UPDATE, obj=company,
                           company_id=company.pk,
                           changes=diff(before, snapshot(company, ["credit_limit", "city"])))

    assert AuditEntry.objects.get(pk=written.pk).changes == {
        "credit_limit": ["1.00", "2.00"], "city": ["София", "Русе"]}


# --- logins --------------------------------------------------------------------------------------

def test_failed_login_with_a_wrong_password_is_recorded(manager):
    request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.9")

    with acting(Channel.WEB, ip="203.0.113.9"):
        user = authenticate(request, username="manager", password="wrong-password")

    assert user is None
    stored = AuditEntry.objects.get()
    assert stored.action == AuditEntry.Action.LOGIN_FAILED
    assert stored.actor is None
    assert stored.object_type == "people.user"
    assert stored.object_id == str(manager.pk)
    assert stored.object_repr == "manager"
    assert stored.channel == Channel.WEB
    assert stored.ip == "203.0.113.9"
    assert "wrong-password" not in str(stored.changes)


def test_failed_login_for_an_unknown_name_is_recorded_without_a_record(db):
    request = RequestFactory().post("/login/")

    assert authenticate(request, username="nobody", password="x") is None

    stored = AuditEntry.objects.get()
    assert (stored.action, stored.object_id, stored.object_repr) == (
        AuditEntry.Action.LOGIN_FAILED, "", "nobody")


def test_correct_password_writes_no_failure(manager):
    request = RequestFactory().post("/login/")

    assert authenticate(request, username="manager", password=PASSWORD) == manager

    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).exists()


def test_login_and_logout_are_recorded(client, manager):
    assert client.login(username="manager", password=PASSWORD)
    client.logout()

    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_id"))
    assert actions == [(AuditEntry.Action.LOGIN, manager.pk), (AuditEntry.Action.LOGOUT, manager.pk)]


@pytest.mark.parametrize(("proxies", "forwarded", "expected"), [
    (0, "203.0.113.9", "127.0.0.1"),                      # no proxy: the header is ignored
    (1, "203.0.113.9", "203.0.113.9"),                    # one proxy appended the client
    (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),           # a forged left part is not trusted
    (2, "203.0.113.9, 10.0.0.5", "203.0.113.9"),          # two proxies
    (1, "not-an-ip", "127.0.0.1"),                        # garbage falls back to the peer
    (2, "203.0.113.9", "127.0.0.1"),                      # fewer entries than proxies
])
def test_audit_ip_behind_reverse_proxies(settings, rf, proxies, forwarded, expected):
    from partnera.core.middleware import client_ip

    settings.PARTNERA_PROXY_COUNT = proxies
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")

    assert client_ip(request) == expected
