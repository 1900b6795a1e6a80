"""vCards: contacts out as vCard 4.0 (RFC 6350), and vCards in from other address books.

Written here rather than with vobject: vobject's vCard support is built around 3.0 (it reads a
4.0 card only as loosely typed lines), and the files people bring in are the ones Outlook,
Google Contacts and the iPhone write — vCard 2.1 with quoted-printable soft line breaks and
Windows-1251 text, 3.0 with grouped properties (``item1.EMAIL``) and bare ``TYPE`` lists, 4.0 with
``tel:`` URIs — which need byte-level unfolding and a charset per property. The reader below is
small and handles exactly those; the tests read our own 4.0 output back with vobject as an
independent check.

Writing: UTF-8, CRLF line ends, lines folded at 75 octets without splitting a character, text
escaped (backslash, comma, semicolon, newline). A card carries what identifies and reaches the
person — name, company and department (ORG: the company's legal name, then the department, where
Outlook, Google and the iPhone read a department), position (TITLE), e-mails, phones (tel: URIs,
TYPE cell for mobiles), and the company's EIK as X-PARTNERA-COMPANY-EIK — and no confidential
data and no notes.

Reading: ``read_vcards(data)`` returns one row per card keyed by the contact import fields, so the
import machinery treats a .vcf like any spreadsheet.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import quopri
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import phonenumbers

VCARD_CONTENT_TYPE = "text/vcard; charset=utf-8"
FOLD_OCTETS = 75
UID_NAMESPACE = uuid.UUID("0b9e3f8e-52a4-4c0e-9a8e-7f6d2f3c1a55")  # Partnera contacts

READ_KEYS = ("first_name", "last_name", "position", "department", "emails", "phones",
             "company_name", "company_eik")
# Our own cards name the company's EIK too (an extension property, RFC 6350 §6.10), so a card
# exported here and imported back finds its company exactly; other address books ignore it.
EIK_PROPERTY = "X-PARTNERA-COMPANY-EIK"
LIST_JOIN = "; "  # what clients.identifiers.split_list splits


# --- writing ------------------------------------------------------------------------------------

@dataclass
class CardData:
    """What a contact's card shows."""

    pk: int
    first_name: str
    last_name: str = ""
    position: str = ""
    department: str = ""
    company: str = ""
    company_eik: str = ""
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    updated_at: dt.datetime | None = None


def escape_text(value: str) -> str:
    """A TEXT value with backslash, comma, semicolon and newlines escaped (RFC 6350 §3.4)."""
    value = value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str) -> str:
    """The content line folded at 75 octets (RFC 6350 §3.2), never inside a UTF-8 character,
    with CRLF after each physical line."""
    encoded = line.encode("utf-8")
    if len(encoded) <= FOLD_OCTETS:
        return line + "\r\n"
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, FOLD_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, FOLD_OCTETS - 1  # continuation lines start with a space
        current.append(ch)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _phone_types(e164: str) -> str:
    try:
        kind = phonenumbers.number_type(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return "work,voice"
    if kind == phonenumbers.PhoneNumberType.MOBILE:
        return "work,cell"
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE:
        return "work,voice,cell"
    return "work,voice"


def _tel_uri(e164: str) -> str:
    # RFC 3966 global number; visual separators are optional and left out.
    return "tel:" + re.sub(r"[^\d+]", "", e164)


def contact_uid(pk: int) -> str:
    return f"urn:uuid:{uuid.uuid5(UID_NAMESPACE, f'partnera:contact:{pk}')}"


def card_text(card: CardData) -> str:
    """One vCard 4.0."""
    full_name = " ".join(p for p in (card.first_name, card.last_name) if p) or card.company
    lines = [
        "BEGIN:VCARD",
        "VERSION:4.0",
        "PRODID:-//Partnera//Partnera CRM//EN",
        f"UID:{contact_uid(card.pk)}",
        "KIND:individual",
        f"FN:{escape_text(full_name)}",
        f"N:{escape_text(card.last_name)};{escape_text(card.first_name)};;;",
    ]
    if card.company or card.department:
        org = escape_text(card.company)
        if card.department:
            org += ";" + escape_text(card.department)
        lines.append(f"ORG:{org}")
    if card.company_eik:
        lines.append(f"{EIK_PROPERTY}:{escape_text(card.company_eik)}")
    if card.position:
        lines.append(f"TITLE:{escape_text(card.position)}")
    for i, email in enumerate(card.emails):
        pref = ";PREF=1" if i == 0 else ""
        lines.append(f"EMAIL;TYPE=work{pref}:{escape_text(email)}")
    for i, phone in enumerate(card.phones):
        pref = ";PREF=1" if i == 0 else ""
        lines.append(f"TEL;VALUE=uri;TYPE={_phone_types(phone)}{pref}:{_tel_uri(phone)}")
    if card.updated_at:
        lines.append(f"REV:{card.updated_at.astimezone(dt.UTC):%Y%m%dT%H%M%SZ}")
    lines.append("END:VCARD")
    return "".join(fold(line) for line in lines)


def card_chunks(cards: Iterable[CardData], *, per_chunk: int = 200) -> Iterator[bytes]:
    """The .vcf file as byte chunks for a streaming response."""
    batch: list[str] = []
    for card in cards:
        batch.append(card_text(card))
        if len(batch) >= per_chunk:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


# --- reading ------------------------------------------------------------------------------------

@dataclass
class _Property:
    name: str
    params: dict[str, list[str]]
    value: str


def _default_charset(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1251"  # what Bulgarian Windows address books write
    return "utf-8"


def _to_utf8_bytes(data: bytes) -> bytes:
    """Files that are UTF-16 (some Windows exports) become UTF-8; a UTF-8 BOM is dropped."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace").encode("utf-8")
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):]
    return data


def _split_outside_quotes(text: bytes, sep: bytes) -> list[bytes]:
    parts, current, quoted = [], bytearray(), False
    for byte in text:
        ch = bytes([byte])
        if ch == b'"':
            quoted = not quoted
            continue
        if ch == sep and not quoted:
            parts.append(bytes(current))
            current = bytearray()
            continue
        current += ch
    parts.append(bytes(current))
    return parts


def _header_end(line: bytes) -> int:
    """Index of the colon that ends NAME;PARAMS (a colon inside a quoted parameter does not)."""
    quoted = False
    for i, byte in enumerate(line):
        if byte == 0x22:
            quoted = not quoted
        elif byte == 0x3A and not quoted:
            return i
    return -1


def _is_qp(header: bytes) -> bool:
    return b"QUOTED-PRINTABLE" in header.upper()


def _logical_lines(data: bytes) -> list[bytes]:
    """Physical lines unfolded: a line starting with a space or tab continues the previous one
    (RFC 6350/2426 folding), and a quoted-printable value ending in "=" continues on the next
    line as it stands (vCard 2.1 soft line breaks, as Outlook writes them)."""
    out: list[bytes] = []
    qp_open = False
    for raw in re.split(rb"\r\n|\r|\n", data):
        if qp_open and out:
            out[-1] = out[-1][:-1] + raw
        elif raw[:1] in (b" ", b"\t") and out:
            out[-1] += raw[1:]
        elif raw.strip():
            out.append(raw)
        else:
            continue
        line = out[-1]
        colon = _header_end(line)
        qp_open = colon > 0 and _is_qp(line[:colon]) and line.endswith(b"=")
    return out


def _decode(value: bytes, charset: str | None, default: str) -> str:
    for name in (charset, default, "utf-8", "cp1251"):
        if not name:
            continue
        try:
            return value.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return value.decode("utf-8", errors="replace")


def _parse_line(line: bytes, default: str) -> _Property | None:
    colon = _header_end(line)
    if colon <= 0:
        return None
    header, raw_value = line[:colon], line[colon + 1:]
    pieces = _split_outside_quotes(header, b";")
    name = pieces[0].decode("ascii", errors="replace").strip().upper()
    name = name.rsplit(".", 1)[-1]  # "item1.EMAIL" (Apple's property groups)
    params: dict[str, list[str]] = {}
    for piece in pieces[1:]:
        text = piece.decode("utf-8", errors="replace").strip()
        if not text:
            continue
        if "=" in text:
            key, _, values = text.partition("=")
            key = key.strip().upper()
        else:  # vCard 2.1 bare parameter: a type, or the encoding
            key, values = ("ENCODING" if text.upper() in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "B")
                           else "TYPE"), text
        params.setdefault(key, []).extend(v.strip().lower() for v in values.split(",") if v.strip())
    encoding = (params.get("ENCODING") or [""])[0]
    charset = params["CHARSET"][0] if params.get("CHARSET") else None
    if encoding == "quoted-printable":
        raw_value = quopri.decodestring(raw_value)
    elif encoding in ("b", "base64"):
        try:
            raw_value = base64.b64decode(raw_value, validate=False)
        except (binascii.Error, ValueError):
            raw_value = b""
    return _Property(name, params, _decode(raw_value, charset, default))


_UNESCAPE = re.compile(r"\\(.)", re.DOTALL)


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(lambda m: "\n" if m.group(1) in "nN" else m.group(1), text)


def _split_unescaped(text: str, separator: str) -> list[str]:
    """`text` split at each `separator` that is not escaped with a backslash (parts still
    escaped)."""
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _components(text: str) -> list[str]:
    """A structured value (ORG) split at its unescaped semicolons, each part unescaped."""
    return [_unescape(part).strip() for part in _split_unescaped(text, ";")]


def _name_parts(text: str) -> list[str]:
    """N's components; a component's several values (unescaped commas) joined with a space."""
    return [" ".join(v for v in (_unescape(value).strip() for value in _split_unescaped(part, ","))
                     if v)
            for part in _split_unescaped(text, ";")]


def _preferred(prop: _Property) -> bool:
    return "pref" in prop.params.get("TYPE", []) or "1" in prop.params.get("PREF", [])


def _row(props: list[_Property]) -> dict[str, str] | None:
    first: dict[str, _Property] = {}
    for prop in props:
        first.setdefault(prop.name, prop)
    kind = first.get("KIND")
    if kind and kind.value.strip().lower() == "group":
        return None
    given = family = ""
    if "N" in first:
        family, given, additional = [*_name_parts(first["N"].value), "", "", ""][:3]
        given = " ".join(p for p in (given, additional) if p)
    if not (given or family) and "FN" in first:
        full = _unescape(first["FN"].value).split()
        given, family = (" ".join(full[:-1]), full[-1]) if len(full) > 1 else (" ".join(full), "")
    company = department = ""
    if "ORG" in first:
        org = [p for p in _components(first["ORG"].value)]
        company = org[0] if org else ""
        department = ", ".join(p for p in org[1:] if p)
    position = _unescape(first["TITLE"].value).strip() if "TITLE" in first else ""
    if not position and "ROLE" in first:
        position = _unescape(first["ROLE"].value).strip()
    emails = [p for p in props if p.name == "EMAIL"]
    phones = [p for p in props if p.name == "TEL"]
    emails.sort(key=lambda p: not _preferred(p))
    phones.sort(key=lambda p: not _preferred(p))
    email_values = _unique(_unescape(p.value).strip() for p in emails)
    phone_values = _unique(_phone_value(p.value) for p in phones)
    return {
        "first_name": given, "last_name": family, "position": position, "department": department,
        "emails": LIST_JOIN.join(email_values), "phones": LIST_JOIN.join(phone_values),
        "company_name": company,
        "company_eik": _unescape(first[EIK_PROPERTY].value).strip() if EIK_PROPERTY in first else "",
    }


def _phone_value(value: str) -> str:
    value = _unescape(value).strip()
    if value.lower().startswith("tel:"):
        value = value[4:].split(";", 1)[0]  # tel:+359-888-123-456;ext=12
    return value.strip()


def _unique(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for v in values:
        if v and v not in seen:
            seen.append(v)
    return seen


def read_vcards(data: bytes) -> list[dict[str, str]]:
    """One row per vCard in `data` (vCard 2.1, 3.0 or 4.0; UTF-8, UTF-16 or Windows-1251),
    keyed by the contact import fields (READ_KEYS). Several e-mails or phones are joined with
    "; ", the preferred one first. Group cards (KIND:group) are left out."""
    lines = _logical_lines(_to_utf8_bytes(data))
    # Judged once unfolded: a fold may split a UTF-8 character's octets across two lines.
    default = _default_charset(b"\n".join(lines))
    rows: list[dict[str, str]] = []
    props: list[_Property] = []
    depth = 0
    for line in lines:
        prop = _parse_line(line, default)
        if prop is None:
            continue
        if prop.name == "BEGIN" and prop.value.strip().upper() == "VCARD":
            depth += 1
            if depth == 1:
                props = []
            continue
        if prop.name == "END" and prop.value.strip().upper() == "VCARD":
            depth -= 1
            if depth == 0:
                row = _row(props)
                if row is not None:
                    rows.append(row)
            depth = max(depth, 0)
            continue
        if depth == 1:
            props.append(prop)
    return rows
