"""Logging in and out, throttling, password change, the language that sticks, CSRF."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.test import Client

from partnera.core.models import AuditEntry
from partnera.people.models import User
from partnera.people.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

LANG_COOKIE = django_settings.LANGUAGE_COOKIE_NAME
NEW_PASSWORD = "Sunny-Meadow-Lantern-47"


def _login(client, username, password=PASSWORD, **extra):
    return client.post("/login/", {"username": username, "password": password}, **extra)


# --- log in / log out ---------------------------------------------------------------------

def test_login_page_renders_with_form_and_csrf(client):
    response = client.get("/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="username"' in body and 'name="password"' in body
    assert "csrfmiddlewaretoken" in body


def test_login_with_right_password_logs_in_and_is_audited(client, manager):
    response = _login(client, "manager")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.session[SESSION_KEY] == str(manager.pk)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN)
    assert entry.actor_id == manager.pk
    assert entry.channel == "web"


def test_login_follows_next_within_the_site_only(client, manager):
    response = client.post("/login/?next=/people/me/",
                           {"username": "manager", "password": PASSWORD, "next": "/people/me/"})
    assert response["Location"] == "/people/me/"
    client.logout()
    response = client.post("/login/", {"username": "manager", "password": PASSWORD,
                                       "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_login_with_wrong_password_fails_and_writes_login_failed(client, manager):
    response = _login(client, "manager", "wrong-password")

    assert response.status_code == 200
    assert SESSION_KEY not in client.session
    assert 'role="alert"' in response.content.decode()
    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.object_repr == "manager"
    assert failed.object_id == str(manager.pk)
    assert failed.actor_id is None
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).exists()


def test_login_with_unknown_username_is_audited_with_that_name(client, db):
    _login(client, "nobody-here", "whatever")

    failed = AuditEntry.objects.get(action=AuditEntry.Action.LOGIN_FAILED)
    assert failed.object_repr == "nobody-here"
    assert failed.object_id == ""


def test_inactive_user_cannot_log_in(client, make_user):
    make_user(username="gone", is_active=False)

    _login(client, "gone")

    assert SESSION_KEY not in client.session


def test_lockout_after_failure_limit_even_with_right_password(client, manager, settings):
    settings.AXES_ENABLED = True
    limit = settings.AXES_FAILURE_LIMIT

    for _ in range(limit - 1):
        assert _login(client, "manager", "wrong-password").status_code == 200
    locked = _login(client, "manager", "wrong-password")
    after = _login(client, "manager", PASSWORD, HTTP_ACCEPT_LANGUAGE="en")

    assert locked.status_code == 429
    assert after.status_code == 429
    assert "Too many failed logins" in after.content.decode()
    assert SESSION_KEY not in client.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN_FAILED).count() >= limit
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.LOGIN).exists()


def test_lockout_does_not_block_another_user(client, manager, other_manager, settings):
    settings.AXES_ENABLED = True
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "manager", "wrong-password")

    response = _login(client, "other")

    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(other_manager.pk)


def test_logout_by_post_ends_the_session(client, manager):
    client.force_login(manager)

    response = client.post("/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert SESSION_KEY not in client.session
    assert AuditEntry.objects.filter(action=AuditEntry.Action.LOGOUT, actor=manager).count() == 1
    assert client.get("/people/me/").status_code == 302


def test_logout_by_get_is_refused(client, manager):
    client.force_login(manager)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert client.session[SESSION_KEY] == str(manager.pk)


# --- password change ----------------------------------------------------------------------

def test_password_change_keeps_this_session_and_new_password_works(client, manager):
    client.force_login(manager)

    response = client.post("/people/me/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/people/me/"
    assert client.get("/people/me/").status_code == 200  # still logged in
    manager.refresh_from_db()
    assert manager.check_password(NEW_PASSWORD)
    assert not manager.check_password(PASSWORD)
    entry = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(manager.pk))
    assert entry.changes == {"password": ["***", "***"]}


def test_password_change_ends_other_sessions(client, manager):
    other_browser = Client()
    other_browser.force_login(manager)
    client.force_login(manager)

    client.post("/people/me/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert other_browser.get("/people/me/").status_code == 302


@pytest.mark.parametrize("data, field", [
    ({"old_password": "not-my-password", "new_password1": NEW_PASSWORD,
      "new_password2": NEW_PASSWORD}, "old_password"),
    ({"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
     "new_password2"),
    ({"old_password": PASSWORD, "new_password1": "1234567890123", "new_password2": "1234567890123"},
     "new_password2"),
    ({"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD + "x"},
     "new_password2"),
])
def test_password_change_with_bad_input_shows_error_and_keeps_old(client, manager, data, field):
    client.force_login(manager)
    before = User.objects.get(pk=manager.pk).password

    response = client.post("/people/me/password/", data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert 'class="error"' in response.content.decode()
    assert User.objects.get(pk=manager.pk).password == before
    assert Client().login(username="manager", password=PASSWORD)
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_password_change_needs_login(client):
    response = client.get("/people/me/password/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- language -----------------------------------------------------------------------------

def test_login_applies_the_users_saved_language(client, make_user):
    make_user(username="bg_user", language="bg")

    response = _login(client, "bg_user", HTTP_ACCEPT_LANGUAGE="en")

    assert response.cookies[LANG_COOKIE].value == "bg"
    page = client.get("/people/me/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="bg">' in page.content.decode()


def test_language_switch_is_saved_on_the_user_and_applies_after_a_new_login(client, make_user):
    user = make_user(username="switcher", language="bg")
    _login(client, "switcher")

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/people/me/"})

    assert response.status_code == 302
    assert response["Location"] == "/people/me/"
    assert response.cookies[LANG_COOKIE].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    audit = AuditEntry.objects.get(action=AuditEntry.Action.UPDATE, object_id=str(user.pk))
    assert audit.changes == {"language": ["bg", "en"]}

    # A new browser that says it prefers Bulgarian: the saved choice still wins after login.
    fresh = Client(HTTP_ACCEPT_LANGUAGE="bg")
    login = _login(fresh, "switcher")
    assert login.cookies[LANG_COOKIE].value == "en"
    assert '<html lang="en">' in fresh.get("/people/me/").content.decode()


def test_saved_language_applies_when_the_language_cookie_is_gone(client, make_user):
    make_user(username="keeper", language="en")
    _login(client, "keeper")
    del client.cookies[LANG_COOKIE]

    response = client.get("/people/me/", HTTP_ACCEPT_LANGUAGE="bg")

    assert '<html lang="en">' in response.content.decode()
    assert response.cookies[LANG_COOKIE].value == "en"


def test_explicit_choice_wins_over_the_saved_language_for_this_session(client, make_user):
    make_user(username="chooser", language="en")
    _login(client, "chooser")
    client.cookies[LANG_COOKIE] = "bg"

    assert '<html lang="bg">' in client.get("/people/me/").content.decode()


def test_language_switch_when_logged_out_changes_no_user(client, manager):
    response = client.post("/i18n/setlang/", {"language": "bg", "next": "/login/"})

    assert response.status_code == 302
    assert response.cookies[LANG_COOKIE].value == "bg"
    manager.refresh_from_db()
    assert manager.language == "en"
    assert not AuditEntry.objects.exists()


def test_language_switch_with_unknown_language_changes_nothing(client, manager):
    client.force_login(manager)

    response = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})

    assert response.status_code == 302
    assert LANG_COOKIE not in response.cookies
    manager.refresh_from_db()
    assert manager.language == "en"
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE).exists()


def test_login_page_offers_the_language_switch(client):
    body = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'action="/i18n/setlang/"' in body
    assert 'value="bg"' in body and 'value="en"' in body


# --- CSRF ---------------------------------------------------------------------------------

def test_login_without_csrf_token_is_rejected(manager):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post("/login/", {"username": "manager", "password": PASSWORD})

    assert response.status_code == 403
    assert SESSION_KEY not in browser.session
    assert not AuditEntry.objects.exists()


def test_logout_without_csrf_token_is_rejected(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    assert browser.post("/logout/").status_code == 403
    assert browser.session[SESSION_KEY] == str(manager.pk)


def test_language_switch_without_csrf_token_is_rejected(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)

    response = browser.post("/i18n/setlang/", {"language": "bg"})

    assert response.status_code == 403
    manager.refresh_from_db()
    assert manager.language == "en"


def test_password_change_without_csrf_token_is_rejected(manager):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    before = manager.password

    response = browser.post("/people/me/password/", {
        "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

    assert response.status_code == 403
    manager.refresh_from_db()
    assert manager.password == before
