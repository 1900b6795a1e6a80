"""The per-client performance table as a CSV or XLSX file (core.spreadsheet neutralises
anything a spreadsheet would run as a formula): one row per client with counted orders or orders
in the period, by name."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from partnera.clients.exports import export_audited
from partnera.core.spreadsheet import (
    CSV_CONTENT_TYPE,
    DATE,
    DECIMAL,
    INTEGER,
    XLSX_CONTENT_TYPE,
    Column,
    CsvDialect,
    Export,
    csv_chunks,
    write_xlsx,
)
from partnera.orders.performance import ClientRow, PerformanceFilters, all_clients

COLUMNS = [
    Column("company", _("client")),
    Column("orders_counted", _("orders counted"), INTEGER),
    Column("otif", _("on time in full"), INTEGER),
    Column("otif_rate", _("OTIF (%)"), DECIMAL),
    Column("on_time_rate", _("on time (%)"), DECIMAL),
    Column("in_full_rate", _("in full (%)"), DECIMAL),
    Column("orders_received", _("orders received in the period"), INTEGER),
    Column("first_order", _("first order"), DATE),
    Column("last_order", _("last order"), DATE),
    Column("average_days", _("average days between orders"), DECIMAL),
]

def _values(row: ClientRow) -> list:
    f = row.otif
    return [row.name, f.orders, f.otif, f.otif_rate, f.on_time_rate, f.in_full_rate, row.orders,
            row.first, row.last, row.average_days]

def performance_export(*, actor, filters: PerformanceFilters, fmt: str,
                       dialect: CsvDialect) -> Export:
    """The file of what the actor sees; the download is audited (who, which period, how many
    rows)."""
    rows = all_clients(user=actor, filters=filters)
    export_audited(actor=actor, object_type="orders.performance",
                   description=str(_("Order performance per client")), fmt=fmt, rows=len(rows),
                   filters={k: str(v) for k, v in (("start", filters.start), ("end", filters.end),
                                                   ("team", filters.team_id),
                                                   ("owner", filters.owner_id)) if v})
    name = f"order-performance-{filters.start.isoformat()}-{filters.end.isoformat()}"
    values: Iterator[list] = (_values(row) for row in rows)
    if fmt == "xlsx":
        handle = tempfile.TemporaryFile()  # noqa: SIM115  (closed by the response)
        try:
            written = write_xlsx(handle, COLUMNS, values, sheet_name=str(_("Order performance")))
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return Export(f"{name}.xlsx", XLSX_CONTENT_TYPE, written, file=handle)
    return Export(f"{name}.csv", CSV_CONTENT_TYPE, len(rows),
                  chunks=csv_chunks(COLUMNS, values, dialect=dialect))
