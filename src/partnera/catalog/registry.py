"""What this domain adds to the core registries (timeline, "My day", record panels, search,
visibility). Called once from the app's ready()."""

from __future__ import annotations


def register() -> None:
    from django.utils.translation import gettext_lazy

    from partnera.clients.demo import register_demo_hook
    from partnera.core.search import register_search_provider

    # Products are no one's records: anyone signed in finds them by code or name.
    register_search_provider("product", product_search_hits, label=gettext_lazy("Products"))
    # The demo catalog (products, price lists, rules) with the first batch of demo companies.
    register_demo_hook("catalog", _demo_catalog)


def product_search_hits(*, user, query: str, limit: int):
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from partnera.catalog.selectors import product_search
    from partnera.core.search import SearchHit

    return [SearchHit(kind="product", kind_label=_("Product"), label=f"{p.code} {p.name}",
                      detail=" · ".join(x for x in (p.name_en, p.line.name if p.line else "") if x),
                      url=reverse("catalog:product_detail", args=[p.pk]), pk=p.pk)
            for p in product_search(user=user, query=query, limit=limit)]


def _demo_catalog(companies, contacts, run) -> None:
    from partnera.catalog.demo import demo_batch

    demo_batch(companies, contacts, run)
