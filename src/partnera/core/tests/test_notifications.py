"""Notifications in the web UI: the bell with the unread count in the top bar, the page listing
them newest first, opening one, marking one or all read. Only ever the user's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from partnera.core.models import Notification
from partnera.core.notifications import notify

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


def read_state() -> list:
    return list(Notification.objects.order_by("pk").values("pk", "read_at"))


@pytest.fixture(autouse=True)
def _english(client):
    client.cookies["partnera_language"] = "en"


def test_the_bell_shows_the_unread_count_on_every_page(client, manager, other_manager):
    notify(user=manager, kind="reminder", title="Едно")
    notify(user=manager, kind="reminder", title="Две")
    Notification.objects.filter(title="Две").update(read_at=timezone.now())
    notify(user=other_manager, kind="reminder", title="Чуждо")
    client.force_login(manager)
    page = client.get(reverse("clients:company_list")).content.decode()
    assert 'id="notification-bell"' in page and 'data-unread="1"' in page
    bell = client.get(reverse("core:notification_bell")).content.decode()
    assert 'data-unread="1"' in bell
    Notification.objects.filter(user=manager).update(read_at=timezone.now())
    assert "data-unread" not in client.get(reverse("core:notification_bell")).content.decode()


def test_the_page_lists_only_mine_newest_first_unread_highlighted(client, manager, other_manager):
    older = notify(user=manager, kind="reminder", title="По-старо", url="/activities/1/")
    Notification.objects.filter(pk=older.pk).update(created_at=timezone.now() - dt.timedelta(hours=1),
                                                    read_at=timezone.now())
    newer = notify(user=manager, kind="reminder", title="По-ново", body="Среща · 10:00")
    notify(user=other_manager, kind="reminder", title="Чуждо")
    client.force_login(manager)
    page = client.get(reverse("core:notifications")).content.decode()
    assert page.index("По-ново") < page.index("По-старо")
    assert "Чуждо" not in page
    assert f'class="unread" id="notification-{newer.pk}"' in page
    assert f'class="read" id="notification-{older.pk}"' in page
    unread = client.get(reverse("core:notifications") + "?unread=1").content.decode()
    assert "По-ново" in unread and "По-старо" not in unread


def test_opening_one_marks_it_read_and_goes_to_its_page(client, manager):
    n = notify(user=manager, kind="reminder", title="Среща", url="/activities/7/")
    client.force_login(manager)
    response = client.post(reverse("core:notification_open", args=[n.pk]))
    assert response.status_code == 302 and response["Location"] == "/activities/7/"
    assert Notification.objects.get(pk=n.pk).read_at is not None


def test_a_link_to_another_site_is_never_followed(client, manager):
    n = notify(user=manager, kind="reminder", title="Среща", url="https://evil.example.com/")
    client.force_login(manager)
    response = client.post(reverse("core:notification_open", args=[n.pk]))
    assert response["Location"] == reverse("core:notifications")


def test_someone_elses_notification_is_404_and_unchanged(client, manager, other_manager):
    theirs = notify(user=other_manager, kind="reminder", title="Чуждо", url="/x/")
    client.force_login(manager)
    before = read_state()
    for name in ("core:notification_open", "core:notification_read"):
        assert client.post(reverse(name, args=[theirs.pk])).status_code == 404
    client.post(reverse("core:notification_read_all"))
    assert read_state() == before


def test_mark_one_and_all_read(client, manager, other_manager):
    one = notify(user=manager, kind="reminder", title="Едно")
    two = notify(user=manager, kind="reminder", title="Две")
    theirs = notify(user=other_manager, kind="reminder", title="Чуждо")
    client.force_login(manager)
    response = client.post(reverse("core:notification_read", args=[one.pk]),
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'class="read"' in response.content.decode()
    assert Notification.objects.get(pk=one.pk).read_at is not None
    assert Notification.objects.get(pk=two.pk).read_at is None
    response = client.post(reverse("core:notification_read_all"), {"next": "/notifications/"})
    assert response.status_code == 302
    assert not Notification.objects.filter(user=manager, read_at__isnull=True).exists()
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_posts_need_the_csrf_token(manager):
    n = notify(user=manager, kind="reminder", title="Едно", url="/activities/1/")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(manager)
    assert browser.get(reverse("core:notifications")).status_code == 200
    before = read_state()
    for url in (reverse("core:notification_open", args=[n.pk]),
                reverse("core:notification_read", args=[n.pk]),
                reverse("core:notification_read_all")):
        assert browser.post(url).status_code == 403, url
    assert read_state() == before
    token = browser.cookies["csrftoken"].value
    assert browser.post(reverse("core:notification_read_all"),
                        {"csrfmiddlewaretoken": token}).status_code == 302


def test_anonymous_users_are_sent_to_log_in(client):
    assert client.get(reverse("core:notifications")).status_code == 302
    assert client.get(reverse("core:notification_bell")).status_code == 286  # htmx: stop polling
    assert client.post(reverse("core:notification_read_all")).status_code == 302


def test_titles_are_escaped(client, manager):
    notify(user=manager, kind="reminder", title=XSS, body=XSS)
    client.force_login(manager)
    page = client.get(reverse("core:notifications")).content.decode()
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_page_runs_a_constant_number_of_queries(client, manager):
    client.force_login(manager)

    def count(n: int) -> int:
        Notification.objects.all().delete()
        for i in range(n):
            notify(user=manager, kind="reminder", title=f"Напомняне {i}")
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("core:notifications")).status_code == 200
        return len(ctx.captured_queries)

    assert count(2) == count(20)
