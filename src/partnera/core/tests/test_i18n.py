"""Every user-facing string is translatable, and the Bulgarian translation is complete."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2]


def _po_entries(path: Path) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) for every entry of a .po file; plural forms joined."""
    entries, msgid, msgstr, fuzzy, current = [], [], [], False, None
    def flush():
        if msgid or msgstr:
            entries.append(("".join(msgid), "".join(msgstr), fuzzy))
    for raw in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        line = raw.strip()
        if not line:
            flush()
            msgid, msgstr, fuzzy, current = [], [], False, None
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid_plural"):
            current = None
        elif line.startswith("msgid "):
            current = msgid
            msgid.append(line[7:-1])
        elif line.startswith("msgstr"):
            current = msgstr
            msgstr.append(line.split(" ", 1)[1][1:-1] or "")
            if line.split(" ", 1)[1] == '""':
                msgstr.append("")
        elif line.startswith('"') and current is not None:
            current.append(line[1:-1])
    return [e for e in entries if e[0]]


def test_bulgarian_translation_is_complete_and_current(tmp_path):
    """Extract the messages afresh from a copy of the code: each one has a Bulgarian text."""
    copy = tmp_path / "partnera"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "tests"))
    for domain in ("django", "djangojs"):
        if domain == "djangojs":
            continue
        subprocess.run(
            [sys.executable, "-m", "django", "makemessages", "-l", "bg", "-d", domain,
             "--no-obsolete", "--no-location"],
            cwd=copy, check=True, capture_output=True,
            env={"DJANGO_SETTINGS_MODULE": "", "PATH": "/usr/bin:/bin"},
        )
    fresh = _po_entries(copy / "locale" / "bg" / "LC_MESSAGES" / "django.po")
    assert len(fresh) > 100
    missing = [mid for mid, mstr, fuzzy in fresh if not mstr or fuzzy]
    assert missing == [], f"{len(missing)} strings lack a Bulgarian translation: {missing[:20]}"


def test_compiled_catalogue_matches_source():
    po = PACKAGE / "locale" / "bg" / "LC_MESSAGES" / "django.po"
    mo = PACKAGE / "locale" / "bg" / "LC_MESSAGES" / "django.mo"
    if not po.exists():
        pytest.fail("locale/bg/LC_MESSAGES/django.po is missing")
    assert mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime - 1, "run compilemessages"


def test_pages_render_in_bulgarian_and_english(client, manager):
    client.force_login(manager)
    bg = client.get("/", HTTP_ACCEPT_LANGUAGE="bg")
    assert '<html lang="bg">' in bg.content.decode()
    assert "Фирми" in bg.content.decode() and "Моят ден" in bg.content.decode()
    client.cookies["partnera_language"] = "en"
    en = client.get("/")
    assert '<html lang="en">' in en.content.decode()
    assert "Companies" in en.content.decode() and "Фирми" not in en.content.decode()
