"""GET /api/v1/search: the global search over HTTP (the same selector as the search box)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from pydantic import Field

from partnera.core.api import QuerySchema
from partnera.core.errors import ValidationFailed
from partnera.core.search import global_search, search_kinds

router = Router(tags=["search"])


class SearchQuery(QuerySchema):
    q: str = Field("", max_length=200, description="What to look for: a name (Cyrillic or Latin), "
                   "EIK, VAT number, e-mail, phone in any format, city. At least two characters.")
    kinds: list[str] = Field(default_factory=list, max_length=20, description=(
        "Only these kinds (e.g. company, contact); repeat the parameter or separate with commas. "
        "Empty: every kind."))
    limit: int = Field(10, ge=1, le=50, description="At most this many hits of each kind.")


class SearchHitOut(Schema):
    kind: str
    kind_label: str
    id: int
    label: str
    detail: str
    url: str


class SearchResults(Schema):
    query: str
    items: list[SearchHitOut]


@router.get("/search", response=SearchResults)
def search(request, query: Query[SearchQuery]):
    """Records you can see that match every word of `q` (each as the start of a word), grouped
    by kind and best first within each. Transliteration works both ways ("Petrov" finds
    «Петров»), and where the database allows, a typo is forgiven when nothing else is found."""
    kinds = {k.strip() for value in query.kinds for k in value.split(",") if k.strip()}
    unknown = sorted(kinds - set(search_kinds()))
    if unknown:
        raise ValidationFailed(fields={"kinds": [
            _("Unknown kind: %(kinds)s. Known: %(known)s.")
            % {"kinds": ", ".join(k[:40] for k in unknown[:5]), "known": ", ".join(search_kinds())}]})
    text = " ".join(query.q.split())[:100]
    hits = global_search(user=request.auth, query=text, limit=query.limit, kinds=kinds or None)
    return {"query": text, "items": [
        {"kind": h.kind, "kind_label": h.kind_label, "id": h.pk, "label": h.label,
         "detail": h.detail, "url": h.url} for h in hits]}
