"""The public web-to-lead endpoint /forms/<key>/ with good, bad and hostile input.

Posted the way another site's plain HTML form posts: no session, no CSRF token (the client
enforces CSRF checks like a browser, so the endpoint must work without one). Every refusal is
checked for its answer AND for nothing stored.
"""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from partnera.core.models import AuditEntry, Notification
from partnera.core.roles import Role
from partnera.sales.models import Lead, LeadSource, LeadStatus
from partnera.sales.tests.factories import WebFormFactory

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
GOOD = {"company": "Бета Строй ООД", "first_name": "Иван", "last_name": "Петров",
        "email": "ivan@beta-stroy.bg", "phone": "0888 123 456", "city": "София",
        "message": "Искаме оферта за 200 стола.", "website": ""}


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def site():
    """A stranger's browser: no session, CSRF checked as a real browser would."""
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def webform(manager):
    return WebFormFactory(owner=manager, team=manager.team, source_detail="Сайт — контакти",
                          redirect_url="https://www.example.bg/blagodarim")


def url(webform) -> str:
    return reverse("webforms:submit", args=[webform.key])


def stored() -> dict:
    return {"leads": list(Lead.all_objects.values()),
            "notifications": list(Notification.objects.values()),
            "audit": list(AuditEntry.objects.values_list("pk", flat=True))}


def test_a_visitor_sends_the_form_and_the_lead_reaches_its_owner(site, webform, manager,
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = site.post(url(webform), GOOD, REMOTE_ADDR="203.0.113.7")

    assert response.status_code == 303
    assert response["Location"] == "https://www.example.bg/blagodarim"
    lead = Lead.objects.get()
    assert (lead.company_name, lead.first_name, lead.last_name, lead.email, lead.phone) == (
        "Бета Строй ООД", "Иван", "Петров", "ivan@beta-stroy.bg", "+359888123456")
    assert lead.source == LeadSource.WEBSITE and lead.source_detail == "Сайт — контакти"
    assert lead.web_form == webform and lead.status == LeadStatus.NEW
    assert (lead.owner, lead.team, lead.created_by) == (manager, manager.team, None)
    note = Notification.objects.get(user=manager)
    assert note.kind == "lead" and "Бета Строй ООД" in note.title
    assert note.url == f"/sales/leads/{lead.pk}/"
    entry = AuditEntry.objects.get(object_type="sales.lead", object_id=str(lead.pk))
    assert (entry.action, entry.actor_id, entry.channel, entry.ip) == (
        "create", None, "web", "203.0.113.7")


def test_without_a_thank_you_address_a_thank_you_page_is_shown(site, manager):
    webform = WebFormFactory(owner=manager, redirect_url="")

    response = site.post(url(webform), GOOD)

    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Lead.objects.count() == 1


def test_a_script_asking_for_json_gets_json(site, webform):
    response = site.post(url(webform), GOOD, HTTP_ACCEPT="application/json")

    assert response.status_code == 201 and response.json() == {"status": "received"}

    bad = site.post(url(webform), {**GOOD, "email": "nope", "phone": ""},
                    HTTP_ACCEPT="application/json")
    assert bad.status_code == 400
    body = bad.json()
    assert body["code"] == "validation_error" and "email" in body["fields"]
    assert Lead.objects.count() == 1


def test_the_hosted_form_page_shows_the_form_with_its_hidden_honeypot(site, webform):
    response = site.get(url(webform))

    html = response.content.decode()
    assert response.status_code == 200
    assert f'action="{url(webform)}"' in html
    assert 'class="hp"' in html and 'name="website"' in html
    assert "csrfmiddlewaretoken" not in html
    assert response["Cache-Control"] == "no-store"


@pytest.mark.parametrize("data, field", [
    ({"message": "Само съобщение"}, "company"),  # nobody named, no way to reach them
    ({"company": "Фирма"}, "email"),  # named, no e-mail or phone
    ({"first_name": "Иван", "email": "ivan@"}, "email"),
    ({"first_name": "Иван", "email": "ivan@example..bg"}, "email"),
    ({"first_name": "Иван", "phone": "12345"}, "phone"),
    ({"company": "Ф" * 256, "email": "a@b.bg"}, "company"),
    ({"first_name": "И" * 101, "email": "a@b.bg"}, "first_name"),
    ({"first_name": "Иван", "email": "a@b.bg", "message": "м" * 5001}, "message"),
    ({"first_name": "Иван", "email": "a" * 250 + "@b.bg"}, "email"),
    ({"first_name": "Иван\x00", "email": "a@b.bg"}, "first_name"),
    ({"first_name": "Иван", "email": "a@b.bg", "message": "текст\x00"}, "message"),
    ({"first_name": "Иван\x1b[31m", "email": "a@b.bg"}, "first_name"),
    ({"company": "Фирма\r\nBcc: x@evil.bg", "email": "a@b.bg"}, "company"),
    ({"company": "Фирма\u202e", "email": "a@b.bg"}, "company"),
    ({"first_name": "Иван", "email": "a@b.bg", "eik": "123"}, "eik"),
])
def test_bad_input_answers_400_with_the_error_and_stores_nothing(site, webform, data, field):
    before = stored()

    response = site.post(url(webform), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert "Please correct the fields marked below." in html
    assert 'class="error"' in html
    assert field in response.context["errors"]
    assert stored() == before


def test_the_visitors_input_is_kept_escaped_on_the_error_page(site, webform):
    response = site.post(url(webform), {"company": SCRIPT, "email": "bad"})

    html = response.content.decode()
    assert response.status_code == 400
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert Lead.objects.count() == 0


def test_a_script_payload_is_stored_as_text_and_shown_escaped(site, webform, logged_in, manager):
    response = site.post(url(webform), {**GOOD, "company": f"Зла {SCRIPT}",
                                        "message": f"{SCRIPT}\n<img src=x onerror=alert(1)>"})

    assert response.status_code == 303
    lead = Lead.objects.get()
    assert lead.company_name == f"Зла {SCRIPT}"
    for page in (reverse("sales:lead_detail", args=[lead.pk]), reverse("sales:lead_list")):
        html = logged_in(manager).get(page).content.decode()
        assert SCRIPT not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_filled_honeypot_is_answered_as_success_and_nothing_is_stored(site, webform):
    before = stored()

    response = site.post(url(webform), {**GOOD, "website": "http://spam.example"})

    assert response.status_code == 303
    assert response["Location"] == webform.redirect_url
    assert stored() == before


def test_an_unknown_inactive_or_rotated_key_answers_404(site, webform, manager, admin_user):
    from partnera.sales.leads import webform_rotate_key

    before = stored()
    assert site.post("/forms/no-such-key/", GOOD).status_code == 404
    assert site.get("/forms/no-such-key/").status_code == 404
    assert site.post("/forms/%3Cscript%3E/", GOOD).status_code == 404
    off = WebFormFactory(owner=manager, active=False)
    assert site.post(url(off), GOOD).status_code == 404
    assert site.get(url(off)).status_code == 404
    old = url(webform)
    webform_rotate_key(actor=admin_user, webform=webform)
    response = site.post(old, GOOD)
    assert response.status_code == 404
    assert "This form does not exist" in response.content.decode()
    assert site.post(old, GOOD, HTTP_ACCEPT="application/json").json()["code"] == "not_found"
    assert stored()["leads"] == before["leads"]


def test_more_than_five_posts_a_minute_from_one_address_answer_429(site, webform):
    for n in range(5):
        response = site.post(url(webform), {**GOOD, "email": f"p{n}@beta.bg"},
                             REMOTE_ADDR="198.51.100.1")
        assert response.status_code == 303
    before = stored()

    refused = site.post(url(webform), GOOD, REMOTE_ADDR="198.51.100.1")

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert "Too many requests" in refused.content.decode()
    assert stored() == before
    # Another address is not held back by the first one's limit
    assert site.post(url(webform), GOOD, REMOTE_ADDR="198.51.100.2").status_code == 303


def test_the_form_as_a_whole_has_a_limit_too(site, webform, settings):
    settings.PARTNERA_WEBFORM_RATE_PER_FORM = 3
    for n in range(3):
        assert site.post(url(webform), GOOD, REMOTE_ADDR=f"192.0.2.{n}").status_code == 303
    before = stored()

    refused = site.post(url(webform), GOOD, REMOTE_ADDR="192.0.2.99", HTTP_ACCEPT="application/json")

    assert refused.status_code == 429 and refused.json()["code"] == "throttled"
    assert stored() == before


def test_one_address_over_its_limit_does_not_use_up_the_forms_limit(site, webform, settings):
    # Given a form-wide limit of 10 a minute, and one address sending 60 posts (honeypot filled)
    settings.PARTNERA_WEBFORM_RATE_PER_FORM = 10
    answers = [site.post(url(webform), {**GOOD, "website": "x"}, REMOTE_ADDR="198.51.100.20")
               .status_code for _n in range(60)]
    # Then it is held back after its own 5 …
    assert answers.count(429) == 55
    # … and the others still get through: only its 5 allowed posts counted against the form
    for n in range(5):
        assert site.post(url(webform), {**GOOD, "email": f"v{n}@beta.bg"},
                         REMOTE_ADDR=f"192.0.2.{n + 1}").status_code == 303
    assert Lead.objects.count() == 5
    assert site.post(url(webform), GOOD, REMOTE_ADDR="192.0.2.50").status_code == 429


def test_ipv6_addresses_count_by_their_64_prefix(site, webform):
    # Given five posts from different addresses of one /64
    for n in range(5):
        assert site.post(url(webform), {**GOOD, "email": f"p{n}@beta.bg"},
                         REMOTE_ADDR=f"2001:db8:0:1::{n + 1:x}").status_code == 303
    before = stored()
    # When a sixth comes from yet another address of the same /64 (written differently)
    refused = site.post(url(webform), GOOD, REMOTE_ADDR="2001:0DB8:0000:0001:ffff::1")
    # Then it is refused and nothing is stored; the next /64 is a different subscriber
    assert refused.status_code == 429
    assert stored() == before
    assert site.post(url(webform), GOOD, REMOTE_ADDR="2001:db8:0:2::1").status_code == 303
    # An IPv4-mapped address counts as that IPv4 address
    for _n in range(5):
        site.post(url(webform), GOOD, REMOTE_ADDR="198.51.100.30")
    assert site.post(url(webform), GOOD, REMOTE_ADDR="::ffff:198.51.100.30").status_code == 429


def test_requests_without_an_address_share_one_bucket_with_the_same_limit(site, webform):
    for n in range(5):
        assert site.post(url(webform), {**GOOD, "email": f"u{n}@beta.bg"},
                         REMOTE_ADDR="").status_code == 303
    before = stored()
    assert site.post(url(webform), GOOD, REMOTE_ADDR="").status_code == 429
    assert stored() == before
    # Visitors with an address are not held back by the unknown bucket
    assert site.post(url(webform), GOOD, REMOTE_ADDR="198.51.100.40").status_code == 303


def test_honeypot_and_bad_posts_count_towards_the_limit(site, webform):
    for _n in range(3):
        site.post(url(webform), {**GOOD, "website": "x"}, REMOTE_ADDR="198.51.100.9")
    for _n in range(2):
        site.post(url(webform), {"email": "bad"}, REMOTE_ADDR="198.51.100.9")

    assert site.post(url(webform), GOOD, REMOTE_ADDR="198.51.100.9").status_code == 429
    assert Lead.objects.count() == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_other_methods_are_refused_and_store_nothing(site, webform, method):
    before = stored()

    response = getattr(site, method)(url(webform), json.dumps(GOOD), content_type="application/json")

    assert response.status_code == 405
    assert stored() == before


def test_a_body_too_large_answers_413_and_stores_nothing(site, webform):
    before = stored()

    response = site.post(url(webform), {**GOOD, "message": "м" * 20000})

    assert response.status_code == 413
    assert stored() == before


@pytest.mark.parametrize("kwargs", [
    {"data": json.dumps(GOOD), "content_type": "application/json"},
    {"data": "<lead/>", "content_type": "text/xml"},
    {"data": {**GOOD, "attachment": SimpleUploadedFile("cv.pdf", b"%PDF-1.4")}},
    {"data": "&".join(f"f{i}=x" for i in range(40)) + "&first_name=A&email=a%40b.bg",
     "content_type": "application/x-www-form-urlencoded"},
    {"data": "first_name=A&first_name=B&email=a%40b.bg",
     "content_type": "application/x-www-form-urlencoded"},
    {"data": "first_name=%FF%FE%00&email=a%40b.bg",
     "content_type": "application/x-www-form-urlencoded"},
])
def test_what_no_html_form_sends_is_refused_with_400(site, webform, kwargs):
    before = stored()

    response = site.post(url(webform), **kwargs)

    assert response.status_code == 400
    assert stored() == before


def test_one_name_box_is_split_into_first_and_last_name(site, webform):
    site.post(url(webform), {"name": "Мария Иванова Петрова", "phone": "02 981 1234"})

    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name, lead.phone) == ("Мария Иванова", "Петрова",
                                                             "+35929811234")


def test_the_internal_pages_still_need_the_csrf_token(site, webform):
    """The exemption is for the public form alone (see also test_lead_views)."""
    from partnera.sales.views import leads, public

    assert getattr(public.webform_submit, "csrf_exempt", False) is True
    exempt = [name for name in dir(leads) if getattr(getattr(leads, name), "csrf_exempt", False)]
    assert exempt == []


def test_a_form_sent_to_a_team_tells_its_head(site, head_of_sales, team,
                                              django_capture_on_commit_callbacks):
    webform = WebFormFactory(owner=None, team=team)

    with django_capture_on_commit_callbacks(execute=True):
        assert site.post(url(webform), GOOD).status_code == 200  # no thank-you address: our page

    lead = Lead.objects.get()
    assert (lead.owner, lead.team) == (None, team)
    assert Notification.objects.get().user == head_of_sales


def test_a_deactivated_owners_form_sends_the_lead_to_the_team_and_tells_its_head(
        site, webform, manager, head_of_sales, admin_user, django_capture_on_commit_callbacks):
    from partnera.sales.selectors import lead_queryset

    # Given the form's owner has left and was deactivated; the team's head is active
    manager.is_active = False
    manager.save()
    with django_capture_on_commit_callbacks(execute=True):
        assert site.post(url(webform), GOOD).status_code == 303

    # Then the lead waits in the team's queue (no owner) and the head is told and sees it
    lead = Lead.objects.get()
    assert (lead.owner, lead.team) == (None, webform.team)
    assert [n.user for n in Notification.objects.all()] == [head_of_sales]
    assert list(lead_queryset(user=head_of_sales)) == [lead]


@pytest.mark.parametrize("case", ["head_inactive", "no_head", "no_team"])
def test_with_no_active_owner_or_head_every_active_administrator_is_told(
        site, manager, team, head_of_sales, admin_user, make_user, case,
        django_capture_on_commit_callbacks):
    from partnera.sales.selectors import lead_queryset

    second_admin = make_user(Role.ADMINISTRATOR, username="admin2")
    make_user(Role.ADMINISTRATOR, username="admin_gone", is_active=False)
    manager.is_active = False
    manager.save()
    if case == "head_inactive":
        head_of_sales.is_active = False
        head_of_sales.save()
    elif case == "no_head":
        team.head = None
        team.save()
    webform = WebFormFactory(owner=manager, team=None if case == "no_team" else team)

    with django_capture_on_commit_callbacks(execute=True):
        assert site.post(url(webform), GOOD, HTTP_ACCEPT="application/json").status_code == 201

    lead = Lead.objects.get()
    assert lead.owner is None
    told = sorted(n.user.username for n in Notification.objects.all())
    assert told == ["admin", "admin2"]
    for user in (admin_user, second_admin):
        assert list(lead_queryset(user=user)) == [lead]
