"""What a client has already bought, for the pricing engine's rebates (catalog.pricing).

A rebate rule ("5 % off once the client has bought 1,000 units of the line this year") counts the
quantity on the client's earlier orders: the lines of its orders that are not cancelled (nor
deleted), received in the rule's period (`start`/`end`, None: open-ended), whose product the
rule covers (its product, product line and category; None: any). One aggregate query.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Sum

from partnera.orders.models import OrderLine, OrderStatus

ZERO = Decimal("0")


def ordered_volume(company_id: int, rule, start: dt.date | None, end: dt.date | None) -> Decimal:
    lines = OrderLine.objects.filter(order__company_id=company_id,
                                     order__deleted_at__isnull=True).exclude(
        order__status=OrderStatus.CANCELLED)
    if start is not None:
        lines = lines.filter(order__received_on__gte=start)
    if end is not None:
        lines = lines.filter(order__received_on__lte=end)
    if rule.product_id is not None:
        lines = lines.filter(product_id=rule.product_id)
    if rule.line_id is not None:
        lines = lines.filter(product__line_id=rule.line_id)
    if rule.category_id is not None:
        lines = lines.filter(product__category_id=rule.category_id)
    return lines.aggregate(total=Sum("quantity"))["total"] or ZERO
