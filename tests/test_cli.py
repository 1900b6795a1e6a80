"""The `partnera` command, run as a user runs it: the installed entry point, in a subprocess, on
its own SQLite database in a temporary PARTNERA_HOME (whatever database the suite runs on)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.utils import translation
from stdnum.bg import vat as bg_vat

from partnera.core.roles import Role

PARTNERA = Path(sys.executable).parent / "partnera"
SUBCOMMANDS = ["serve", "worker", "migrate", "demo", "createuser", "token", "import", "export",
               "manage"]


def cli_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PARTNERA_") and k != "DJANGO_SETTINGS_MODULE"}
    # PARTNERA_TESTING: the fast password hasher (demo users); the database is the SQLite file.
    env.update(PARTNERA_HOME=str(home), PARTNERA_TESTING="1", PARTNERA_LOG_LEVEL="WARNING")
    env.update(extra)
    return env


def partnera(home: Path, *args: str, stdin: str | None = None, check: bool = True,
             timeout: float = 120, **extra_env: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [str(PARTNERA), *args], env=cli_env(home, **extra_env), capture_output=True, text=True,
        input=stdin if stdin is not None else "", timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"partnera {' '.join(args)} → {result.returncode}\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def query(home: Path, sql: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(home / "partnera.sqlite3") as db:
        return db.execute(sql, params).fetchall()


def shell(home: Path, code: str) -> str:
    """Run Python inside the configured app (`partnera shell -c`) and return what it printed."""
    return partnera(home, "shell", "-v", "0", "-c", code).stdout.strip()


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("partnera-home")
    partnera(home, "migrate", "--no-input", "-v", "0")
    return home


@pytest.fixture
def home(migrated_home, tmp_path) -> Path:
    """A fresh, migrated database for one test (a copy of the module's migrated one)."""
    target = tmp_path / "home"
    shutil.copytree(migrated_home, target)
    return target


def test_the_entry_point_is_installed():
    assert PARTNERA.exists(), "pip install -e . installs the `partnera` console script"


def test_overview_lists_every_subcommand(tmp_path):
    result = partnera(tmp_path, "--help")
    for name in SUBCOMMANDS:
        assert f"\n  {name} " in result.stdout


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_has_help(tmp_path, name):
    result = partnera(tmp_path, name, "--help")
    if name == "manage":  # lists Django's management commands
        assert "Available subcommands" in result.stdout
        assert "demo" in result.stdout and "createuser" in result.stdout
    else:
        assert result.stdout.startswith(f"usage: partnera {name} ")


def test_token_actions_have_help(tmp_path):
    assert "usage: partnera token create" in partnera(tmp_path, "token", "create", "--help").stdout
    assert "usage: partnera token revoke" in partnera(tmp_path, "token", "revoke", "--help").stdout


def test_demo_builds_a_client_base_with_valid_identifiers(home):
    result = partnera(home, "demo", "--companies", "20", "--seed", "3")

    assert query(home, "SELECT count(*) FROM clients_company") == [(20,)]
    contacts = query(home, "SELECT count(*) FROM clients_contact")[0][0]
    assert 20 <= contacts <= 80
    roles = {r for (r,) in query(home, "SELECT DISTINCT role FROM people_user")}
    assert roles == set(Role.values)
    for eik, vat, country in query(home, "SELECT eik, vat_number, country FROM clients_company"):
        if country == "BG":
            assert len(eik) == 9 and bg_vat.is_valid(eik), eik
            assert vat in ("", f"BG{eik}")
    with translation.override("en"):  # the command speaks English, like Django's own
        for role in Role:
            assert str(role.label) in result.stdout
    assert "admin" in result.stdout and "Partnera-demo-2026" in result.stdout
    # Writes from the command are audited with the CLI channel.
    channels = {c for (c,) in query(home, "SELECT DISTINCT channel FROM core_auditentry")}
    assert channels == {"cli"}


def test_demo_again_adds_companies_but_never_duplicates_users(home):
    partnera(home, "demo", "--companies", "20", "--seed", "3")
    users = query(home, "SELECT count(*) FROM people_user")[0][0]

    partnera(home, "demo", "--companies", "5")

    assert query(home, "SELECT count(*) FROM people_user")[0][0] == users
    assert query(home, "SELECT count(*) FROM clients_company") == [(25,)]
    assert query(home, "SELECT count(DISTINCT eik) FROM clients_company WHERE eik != ''") == \
        query(home, "SELECT count(*) FROM clients_company WHERE eik != ''")


def test_demo_if_empty_only_prints_logins_when_there_are_users(home):
    partnera(home, "createuser", "owner", "--role", "administrator", "--password", "Long-enough-pw-1")

    result = partnera(home, "demo", "--if-empty")

    assert query(home, "SELECT count(*) FROM clients_company") == [(0,)]
    assert query(home, "SELECT username FROM people_user") == [("owner",)]
    assert "demo data not loaded" in result.stdout


def test_createuser_generates_and_prints_a_password_that_logs_in(home):
    result = partnera(home, "createuser", "olga", "--role", "key_account_manager",
                      "--email", "olga@firma.bg", "--first-name", "Олга")

    assert "Created user olga (Key-account manager)" in result.stdout
    password = result.stdout.split("Password: ", 1)[1].strip()
    assert len(password) >= 12
    assert query(home, "SELECT role, email, first_name, is_active FROM people_user") == [
        ("key_account_manager", "olga@firma.bg", "Олга", 1)]
    ok = shell(home, "from partnera.people.models import User; "
                     f"print(User.objects.get(username='olga').check_password({password!r}))")
    assert ok == "True"


def test_createuser_refuses_a_weak_password_and_creates_nothing(home):
    result = partnera(home, "createuser", "weak", "--role", "marketing", "--password", "123",
                      check=False)

    assert result.returncode == 1
    assert "too short" in result.stderr
    assert query(home, "SELECT count(*) FROM people_user") == [(0,)]
    assert query(home, "SELECT count(*) FROM core_auditentry") == [(0,)]


def test_createuser_refuses_an_unknown_role_and_creates_nothing(home):
    result = partnera(home, "createuser", "x", "--role", "boss", check=False)

    assert result.returncode == 2
    assert "invalid choice: 'boss'" in result.stderr
    assert query(home, "SELECT count(*) FROM people_user") == [(0,)]


def test_token_create_prints_a_secret_that_authenticates_until_revoked(home):
    partnera(home, "createuser", "api", "--role", "account_manager", "--password", "Long-enough-pw-1")

    result = partnera(home, "token", "create", "api", "--name", "ERP sync")

    secret = result.stdout.strip()
    assert secret.startswith("pa_") and "\n" not in secret
    assert "not shown again" in result.stderr
    # Only the hash is stored.
    assert query(home, "SELECT count(*) FROM people_apitoken WHERE key_hash = ?", (secret,)) == [(0,)]
    check = ("from partnera.people.services import token_authenticate; "
             f"u = token_authenticate({secret!r}); print(u.username if u else None)")
    assert shell(home, check) == "api"

    prefix = query(home, "SELECT prefix FROM people_apitoken")[0][0]
    assert prefix in partnera(home, "token", "list", "api").stdout
    partnera(home, "token", "revoke", "api", prefix)

    assert shell(home, check) == "None"
    assert query(home, "SELECT action, channel FROM core_auditentry WHERE action LIKE 'token%' "
                       "ORDER BY id") == [("token_create", "cli"), ("token_revoke", "cli")]


def test_token_for_an_unknown_user_is_a_clear_error(home):
    result = partnera(home, "token", "create", "nobody", check=False)

    assert result.returncode == 1
    assert "No user with the username “nobody”" in result.stderr
    assert query(home, "SELECT count(*) FROM people_apitoken") == [(0,)]


def test_other_django_commands_pass_through(home):
    assert "System check identified no issues" in partnera(home, "check").stdout
    assert "System check identified no issues" in partnera(home, "manage", "check").stdout


def test_a_production_configuration_without_a_secret_key_is_refused(tmp_path):
    result = partnera(tmp_path, "check", check=False, PARTNERA_ENV="production")

    assert result.returncode == 2
    assert "PARTNERA_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_runs_the_queue_and_exits_in_batch_mode(home):
    result = partnera(home, "worker", "--batch", "--no-startup-delay", "--processes", "2")

    assert result.returncode == 0
    assert (result.stdout + result.stderr).count("No more tasks to run") == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_runs_gunicorn_on_partnera_port(home):
    port = _free_port()
    dry = partnera(home, "serve", "--dry-run", PARTNERA_PORT=str(port))
    assert "-m gunicorn partnera.config.wsgi:application" in dry.stdout
    assert f"--bind 127.0.0.1:{port}" in dry.stdout

    server = subprocess.Popen([str(PARTNERA), "serve", "--workers", "2"],
                              env=cli_env(home, PARTNERA_PORT=str(port)),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body, deadline = None, time.monotonic() + 30
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                    assert resp.status == 200
                    body = json.loads(resp.read())
            except OSError:
                time.sleep(0.2)
        assert body == {"status": "ok", "database": "sqlite"}
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0]
    assert "Booting worker" in output  # gunicorn, not Django's development server
