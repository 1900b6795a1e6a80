"""Rules found in review: team moves, a head of sales' reach, moved contacts, stale forms,
errors a view does not expect, demo data in production, and what the audit log records."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command
from django.urls import reverse

from partnera.clients import selectors, services
from partnera.clients.tests.factories import CompanyFactory, ContactFactory, NoteFactory
from partnera.core.errors import Conflict, PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry, RecordShare
from partnera.core.roles import Role
from partnera.core.tests.dbstate import db_state
from partnera.core.timeline import company_timeline
from partnera.core.web import web_errors
from partnera.people.services import token_create
from partnera.people.tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_manager_cannot_move_a_shared_client_to_their_own_team(manager, other_manager):
    # Given another manager's client, shared with this manager (who may therefore edit it)
    company = CompanyFactory(owner=other_manager)
    RecordShare.objects.create(record_type="clients.company", record_id=company.pk, user=manager)
    before = db_state()

    # When they try to move it to their own team
    with pytest.raises(ValidationFailed) as exc:
        services.company_update(actor=manager, company=company, data={"team": manager.team_id},
                                expected_version=company.version)

    # Then it is refused on the team field and nothing changed
    assert exc.value.fields == {
        "team": ["Only a head of sales or an administrator moves clients between teams."]}
    assert db_state() == before


def test_the_api_refuses_the_team_move_too(client, manager, other_manager):
    company = CompanyFactory(owner=other_manager)
    RecordShare.objects.create(record_type="clients.company", record_id=company.pk, user=manager)
    _token, secret = token_create(actor=manager, user=manager, name="test")
    before = db_state()

    response = client.patch(f"/api/v1/companies/{company.pk}",
                            data={"version": company.version, "team": manager.team_id},
                            content_type="application/json", HTTP_ACCEPT_LANGUAGE="en",
                            HTTP_AUTHORIZATION=f"Bearer {secret}")

    assert response.status_code == 400
    assert response.json()["code"] == "validation_error"
    assert response.json()["fields"] == {
        "team": ["Only a head of sales or an administrator moves clients between teams."]}
    assert db_state() == before


def test_a_head_of_sales_moves_clients_between_teams(head_of_sales, manager):
    company = CompanyFactory(owner=manager)
    other_team = TeamFactory()

    services.company_update(actor=head_of_sales, company=company, data={"team": other_team.pk},
                            expected_version=company.version)

    company.refresh_from_db()
    assert company.team_id == other_team.pk


def test_a_head_of_sales_deletes_only_in_the_teams_they_lead(make_user, head_of_sales, manager):
    # Given a client in the head's team, and another team's client shared with the head
    own_team_client = CompanyFactory(owner=manager)
    outsider = make_user(Role.ACCOUNT_MANAGER, team=TeamFactory())
    foreign = CompanyFactory(owner=outsider)
    RecordShare.objects.create(record_type="clients.company", record_id=foreign.pk,
                               user=head_of_sales)
    foreign_note = NoteFactory(company=foreign, created_by=outsider)
    before = db_state()

    # The shared client of another team: neither it nor its notes may be deleted by this head
    with pytest.raises(PermissionDenied):
        services.company_delete(actor=head_of_sales, company=foreign)
    with pytest.raises(PermissionDenied):
        services.note_delete(actor=head_of_sales, note=foreign_note)
    assert db_state() == before

    # Their own team's client may be
    services.company_delete(actor=head_of_sales, company=own_team_client)
    own_team_client.refresh_from_db()
    assert own_team_client.deleted_at is not None


def test_a_contact_moved_away_from_a_hidden_company_does_not_reveal_it(manager, other_manager,
                                                                       admin_user):
    # Given a contact at a company the manager cannot see, with a note there about them
    hidden = CompanyFactory(owner=other_manager, legal_name="Скрита Фирма")
    mine = CompanyFactory(owner=manager, legal_name="Моя Фирма")
    contact = ContactFactory(company=hidden)
    # ... and a note at the manager's company about a contact who later moves away
    leaver = ContactFactory(company=mine, first_name="Напуснал")
    note = services.note_create(actor=manager, company=mine,
                                data={"body": "Разговор", "contact": leaver.pk})

    # When an administrator moves the first contact to the manager's company, the second away
    services.contact_update(actor=admin_user, contact=contact, data={"company": mine.pk},
                            expected_version=contact.version)
    services.contact_update(actor=admin_user, contact=leaver, data={"company": hidden.pk},
                            expected_version=leaver.version)

    # Then the manager's timeline never names the hidden company
    texts = [f"{e.title} {e.details}" for e in company_timeline(user=manager, company_id=mine.pk)]
    assert texts and not any("Скрита Фирма" in t for t in texts)
    assert any("•••" in t for t in texts)
    # And the note no longer points at the person who left for the hidden company
    note = selectors.note_list(user=manager, company_id=mine.pk).get(pk=note.pk)
    assert note.contact_id == leaver.pk and note.contact_shown is None
    # While the administrator, who sees both, reads the names
    admin_texts = [f"{e.details}" for e in company_timeline(user=admin_user, company_id=mine.pk)]
    assert any("Скрита Фирма" in t for t in admin_texts)


def test_an_edit_form_without_its_version_is_refused(client, manager):
    company = CompanyFactory(owner=manager, legal_name="Стара Фирма")
    client.force_login(manager)
    before = db_state()

    response = client.post(reverse("clients:company_edit", args=[company.pk]),
                           {"legal_name": "Нова Фирма", "stage": "active", "tier": "standard"},
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 400
    assert db_state() == before
    company.refresh_from_db()
    assert company.legal_name == "Стара Фирма"


def test_restoring_into_a_taken_eik_says_why_and_changes_nothing(client, manager):
    # Given a deleted company whose EIK another live company has taken since
    gone = CompanyFactory(owner=manager, eik="175074752")
    services.company_delete(actor=manager, company=gone)
    CompanyFactory(owner=manager, eik="175074752")
    client.force_login(manager)
    before = db_state()

    response = client.post(reverse("clients:company_restore", args=[gone.pk]), follow=True,
                           HTTP_ACCEPT_LANGUAGE="en")

    assert response.redirect_chain == [(reverse("clients:company_trash"), 302)]
    assert "Another company now has this EIK" in response.content.decode()
    assert db_state() == before


def test_a_domain_error_a_view_does_not_expect_is_a_clear_page_not_a_500(rf, manager):
    @web_errors
    def view(request):
        raise Conflict("Someone else took this number.")

    request = rf.get("/")
    request.user = manager
    response = view(request)

    assert response.status_code == 409
    assert "Someone else took this number." in response.content.decode()


def test_unsharing_is_audited_as_unsharing(manager, other_manager):
    company = CompanyFactory(owner=manager)
    services.company_share(actor=manager, company=company, user=other_manager)

    services.company_unshare(actor=manager, company=company, user=other_manager)

    entry = AuditEntry.objects.filter(object_id=str(company.pk)).order_by("-id").first()
    assert (entry.action, entry.changes) == ("unshare", {"shared_with": ["other", None]})


def test_a_record_below_a_deleted_company_is_gone_not_denied(manager, other_manager):
    company = CompanyFactory(owner=other_manager)
    contact = ContactFactory(company=company)
    services.company_delete(actor=other_manager, company=company)
    denied_before = AuditEntry.objects.filter(action="access_denied").count()

    with pytest.raises(Exception, match="Not found"):
        selectors.contact_get(user=manager, pk=contact.pk)

    assert AuditEntry.objects.filter(action="access_denied").count() == denied_before


def test_demo_data_refuses_a_production_installation(settings):
    settings.PRODUCTION = True
    before = db_state()

    with pytest.raises(CommandError, match="production"):
        call_command("demo", "--companies", "1", "--quiet")

    assert db_state() == before
    assert django_settings.PRODUCTION is True
