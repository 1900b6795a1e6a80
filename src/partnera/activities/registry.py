"""What this domain contributes to core's registries (timeline, "My day", search)."""

from __future__ import annotations


def register() -> None:
    """Called once from AppConfig.ready()."""
    from partnera.activities import myday
    from partnera.clients.demo import register_demo_hook

    myday.register_home_panels()
    # The demo's sales cycle (deals and activities) beside every batch of demo companies.
    register_demo_hook("sales_cycle", _demo_sales_cycle)
    # Activities: the company and deal timelines, and the panel with "Log a call" on both pages.
    from partnera.activities.activity_list import company_activity_events, deal_activity_events
    from partnera.activities.views.activities import company_activities_panel, deal_activities_panel
    from partnera.core.panels import RecordPanel, register_record_panel
    from partnera.core.timeline import register_timeline_source
    from partnera.sales.timeline import register_deal_timeline_source

    register_timeline_source("activities", company_activity_events)
    register_deal_timeline_source("activities", deal_activity_events)
    for page, context in (("company", company_activities_panel), ("deal", deal_activities_panel)):
        register_record_panel(RecordPanel(page=page, name="activities.activities", order=20,
                                          template="activities/panels/company_activities.html",
                                          context=context))
    # A company merge moves the activities; the last contact (one row per company) is not moved
    # but computed again for the survivor from the activities it now has.
    from partnera.clients.merge import register_merge_exclusion, register_merge_hook

    register_merge_exclusion("activities.companycontact")
    register_merge_hook(_merge_last_contact)


def _merge_last_contact(survivor, other, moved) -> None:
    """Inside the merge's transaction: the survivor's last contact from all its activities (its
    own and the merged company's), and none left for the merged company."""
    from partnera.activities.services import refresh_company_last_contact

    refresh_company_last_contact([survivor.pk, other.pk])


def _demo_sales_cycle(companies, contacts, run) -> None:
    from partnera.activities.demo import demo_batch

    demo_batch(companies, contacts, run)
