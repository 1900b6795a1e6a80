"""vCards: our vCard 4.0 output (escaping, folding, read back by our reader and by vobject) and
the reader on files as Google Contacts, Outlook and the iPhone write them."""

from __future__ import annotations

import datetime as dt

import pytest

from partnera.clients.vcard import READ_KEYS, CardData, card_chunks, card_text, fold, read_vcards

TRICKY = CardData(
    pk=7, first_name="Иван, мл.", last_name="Петров; Иванов",
    position="Управител\nпродажби и маркетинг", department="R&D\\Лаборатория",
    company="Акционерно дружество „Алфа, Бета и Гама“ – Клон Пловдив, отдел внос ООД",
    company_eik="175074752", emails=["ivan@alfa.bg", "i.petrov@alfa.bg"],
    phones=["+359888123456", "+35929812345"],
    updated_at=dt.datetime(2026, 3, 1, 10, 30, tzinfo=dt.UTC),
)


# --- writing -------------------------------------------------------------------------------------

def test_a_card_escapes_commas_semicolons_newlines_and_backslashes():
    text = card_text(TRICKY)
    unfolded = text.replace("\r\n ", "")

    assert unfolded.startswith("BEGIN:VCARD\r\nVERSION:4.0\r\n")
    assert "FN:Иван\\, мл. Петров\\; Иванов\r\n" in unfolded
    assert "N:Петров\\; Иванов;Иван\\, мл.;;;\r\n" in unfolded
    assert "TITLE:Управител\\nпродажби и маркетинг\r\n" in unfolded
    assert ("ORG:Акционерно дружество „Алфа\\, Бета и Гама“ – Клон Пловдив\\, отдел внос ООД;"
            "R&D\\\\Лаборатория\r\n") in unfolded
    assert "X-PARTNERA-COMPANY-EIK:175074752\r\n" in unfolded
    assert "EMAIL;TYPE=work;PREF=1:ivan@alfa.bg\r\n" in unfolded
    assert "EMAIL;TYPE=work:i.petrov@alfa.bg\r\n" in unfolded
    assert "TEL;VALUE=uri;TYPE=work,cell;PREF=1:tel:+359888123456\r\n" in unfolded
    assert "TEL;VALUE=uri;TYPE=work,voice:tel:+35929812345\r\n" in unfolded
    assert "REV:20260301T103000Z\r\n" in unfolded
    assert unfolded.endswith("END:VCARD\r\n")
    assert "NOTE" not in unfolded


def test_long_lines_fold_at_75_octets_without_splitting_a_character():
    text = card_text(TRICKY)
    raw = text.encode("utf-8")

    physical = raw.split(b"\r\n")
    assert physical[-1] == b""
    assert max(len(line) for line in physical) <= 75
    assert any(line.startswith(b" ") for line in physical)  # the ORG line was folded
    for line in physical:
        line.decode("utf-8")  # each physical line is whole UTF-8: no character was cut
    assert b"\n" not in raw.replace(b"\r\n", b"")


def test_fold_leaves_short_lines_and_uses_one_space_continuations():
    assert fold("FN:Иван") == "FN:Иван\r\n"
    line = "NOTE:" + "я" * 100  # 205 octets
    folded = fold(line)
    parts = folded.split("\r\n")[:-1]
    assert [len(p.encode()) for p in parts] == [75, 75, 57]  # 5 + 35×2, 1 + 37×2, 1 + 28×2
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_our_cards_read_back_exactly():
    other = CardData(pk=8, first_name="Мария", last_name="", emails=[], phones=[])
    data = b"".join(card_chunks([TRICKY, other]))

    rows = read_vcards(data)

    assert rows == [
        {"first_name": "Иван, мл.", "last_name": "Петров; Иванов",
         "position": "Управител\nпродажби и маркетинг", "department": "R&D\\Лаборатория",
         "emails": "ivan@alfa.bg; i.petrov@alfa.bg", "phones": "+359888123456; +35929812345",
         "company_name": "Акционерно дружество „Алфа, Бета и Гама“ – Клон Пловдив, отдел внос ООД",
         "company_eik": "175074752"},
        {"first_name": "Мария", "last_name": "", "position": "", "department": "", "emails": "",
         "phones": "", "company_name": "", "company_eik": ""},
    ]


def test_vobject_reads_our_cards_too():
    vobject = pytest.importorskip("vobject")
    text = b"".join(card_chunks([TRICKY])).decode("utf-8")

    card = next(vobject.readComponents(text))

    assert card.version.value == "4.0"
    assert card.fn.value == "Иван, мл. Петров; Иванов"
    assert card.n.value.family == "Петров; Иванов"
    assert card.n.value.given == "Иван, мл."
    assert card.org.value == ["Акционерно дружество „Алфа, Бета и Гама“ – Клон Пловдив, отдел внос ООД",
                              "R&D\\Лаборатория"]
    assert card.title.value == "Управител\nпродажби и маркетинг"
    assert [e.value for e in card.email_list] == ["ivan@alfa.bg", "i.petrov@alfa.bg"]
    assert [t.value for t in card.tel_list] == ["tel:+359888123456", "tel:+35929812345"]
    assert card.tel_list[0].params["TYPE"] == ["work,cell"] or card.tel_list[0].params["TYPE"] == [
        "work", "cell"]


# --- reading what other address books write --------------------------------------------------------

GOOGLE = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Мария Иванова\r\n"
    "N:Иванова;Мария;;;\r\n"
    "EMAIL;TYPE=INTERNET;TYPE=WORK:maria@alfa.bg\r\n"
    "EMAIL;TYPE=INTERNET;TYPE=HOME;TYPE=pref:maria.ivanova@gmail.com\r\n"
    "TEL;TYPE=CELL:+359 888 123 456\r\n"
    "TEL;TYPE=WORK:02 981 2345\r\n"
    "ORG:Алфа ООД;Продажби\r\n"
    "TITLE:Търговски директор\r\n"
    "NOTE:Среща на 12.03\\, обсъдихме условията\r\n"
    "CATEGORIES:myContacts\r\n"
    "END:VCARD\r\n"
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "FN:Стефан\r\n"
    "N:;Стефан;;;\r\n"
    "TEL;TYPE=CELL:0877 000 111\r\n"
    "CATEGORIES:myContacts\r\n"
    "END:VCARD\r\n"
).encode()

# Outlook's vCard 2.1: Windows-1251 text in quoted-printable, with a soft line break ("=" at the
# end of a line) inside the title, bare parameters (TEL;WORK;VOICE) and an address over two lines.
OUTLOOK = (
    b"BEGIN:VCARD\r\n"
    b"VERSION:2.1\r\n"
    b"N;LANGUAGE=bg;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:=CF=E5=F2=F0=EE=E2;=C8=E2=E0=ED\r\n"
    b"FN;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:=C8=E2=E0=ED =CF=E5=F2=F0=EE=E2\r\n"
    b"ORG;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:=C1=E5=F2=E0 =C5=CE=CE=C4;=D1=EA=EB=E0=E4 =\r\n"
    b"=E8 =EB=EE=E3=E8=F1=F2=E8=EA=E0\r\n"
    b"TITLE;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:=D2=FA=F0=E3=EE=E2=F1=EA=E8 =EF=F0=E5=\r\n"
    b"=E4=F1=F2=E0=E2=E8=F2=E5=EB\r\n"
    b"TEL;WORK;VOICE:+359 2 981 2345\r\n"
    b"TEL;CELL;VOICE:0888 123 456\r\n"
    b"ADR;WORK;PREF;CHARSET=Windows-1251;ENCODING=QUOTED-PRINTABLE:;;=F3=EB. =C2=E8=F2=EE=F8=E0 1=0D=0A=\r\n"
    b"=E5=F2. 2;=D1=EE=F4=E8=FF\r\n"
    b"EMAIL;PREF;INTERNET:ivan@beta.bg\r\n"
    b"EMAIL;INTERNET:office@beta.bg\r\n"
    b"REV:20260101T120000Z\r\n"
    b"END:VCARD\r\n"
)

# The iPhone's vCard 3.0: grouped properties (item1.EMAIL with its X-ABLabel), lower-case type
# lists, a folded base64 photo, LF line ends.
IPHONE = (
    "BEGIN:VCARD\n"
    "VERSION:3.0\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.4//EN\n"
    "N:Димитров;Георги;Петров;;\n"
    "FN:Георги Петров Димитров\n"
    "ORG:Гама АД;Логистика;Склад\n"
    "TITLE:Мениджър склад\n"
    "item1.EMAIL;type=INTERNET;type=pref:georgi@gama.bg\n"
    "item1.X-ABLabel:_$!<Other>!$_\n"
    "TEL;type=CELL;type=VOICE;type=pref:+359 887 654 321\n"
    "TEL;type=WORK;type=VOICE:+359 32 123 456\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBk\n"
    " SEx8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/\n"
    "END:VCARD\n"
).encode()

# vCard 4.0 from another system: tel URIs with an extension, a quoted TYPE list, a line folded in
# the middle of a two-byte character (octets split across the fold), and a group card.
_ORG = "ORG:Делта ЕООД – дистрибуция на строителни материали за Южна България".encode()
V4 = (
    b"BEGIN:VCARD\r\nVERSION:4.0\r\n"
    + "FN:Елена Стоянова\r\n".encode()
    + _ORG[:41] + b"\r\n " + _ORG[41:] + b"\r\n"
    + "TITLE:Финансов директор\r\n".encode()
    + b"EMAIL;TYPE=work;PREF=1:elena@delta.bg\r\n"
    b'TEL;VALUE=uri;TYPE="voice,work";PREF=1:tel:+359-2-987-6543;ext=12\r\n'
    b"TEL;VALUE=uri;TYPE=cell:tel:+359887111222\r\n"
    b"NOTE:Line one\\nLine two\r\n"
    b"END:VCARD\r\n"
    b"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:group\r\nFN:Clients\r\nMEMBER:urn:uuid:1\r\nEND:VCARD\r\n"
)


def row(**values: str) -> dict[str, str]:
    return {key: values.get(key, "") for key in READ_KEYS}


def test_google_contacts_export():
    assert read_vcards(GOOGLE) == [
        row(first_name="Мария", last_name="Иванова", position="Търговски директор",
            department="Продажби", emails="maria.ivanova@gmail.com; maria@alfa.bg",
            phones="+359 888 123 456; 02 981 2345", company_name="Алфа ООД"),
        row(first_name="Стефан", phones="0877 000 111"),
    ]


def test_outlook_vcard_21_quoted_printable_windows_1251():
    assert read_vcards(OUTLOOK) == [
        row(first_name="Иван", last_name="Петров", position="Търговски представител",
            department="Склад и логистика", emails="ivan@beta.bg; office@beta.bg",
            phones="+359 2 981 2345; 0888 123 456", company_name="Бета ЕООД"),
    ]


def test_iphone_vcard_30_with_groups_and_a_photo():
    assert read_vcards(IPHONE) == [
        row(first_name="Георги Петров", last_name="Димитров", position="Мениджър склад",
            department="Логистика, Склад", emails="georgi@gama.bg",
            phones="+359 887 654 321; +359 32 123 456", company_name="Гама АД"),
    ]


def test_vcard_40_tel_uris_folded_octets_and_groups_left_out():
    assert read_vcards(V4) == [
        row(first_name="Елена", last_name="Стоянова", position="Финансов директор",
            emails="elena@delta.bg", phones="+359-2-987-6543; +359887111222",
            company_name="Делта ЕООД – дистрибуция на строителни материали за Южна България"),
    ]


def test_a_windows_1251_file_without_a_charset_and_a_utf16_file():
    text = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Колева;Анна;;;\r\nORG:Зета ООД\r\nEND:VCARD\r\n"
    expected = [row(first_name="Анна", last_name="Колева", company_name="Зета ООД")]

    assert read_vcards(text.encode("cp1251")) == expected
    assert read_vcards(text.encode("utf-16")) == expected
    assert read_vcards(b"\xef\xbb\xbf" + text.encode("utf-8")) == expected


def test_a_file_with_no_cards_or_garbage_gives_no_rows():
    assert read_vcards(b"") == []
    assert read_vcards(b"not a vcard\r\nat all\r\n") == []
    assert read_vcards(b"\x00\xff\xfe garbage") == []


def test_a_card_that_is_not_ended_is_not_read():
    assert read_vcards(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Half\r\n") == []


def test_the_full_name_is_split_when_there_is_no_n():
    data = b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ana Maria Lopez\r\nEND:VCARD\r\n"

    assert read_vcards(data) == [row(first_name="Ana Maria", last_name="Lopez")]
