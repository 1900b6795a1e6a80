"""What offers contribute to core's registries; called from sales.registry.register()."""

from __future__ import annotations


def register() -> None:
    from partnera.core.panels import RecordPanel, register_record_panel
    from partnera.core.timeline import register_timeline_source
    from partnera.sales.offers import myday
    from partnera.sales.offers.panels import company_offers_panel, deal_offers_panel
    from partnera.sales.offers.timeline import company_offer_events, deal_offer_events
    from partnera.sales.timeline import register_deal_timeline_source

    register_record_panel(RecordPanel(page="deal", name="sales.offers", order=5,
                                      template="sales/panels/deal_offers.html",
                                      context=deal_offers_panel))
    register_record_panel(RecordPanel(page="company", name="sales.offers", order=15,
                                      template="sales/panels/company_offers.html",
                                      context=company_offers_panel))
    register_timeline_source("offers", company_offer_events)
    register_deal_timeline_source("offers", deal_offer_events)
    myday.register_home_panels()
