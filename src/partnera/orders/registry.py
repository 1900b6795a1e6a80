"""What this domain adds to the core registries (timeline, "My day", record panels, search,
visibility, imports). Called once from the app's ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from partnera.core.panels import RecordPanel, register_record_panel
from partnera.core.timeline import register_timeline_source
from partnera.core.visibility import register_department_rule
from partnera.imports.registry import ImportKind, register_import_kind


def register() -> None:
    from partnera.orders import importing, selectors, timeline
    from partnera.orders.views.panels import company_orders_panel

    # Department members see the orders naming their department, and nothing else of the client.
    register_department_rule(selectors.department_orders_rule)
    # The "Orders" panel on the company page and the order events on its timeline.
    register_record_panel(RecordPanel(page="company", name="orders.orders", order=20,
                                      template="orders/panels/company_orders.html",
                                      context=company_orders_panel))
    register_timeline_source("orders", timeline.company_order_events)
    # Orders from a spreadsheet: one row per order line, grouped by the client's order number.
    register_import_kind(ImportKind(
        name="orders", label=gettext_lazy("Orders"), fields=importing.ORDER_IMPORT_FIELDS,
        keys=importing.ORDER_KEYS, handler=importing.OrderImport, object_type="orders.order",
        may_import=importing.may_import, required_any=importing.REQUIRED_ANY,
        help=importing.HELP,
    ))
    # Delivery performance: the late orders in "My day", the client's figures on the company page,
    # and the quantities a client bought for the pricing engine's rebates.
    from partnera.catalog.pricing import register_volume_source
    from partnera.orders import myday, volume
    from partnera.orders.views.performance import company_performance_panel

    myday.register_home_panels()
    register_record_panel(RecordPanel(page="company", name="orders.performance", order=21,
                                      template="orders/performance_company_panel.html",
                                      context=company_performance_panel))
    register_volume_source(volume.ordered_volume)
    # The demo's commercial cycle (offers, contracts, orders and deliveries) for every batch of
    # demo companies; registered here, after the sales cycle's and the catalog's demo hooks.
    from partnera.clients.demo import register_demo_hook

    register_demo_hook("commercial_cycle", _demo_commercial_cycle)


def _demo_commercial_cycle(companies, contacts, run) -> None:
    from partnera.orders.demo import demo_batch

    demo_batch(companies, contacts, run)
