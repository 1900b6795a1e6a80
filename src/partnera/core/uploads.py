"""Checking an uploaded file before it is stored (client files, contract documents …).

One place decides which files are accepted: by extension, by size (PARTNERA_MAX_UPLOAD_BYTES) and
by content — a file must start with the signature of its kind (a ".pdf" that is an executable is
refused). The user's file name is kept as data only; files are stored under random names.
"""

from __future__ import annotations

import hashlib

from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from partnera.core.errors import ValidationFailed

ALLOWED_UPLOADS = {
    # extension: (content types, leading bytes that the file must start with, or None)
    "pdf": ({"application/pdf"}, (b"%PDF-",)),
    "png": ({"image/png"}, (b"\x89PNG\r\n\x1a\n",)),
    "jpg": ({"image/jpeg"}, (b"\xff\xd8\xff",)),
    "jpeg": ({"image/jpeg"}, (b"\xff\xd8\xff",)),
    "gif": ({"image/gif"}, (b"GIF87a", b"GIF89a")),
    "docx": ({"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
             (b"PK\x03\x04",)),
    "xlsx": ({"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
             (b"PK\x03\x04",)),
    "pptx": ({"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
             (b"PK\x03\x04",)),
    "odt": ({"application/vnd.oasis.opendocument.text"}, (b"PK\x03\x04",)),
    "ods": ({"application/vnd.oasis.opendocument.spreadsheet"}, (b"PK\x03\x04",)),
    "doc": ({"application/msword"}, (b"\xd0\xcf\x11\xe0",)),
    "xls": ({"application/vnd.ms-excel"}, (b"\xd0\xcf\x11\xe0",)),
    "txt": ({"text/plain"}, None),
    "csv": ({"text/csv"}, None),
    "eml": ({"message/rfc822"}, None),
}


def check_upload(upload: UploadedFile, *, field: str = "file") -> tuple[str, str]:
    """(the file's plain name, its content type) when the file is accepted; otherwise
    ValidationFailed with the reason under `field`."""
    from django.conf import settings

    def refuse(message: str) -> ValidationFailed:
        return ValidationFailed(fields={field: [message]})

    name = (upload.name or "").replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not name or len(name) > 255:
        raise refuse(_("The file needs a name of at most 255 characters."))
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_UPLOADS:
        allowed = ", ".join(sorted(ALLOWED_UPLOADS))
        raise refuse(_("Files of this type are not accepted. Accepted: %(types)s.")
                     % {"types": allowed})
    if upload.size is None or upload.size == 0:
        raise refuse(_("The file is empty."))
    if upload.size > settings.PARTNERA_MAX_UPLOAD_BYTES:
        raise refuse(_("The file is larger than %(limit)s.")
                     % {"limit": filesizeformat(settings.PARTNERA_MAX_UPLOAD_BYTES)})
    content_types, signatures = ALLOWED_UPLOADS[extension]
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    if signatures and not any(head.startswith(sig) for sig in signatures):
        raise refuse(_("The file's content does not match its “.%(ext)s” extension.")
                     % {"ext": extension})
    if signatures is None and b"\x00" in head:
        raise refuse(_("This does not look like a text file."))
    return name, sorted(content_types)[0]


def sha256_of(upload: UploadedFile) -> str:
    """The file's SHA-256 (hex), read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()
