"""Activity pages: the list, an activity's page and its actions, the forms, the company page's
panel with "Log a call", and the company timeline — visibility, CSRF, escaping, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.activities import services
from partnera.activities.models import Activity, ActivityStatus, Reminder
from partnera.activities.tests.factories import SOFIA, ActivityFactory, sofia
from partnera.clients.tests.factories import CompanyFactory, ContactFactory
from partnera.core.models import AuditEntry
from partnera.core.roles import Role
from partnera.sales.models import Deal
from partnera.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db

TOMORROW = timezone.localdate(timezone=SOFIA) + dt.timedelta(days=1)
XSS = "<script>alert(1)</script>"


def state() -> dict:
    return {
        "activities": list(Activity.all_objects.order_by("pk").values()),
        "reminders": list(Reminder.objects.order_by("pk").values()),
        "audit": AuditEntry.objects.exclude(action=AuditEntry.Action.ACCESS_DENIED).count(),
    }


@pytest.fixture(autouse=True)
def _english(client):
    """Pages in English, so the tests read the English messages (Bulgarian is the default)."""
    client.cookies["partnera_language"] = "en"


@pytest.fixture
def company(manager):
    return CompanyFactory(owner=manager, legal_name="Бета Строй")


@pytest.fixture
def teammate(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="teammate")


# --- the list ---------------------------------------------------------------------------------------

def test_the_list_shows_mine_by_default_upcoming_soonest_first(client, manager, teammate, company):
    later = ActivityFactory(owner=manager, subject="По-късно", starts_at=sofia(TOMORROW, 15))
    sooner = ActivityFactory(owner=manager, subject="По-рано", starts_at=sofia(TOMORROW, 9))
    invited = ActivityFactory(owner=teammate, subject="Покана")
    invited.participant_users.add(manager)
    ActivityFactory(owner=teammate, subject="На колегата")
    ActivityFactory(owner=manager, subject="Минало", starts_at=timezone.now() - dt.timedelta(days=1))
    ActivityFactory(owner=manager, subject="Свършено", status=ActivityStatus.DONE,
                    starts_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(manager)
    page = client.get(reverse("activities:activity_list")).content.decode()
    assert page.index("По-рано") < page.index("По-късно")
    assert "Покана" in page
    assert "На колегата" not in page and "Минало" not in page and "Свършено" not in page
    overdue = client.get(reverse("activities:activity_list") + "?view=overdue").content.decode()
    assert "Минало" in overdue and "По-рано" not in overdue
    done = client.get(reverse("activities:activity_list") + "?view=done").content.decode()
    assert "Свършено" in done and "Минало" not in done
    assert sooner.pk and later.pk


def test_filters_kind_company_and_dates(client, manager, company):
    ActivityFactory(owner=manager, subject="Обаждане А", kind="call", company=company,
                    starts_at=sofia(TOMORROW, 10))
    ActivityFactory(owner=manager, subject="Среща Б", kind="meeting",
                    starts_at=sofia(TOMORROW + dt.timedelta(days=3), 10))
    client.force_login(manager)
    url = reverse("activities:activity_list")
    by_kind = client.get(url, {"view": "all", "kind": "meeting"}).content.decode()
    assert "Среща Б" in by_kind and "Обаждане А" not in by_kind
    by_company = client.get(url, {"view": "all", "company": company.pk}).content.decode()
    assert "Обаждане А" in by_company and "Среща Б" not in by_company
    by_dates = client.get(url, {"view": "all", "date_from": TOMORROW.isoformat(),
                                "date_to": TOMORROW.isoformat()}).content.decode()
    assert "Обаждане А" in by_dates and "Среща Б" not in by_dates
    bad = client.get(url, {"date_from": "вчера", "company": "x"})
    assert bad.status_code == 200


def test_a_head_filters_by_owner_and_sees_the_team(client, head_of_sales, manager, teammate):
    ActivityFactory(owner=manager, subject="На мениджъра")
    ActivityFactory(owner=teammate, subject="На колегата")
    ActivityFactory(owner=manager, subject="Лично", private=True)
    client.force_login(head_of_sales)
    url = reverse("activities:activity_list")
    assert "На мениджъра" not in client.get(url).content.decode()  # mine by default
    everyone = client.get(url, {"everyone": "1"}).content.decode()
    assert "На мениджъра" in everyone and "На колегата" in everyone
    assert "Лично" not in everyone  # private: never to anyone else
    one = client.get(url, {"owner": teammate.pk}).content.decode()
    assert "На колегата" in one and "На мениджъра" not in one


def test_an_account_manager_cannot_list_others_by_owner(client, manager, teammate):
    ActivityFactory(owner=teammate, subject="На колегата")
    client.force_login(manager)
    page = client.get(reverse("activities:activity_list"), {"owner": teammate.pk, "everyone": "1"})
    assert "На колегата" not in page.content.decode()


def test_the_list_runs_a_constant_number_of_queries(client, manager, company):
    client.force_login(manager)
    url = reverse("activities:activity_list") + "?view=all"

    def count(n: int) -> int:
        Activity.objects.all().delete()
        deal = DealFactory(owner=manager, company=company)
        for i in range(n):
            ActivityFactory(owner=manager, company=company, deal=deal,
                            starts_at=sofia(TOMORROW, 8) + dt.timedelta(minutes=i))
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    assert count(2) == count(20)


def test_deleted_view_restores(client, manager):
    call = ActivityFactory(owner=manager, subject="Изтрито")
    client.force_login(manager)
    assert client.post(reverse("activities:activity_delete", args=[call.pk])).status_code == 302
    trash = client.get(reverse("activities:activity_list") + "?view=deleted").content.decode()
    assert "Изтрито" in trash and reverse("activities:activity_restore", args=[call.pk]) in trash
    response = client.post(reverse("activities:activity_restore", args=[call.pk]))
    assert response.status_code == 302
    assert Activity.objects.filter(pk=call.pk).exists()


# --- the activity's page ------------------------------------------------------------------------

def test_the_page_shows_everything(client, manager, company, teammate):
    contact = ContactFactory(company=company, first_name="Георги", last_name="Иванов")
    meeting = services.activity_create(actor=manager, data={
        "kind": "meeting", "subject": "Среща за договора", "starts_at": sofia(TOMORROW, 10),
        "duration_minutes": 60, "company": company, "participant_contacts": [contact.pk],
        "participant_users": [teammate.pk], "place": "Офис", "agenda": "Цени",
        "online_link": "https://meet.example.com/x"})
    client.force_login(manager)
    page = client.get(reverse("activities:activity_detail", args=[meeting.pk])).content.decode()
    for text in ("Среща за договора", "Бета Строй", "Георги Иванов", str(teammate), "Офис", "Цени",
                 'href="https://meet.example.com/x" rel="noopener noreferrer"',
                 reverse("activities:activity_complete", args=[meeting.pk]),
                 reverse("activities:activity_reminder", args=[meeting.pk])):
        assert text in page, text


def test_a_private_activity_is_404_to_everyone_else(client, manager, teammate, admin_user):
    private = ActivityFactory(owner=manager, private=True, subject="Лична среща")
    url = reverse("activities:activity_detail", args=[private.pk])
    for user in (teammate, admin_user):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert "Лична среща" not in client.get(reverse("activities:activity_list") +
                                                "?view=all&everyone=1").content.decode()
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_complete_with_outcome_and_follow_up_from_the_page(client, manager, company):
    deal = DealFactory(owner=manager, company=company)
    call = ActivityFactory(owner=manager, company=company, deal=deal,
                           starts_at=timezone.now() - dt.timedelta(minutes=30))
    client.force_login(manager)
    follow_at = TOMORROW + dt.timedelta(days=1)
    response = client.post(reverse("activities:activity_complete", args=[call.pk]), {
        "outcome": "Ще изпратим оферта", "version": call.version,
        "follow_up_at": f"{follow_at.isoformat()}T10:00", "follow_up_kind": "meeting",
        "follow_up_subject": "Представяне на оферта"})
    assert response.status_code == 302
    call.refresh_from_db()
    assert call.status == "done" and call.outcome == "Ще изпратим оферта"
    follow = Activity.objects.get(follow_up_of=call)
    assert (follow.kind, follow.subject) == ("meeting", "Представяне на оферта")
    assert follow.starts_at == sofia(follow_at, 10)
    assert Deal.objects.get(pk=deal.pk).next_activity_at == follow.starts_at


def test_a_bad_follow_up_on_the_page_shows_the_error_and_changes_nothing(client, manager):
    call = ActivityFactory(owner=manager)
    client.force_login(manager)
    before = state()
    response = client.post(reverse("activities:activity_complete", args=[call.pk]), {
        "outcome": "Готово", "follow_up_at": "2001-01-01T10:00", "follow_up_kind": "call"})
    assert response.status_code == 400
    assert "Choose a time in the future for the follow-up." in response.content.decode()
    assert state() == before


def test_reminder_from_the_page(client, manager):
    meeting = ActivityFactory(owner=manager, starts_at=sofia(TOMORROW, 10))
    client.force_login(manager)
    url = reverse("activities:activity_reminder", args=[meeting.pk])
    assert client.post(url, {"when": "60", "by_email": "on"}).status_code == 302
    reminder = Reminder.objects.get()
    assert (reminder.remind_at, reminder.by_email, reminder.user) == (sofia(TOMORROW, 9), True, manager)
    before = state()
    response = client.post(url, {"when": "exact", "remind_at": "2001-01-01T10:00"})
    assert response.status_code == 400
    assert "Choose a time in the future." in response.content.decode()
    assert state() == before


def test_create_form_prefills_from_the_company_and_kind(client, manager, company):
    ContactFactory(company=company, first_name="Елена", last_name="Колева")
    client.force_login(manager)
    page = client.get(reverse("activities:activity_create"),
                      {"company": company.pk, "kind": "visit"}).content.decode()
    assert 'value="visit" selected' in page
    assert f'name="company" value="{company.pk}"' in page
    assert "Бета Строй" in page and "Елена Колева" in page


def test_create_form_prefills_from_a_deal(client, manager, company):
    deal = DealFactory(owner=manager, company=company, title="Голяма доставка")
    client.force_login(manager)
    page = client.get(reverse("activities:activity_create"), {"deal": deal.pk}).content.decode()
    assert f'value="{deal.pk}" selected' in page
    assert f'name="company" value="{company.pk}"' in page


def test_create_and_edit_through_the_forms(client, manager, company):
    client.force_login(manager)
    response = client.post(reverse("activities:activity_create"), {
        "kind": "meeting", "subject": "Среща", "starts_at": f"{TOMORROW.isoformat()}T10:00",
        "duration_minutes": "45", "status": "planned", "company": company.pk,
        "online_link": "https://meet.example.com/a"})
    assert response.status_code == 302
    meeting = Activity.objects.get()
    assert meeting.starts_at == sofia(TOMORROW, 10) and meeting.company == company
    edit = reverse("activities:activity_edit", args=[meeting.pk])
    assert f'value="{TOMORROW.isoformat()}T10:00"' in client.get(edit).content.decode()
    response = client.post(edit, {"kind": "meeting", "subject": "Среща (нов час)",
                                  "starts_at": f"{TOMORROW.isoformat()}T11:30",
                                  "company": company.pk, "version": meeting.version})
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.subject == "Среща (нов час)" and meeting.starts_at == sofia(TOMORROW, 11, 30)
    stale = client.post(edit, {"kind": "meeting", "subject": "Старо", "company": company.pk,
                               "starts_at": f"{TOMORROW.isoformat()}T12:00", "version": 1})
    assert stale.status_code == 409
    assert Activity.objects.get().subject == "Среща (нов час)"


@pytest.mark.parametrize(("field", "value", "message"), [
    ("online_link", "javascript:alert(1)", "Enter a web address starting with http:// or https://."),
    ("starts_at", "", "This field is required."),
    ("subject", "", "This field is required."),
])
def test_bad_input_in_the_form_shows_next_to_the_field_and_nothing_is_saved(
        client, manager, company, field, value, message):
    client.force_login(manager)
    data = {"kind": "call", "subject": "Обаждане", "starts_at": f"{TOMORROW.isoformat()}T10:00",
            "company": company.pk, field: value}
    before = state()
    response = client.post(reverse("activities:activity_create"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="field-{field}"' in page and message in page
    assert state() == before


def test_writes_by_a_reader_answer_403_and_change_nothing(client, manager, make_user):
    marketing = make_user(Role.MARKETING)
    call = ActivityFactory(owner=manager)
    client.force_login(marketing)
    assert client.get(reverse("activities:activity_detail", args=[call.pk])).status_code == 200
    before = state()
    for name, data in [("activity_complete", {"outcome": "x"}), ("activity_cancel", {}),
                       ("activity_delete", {}), ("activity_edit", {"kind": "call", "subject": "x",
                                                                    "starts_at": "2030-01-01T10:00"})]:
        response = client.post(reverse(f"activities:{name}", args=[call.pk]), data)
        assert response.status_code == 403, name
    assert client.get(reverse("activities:activity_edit", args=[call.pk])).status_code == 403
    assert state() == before


def test_someone_who_cannot_see_it_gets_404_everywhere(client, manager, other_manager):
    call = ActivityFactory(owner=manager)
    client.force_login(other_manager)
    before = state()
    for name in ("activity_detail", "activity_edit"):
        assert client.get(reverse(f"activities:{name}", args=[call.pk])).status_code == 404
    for name in ("activity_complete", "activity_cancel", "activity_delete", "activity_restore",
                 "activity_reminder"):
        assert client.post(reverse(f"activities:{name}", args=[call.pk])).status_code == 404
    assert state() == before


# --- CSRF and escaping ------------------------------------------------------------------------------

def test_every_post_needs_the_csrf_token(manager, company):
    call = ActivityFactory(owner=manager, company=company)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    assert browser.get(reverse("activities:activity_detail", args=[call.pk])).status_code == 200
    before = state()
    posts = [
        (reverse("activities:activity_create"), {"kind": "call", "subject": "x",
                                                 "starts_at": "2030-01-01T10:00"}),
        (reverse("activities:activity_edit", args=[call.pk]), {"subject": "x"}),
        (reverse("activities:activity_complete", args=[call.pk]), {"outcome": "x"}),
        (reverse("activities:activity_cancel", args=[call.pk]), {}),
        (reverse("activities:activity_delete", args=[call.pk]), {}),
        (reverse("activities:activity_restore", args=[call.pk]), {}),
        (reverse("activities:activity_reminder", args=[call.pk]), {"when": "15"}),
        (reverse("activities:activity_log", args=[company.pk]), {"subject": "Обаждане",
                                                                 "kind": "call"}),
    ]
    for url, data in posts:
        assert browser.post(url, data).status_code == 403, url
    assert state() == before
    token = browser.cookies["csrftoken"].value
    response = browser.post(reverse("activities:activity_cancel", args=[call.pk]),
                            {"csrfmiddlewaretoken": token})
    assert response.status_code == 302


def test_output_is_escaped(client, manager, company):
    call = ActivityFactory(owner=manager, company=company, subject=XSS, agenda=XSS, outcome=XSS,
                           place=XSS, status="done",
                           starts_at=timezone.now() - dt.timedelta(hours=1))
    client.force_login(manager)
    pages = [reverse("activities:activity_detail", args=[call.pk]),
             reverse("activities:activity_list") + "?view=done",
             reverse("clients:company_detail", args=[company.pk])]
    for url in pages:
        page = client.get(url).content.decode()
        assert XSS not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, url


# --- the company page: panel, "Log a call", timeline -------------------------------------------------

def test_the_company_page_shows_the_panel_with_planned_and_done(client, manager, company):
    ActivityFactory(owner=manager, company=company, subject="Планирана среща", kind="meeting")
    ActivityFactory(owner=manager, company=company, subject="Минало обаждане", status="done",
                    outcome="Всичко наред", starts_at=timezone.now() - dt.timedelta(days=1))
    client.force_login(manager)
    page = client.get(reverse("clients:company_detail", args=[company.pk])).content.decode()
    assert 'id="activities-panel"' in page
    assert "Планирана среща" in page and "Минало обаждане" in page and "Всичко наред" in page
    assert reverse("activities:activity_log", args=[company.pk]) in page


def test_log_a_call_with_a_follow_up_in_one_post(client, manager, company):
    contact = ContactFactory(company=company, first_name="Иван", last_name="Колев")
    client.force_login(manager)
    follow_at = TOMORROW + dt.timedelta(days=2)
    response = client.post(reverse("activities:activity_log", args=[company.pk]), {
        "subject": "Обаждане", "kind": "call", "contact": contact.pk,
        "outcome": "Интерес към продукт Б", "follow_up_at": f"{follow_at.isoformat()}T09:30",
        "follow_up_kind": "meeting"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activities-panel")
    assert response.status_code == 200
    call = Activity.objects.get(follow_up_of__isnull=True)
    assert (call.status, call.kind, call.outcome) == ("done", "call", "Интерес към продукт Б")
    assert list(call.participant_contacts.all()) == [contact]
    follow = Activity.objects.get(follow_up_of=call)
    assert (follow.kind, follow.starts_at) == ("meeting", sofia(follow_at, 9, 30))
    html = response.content.decode()
    assert 'id="activities-panel"' in html and "Интерес към продукт Б" in html
    assert "Follow-up: Обаждане" in html
    assert 'hx-swap-oob="true"' in html and 'id="timeline"' in html  # the timeline refreshed


def test_log_a_call_with_bad_input_shows_errors_inline_and_saves_nothing(client, manager, company):
    other = ContactFactory(company=CompanyFactory(owner=manager))
    client.force_login(manager)
    before = state()
    url = reverse("activities:activity_log", args=[company.pk])
    response = client.post(url, {"subject": "Обаждане", "kind": "call",
                                 "follow_up_at": "2001-01-01T09:00"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activities-panel")
    assert response.status_code == 200
    assert "Choose a time in the future for the follow-up." in response.content.decode()
    response = client.post(url, {"subject": "Обаждане", "kind": "call", "contact": other.pk},
                           HTTP_HX_REQUEST="true")
    assert 'class="field has-error" id="field-contact"' in response.content.decode()
    assert state() == before


def test_log_a_call_without_htmx_redirects_back(client, manager, company):
    client.force_login(manager)
    response = client.post(reverse("activities:activity_log", args=[company.pk]),
                           {"subject": "Обаждане", "kind": "call", "outcome": "Ок"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("clients:company_detail", args=[company.pk]))
    assert Activity.objects.get().status == "done"


def test_log_a_call_on_a_company_one_cannot_see_is_404(client, manager, other_manager):
    hidden = CompanyFactory(owner=other_manager)
    client.force_login(manager)
    response = client.post(reverse("activities:activity_log", args=[hidden.pk]),
                           {"subject": "Обаждане", "kind": "call"})
    assert response.status_code == 404
    assert not Activity.objects.exists()


def test_the_company_timeline_shows_activities_but_private_ones_only_to_their_people(
        client, manager, teammate, company):
    ActivityFactory(owner=manager, company=company, subject="Открита среща", status="done",
                    outcome="Резултат", starts_at=timezone.now() - dt.timedelta(hours=2))
    ActivityFactory(owner=manager, company=company, subject="Тайна среща", private=True)
    ActivityFactory(owner=manager, company=company, subject="Отменена", status="cancelled")
    url = reverse("clients:company_detail", args=[company.pk])
    client.force_login(teammate)
    page = client.get(url).content.decode()
    assert "Открита среща" in page and "Резултат" in page
    assert "Тайна среща" not in page and "Отменена" not in page
    client.force_login(manager)
    assert "Тайна среща" in client.get(url).content.decode()


# --- the deal page: timeline and panel ----------------------------------------------------------

def test_the_deal_timeline_and_panel_show_its_activities_but_never_a_private_one(
        manager, teammate, company):
    from partnera.core.panels import record_panels
    from partnera.sales.timeline import deal_timeline

    deal = DealFactory(owner=manager, company=company)
    ActivityFactory(owner=manager, company=company, deal=deal, subject="Среща по сделката")
    ActivityFactory(owner=manager, company=company, deal=deal, subject="Лично", private=True)
    titles = [e.title for e in deal_timeline(user=teammate, deal=deal)]
    assert "Call planned: Среща по сделката" in titles
    assert not any("Лично" in t for t in titles)
    assert any("Лично" in e.title for e in deal_timeline(user=manager, deal=deal))
    panels = dict((p.name, ctx) for p, ctx in record_panels("deal", user=teammate, record=deal))
    planned = [a.subject for a in panels["activities.activities"]["planned"]]
    assert planned == ["Среща по сделката"]


def test_log_a_call_on_a_deal_links_it_to_the_deal(client, manager, company):
    deal = DealFactory(owner=manager, company=company)
    client.force_login(manager)
    response = client.post(reverse("activities:activity_log_deal", args=[deal.pk]),
                           {"subject": "Обаждане", "kind": "call", "outcome": "Ок",
                            "follow_up_at": f"{TOMORROW.isoformat()}T10:00"},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    call = Activity.objects.get(follow_up_of__isnull=True)
    assert (call.deal, call.company) == (deal, company)
    assert Deal.objects.get(pk=deal.pk).next_activity_at == sofia(TOMORROW, 10)


def test_log_a_call_on_a_deal_reloads_the_deal_page_with_its_new_state(client, manager, company):
    # Given a deal without a next activity, its page flags it
    deal = DealFactory(owner=manager, company=company, next_activity_at=None)
    client.force_login(manager)
    page_url = reverse("sales:deal_detail", args=[deal.pk])
    assert "flag-no-activity" in client.get(page_url).content.decode()
    # When a call with a follow-up is logged from the deal page's panel (htmx)
    response = client.post(reverse("activities:activity_log_deal", args=[deal.pk]),
                           {"subject": "Обаждане", "kind": "call", "outcome": "Ок",
                            "follow_up_at": f"{TOMORROW.isoformat()}T10:00",
                            "follow_up_subject": "Среща за офертата"},
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activities-panel")
    # Then the answer asks htmx to reload the page (details, flag and timeline all change) …
    assert response.status_code == 200
    assert response["HX-Refresh"] == "true"
    # … and the reloaded page shows the message, no flag, and the call in the timeline
    page = client.get(page_url).content.decode()
    assert "Logged; the follow-up is scheduled." in page
    assert "flag-no-activity" not in page
    assert "Обаждане" in page and "Среща за офертата" in page
    # A refused log keeps the panel in place with the errors (no reload), and stores nothing
    before = state()
    response = client.post(reverse("activities:activity_log_deal", args=[deal.pk]),
                           {"subject": "Обаждане", "kind": "call",
                            "follow_up_at": "2001-01-01T09:00"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Refresh" not in response
    assert "Choose a time in the future for the follow-up." in response.content.decode()
    assert state() == before


def test_one_companys_list_shows_all_its_activities_one_may_see(client, manager, teammate, company):
    ActivityFactory(owner=teammate, company=company, subject="На колегата")
    ActivityFactory(owner=teammate, company=company, subject="Лично", private=True)
    client.force_login(manager)
    page = client.get(reverse("activities:activity_list"),
                      {"view": "all", "company": company.pk}).content.decode()
    assert "На колегата" in page and "Лично" not in page


def test_filters_swap_only_the_results(client, manager):
    ActivityFactory(owner=manager, subject="Обаждане")
    client.force_login(manager)
    response = client.get(reverse("activities:activity_list"), {"view": "upcoming"},
                          HTTP_HX_REQUEST="true", HTTP_HX_TARGET="activity-results")
    html = response.content.decode()
    assert "Обаждане" in html and "<html" not in html and "results-count" in html
