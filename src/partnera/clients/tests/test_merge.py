"""Merging two companies: values chosen field by field, every related record moves, the merged
one is deleted pointing at the survivor, one transaction with version checks and rights, audited
with a snapshot. Refusals (stale version, no right, hidden, itself, twice, deleted) change
nothing."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from partnera.clients import merge, selectors, services
from partnera.clients.models import Attachment, Company, Contact, Note
from partnera.clients.tests.factories import valid_eik
from partnera.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed, VersionConflict
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.people.services import token_create

pytestmark = pytest.mark.django_db


def create(actor, **data):
    return services.company_create(actor=actor, data=data, allow_duplicate=True)


def fresh(company) -> Company:
    return Company.all_objects.get(pk=company.pk)


def records() -> dict:
    return {k: v for k, v in db_state().items() if k != "audit_entries"}


@pytest.fixture
def world(manager, admin_user, make_user):
    """The manager's "Алфа" (kept) and "Alfa Ltd" (merged away), with everything around them."""
    survivor = create(manager, legal_name="Алфа", legal_form="OOD", city="София",
                      phones=["+359888000001"], emails=["office@alfa.bg"], tags="износител")
    other = create(manager, legal_name="Alfa Ltd", legal_form="FOREIGN", eik=valid_eik(7),
                   city="", industry="Логистика", phones=["+359888000002"],
                   emails=["office@alfa.bg", "sales@alfa.bg"], tags="VIP, износител",
                   website="https://alfa.example")
    contact = services.contact_create(actor=manager, data={"company": other.pk, "first_name": "Иван"})
    gone = services.contact_create(actor=manager, data={"company": other.pk, "first_name": "Бивш"})
    services.contact_delete(actor=manager, contact=gone)
    note = services.note_create(actor=manager, company=other, data={"body": "Среща", "contact": contact.pk})
    upload = SimpleUploadedFile("a.txt", b"hello", content_type="text/plain")
    attachment = services.attachment_add(actor=manager, company=other, upload=upload)
    child = create(manager, legal_name="Дъщерна", parent=other.pk)
    referral = create(manager, legal_name="Препоръчана", source="referral", referred_by=other.pk)
    reader = make_user(Role.ACCOUNT_MANAGER, username="reader")
    services.company_share(actor=manager, company=fresh(other), user=reader)
    return {"survivor": fresh(survivor), "other": fresh(other), "contact": contact, "gone": gone,
            "note": note, "attachment": attachment, "child": child, "referral": referral,
            "reader": reader, "manager": manager}


def do_merge(actor, w, **choices):
    return merge.company_merge(actor=actor, survivor=w["survivor"], other=w["other"],
                               survivor_version=w["survivor"].version,
                               other_version=w["other"].version, choices=choices)


def test_merge_moves_every_related_record(world, manager):
    survivor, other = world["survivor"], world["other"]

    result = do_merge(manager, world)

    assert result.pk == survivor.pk
    assert Contact.all_objects.get(pk=world["contact"].pk).company_id == survivor.pk
    assert Contact.all_objects.get(pk=world["gone"].pk).company_id == survivor.pk  # still deleted
    assert Contact.all_objects.get(pk=world["gone"].pk).deleted_at is not None
    assert Note.objects.get(pk=world["note"].pk).company_id == survivor.pk
    assert Attachment.objects.get(pk=world["attachment"].pk).company_id == survivor.pk
    assert fresh(world["child"]).parent_id == survivor.pk
    assert fresh(world["referral"]).referred_by_id == survivor.pk
    assert RecordShare.objects.filter(record_type="clients.company", record_id=survivor.pk,
                                      user=world["reader"]).exists()
    assert not RecordShare.objects.filter(record_type="clients.company", record_id=other.pk).exists()
    merged = fresh(other)
    assert merged.deleted_at is not None and merged.merged_into_id == survivor.pk
    assert merged.deleted_by == manager


def test_moved_records_get_a_new_version(world, manager):
    contact_version = world["contact"].version

    do_merge(manager, world)

    assert Contact.objects.get(pk=world["contact"].pk).version == contact_version + 1


def test_default_choices_keep_the_survivor_fill_the_gaps_and_combine_lists(world, manager):
    do_merge(manager, world)

    kept = fresh(world["survivor"])
    assert kept.legal_name == "Алфа"  # the survivor's value
    assert kept.legal_form == "OOD"
    assert kept.eik == valid_eik(7)  # the survivor had none
    assert kept.industry == "Логистика"
    assert kept.website == "https://alfa.example"
    assert kept.city == "София"
    assert kept.phones == ["+359888000001", "+359888000002"]
    assert kept.emails == ["office@alfa.bg", "sales@alfa.bg"]
    assert sorted(t.name for t in kept.tags.all()) == ["VIP", "износител"]
    assert kept.name_key == "alfa"
    assert selectors.company_autocomplete(user=manager, query="359888000002") == [kept]


def test_field_choices_are_applied(world, manager):
    do_merge(manager, world, legal_name="other", phones="other", tags="survivor", eik="survivor",
             emails="survivor")

    kept = fresh(world["survivor"])
    assert kept.legal_name == "Alfa Ltd"
    assert kept.phones == ["+359888000002"]
    assert kept.emails == ["office@alfa.bg"]
    assert kept.eik == ""
    assert [t.name for t in kept.tags.all()] == ["износител"]


def test_the_merge_is_audited_with_a_snapshot(world, manager):
    other = world["other"]

    do_merge(manager, world, legal_name="other")

    entry = AuditEntry.objects.get(action=AuditEntry.Action.MERGE, company_id=world["survivor"].pk)
    assert entry.actor == manager
    assert entry.changes["legal_name"] == ["Алфа", "Alfa Ltd"]
    assert entry.changes["merged_from"] == [None, "Alfa Ltd"]
    assert entry.changes["merged_from_id"] == [None, other.pk]
    snapshot = entry.changes["merged_record"]
    assert snapshot["id"] == other.pk
    assert snapshot["eik"] == valid_eik(7)
    assert snapshot["emails"] == ["office@alfa.bg", "sales@alfa.bg"]
    assert snapshot["tags"] == ["VIP", "износител"]
    assert snapshot["version"] == other.version
    moved = entry.changes["moved"]
    assert sorted(moved["clients.contact.company"]) == sorted([world["contact"].pk, world["gone"].pk])
    assert moved["clients.note.company"] == [world["note"].pk]
    assert moved["clients.attachment.company"] == [world["attachment"].pk]
    assert moved["clients.company.parent"] == [world["child"].pk]
    assert moved["clients.company.referred_by"] == [world["referral"].pk]
    assert moved["core.recordshare.user"] == [world["reader"].pk]
    on_merged = AuditEntry.objects.get(action=AuditEntry.Action.MERGE, company_id=other.pk)
    assert on_merged.changes["merged_into_id"] == [None, world["survivor"].pk]


def test_the_survivor_timeline_and_the_audit_log_show_the_merge(world, manager, admin_user,
                                                                logged_in):
    do_merge(manager, world)
    client = logged_in(admin_user)

    page = client.get(reverse("clients:company_detail", args=[world["survivor"].pk]),
                      HTTP_ACCEPT_LANGUAGE="en")
    log = client.get(reverse("core:audit_log"), {"action": "merge"}, HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert "merged: Алфа" in text and "Merged from" in text and "Alfa Ltd" in text
    assert "merged_record" not in text
    assert log.status_code == 200
    assert log.content.decode().count("merged") >= 2


def test_the_old_link_leads_to_the_survivor(world, manager, logged_in):
    do_merge(manager, world)

    response = logged_in(manager).get(reverse("clients:company_detail", args=[world["other"].pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse("clients:company_detail", args=[world["survivor"].pk])


def test_the_old_link_of_a_hidden_merge_is_not_found(world, manager, other_manager, logged_in):
    do_merge(manager, world)

    response = logged_in(other_manager).get(
        reverse("clients:company_detail", args=[world["other"].pk]))

    assert response.status_code == 404


def test_a_parent_link_between_the_two_is_dropped(manager):
    other = create(manager, legal_name="Майка")
    survivor = create(manager, legal_name="Дъщеря", parent=other.pk)

    merge.company_merge(actor=manager, survivor=fresh(survivor), other=fresh(other),
                        survivor_version=fresh(survivor).version, other_version=other.version)

    assert fresh(survivor).parent_id is None


def test_a_stale_version_changes_nothing(world, manager):
    before = db_state()

    with pytest.raises(VersionConflict):
        merge.company_merge(actor=manager, survivor=world["survivor"], other=world["other"],
                            survivor_version=world["survivor"].version,
                            other_version=world["other"].version - 1)

    assert db_state() == before


@pytest.mark.parametrize("role", [Role.MARKETING, Role.DEPARTMENT])
def test_without_the_right_nothing_changes(world, make_user, role):
    reader = make_user(role, username="ro")
    for company in (world["survivor"], world["other"]):
        services.company_share(actor=world["manager"], company=company, user=reader)
    before = db_state()

    with pytest.raises(PermissionDenied):
        do_merge(reader, world)

    assert db_state() == before


def test_a_teammate_who_may_change_but_not_delete_is_refused(world, make_user, team):
    mate = make_user(Role.ACCOUNT_MANAGER, team=team, username="mate")
    before = db_state()

    with pytest.raises(PermissionDenied):
        do_merge(mate, world)

    assert db_state() == before


def test_a_hidden_company_is_not_found(world, other_manager):
    before = db_state()

    with pytest.raises(NotFound):
        do_merge(other_manager, world)

    assert db_state() == before


def test_merge_into_itself_twice_or_a_deleted_one_is_refused(world, manager):
    survivor = world["survivor"]
    before = db_state()
    with pytest.raises(ValidationFailed):
        merge.company_merge(actor=manager, survivor=survivor, other=survivor,
                            survivor_version=survivor.version, other_version=survivor.version)
    assert db_state() == before

    do_merge(manager, world)
    after_first = db_state()
    with pytest.raises(Conflict) as twice:
        merge.company_merge(actor=manager, survivor=fresh(survivor), other=fresh(world["other"]),
                            survivor_version=None, other_version=None)
    assert "already merged" in twice.value.message
    assert db_state() == after_first

    trashed = create(manager, legal_name="Кошче")
    services.company_delete(actor=manager, company=trashed)
    with pytest.raises(Conflict):
        merge.company_merge(actor=manager, survivor=fresh(survivor), other=fresh(trashed),
                            survivor_version=None, other_version=None)
    assert db_state()["companies"] == [*after_first["companies"], *db_state()["companies"][-1:]]


def test_a_merged_company_is_not_restored(world, manager):
    do_merge(manager, world)

    with pytest.raises(Conflict):
        services.company_restore(actor=manager, company=fresh(world["other"]))


def test_unknown_or_forbidden_choices_are_refused(world, manager):
    before = db_state()

    with pytest.raises(ValidationFailed) as caught:
        do_merge(manager, world, nonsense="other", phones="sideways", legal_name="both",
                 credit_limit="other")

    assert caught.value.fields == {
        "nonsense": ["Unknown field."],
        "phones": ["Choose “survivor”, “other” or, for lists, “both”."],
        "legal_name": ["Choose “survivor”, “other” or, for lists, “both”."],
        "credit_limit": ["Not permitted for your role."],
    }
    assert db_state() == before


def test_merge_plan_lists_differing_fields_with_defaults(world, manager):
    plan = {f.name: f for f in merge.merge_plan(actor=manager, survivor=world["survivor"],
                                                other=world["other"])}

    assert plan["legal_name"].default == "survivor"
    assert plan["eik"].default == "other"
    assert plan["phones"].default == "both" and plan["phones"].multi
    assert plan["phones"].other_value == "+359 88 800 0002"
    assert "country" not in plan  # the same on both
    assert "owner" not in plan  # a manager does not choose owners
    assert "credit_limit" not in plan  # nor confidential fields


# --- through the web page and the API -----------------------------------------------------------------

def test_web_merge_page_and_post(world, manager, logged_in):
    client = logged_in(manager)
    url = reverse("clients:company_merge", args=[world["survivor"].pk])

    picker = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    compare = client.get(url, {"other": world["other"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    done = client.post(url, {"other": world["other"].pk, "survivor_version": world["survivor"].version,
                             "other_version": world["other"].version, "choice_legal_name": "other"})

    assert picker.status_code == 200 and 'name="other_label"' in picker.content.decode()
    assert compare.status_code == 200
    assert 'name="choice_legal_name"' in compare.content.decode()
    assert done.status_code == 302
    assert fresh(world["survivor"]).legal_name == "Alfa Ltd"


def _moving_line(client, world, language: str) -> str:
    url = reverse("clients:company_merge", args=[world["survivor"].pk])
    page = client.get(url, {"other": world["other"].pk}, HTTP_ACCEPT_LANGUAGE=language)
    assert page.status_code == 200
    html = page.content.decode()
    start = html.index('merge-moving">') + len('merge-moving">')
    return " ".join(html[start:html.index("</p>", start)].split())


@pytest.mark.parametrize("language,one,two", [
    ("en", "1 contact, 1 note, 1 file, 1 subsidiary,", "2 contacts, 1 note, 1 file, 1 subsidiary,"),
    ("bg", "1 контакт,", "2 контакта,"),
])
def test_web_merge_page_counts_what_moves_in_proper_plural_forms(world, manager, logged_in,
                                                                 language, one, two):
    client = logged_in(manager)

    before = _moving_line(client, world, language)
    services.contact_create(actor=manager, data={"company": world["other"].pk,
                                                 "first_name": "Мария"})
    after = _moving_line(client, world, language)

    assert one in before and "1 contacts" not in before
    assert two in after


def test_web_merge_with_a_stale_form_shows_the_conflict(world, manager, logged_in):
    client = logged_in(manager)
    url = reverse("clients:company_merge", args=[world["survivor"].pk])
    before = db_state()

    response = client.post(url, {"other": world["other"].pk, "survivor_version": 999,
                                 "other_version": world["other"].version},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 409
    assert "Someone else changed this record" in response.content.decode()
    assert db_state() == before


def test_web_merge_twice_and_into_itself(world, manager, logged_in):
    client = logged_in(manager)
    url = reverse("clients:company_merge", args=[world["survivor"].pk])

    itself = client.get(url, {"other": world["survivor"].pk}, HTTP_ACCEPT_LANGUAGE="en")
    do_merge(manager, world)
    twice = client.get(url, {"other": world["other"].pk}, HTTP_ACCEPT_LANGUAGE="en")

    assert itself.status_code == 400
    assert "cannot be merged with itself" in itself.content.decode()
    assert twice.status_code == 409


def bearer(user) -> dict:
    _token, secret = token_create(actor=None, user=user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}", "HTTP_ACCEPT_LANGUAGE": "en"}


def test_api_merge(world, manager, client):
    body = {"other": world["other"].pk, "version": world["survivor"].version,
            "other_version": world["other"].version, "fields": {"phones": "survivor"}}

    response = client.post(f"/api/v1/companies/{world['survivor'].pk}/merge", json.dumps(body),
                           content_type="application/json", **bearer(manager))
    again = client.post(f"/api/v1/companies/{world['survivor'].pk}/merge", json.dumps(body),
                        content_type="application/json", **bearer(manager))

    assert response.status_code == 200
    assert response.json()["phones"] == ["+359888000001"]
    assert response.json()["eik"] == valid_eik(7)
    assert again.status_code == 409
    assert again.json()["code"] == "conflict"


def test_api_merge_refusals_change_nothing(world, manager, other_manager, client):
    url = f"/api/v1/companies/{world['survivor'].pk}/merge"
    stale = {"other": world["other"].pk, "version": world["survivor"].version + 5,
             "other_version": world["other"].version}
    before = records()

    answers = [
        client.post(url, json.dumps(stale), content_type="application/json", **bearer(manager)),
        client.post(url, json.dumps({**stale, "version": world["survivor"].version}),
                    content_type="application/json", **bearer(other_manager)),
        client.post(url, json.dumps({**stale, "version": world["survivor"].version,
                                     "fields": {"phones": "all"}}),
                    content_type="application/json", **bearer(manager)),
    ]

    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (409, "version_conflict"), (404, "not_found"), (400, "validation_error")]
    assert records() == before


def test_the_trash_shows_a_merged_company_without_restore(world, manager, logged_in):
    do_merge(manager, world)

    page = logged_in(manager).get(reverse("clients:company_trash"), HTTP_ACCEPT_LANGUAGE="en")

    text = page.content.decode()
    assert "Alfa Ltd" in text and "merged" in text
    assert reverse("clients:company_restore", args=[world["other"].pk]) not in text
