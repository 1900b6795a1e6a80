"""Our company's profile (Settings → Our company): administrators only, identifiers checked, the
logo judged by its content (PNG or JPEG, at most 512 KB), every change audited, nothing changed
on a refusal."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from partnera.core.errors import PermissionDenied, ValidationFailed
from partnera.core.models import AuditEntry, OrganisationProfile
from partnera.core.organisation import logo_data_url, organisation_get, organisation_update

pytestmark = pytest.mark.django_db


def picture(kind: str = "PNG", size=(40, 20)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (10, 90, 160)).save(out, format=kind)
    return out.getvalue()


def state() -> list:
    return list(OrganisationProfile.objects.values())


def test_an_administrator_keeps_the_details_and_the_logo(admin_user):
    profile = organisation_update(actor=admin_user, logo=picture("JPEG"), data={
        "legal_name": " Партнера ЕООД ", "eik": "BG 175074752", "vat_number": "175074752",
        "phone": "02 123 4567", "email": "Office@Partnera.bg", "website": "partnera.bg",
        "iban": "bg80bnbg96611020345678"})

    assert (profile.legal_name, profile.eik, profile.vat_number) == ("Партнера ЕООД", "175074752",
                                                                    "BG175074752")
    assert (profile.phone, profile.email, profile.iban) == ("+359 2 123 4567", "office@partnera.bg",
                                                            "BG80BNBG96611020345678")
    assert profile.logo_type == "image/jpeg" and logo_data_url(profile).startswith("data:image/jpeg;base64,")
    assert organisation_get().pk == profile.pk
    entry = AuditEntry.objects.get(object_type="core.organisationprofile")
    assert entry.changes["legal_name"] == ["", "Партнера ЕООД"] and entry.actor == admin_user


@pytest.mark.parametrize("content, message", [
    (b"GIF89a" + b"\0" * 100, "The logo must be a PNG or JPEG picture."),
    (b"\x89PNG\r\n\x1a\n" + b"not really a picture", "The logo file is damaged or not a picture."),
    (picture("PNG")[:40], "The logo file is damaged or not a picture."),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * (512 * 1024), "The logo may be at most 512 KB; this file is larger."),
])
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(admin_user, content, message):
    organisation_update(actor=admin_user, data={"legal_name": "Партнера"})
    before = state()
    with pytest.raises(ValidationFailed) as info:
        organisation_update(actor=admin_user, data={"legal_name": "Друго"}, logo=content)
    assert info.value.fields == {"logo": [message]}
    assert state() == before


def test_bad_identifiers_are_named_and_nothing_changes(admin_user):
    before = state()
    with pytest.raises(ValidationFailed) as info:
        organisation_update(actor=admin_user, data={"eik": "123456789", "iban": "BG00", "email": "x@",
                                                    "phone": "12", "website": "not a site"})
    assert set(info.value.fields) == {"eik", "iban", "email", "phone", "website"}
    assert state() == before


def test_only_an_administrator_changes_it(manager, head_of_sales):
    for user in (manager, head_of_sales):
        with pytest.raises(PermissionDenied):
            organisation_update(actor=user, data={"legal_name": "X"})
    assert state() == []


def test_the_settings_page(client, admin_user, manager):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    url = reverse("core:organisation")
    client.force_login(manager)
    assert client.get(url).status_code == 403
    assert client.post(url, {"legal_name": "X"}).status_code == 403
    assert state() == []

    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    bad = client.post(url, {"legal_name": "Партнера ЕООД", "eik": "111",
                            "logo": SimpleUploadedFile("logo.gif", b"GIF89a", "image/png")})
    html = bad.content.decode()
    assert bad.status_code == 400 and 'value="Партнера ЕООД"' in html
    assert "The logo must be a PNG or JPEG picture." in html and state() == []

    saved = client.post(url, {"legal_name": "Партнера ЕООД",
                              "logo": SimpleUploadedFile("logo.png", picture(), "image/png")})
    assert saved.status_code == 302
    assert organisation_get().logo_type == "image/png"
    page = client.get(url).content.decode()
    assert 'src="data:image/png;base64,' in page and f'href="{url}"' in page  # the nav link too

    client.post(url, {"legal_name": "Партнера ЕООД", "remove_logo": "on"})
    assert organisation_get().logo is None
