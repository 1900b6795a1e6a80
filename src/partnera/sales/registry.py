"""What this domain contributes to core's registries (timeline, "My day", search)."""

from __future__ import annotations


def register() -> None:
    """Called once from AppConfig.ready()."""
    # Deals: the "Deals" panel on the company page and the deal events on its timeline.
    from partnera.core.panels import RecordPanel, register_record_panel
    from partnera.core.timeline import register_timeline_source as register_company_source
    from partnera.sales.timeline import company_deal_events
    from partnera.sales.views.deals import company_deals_panel

    register_record_panel(RecordPanel(page="company", name="sales.deals", order=10,
                                      template="sales/panels/company_deals.html",
                                      context=company_deals_panel))
    register_company_source("deals", company_deal_events)
    # Deals in the global search: documents kept by the deal services, found through the rule.
    from django.utils.translation import gettext_lazy

    from partnera.core.search import DocumentSource, register_search_documents, register_search_provider
    from partnera.sales import deal_list

    register_search_documents(DocumentSource(
        kind="deal", documents=deal_list.deal_documents, visible=deal_list.deals_visible,
        follows={"company": deal_list.deals_of_companies}))
    register_search_provider("deal", deal_list.deal_search_hits, label=gettext_lazy("Deals"))
    # A company merge moves deals and leads to the survivor: their documents follow it.
    from partnera.clients.merge import register_merge_hook

    register_merge_hook(deal_list.reindex_after_merge)
    # Leads: the leads qualified into a company appear on its timeline.
    from partnera.core.timeline import register_timeline_source
    from partnera.sales.lead_selectors import lead_deal_timeline, lead_timeline
    from partnera.sales.lead_selectors import register_search as register_lead_search
    from partnera.sales.timeline import register_deal_timeline_source

    register_timeline_source("leads", lead_timeline)
    register_deal_timeline_source("lead", lead_deal_timeline)
    register_lead_search()  # leads in the search index (the lead list's search)
    from partnera.sales import myday

    myday.register_home_panels()
    # Offers: panels on the deal and company pages, both timelines, the approvals in "My day".
    from partnera.sales.offers import registry as offers_registry

    offers_registry.register()
