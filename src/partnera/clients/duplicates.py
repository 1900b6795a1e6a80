"""Likely duplicates: which companies (and contacts) are probably the same client.

How they are found, at a million companies, without comparing every pair:
- Every company carries *identity keys* in a side table (CompanyKey, one index on `key`): its EIK
  (a Bulgarian VAT number BG123456789 gives the EIK key 123456789 too), other VAT numbers, each
  e-mail address, each e-mail domain that is not a public mail provider, each phone (E.164), its
  name key, and a *name block* (the first letters of the name key). Candidates are the companies
  sharing a key with the record; a handful of `IN` queries serve a whole batch of records.
- The name key folds away what does not tell two companies apart: legal forms (ООД, EOOD, Ltd,
  GmbH …), quotes, punctuation, case and script (partnera.core.translit.search_key), and a few
  spelling variants of transliteration (ph/f, w/v, y/i, doubled letters). «"Алфа" ООД», "Alfa
  Ltd", 'ALFA OOD' and «Алфа - ЕООД» all have the key "alfa".
- Similar (not equal) names are compared only inside a name block, and only where at least one
  of the two has no EIK: two companies with different EIKs are different legal entities, whatever
  their names, e-mails or phones say.
- A value shared by very many companies (a call centre's phone, a group's mail domain) is not an
  identity: such keys are skipped.

Each match has a score (0–100, the reasons combined as independent evidence) and its reasons,
shown in the reader's language. Only matches the reader may see are ever returned.

The duplicates finder reads DuplicatePair rows, kept by the services whenever a company is
written (`refresh_pairs`), rebuilt for the whole base by `partnera duplicates --rebuild`.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy, ngettext

from partnera.clients import identifiers as ids
from partnera.clients.models import (
    Company,
    CompanyKey,
    Contact,
    ContactKey,
    DuplicateDismissal,
    DuplicatePair,
)
from partnera.core.errors import Conflict
from partnera.core.pagination import Page, keyset_page
from partnera.core.records import get_visible
from partnera.core.translit import search_key
from partnera.core.visibility import scope_for, visible_q

MIN_SCORE = 50  # below this a pair is not suggested
NEAR_NAME = 0.85  # similarity of two name keys (difflib ratio) from which names are "similar"
COMMON_KEY = 50  # a key held by more companies than this is no identity (a shared switchboard)
COMMON_BLOCK = 300  # a name block larger than this is not searched for similar names
BLOCK_LENGTH = 6
CHUNK = 2000  # records per batch of queries

POINTS = {
    "eik": 100, "vat_eik": 100, "vat": 100, "email": 80, "phone": 70, "name": 75,
    "domain": 30, "city": 30,
}

# Mail providers whose domain says nothing about the company behind an address.
PUBLIC_MAIL_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "abv.bg", "mail.bg", "dir.bg", "yahoo.com", "yahoo.co.uk",
    "yahoo.de", "yahoo.fr", "ymail.com", "hotmail.com", "hotmail.co.uk", "outlook.com",
    "live.com", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "gmx.de", "gmx.net",
    "gmx.com", "web.de", "yandex.ru", "yandex.com", "mail.ru", "inbox.ru", "bk.ru", "list.ru",
    "protonmail.com", "proton.me", "zoho.com", "inbox.bg", "data.bg", "netbg.com", "bulinfo.net",
    "email.bg", "mail.com", "t-online.de", "libero.it", "wp.pl", "o2.pl", "seznam.cz",
    "yahoo.gr", "freemail.hu", "abv.com",
})

# Legal forms and other words that do not tell two companies apart, in their folded Latin form
# (search_key): ООД → ood, ЕООД → eood, АДСИЦ → adsits, «фирма» → firma …
LEGAL_FORM_WORDS = frozenset({
    "ood", "eood", "ad", "ead", "et", "sd", "kd", "kda", "adsits", "adsic", "firma", "ltd",
    "limited", "llc", "gmbh", "jsc", "inc", "incorporated", "sa", "srl", "plc", "ag", "co",
    "corp", "corporation", "company", "bv", "nv", "oy", "ab", "doo", "dooel", "as", "sro",
    "spa", "sas", "sarl", "kg", "ohg", "ug", "lp", "llp", "pte", "pty", "ooo", "zao", "oao",
    "tov", "ekd", "dzzd", "sp", "zoo", "zrt", "kft", "ae", "ee", "ike",
})


# --- keys (pure functions: also used per row by the demo and the importer) -----------------------

def _fold_spelling(word: str) -> str:
    """Spelling variants transliteration produces for the same name: Alpha/Alfa, Stroy/Stroi,
    Sofia/Sofiya, Vest/West; doubled letters count once (digits are kept as they are)."""
    for old, new in (("ph", "f"), ("ck", "k"), ("w", "v"), ("q", "k"), ("x", "ks"), ("y", "i")):
        word = word.replace(old, new)
    return re.sub(r"([^\W\d_])\1+", r"\1", word)


def company_name_key(legal_name: str) -> str:
    """The name a duplicate check compares: «"Алфа" ООД» → "alfa", "Alfa Ltd." → "alfa",
    «Балкан Транс 2000 ЕООД» → "balkan trans 2000"."""
    text = search_key(legal_name or "").replace(".", "")
    words = re.sub(r"[\W_]+", " ", text).split()
    kept = [w for w in words if w not in LEGAL_FORM_WORDS] or words
    return " ".join(_fold_spelling(w) for w in kept)[:255]


def _compact(name_key: str) -> str:
    return name_key.replace(" ", "")


def _city_key(city: str) -> str:
    return search_key(city or "")


def _eik_of_vat(vat: str) -> str:
    """The EIK inside a Bulgarian VAT number of a legal entity (BG + 9 digits), else ""."""
    if vat.startswith("BG") and len(vat) == 11 and vat[2:].isdigit():
        return vat[2:]
    return ""


def _domain(email: str) -> str:
    return email.rsplit("@", 1)[-1] if "@" in email else ""


def identity_keys(*, legal_name: str = "", name_key: str | None = None, eik: str = "",
                  vat_number: str = "", emails: Iterable[str] = (),
                  phones: Iterable[str] = ()) -> list[str]:
    """The identity keys of a company (normalised values in, as the services store them)."""
    keys: list[str] = []
    if eik:
        keys.append(f"eik:{eik}")
    if vat_number:
        from_vat = _eik_of_vat(vat_number)
        keys.append(f"eik:{from_vat}" if from_vat else f"vat:{vat_number}")
    for email in emails or ():
        keys.append(f"email:{email}")
        domain = _domain(email)
        if domain and domain not in PUBLIC_MAIL_DOMAINS:
            keys.append(f"dom:{domain}")
    keys.extend(f"tel:{phone}" for phone in phones or ())
    name = company_name_key(legal_name) if name_key is None else name_key
    compact = _compact(name)
    if compact:
        keys.append(f"name:{compact}")
    if len(compact) >= 4:
        keys.append(f"nb:{compact[:BLOCK_LENGTH]}")
    return list(dict.fromkeys(k[:300] for k in keys))


def _get(record: Any, name: str) -> Any:
    """A field of a model instance or of a row dict (as bulk writers hold them; "pk" is "id")."""
    if isinstance(record, dict):
        return record.get("id" if name == "pk" else name)
    return getattr(record, name, None)


def company_keys(company: Any) -> list[str]:
    """The identity keys of a company (a Company, or a row dict with its fields)."""
    return identity_keys(
        name_key=_get(company, "name_key") or company_name_key(_get(company, "legal_name") or ""),
        eik=_get(company, "eik") or "", vat_number=_get(company, "vat_number") or "",
        emails=_get(company, "emails") or [], phones=_get(company, "phones") or [])


def contact_keys(contact: Any) -> list[str]:
    keys = ([f"email:{e}" for e in _get(contact, "emails") or []]
            + [f"tel:{p}" for p in _get(contact, "phones") or []])
    return list(dict.fromkeys(k[:300] for k in keys))


def company_key_rows(companies: Iterable[Any]) -> list[dict]:
    """Rows of CompanyKey for saved companies (instances or row dicts with their "id"), for a
    bulk insert (demo, import)."""
    return [{"company_id": _get(c, "pk"), "key": key} for c in companies for key in company_keys(c)]


def contact_key_rows(contacts: Iterable[Any]) -> list[dict]:
    return [{"contact_id": _get(c, "pk"), "key": key} for c in contacts for key in contact_keys(c)]


def _kind(key: str) -> str:
    return key.split(":", 1)[0]


# --- matches -----------------------------------------------------------------------------------

REASON_TEXTS = {
    "eik": gettext_lazy("Same EIK %(value)s"),
    "vat_eik": gettext_lazy("VAT number and EIK match (%(value)s)"),
    "vat": gettext_lazy("Same VAT number %(value)s"),
    "email": gettext_lazy("Same e-mail %(value)s"),
    "domain": gettext_lazy("E-mail at the same domain %(value)s"),
    "phone": gettext_lazy("Same phone %(value)s"),
    "name": gettext_lazy("Same name once legal form, quotes and script are ignored (“%(value)s”)"),
    "similar_name": gettext_lazy("Similar name (%(value)s alike)"),
    "city": gettext_lazy("In the same city, %(value)s"),
}


@dataclass(frozen=True)
class Reason:
    code: str  # eik, vat_eik, vat, email, domain, phone, name, similar_name, city
    value: str
    points: int

    def text(self) -> str:
        template = REASON_TEXTS.get(self.code)
        value = ids.format_phone(self.value) if self.code == "phone" else self.value
        return (str(template) if template else "%(value)s") % {"value": value}

    def as_dict(self) -> dict:
        return {"code": self.code, "value": self.value, "points": self.points,
                "text": self.text()}


@dataclass
class DuplicateMatch:
    """A company that is likely the same as the record being checked."""

    company_id: int
    legal_name: str
    city: str
    eik: str
    score: int
    reasons: list[Reason]

    def texts(self) -> list[str]:
        return [r.text() for r in self.reasons]

    def as_dict(self) -> dict:
        return {"id": self.company_id, "name": self.legal_name, "city": self.city,
                "eik": self.eik, "score": self.score,
                "reasons": [r.as_dict() for r in self.reasons]}


def combined_score(reasons: Sequence[Reason]) -> int:
    """Reasons as independent evidence: 1 − Π(1 − pᵢ). Same EIK → 100; a phone (70) and an
    e-mail (80) → 94; a similar name (50) in the same city (30) → 65; a shared domain alone → 30."""
    remaining = 1.0
    for reason in reasons:
        remaining *= 1 - min(reason.points, 100) / 100
    return round(100 * (1 - remaining))


@dataclass
class _Probe:
    """A record being checked, normalised."""

    name_key: str
    eik: str
    vat: str
    city: str
    keys: set[str]
    exclude: set[int] = field(default_factory=set)
    _similarity: _Similarity | None = None

    def similarity(self, other_name_key: str) -> float:
        if self._similarity is None:
            self._similarity = _Similarity(self.name_key)
        return self._similarity(other_name_key)

    entity_eik: str = ""  # the EIK, or the one inside a Bulgarian VAT number
    block: str = ""  # the name block key ("nb:…")

    def __post_init__(self) -> None:
        self.entity_eik = self.eik or _eik_of_vat(self.vat)
        self.block = next((k for k in self.keys if k.startswith("nb:")), "")


def _lenient(normalise: Callable[[Any], Any], value: Any, default: Any) -> Any:
    try:
        return normalise(value)
    except (ValidationError, TypeError, ValueError):
        return default


def _lenient_phones(value: Any) -> list[str]:
    phones = []
    for raw in _lenient(ids.split_list, value, []):
        phone = _lenient(ids.normalize_phone, raw, "")
        if phone:
            phones.append(phone)
    return phones


def _lenient_emails(value: Any) -> list[str]:
    return [e.lower() for e in _lenient(ids.split_list, value, []) if "@" in e]


def _probe(data: dict, exclude: Iterable[int] = (), *, normalised: bool = False) -> _Probe:
    """A record from what a user typed (its values normalised where they can be), or from a
    file the importer has already normalised (`normalised`: taken as they are)."""
    legal_name = str(data.get("legal_name") or "")
    if normalised:
        eik, vat = data.get("eik") or "", data.get("vat_number") or ""
        emails = [e.lower() for e in data.get("emails") or []]
        phones = list(data.get("phones") or [])
    else:
        eik = _lenient(ids.normalize_eik, data.get("eik") or "", "")
        vat = _lenient(ids.normalize_vat, data.get("vat_number") or "", "")
        emails = _lenient_emails(data.get("emails"))
        phones = _lenient_phones(data.get("phones"))
    name_key = company_name_key(legal_name)
    keys = identity_keys(name_key=name_key, eik=eik, vat_number=vat, emails=emails, phones=phones)
    return _Probe(name_key=name_key, eik=eik, vat=vat, city=_city_key(str(data.get("city") or "")),
                  keys=set(keys), exclude=set(exclude))


def _probe_of(company: Any, exclude: Iterable[int] = ()) -> _Probe:
    name_key = getattr(company, "name_key", "") or company_name_key(company.legal_name)
    keys = identity_keys(name_key=name_key, eik=company.eik, vat_number=company.vat_number,
                         emails=company.emails, phones=company.phones)
    return _Probe(name_key=name_key, eik=company.eik, vat=company.vat_number,
                  city=_city_key(company.city), keys=set(keys), exclude=set(exclude))


def _variants(name_key: str) -> tuple[str, str, str]:
    """A name as words, run together, and with its words sorted (word order ignored)."""
    return name_key, _compact(name_key), " ".join(sorted(name_key.split()))


class _Similarity:
    """How alike other names are to one name (difflib ratio, 0–1), with the name's side of each
    comparison prepared once (difflib caches what it learns about its second sequence)."""

    def __init__(self, name_key: str) -> None:
        self.digits = {w for w in name_key.split() if w.isdigit()}
        self.short = len(_compact(name_key)) < 4
        self.matchers = []
        for variant in _variants(name_key):
            matcher = difflib.SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(variant)
            self.matchers.append(matcher)
        self.cache: dict[str, float] = {}

    def __call__(self, other: str) -> float:
        if other not in self.cache:
            self.cache[other] = self._ratio(other)
        return self.cache[other]

    def _ratio(self, other: str) -> float:
        if self.short or not other or len(_compact(other)) < 4:
            return 0.0
        if {w for w in other.split() if w.isdigit()} != self.digits:
            return 0.0  # "Алфа 2000" and "Алфа 97" are two companies
        best = 0.0
        for matcher, variant in zip(self.matchers, _variants(other), strict=True):
            matcher.set_seq1(variant)
            if matcher.real_quick_ratio() < NEAR_NAME or matcher.quick_ratio() < NEAR_NAME:
                continue
            best = max(best, matcher.ratio())
        return best


def _name_similarity(a: str, b: str) -> float:
    return _Similarity(a)(b)


CANDIDATE_FIELDS = ("pk", "legal_name", "name_key", "eik", "vat_number", "city", "emails",
                    "phones")


def _score(probe: _Probe, cand: dict) -> DuplicateMatch | None:
    cand_eik = cand["eik"] or _eik_of_vat(cand["vat_number"])
    if probe.entity_eik and cand_eik and probe.entity_eik != cand_eik:
        return None  # two legal entities
    cand_name = cand["name_key"] or company_name_key(cand["legal_name"])
    cand_keys = cand.get("_keys")
    if cand_keys is None:  # worked out once per candidate, however many records meet it
        cand_keys = cand["_keys"] = set(identity_keys(
            name_key=cand_name, eik=cand["eik"], vat_number=cand["vat_number"],
            emails=cand["emails"] or [], phones=cand["phones"] or []))
    shared = probe.keys & cand_keys
    reasons: list[Reason] = []
    for key in sorted(shared):
        kind, value = key.split(":", 1)
        if kind == "eik":
            code = "eik" if probe.eik and probe.eik == cand["eik"] else "vat_eik"
            reasons.append(Reason(code, value, POINTS[code]))
        elif kind == "vat":
            reasons.append(Reason("vat", value, POINTS["vat"]))
        elif kind == "email":
            reasons.append(Reason("email", value, POINTS["email"]))
        elif kind == "tel":
            reasons.append(Reason("phone", value, POINTS["phone"]))
    emailed = {_domain(r.value) for r in reasons if r.code == "email"}
    for key in sorted(shared):
        kind, value = key.split(":", 1)
        if kind == "dom" and value not in emailed:
            reasons.append(Reason("domain", value, POINTS["domain"]))
    named = False
    if f"name:{_compact(probe.name_key)}" in shared:
        reasons.append(Reason("name", cand_name, POINTS["name"]))
        named = True
    else:
        similarity = probe.similarity(cand_name)
        if similarity >= NEAR_NAME:
            points = 50 + round((similarity - NEAR_NAME) / (1 - NEAR_NAME) * 20)
            reasons.append(Reason("similar_name", f"{round(similarity * 100)}%", points))
            named = True
    if named and probe.city and probe.city == _city_key(cand["city"]):
        reasons.append(Reason("city", cand["city"], POINTS["city"]))
    score = combined_score(reasons)
    if score < MIN_SCORE:
        return None
    return DuplicateMatch(company_id=cand["pk"], legal_name=cand["legal_name"], city=cand["city"],
                          eik=cand["eik"], score=score, reasons=reasons)


def _chunks(values: Sequence, size: int = CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _select_in(select: str, keys: Iterable[str], *, without_eik: bool = False,
               group: bool = False) -> list[tuple]:
    """Rows of one SELECT over the identity keys `keys` (parameterised, in chunks). Written in
    SQL: the ORM spends longer preparing a few thousand IN parameters than the database spends
    answering, and a batch of an import asks for tens of thousands."""
    qn = connection.ops.quote_name
    keys_table, company_table = qn(CompanyKey._meta.db_table), qn(Company._meta.db_table)
    rows: list[tuple] = []
    for chunk in _chunks(sorted(keys), 5000):
        sql = (f"SELECT {select} FROM {keys_table} k "  # noqa: S608  (quoted names, %s params)
               + (f"JOIN {company_table} c ON c.{qn('id')} = k.{qn('company_id')} "
                  if "c." in select or without_eik else "")
               + f"WHERE k.{qn('key')} IN ({', '.join(['%s'] * len(chunk))})"
               + (f" AND c.{qn('eik')} = '' AND c.{qn('vat_number')} NOT LIKE 'BG%%'"
                  if without_eik else "")
               + (f" GROUP BY k.{qn('key')}" if group else ""))
        with connection.cursor() as cursor:
            cursor.execute(sql, list(chunk))
            rows.extend(cursor.fetchall())
    return rows


def _holders(model, keys: set[str], *, without_eik: bool = False) -> list[tuple[int, str]]:
    if model is ContactKey:
        out: list[tuple[int, str]] = []
        for chunk in _chunks(sorted(keys), 5000):
            out.extend(ContactKey.objects.filter(key__in=chunk).values_list("contact_id", "key"))
        return out
    qn = connection.ops.quote_name
    return _select_in(f"k.{qn('company_id')}, k.{qn('key')}", keys, without_eik=without_eik)


def _key_counts(keys: set[str]) -> dict[str, int]:
    qn = connection.ops.quote_name
    return dict(_select_in(f"k.{qn('key')}, COUNT(*)", keys, group=True))


def _find(probes: list[_Probe], *, scope: Q | None) -> list[list[DuplicateMatch]]:
    """Matches for each probe among live companies (`scope`: only those; None: all)."""
    if not probes:
        return []
    exact = {k for p in probes for k in p.keys if not k.startswith(("nb:", "name:"))}
    names = {k for p in probes for k in p.keys if k.startswith("name:")}
    blocks = {p.block for p in probes if p.block}
    counts = _key_counts(exact | names | blocks)
    usable = {k for k in exact if 0 < counts.get(k, 0) <= COMMON_KEY}
    holders: dict[str, set[int]] = defaultdict(set)
    for company_id, key in _holders(CompanyKey, usable):
        holders[key].add(company_id)
    # Names, equal or similar, count only where one of the two has no EIK (two different EIKs
    # are two legal entities; the same EIK is found by its own key): a record with an EIK is
    # compared with the companies without one.
    open_names = {k for p in probes if not p.entity_eik for k in p.keys
                  if k.startswith("name:") and 0 < counts.get(k, 0) <= COMMON_KEY}
    for company_id, key in _holders(CompanyKey, open_names):
        holders[key].add(company_id)
    for company_id, key in _holders(CompanyKey, names - open_names, without_eik=True):
        holders[key].add(company_id)
    # Similar names: inside a block; the members' names are compared before anything is read.
    open_blocks = {p.block for p in probes if p.block and not p.entity_eik
                   and counts.get(p.block, 0) <= COMMON_BLOCK}
    eikless_blocks = {p.block for p in probes if p.block and p.entity_eik} - open_blocks
    members: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    qn = connection.ops.quote_name
    select = ", ".join([f"k.{qn('company_id')}", f"k.{qn('key')}", f"c.{qn('name_key')}",
                        f"c.{qn('eik')}", f"c.{qn('vat_number')}"])
    for keys, eikless in ((open_blocks, False), (eikless_blocks, True)):
        for company_id, key, name_key, eik, vat in _select_in(select, keys, without_eik=eikless):
            members[key].append((company_id, name_key, eik or _eik_of_vat(vat)))
    wanted: list[set[int]] = []
    for probe in probes:
        ids_ = set().union(*(holders.get(k, set()) for k in probe.keys))
        for company_id, name_key, eik in members.get(probe.block, ()):
            if company_id in ids_ or (probe.entity_eik and eik):
                continue
            if probe.similarity(name_key) >= NEAR_NAME:
                ids_.add(company_id)
        wanted.append(ids_ - probe.exclude)
    everyone = sorted(set().union(*wanted))
    candidates: dict[int, dict] = {}
    for chunk in _chunks(everyone, 5000):
        qs = Company.objects.filter(pk__in=chunk)
        if scope is not None:
            qs = qs.filter(scope)
        for row in qs.values(*CANDIDATE_FIELDS):
            candidates[row["pk"]] = row
    results: list[list[DuplicateMatch]] = []
    for probe, ids_ in zip(probes, wanted, strict=True):
        matches = [m for m in (_score(probe, candidates[i]) for i in ids_ if i in candidates) if m]
        matches.sort(key=lambda m: (-m.score, m.legal_name, m.company_id))
        results.append(matches)
    return results


def _user_scope(user) -> Q:
    return visible_q(user)


def match_company_rows(rows: list[dict], *, user) -> list[list[DuplicateMatch]]:
    """For each row (legal_name, eik, vat_number, emails, phones, city — normalised), the live
    companies the user may see that are likely the same, best first. A handful of IN queries per
    batch of rows, none per row."""
    probes = [_probe(row, normalised=True) for row in rows]
    results: list[list[DuplicateMatch]] = []
    scope = _user_scope(user)
    for chunk in _chunks(probes):
        results.extend(_find(list(chunk), scope=scope))
    return results


def match_company(data: dict, *, user, exclude_id: int | None = None) -> list[DuplicateMatch]:
    """Likely duplicates of one record (what a form or a request holds) that the user may see."""
    probe = _probe(data, exclude=[exclude_id] if exclude_id else [])
    return _find([probe], scope=_user_scope(user))[0]


def match_company_record(company: Company, *, user) -> list[DuplicateMatch]:
    """Likely duplicates of a company about to be saved (values already cleaned)."""
    probe = _probe_of(company, exclude=[company.pk] if company.pk else [])
    return _find([probe], scope=_user_scope(user))[0]


class PossibleDuplicate(Conflict):
    """The record looks like one already in the client base. Send it again with
    `allow_duplicate` to save it anyway."""

    code = "possible_duplicate"

    def __init__(self, matches: list, *, message: str | None = None):
        self.matches = matches
        if message is None:
            message = ngettext(
                "This looks like a client already in the base. Check it, or confirm that this "
                "is a new one.",
                "This looks like %(n)d clients already in the base. Check them, or confirm that "
                "this is a new one.", len(matches)) % {"n": len(matches)}
        super().__init__(message)

    def as_dict(self) -> dict:
        return {**super().as_dict(), "matches": [m.as_dict() for m in self.matches]}


# --- contacts --------------------------------------------------------------------------------------

@dataclass
class ContactMatch:
    contact_id: int
    name: str
    company_id: int
    company_name: str
    reasons: list[Reason]

    def texts(self) -> list[str]:
        return [r.text() for r in self.reasons]

    def as_dict(self) -> dict:
        return {"id": self.contact_id, "name": self.name, "company": self.company_id,
                "company_name": self.company_name,
                "reasons": [r.as_dict() for r in self.reasons]}


def match_contact(data: dict, *, user, exclude_id: int | None = None) -> list[ContactMatch]:
    """Live contacts the user may see that already have one of these e-mails or phones."""
    emails = _lenient_emails(data.get("emails"))
    phones = _lenient_phones(data.get("phones"))
    keys = {f"email:{e}" for e in emails} | {f"tel:{p}" for p in phones}
    if not keys:
        return []
    found: dict[int, list[str]] = defaultdict(list)
    for contact_id, key in _holders(ContactKey, keys):
        if contact_id != exclude_id:
            found[contact_id].append(key)
    if not found:
        return []
    visible = (Contact.objects.filter(pk__in=list(found)[:500], company__deleted_at__isnull=True)
               .filter(visible_q(user, root="company__")).select_related("company")
               .order_by("last_name", "first_name", "pk"))
    matches = []
    for contact in visible[:20]:
        reasons = []
        for key in sorted(found[contact.pk]):
            kind, value = key.split(":", 1)
            code = "email" if kind == "email" else "phone"
            reasons.append(Reason(code, value, POINTS[code]))
        matches.append(ContactMatch(contact.pk, str(contact), contact.company_id,
                                    contact.company.legal_name, reasons))
    return matches


# --- keeping keys and pairs in step with the companies ---------------------------------------------

def index_company(company: Company) -> None:
    """After a company was created or changed (its name_key already set): its keys and pairs."""
    CompanyKey.objects.filter(company_id=company.pk).delete()
    if company.deleted_at is None:
        CompanyKey.objects.bulk_create(
            [CompanyKey(company_id=company.pk, key=k) for k in company_keys(company)])
    refresh_pairs([company.pk])


def forget_company(company_id: int) -> None:
    """A company left the live base (deleted, merged): it is nobody's duplicate any more."""
    CompanyKey.objects.filter(company_id=company_id).delete()
    DuplicatePair.objects.filter(Q(company_a_id=company_id) | Q(company_b_id=company_id)).delete()


def index_contact(contact: Contact) -> None:
    ContactKey.objects.filter(contact_id=contact.pk).delete()
    if contact.deleted_at is None:
        ContactKey.objects.bulk_create(
            [ContactKey(contact_id=contact.pk, key=k) for k in contact_keys(contact)])


def reindex_companies(company_ids: Iterable[int]) -> None:
    """Recompute name keys, identity keys and duplicate pairs of these companies in batches
    (for code that writes companies in bulk instead of through the services)."""
    for chunk in _chunks(sorted(set(company_ids))):
        rows = list(Company.all_objects.filter(pk__in=chunk).only(
            "pk", "legal_name", "name_key", "eik", "vat_number", "emails", "phones", "deleted_at"))
        stale = []
        for company in rows:
            key = company_name_key(company.legal_name)
            if company.name_key != key:
                company.name_key = key
                stale.append(company)
        if stale:
            Company.all_objects.bulk_update(stale, ["name_key"], batch_size=500)
        CompanyKey.objects.filter(company_id__in=chunk).delete()
        live = [c for c in rows if c.deleted_at is None]
        CompanyKey.objects.bulk_create(
            [CompanyKey(**row) for row in company_key_rows(live)], batch_size=2000)
        refresh_pairs([c.pk for c in live])
        gone = [c.pk for c in rows if c.deleted_at is not None]
        if gone:
            DuplicatePair.objects.filter(Q(company_a_id__in=gone) | Q(company_b_id__in=gone)).delete()


def reindex_contacts(contact_ids: Iterable[int]) -> None:
    for chunk in _chunks(sorted(set(contact_ids))):
        rows = list(Contact.all_objects.filter(pk__in=chunk).only("pk", "emails", "phones",
                                                                 "deleted_at"))
        ContactKey.objects.filter(contact_id__in=chunk).delete()
        ContactKey.objects.bulk_create(
            [ContactKey(**row) for row in contact_key_rows(c for c in rows if c.deleted_at is None)],
            batch_size=2000)


def _pair(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _dismissed(company_ids: Sequence[int]) -> set[tuple[int, int]]:
    rows = DuplicateDismissal.objects.filter(
        Q(company_a_id__in=company_ids) | Q(company_b_id__in=company_ids)
    ).values_list("company_a_id", "company_b_id")
    return set(rows)


def refresh_pairs(company_ids: Iterable[int], *, replace: bool = True) -> int:
    """Recompute the likely pairs of these companies (with any live company). Returns how many
    pairs were stored."""
    stored = 0
    for chunk in _chunks(sorted(set(company_ids))):
        companies = list(Company.objects.filter(pk__in=chunk).values(*CANDIDATE_FIELDS))
        probes = []
        for row in companies:
            name_key = row["name_key"] or company_name_key(row["legal_name"])
            keys = identity_keys(name_key=name_key, eik=row["eik"], vat_number=row["vat_number"],
                                 emails=row["emails"] or [], phones=row["phones"] or [])
            probes.append(_Probe(name_key=name_key, eik=row["eik"], vat=row["vat_number"],
                                 city=_city_key(row["city"]), keys=set(keys),
                                 exclude={row["pk"]}))
        results = _find(probes, scope=None)
        if replace:
            DuplicatePair.objects.filter(Q(company_a_id__in=chunk) | Q(company_b_id__in=chunk)).delete()
        dismissed = _dismissed(chunk)
        pairs: dict[tuple[int, int], DuplicateMatch] = {}
        for row, matches in zip(companies, results, strict=True):
            for match in matches:
                key = _pair(row["pk"], match.company_id)
                if key in dismissed:
                    continue
                if key not in pairs or pairs[key].score < match.score:
                    pairs[key] = match
        DuplicatePair.objects.bulk_create(
            [DuplicatePair(company_a_id=a, company_b_id=b, score=m.score,
                           reasons=[{"code": r.code, "value": r.value, "points": r.points}
                                    for r in m.reasons])
             for (a, b), m in pairs.items()],
            ignore_conflicts=True, batch_size=1000)
        stored += len(pairs)
    return stored


def rebuild_pairs(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Recompute every likely pair of the client base, batch by batch (a background job or
    `partnera duplicates --rebuild`). Dismissed pairs stay dismissed."""
    DuplicatePair.objects.all().delete()
    total = Company.objects.count()
    done = stored = 0
    last = 0
    while True:
        chunk = list(Company.objects.filter(pk__gt=last).order_by("pk")
                     .values_list("pk", flat=True)[:CHUNK])
        if not chunk:
            break
        stored += refresh_pairs(chunk, replace=False)
        last = chunk[-1]
        done += len(chunk)
        if progress:
            progress(done, total)
    return stored


# --- the finder ------------------------------------------------------------------------------------

@dataclass
class PairRow:
    pair: DuplicatePair
    reasons: list[Reason]

    @property
    def a(self) -> Company:
        return self.pair.company_a

    @property
    def b(self) -> Company:
        return self.pair.company_b

    @property
    def score(self) -> int:
        return self.pair.score

    @property
    def companies(self) -> tuple[Company, Company]:
        return self.pair.company_a, self.pair.company_b


def duplicate_pairs(*, user):
    """The likely pairs the user may see (both companies visible), best first. Pairs hold live
    companies only: the services remove a company's pairs when it is deleted or merged."""
    qs = DuplicatePair.objects.all()
    if not scope_for(user).sees_all:
        # The rule applied through a join to each company of the pair (not `IN (visible ids)`,
        # which SQLite re-evaluates per pair): the pairs are walked best first by their index.
        qs = qs.filter(visible_q(user, root="company_a__"), visible_q(user, root="company_b__"))
    return qs


def duplicate_pair_page(*, user, cursor: str | None = None, size: int = 50) -> tuple[Page, list[PairRow]]:
    qs = duplicate_pairs(user=user).select_related(
        "company_a", "company_b", "company_a__owner", "company_b__owner")
    page = keyset_page(qs, field="score", descending=True, cursor=cursor, size=size)
    rows = [PairRow(p, [Reason(r["code"], r["value"], r["points"]) for r in p.reasons])
            for p in page.items
            if p.company_a.deleted_at is None and p.company_b.deleted_at is None]
    return page, rows


def duplicate_pair_get(*, user, a: int, b: int) -> DuplicatePair | None:
    key = _pair(a, b)
    return duplicate_pairs(user=user).filter(company_a_id=key[0], company_b_id=key[1]).first()


def company_get_any(*, user, pk: Any) -> Company:
    """A company the user may see, live or deleted (a merge refuses a deleted one clearly, with
    409, instead of answering as if it never existed)."""
    return get_visible(Company.all_objects.filter(visible_q(user)), pk, user=user,
                       company_id_attr="pk")


def company_merged_target(*, user, pk: Any) -> Company | None:
    """Where a merged company (its old link) leads: the live company it was merged into, when
    the user may see both; else None (the link answers like a missing record)."""
    try:
        key = int(pk)
    except (TypeError, ValueError):
        return None
    row = (Company.all_objects.filter(visible_q(user), pk=key, deleted_at__isnull=False,
                                      merged_into__isnull=False)
           .values_list("merged_into_id", flat=True).first())
    seen: set[int] = {key}
    while row is not None and row not in seen:
        seen.add(row)
        target = Company.all_objects.filter(visible_q(user), pk=row).first()
        if target is None:
            return None
        if target.deleted_at is None:
            return target
        row = target.merged_into_id
    return None
