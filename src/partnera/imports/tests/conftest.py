"""Fixtures shared by the imports pages' tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def logged_in(client):
    """Log a user in, reading the pages in English (the tests match English texts)."""
    def _login(user):
        client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return _login
