"""Fixtures shared by every test: users in every role, a logged-in client, isolated uploads."""

from __future__ import annotations

import pytest

from partnera.core.roles import Role


@pytest.fixture(autouse=True)
def _isolated_files(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Service and selector tests read English messages; requests still pick their own language
    (Bulgarian by default) through the middleware."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def team(db):
    from partnera.people.tests.factories import TeamFactory

    return TeamFactory()


@pytest.fixture
def make_user(db):
    from partnera.people.tests.factories import make_user as _make

    return _make


@pytest.fixture
def manager(make_user, team):
    return make_user(Role.ACCOUNT_MANAGER, team=team, username="manager")


@pytest.fixture
def other_manager(make_user):
    from partnera.people.tests.factories import TeamFactory

    return make_user(Role.ACCOUNT_MANAGER, team=TeamFactory(), username="other")


@pytest.fixture
def head_of_sales(make_user, team):
    head = make_user(Role.HEAD_OF_SALES, username="head")
    team.head = head
    team.save()
    return head


@pytest.fixture
def admin_user(make_user):
    return make_user(Role.ADMINISTRATOR, username="admin")


@pytest.fixture
def logged_in(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
