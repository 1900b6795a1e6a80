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


@pytest.fixture(autouse=True)
def _seeded_defaults(request):
    """The rows the migrations seed (default pipelines, reasons, contact cadences) are wiped by
    the flush after each transactional test (browser tests, job workers); put them back for any
    test that uses the database, as a fresh installation has them."""
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server"))
    if marker is None and not transactional and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from django.apps import apps
    from django.conf import settings

    from partnera.activities.defaults import install_defaults as install_cadences
    from partnera.catalog.defaults import install_defaults as install_catalog
    from partnera.contracts.defaults import install_defaults as install_contract_types
    from partnera.sales.defaults import install_defaults as install_pipelines

    install_pipelines(apps, settings.LANGUAGE_CODE)
    install_cadences(apps)
    install_contract_types(apps, settings.LANGUAGE_CODE)
    install_catalog(apps, settings.LANGUAGE_CODE)

