"""What this domain adds to the core registries (timeline, "My day", record panels, search,
visibility). Called once from the app's ready()."""

from __future__ import annotations


def register() -> None:
    # Department members see the contracts with an obligation of their department.
    from partnera.contracts.selectors import department_rule
    from partnera.core.visibility import register_department_rule

    register_department_rule(department_rule)
    # The "Contracts" panel on the company page and contract events on its timeline.
    from partnera.contracts.timeline import company_contract_events
    from partnera.contracts.views.panels import company_contracts_panel
    from partnera.core.panels import RecordPanel, register_record_panel
    from partnera.core.timeline import register_timeline_source

    register_record_panel(RecordPanel(page="company", name="contracts.contracts", order=20,
                                      template="contracts/panels/company_contracts.html",
                                      context=company_contracts_panel))
    register_timeline_source("contracts", company_contract_events)
    # "My day": obligations due, contracts to renew.
    from partnera.contracts import myday

    myday.register_home_panels()
