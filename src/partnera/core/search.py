"""The global search: one index, one selector, and the registries the domains plug into.

Documents. Each domain registers a `DocumentSource` for each kind of record it wants found
("company", "contact", later "deal", "order" …): how to build the document of its records and
which of them a user may see. A document is the record's words in the folded Latin search key
(partnera.core.translit.search_key), so «Петров» and "Petrov" meet whatever script the user types
in; phone numbers are stored in every digit form a person types. Documents live in one table,
core_searchdocument (kind, object_id) → document, holding only live records. The services that
write call `search_index_update(kind, ids)` in their own transaction; imports, merges and the
demo call it (or `search_index_rebuild`) in bulk.

Engines (core migration 0004): SQLite matches through an FTS5 table with prefix indexes,
PostgreSQL through a generated tsvector with a GIN index; both match every query word as a
prefix. When nothing matches, PostgreSQL looks for the words a typo meant in a vocabulary of
indexed words with a trigram index (pg_trgm) and searches again with them.

Visibility. `search_ids` joins the index to the user's visible records in SQL, one statement per
grant of the one visibility rule (core.visibility.visible_branches, as the source turns them
into querysets), so a manager's few companies are found even when a prefix matches a million
others, and nothing the user may not see is ever a candidate. A user who sees everything
reads the index alone (it holds only live records). Candidates come in index order, a bounded
number of them, and are ranked here (whole words before prefixes, the first words — the name —
first).

Providers. The search box and the API ask every registered provider (`register_search_provider`)
for its hits; the client base's providers call `search_ids` and load the records they name
through their own visibility-scoped selectors.
"""

from __future__ import annotations

import functools
import operator
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL

from partnera.core.models import SearchDocument
from partnera.core.translit import search_key, to_latin

# --- providers: what the search box asks ----------------------------------------------------------


@dataclass(frozen=True)
class SearchHit:
    kind: str  # "company", "contact", ...
    kind_label: str
    label: str
    detail: str
    url: str
    pk: int


SearchProvider = Callable[..., list[SearchHit]]
_providers: dict[str, SearchProvider] = {}
_group_labels: dict[str, Any] = {}


def register_search_provider(kind: str, provider: SearchProvider, *, label: Any = None) -> None:
    """`provider(*, user, query, limit)` returns at most `limit` hits the user may see;
    `label` names a group of its hits on the results ("Companies")."""
    _providers[kind] = provider
    _group_labels[kind] = label or kind


def search_kinds() -> list[str]:
    return list(_providers)


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    label: str
    hits: list[SearchHit]


def group_hits(hits: list[SearchHit]) -> list[SearchGroup]:
    """Hits grouped by kind, in the order of the registered providers."""
    groups: dict[str, list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(hit.kind, []).append(hit)
    return [SearchGroup(kind, str(_group_labels.get(kind, kind)), kind_hits)
            for kind, kind_hits in groups.items()]


def global_search(*, user, query: str, limit: int = 10, kinds: set[str] | None = None) -> list[SearchHit]:
    """Hits of every registered kind (or of `kinds`), at most `limit` of each, grouped by kind.

    Typos are forgiven only when no kind found anything as typed: a second round then asks the
    kinds searched through the index (where the engine can)."""
    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    asked = [(kind, provider) for kind, provider in _providers.items() if not kinds or kind in kinds]
    hits = _ask(asked, user=user, query=query, limit=limit, fuzzy=False)
    if not hits and _engine().fuzzy:
        hits = _ask([(k, p) for k, p in asked if k in _sources], user=user, query=query,
                    limit=limit, fuzzy=True)
    return hits


_fuzzy: ContextVar[bool] = ContextVar("partnera_search_fuzzy", default=True)


def _ask(providers, *, user, query: str, limit: int, fuzzy: bool) -> list[SearchHit]:
    token = _fuzzy.set(fuzzy)
    cache_token = _similar_cache.set({})
    try:
        return [hit for _kind, provider in providers
                for hit in provider(user=user, query=query, limit=limit)]
    finally:
        _similar_cache.reset(cache_token)
        _fuzzy.reset(token)


# --- documents: what the index holds ----------------------------------------------------------------

@dataclass(frozen=True)
class DocumentSource:
    """How one kind of record enters the index.

    documents(ids)  the (id, document) of those of `ids` that belong in the index (live records);
                    ids=None: every one of them, streamed (the rebuild)
    visible(user)   the user's visible records of this kind as querysets, one per grant of the
                    visibility rule (their union is what the user sees); None: every live record
    follows         {other kind: ids of ours whose documents change when those records change}
                    (a contact's document holds its company's name; a deleted company hides its
                    contacts)
    """

    kind: str
    documents: Callable[[Sequence[int] | None], Iterable[tuple[int, str]]]
    visible: Callable[[Any], list[QuerySet] | None]
    follows: Mapping[str, Callable[[list[int]], Iterable[int]]] = field(default_factory=dict)


_sources: dict[str, DocumentSource] = {}


def register_search_documents(source: DocumentSource) -> None:
    _sources[source.kind] = source


def document_sources() -> dict[str, DocumentSource]:
    return dict(_sources)


WORD = re.compile(r"[^\W_]+")
MAX_WORD = 64
MAX_QUERY_WORDS = 6
PHONE_LIKE = re.compile(r"[+\d\s().\-/]{6,}")


def document_words(*parts: Any) -> list[str]:
    """The words of a document: every part folded to the search key and split into words (an
    e-mail into its name and domain parts), each word once, in order. Lists are flattened."""
    key = fold(" ".join(_texts(parts)))
    return list(dict.fromkeys(w[:MAX_WORD] for w in WORD.findall(key)))


def _texts(parts: Iterable[Any]) -> Iterator[str]:
    for part in parts:
        if isinstance(part, list | tuple | set):
            yield from _texts(part)
        elif part:
            yield str(part)


# Text in these letters has nothing for strip_accents to strip (й and ё stay letters).
_PLAIN = re.compile(r"[\x00-\x7f\u0401\u0410-\u044f\u0451]*")


def fold(text: str) -> str:
    """`search_key`, with a shortcut for plain Latin and Bulgarian text (most of it), which has
    no accents to strip: a rebuild folds millions of documents. Tested equal to search_key."""
    if _PLAIN.fullmatch(text):
        return to_latin(text.casefold())
    return search_key(text)


def search_document(*parts: Any) -> str:
    """A document as the index stores it: its words separated by single spaces."""
    return " ".join(document_words(*parts))


def query_words(query: str) -> list[str]:
    """The words of a query, in the documents' key. A phone number typed in any format
    ("+359 888 12-34-56", "0888/123456", "00359 …") becomes its digits; a word of one letter
    is dropped beside longer ones (it would match half the index), alone it finds nothing."""
    query = (query or "").replace("\x00", "").strip()
    if PHONE_LIKE.fullmatch(query):
        digits = re.sub(r"\D", "", query)
        if digits.startswith("00"):
            digits = digits[2:]
        if len(digits) >= 6:
            return [digits[:MAX_WORD]]
    words = list(dict.fromkeys(w[:MAX_WORD] for w in WORD.findall(fold(query))))
    return [w for w in words if len(w) >= 2][:MAX_QUERY_WORDS]


# --- engines ---------------------------------------------------------------------------------------

class _Engine(ABC):
    """How one database finds matching documents in core_searchdocument (aliased `d`)."""

    fuzzy = False

    def source(self) -> str:
        return "core_searchdocument d"

    @abstractmethod
    def match(self, kind: str, words: Sequence[Sequence[str]]) -> tuple[str, list[Any]]:
        """The condition for documents holding, for each group, a word starting with one of the
        group's alternatives."""
        ...

    @abstractmethod
    def candidates(self, kind: str, groups: list[list[str]], branches: list[QuerySet] | None,
                   cap: int) -> list[tuple[Any, Any]]:
        """(object_id, document) of up to `cap` matching documents per grant, in index order."""
        ...

    def matching_ids(self, kind: str, words: list[str], limit: int) -> list[int]:
        """Ids of up to `limit` records of `kind` whose documents match every word (`limit`
        placeholders when the engine can tell there are more without gathering them)."""
        condition, params = self.match(kind, [[w] for w in words])
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT d.object_id FROM {self.source()} "  # noqa: S608
                           f"WHERE {condition} AND d.kind = %s LIMIT %s", [*params, kind, limit])
            return [row[0] for row in cursor.fetchall()]

    @abstractmethod
    def documents_matching(self, kind: str, documents: QuerySet, words: list[str]) -> QuerySet:
        """`documents` narrowed to those matching every word, checked row by row."""
        ...

    def words_added(self, documents: Iterable[str]) -> None:
        """Remember the words of new documents (for typo tolerance, where the engine has it)."""
        return None

    def similar_words(self, word: str) -> list[str]:
        return []

    @staticmethod
    def _union(statements: list[tuple[str, list[Any]]], cap: int) -> list[tuple[Any, Any]]:
        sql = " UNION ALL ".join(f"SELECT * FROM ({s} LIMIT %s) AS b{n}"  # noqa: S608
                                 for n, (s, _p) in enumerate(statements))
        params = [v for _s, p in statements for v in (*p, cap)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()


class _SQLite(_Engine):
    # A grant of at most this many records is read record by record (its documents matched
    # with LIKE); a larger one is found through the FTS5 index, each candidate checked against
    # the grant by its primary key. Either way the cost is bounded by what the user sees or by
    # the matches, never by the whole base.
    SCAN_LIMIT = 1000

    def source(self) -> str:
        # CROSS JOIN keeps the full-text match as the outer loop: left to itself, SQLite walks
        # every document of the kind and asks FTS5 about each one.
        return "core_search_fts CROSS JOIN core_searchdocument d ON d.id = core_search_fts.rowid"

    def match(self, kind, words):
        expression = " AND ".join(
            "(" + " OR ".join(f'"{w}"*' for w in group) + ")" for group in words)
        return "core_search_fts MATCH %s", [expression]

    def candidates(self, kind, groups, branches, cap):
        condition, params = self.match(kind, groups)
        indexed = (f"SELECT d.object_id, d.document FROM {self.source()} "  # noqa: S608
                   f"WHERE {condition} AND d.kind = %s")
        if branches is None:
            return self._union([(indexed, [*params, kind])], cap)
        like = " AND ".join("(" + " OR ".join(["(' ' || d.document) LIKE %s"] * len(g)) + ")"
                            for g in groups)
        like_params = [f"% {w}%" for g in groups for w in g]
        statements = []
        for branch, size in zip(branches, self._sizes(branches), strict=True):
            if size <= self.SCAN_LIMIT:
                sql, branch_params = branch.values("pk").query.sql_with_params()
                statements.append((
                    "SELECT d.object_id, d.document FROM core_searchdocument d "  # noqa: S608
                    f"WHERE d.kind = %s AND d.object_id IN ({sql}) AND {like}",
                    [kind, *branch_params, *like_params]))
            else:
                probe = branch.filter(pk=RawSQL("d.object_id", ())).values("pk")
                sql, branch_params = probe.query.sql_with_params()
                statements.append((f"{indexed} AND EXISTS ({sql})",
                                   [*params, kind, *branch_params]))
        return self._union(statements, cap)

    def documents_matching(self, kind, documents, words):
        # A word starts the document or follows a space: LIKE on one row is far cheaper than
        # asking FTS5 about one row.
        for w in words:
            documents = documents.filter(Q(document__startswith=w) | Q(document__contains=" " + w))
        return documents

    def _sizes(self, branches: list[QuerySet]) -> list[int]:
        """How many records each grant holds, counted up to just past SCAN_LIMIT (one query)."""
        parts: list[str] = []
        params: list[Any] = []
        for branch in branches:
            sql, branch_params = branch.values("pk").query.sql_with_params()
            parts.append(f"(SELECT count(*) FROM ({sql} LIMIT {self.SCAN_LIMIT + 1}))")  # noqa: S608
            params += branch_params
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            return list(cursor.fetchone())


class _PostgreSQL(_Engine):
    """GIN finds a rare word's few documents at once, but it gathers every document of a
    common one ("sofia", "of", the digits "359" that begin every phone) before the first comes
    out, and the planner, offered a LIMIT, may rather read the whole table in the hope of meeting
    matches early (the documents lie in kind order, so it may meet none for a million rows).
    So one statement reads in two ways, the second only when the first falls short:

    1. dense: the first DENSE_ROWS records of each grant the user has (through the grant's own
       index; for a user who sees everything, the kind's documents in id order), each document
       checked — a common word fills the page here without touching GIN;
    2. rare: GIN gathers the word's documents of this kind (every word is indexed with its
       kind), each checked against everything the user sees; skipped when the user sees no more
       than the dense part read.

    Sequential scans and parallel workers are off for the statement (see PLAN).
    """

    fuzzy = True
    DENSE_ROWS = 1000
    # For this statement only (set on the session and reset after it; a SET inside a
    # transaction that fails is undone with it): no sequential scan; no parallel workers, whose
    # start-up costs more than these small reads; and memory enough for GIN to keep the
    # documents of a common word exact (row by row, not page by page: a lossy bitmap makes
    # the heap recheck ten times the rows).
    PLAN = ("SELECT set_config('enable_seqscan', 'off', false), "
            "set_config('max_parallel_workers_per_gather', '0', false), "
            "set_config('work_mem', '32MB', false)")
    UNPLAN = "RESET enable_seqscan; RESET max_parallel_workers_per_gather; RESET work_mem"

    def match(self, kind, words):
        # The indexed words carry their kind (core migration 0004): "company/alfa".
        expression = " & ".join(
            "(" + " | ".join(f"'{kind}/{w}':*" for w in group) + ")" for group in words)
        return "d.tsv @@ %s::tsquery", [expression]

    def candidates(self, kind, groups, branches, cap):
        condition, params = self.match(kind, groups)
        check = self._function(condition)
        n = self.DENSE_ROWS
        parts: list[tuple[str, list[Any]]] = []
        # `d.kind || ''` keeps the planner from walking the (kind, object_id) index instead of GIN.
        gin, gin_params = self.match(kind, self._worth_gathering(groups))
        rare = ("SELECT d.object_id, d.document FROM core_searchdocument d "  # noqa: S608
                f"WHERE {gin} AND {check} AND d.kind || '' = %s")
        rare_params = [*gin_params, *params, kind]
        if branches is None:
            parts.append((
                "SELECT d.object_id, d.document FROM (SELECT object_id, document, tsv "  # noqa: S608
                f"FROM core_searchdocument WHERE kind = %s ORDER BY object_id LIMIT {n}) d "
                f"WHERE {check}", [kind, *params]))
        else:
            for branch in branches:
                sql, branch_params = branch.values("pk").query.sql_with_params()
                parts.append((
                    f"SELECT d.object_id, d.document FROM ({sql} LIMIT {n}) v "  # noqa: S608
                    "JOIN core_searchdocument d ON d.kind = %s AND d.object_id = v.pk "
                    f"WHERE {check}", [*branch_params, kind, *params]))
            # GIN once for the whole of what the user sees (each candidate looked up by its
            # primary key), and only when the grants hold more than the dense parts read.
            visible = functools.reduce(operator.or_, branches)
            probe = visible.filter(pk=RawSQL("d.object_id", ())).values("pk")
            sql, visible_params = probe.query.sql_with_params()
            sizes, size_params = [], []
            for branch in branches:
                branch_sql, branch_params = branch.values("pk").query.sql_with_params()
                sizes.append(f"(SELECT count(*) FROM ({branch_sql} LIMIT {n + 1}) c)")  # noqa: S608
                size_params += branch_params
            rare += f" AND EXISTS ({sql}) AND {' + '.join(sizes)} > {n}"
            rare_params += [*visible_params, *size_params]
        parts.append((rare, rare_params))
        # An Append runs its parts in order, and the LIMIT stops it as soon as it has `cap`
        # rows: when the dense parts fill the page, GIN is never asked.
        sql = " UNION ALL ".join(f"({s} LIMIT %s)" for s, _p in parts)
        with connection.cursor() as cursor:
            cursor.execute(self.PLAN)
            try:
                cursor.execute(f"SELECT * FROM ({sql}) AS found LIMIT %s",  # noqa: S608
                               [*(v for s, p in parts for v in (*p, cap)), cap])
                return cursor.fetchall()
            finally:
                cursor.execute(self.UNPLAN)

    @staticmethod
    def _worth_gathering(groups: list[list[str]]) -> list[list[str]]:
        """The words GIN intersects: the three longest (as a rule the rarest), leaving out words
        of two letters beside longer ones ("bg" of an e-mail begins a word of nearly every
        document); the others are checked on the few rows the three bring."""
        longer = [g for g in groups if min(len(w) for w in g) > 2] or groups
        return sorted(longer, key=lambda g: -min(len(w) for w in g))[:3]

    @staticmethod
    def _function(condition: str) -> str:
        """`d.tsv @@ q` spelt as ts_match_vq(d.tsv, q): the same test, which the planner
        cannot answer from GIN, so it checks the rows it reads instead of gathering the word's
        documents."""
        return condition.replace("d.tsv @@ ", "ts_match_vq(d.tsv, ").replace("::tsquery", "::tsquery)")

    def matching_ids(self, kind, words, limit):
        # A word common enough to match 1 % of the kind's first documents matches thousands:
        # GIN would gather them all; a list checks its rows one by one instead (no ids needed).
        condition, params = self.match(kind, [[w] for w in words])
        n = self.DENSE_ROWS
        with connection.cursor() as cursor:
            cursor.execute(self.PLAN)
            try:
                cursor.execute(
                    "SELECT count(*) FROM (SELECT tsv FROM core_searchdocument "  # noqa: S608
                    f"WHERE kind = %s ORDER BY object_id LIMIT {n}) d WHERE {condition}",
                    [kind, *params])
                if cursor.fetchone()[0] * 100 >= n:
                    return list(range(-limit, 0))  # "more than you asked for"
                gin, gin_params = self.match(kind, self._worth_gathering([[w] for w in words]))
                check = self._function(condition)
                cursor.execute("SELECT d.object_id FROM core_searchdocument d "  # noqa: S608
                               f"WHERE {gin} AND {check} AND d.kind || '' = %s LIMIT %s",
                               [*gin_params, *params, kind, limit])
                return [row[0] for row in cursor.fetchall()]
            finally:
                cursor.execute(self.UNPLAN)

    def documents_matching(self, kind, documents, words):
        condition, params = self.match(kind, [[w] for w in words])
        # Unqualified: the subquery names its table U0 (tsv is not a model field).
        return documents.extra(where=[condition.replace("d.tsv", "tsv")], params=params)  # noqa: S610

    def words_added(self, documents):
        words = sorted({w for doc in documents for w in doc.split() if _vocabulary_word(w)})
        if not words:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO core_searchword (word) SELECT unnest(%s::varchar[]) "
                "ON CONFLICT DO NOTHING", [words])

    def similar_words(self, word):
        if not _vocabulary_word(word):
            return []
        with connection.cursor() as cursor:
            # Thresholds for this connection: loose enough for a swapped pair of letters in a
            # short word; the edit distance below decides.
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', '0.25', false), "
                           "set_config('pg_trgm.word_similarity_threshold', '0.5', false)")
            cursor.execute(
                "SELECT word FROM core_searchword WHERE word %% %s OR %s <%% word "
                "ORDER BY greatest(similarity(word, %s), word_similarity(%s, word)) DESC, word "
                "LIMIT 30", [word, word, word, word])
            candidates = [row[0] for row in cursor.fetchall()]
        return [c for c in candidates if _near(word, c)][:6]


def _vocabulary_word(word: str) -> bool:
    """Words a typo is corrected to: names, not numbers (a phone or an EIK is never guessed)."""
    return 3 <= len(word) <= MAX_WORD and word.isalpha()


def _near(typed: str, word: str) -> bool:
    """Is `word` what `typed` meant: within one edit (two for longer words) of the word or of its
    beginning (the user may still be typing)?"""
    allowed = 1 if len(typed) <= 5 else 2
    return min(_distance(typed, word[:n]) for n in {len(typed) - 1, len(typed), len(typed) + 1,
                                                    len(word)} if n > 0) <= allowed


def _distance(a: str, b: str) -> int:
    """Damerau–Levenshtein distance (optimal string alignment): a swap of two letters is one."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[-1]


def _engine() -> _Engine:
    return _PostgreSQL() if connection.vendor == "postgresql" else _SQLite()


# --- the search selector ----------------------------------------------------------------------------

def search_ids(*, kind: str, user, query: str, limit: int = 10, fuzzy: bool = True) -> list[int]:
    """Ids of the records of `kind` matching `query` that `user` may see, best first.

    Every query word must start a word of the document. When nothing matches and the engine
    can, words within a typo of the typed ones are tried (`fuzzy`).
    """
    source = _sources.get(kind)
    words = query_words(query)
    if source is None or not words or limit <= 0:
        return []
    branches = source.visible(user)
    if branches == []:
        return []
    groups = [[w] for w in words]
    # The candidates ranked: twice what is shown (a common word's first matches are as good as
    # any; a rarer word's are all of them).
    cap = max(limit * 2, 20)
    found = _candidates(kind, groups, branches, cap=cap)
    engine = _engine()
    if not found and fuzzy and _fuzzy.get() and engine.fuzzy and len(words) <= FUZZY_WORDS:
        alternatives = [[w, *_similar_words(engine, w)] for w in words]
        if any(len(group) > 1 for group in alternatives):
            found = _candidates(kind, alternatives, branches, cap=cap)
    return [pk for pk, _doc in _ranked(found, words)[:limit]]


# A typo is looked for in a name of up to three words, not in a long query (a pasted e-mail
# address that finds nothing is not misspelt). The words found are kept for the request.
FUZZY_WORDS = 3
_similar_cache: ContextVar[dict[str, list[str]] | None] = ContextVar("partnera_search_similar",
                                                                     default=None)


def _similar_words(engine: _Engine, word: str) -> list[str]:
    cache = _similar_cache.get()
    if cache is None:
        return engine.similar_words(word)
    if word not in cache:
        cache[word] = engine.similar_words(word)
    return cache[word]


def _candidates(kind: str, groups: list[list[str]], branches: list[QuerySet] | None,
                cap: int) -> list[tuple[int, str]]:
    """(object_id, document) of up to `cap` matching documents per grant, in index order."""
    rows = _engine().candidates(kind, groups, branches, cap)
    return list({int(pk): doc for pk, doc in rows}.items())


def _ranked(found: list[tuple[int, str]], words: list[str]) -> list[tuple[int, str]]:
    """Best first: more query words matching whole words, then a match at the document's start
    (the name), then the document's order (alphabetical by name)."""
    def score(item: tuple[int, str]) -> tuple[int, int, str, int]:
        pk, document = item
        tokens = document.split()
        whole = sum(1 for w in words if w in tokens)
        first = 1 if tokens and tokens[0].startswith(words[0]) else 0
        return (-whole, -first, document, pk)

    return sorted(found, key=score)


LIST_IDS = 5000


def search_match_q(kind: str, query: str, *, field: str = "pk") -> Q | None:
    """A filter keeping the records of `kind` whose document matches `query` (every word as a
    prefix), for lists that combine search with their own filters, order and pages. Apply it
    to a queryset already scoped by the visibility rule. None when the query has no words.

    One query sizes the matches: up to LIST_IDS of them become a list of ids (the list then
    reads just those rows); more (a common word: "sofia", "ood") become a per-row check of the
    record's document, which a list walking its own index in its own order meets often enough
    to fill a page quickly."""
    words = query_words(query)
    if not words:
        return None
    engine = _engine()
    ids = engine.matching_ids(kind, words, LIST_IDS + 1)
    if len(ids) <= LIST_IDS:
        return Q(**{f"{field}__in": ids})
    documents = SearchDocument.objects.filter(kind=kind, object_id=OuterRef(field))
    return Q(Exists(engine.documents_matching(kind, documents, words)))


# --- keeping the index ------------------------------------------------------------------------------

BATCH = 2000


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def search_index_update(kind: str, ids: Iterable[int | None]) -> None:
    """Bring the documents of these records up to date: (re)built for live records, removed for
    records that are deleted or gone; then the documents of other kinds that follow them.
    Runs in the caller's transaction, so the index never disagrees with committed data."""
    source = _sources.get(kind)
    wanted = sorted({int(pk) for pk in ids if pk is not None})
    if source is None or not wanted:
        return
    engine = _engine()
    with transaction.atomic(savepoint=False):
        for chunk in _chunks(wanted, BATCH):
            documents = dict(source.documents(list(chunk)))
            stale = [pk for pk in chunk if pk not in documents]
            with connection.cursor() as cursor:
                if stale:
                    marks = ", ".join(["%s"] * len(stale))
                    cursor.execute(f"DELETE FROM core_searchdocument WHERE kind = %s "  # noqa: S608
                                   f"AND object_id IN ({marks})", [kind, *stale])
                if documents:
                    rows = ", ".join(["(%s, %s, %s)"] * len(documents))
                    cursor.execute(
                        f"INSERT INTO core_searchdocument (kind, object_id, document) VALUES {rows} "  # noqa: S608
                        "ON CONFLICT (kind, object_id) DO UPDATE SET document = excluded.document "
                        "WHERE core_searchdocument.document <> excluded.document",
                        [v for pk, doc in documents.items() for v in (kind, pk, doc)])
            engine.words_added(documents.values())
        for other in _sources.values():
            follow = other.follows.get(kind)
            if follow is not None and other.kind != kind:
                for chunk in _chunks(wanted, BATCH):
                    search_index_update(other.kind, list(follow(list(chunk))))


def search_index_rebuild(kind: str | None = None, *,
                         progress: Callable[[str, int], None] | None = None) -> dict[str, int]:
    """Rebuild the index of one kind (or of every kind) from the records, in bulk; returns the
    number of documents per kind. One transaction: searches see the old index until it is done.
    Builds the documents in batches streamed from the database and writes them with COPY
    (PostgreSQL) or executemany (SQLite)."""
    from partnera.core.search_bulk import rebuild

    kinds = [kind] if kind else list(_sources)
    unknown = [k for k in kinds if k not in _sources]
    if unknown:
        raise ValueError(f"no search documents registered for {', '.join(unknown)}")
    return rebuild([_sources[k] for k in kinds], whole=kind is None, progress=progress)
