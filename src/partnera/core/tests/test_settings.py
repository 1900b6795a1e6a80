"""Settings: production refuses unsafe configurations; SQLite runs in WAL; /healthz answers.

Settings are read once per process, so each configuration is loaded in a fresh Python process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

STRONG_KEY = "k3y-" + "x9Qz!7bP" * 7


def load_settings(tmp_path, code: str = "", **env: str) -> subprocess.CompletedProcess:
    """Import the settings module in a new process with only the given PARTNERA_* variables."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith("PARTNERA_") and k != "DJANGO_SETTINGS_MODULE"}
    clean.update(PARTNERA_HOME=str(tmp_path), DJANGO_SETTINGS_MODULE="partnera.config.settings",
                 **env)
    script = "from partnera.config import settings as s\n" + code
    return subprocess.run([sys.executable, "-c", script], env=clean, capture_output=True,
                          text=True, timeout=60)


def test_production_without_a_secret_key_refuses_to_start(tmp_path):
    result = load_settings(tmp_path, PARTNERA_ENV="production", PARTNERA_DEBUG="0")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "PARTNERA_SECRET_KEY" in result.stderr


def test_production_with_a_short_secret_key_refuses_to_start(tmp_path):
    result = load_settings(tmp_path, PARTNERA_ENV="production", PARTNERA_SECRET_KEY="short")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr


def test_production_with_debug_on_refuses_to_start(tmp_path):
    result = load_settings(tmp_path, PARTNERA_ENV="production", PARTNERA_SECRET_KEY=STRONG_KEY,
                           PARTNERA_DEBUG="1")

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DEBUG" in result.stderr


def test_production_with_a_secret_key_and_debug_off_starts_with_secure_cookies(tmp_path):
    code = ("import json; print(json.dumps({'debug': s.DEBUG, 'session': s.SESSION_COOKIE_SECURE, "
            "'csrf': s.CSRF_COOKIE_SECURE, 'hsts': s.SECURE_HSTS_SECONDS, "
            "'hosts': s.ALLOWED_HOSTS}))")
    result = load_settings(tmp_path, code, PARTNERA_ENV="production", PARTNERA_SECRET_KEY=STRONG_KEY)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"debug": False, "session": True, "csrf": True,
                                         "hsts": 31536000, "hosts": ["127.0.0.1", "localhost"]}


def test_database_url_selects_postgresql(tmp_path):
    code = "d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['HOST'], d['PORT'])"
    result = load_settings(tmp_path, code,
                           PARTNERA_DATABASE_URL="postgres://crm:pw@db.internal:5433/partnera")

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "partnera", "db.internal",
                                     "5433"]


def test_the_default_database_is_sqlite_in_partnera_home_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(connection.vendor, connection.settings_dict['NAME'])\n"
        "for pragma in ('journal_mode', 'foreign_keys', 'busy_timeout'):\n"
        "    print(c.execute(f'PRAGMA {pragma}').fetchone()[0])\n"
        "print(connection.settings_dict['OPTIONS']['transaction_mode'])\n"
    )
    result = load_settings(tmp_path, code)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:-1] == [
        f"sqlite {tmp_path / 'partnera.sqlite3'}", "wal", "1", "20000", "IMMEDIATE"]


@pytest.mark.django_db
def test_sqlite_connections_enforce_foreign_keys_and_immediate_transactions():
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite pragmas apply to SQLite only")
    # The test database is in memory, where SQLite has no WAL; the pragmas still ran.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


@pytest.mark.django_db
def test_healthz_answers_200_without_login(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
