"""Client orders, their lines with promised dates, and the deliveries against them.

Delivery performance is read from the lines: a line is on time and in full (OTIF) when its
delivered quantity reached the ordered quantity (`completed_on`) no later than its promised date.
The delivery services keep `delivered_quantity` and `completed_on`, so every figure (per order, per
client, per manager) is one aggregate over the lines.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from partnera.catalog.models import PricedLine
from partnera.core.models import BusinessRecord
from partnera.core.money import DEFAULT_CURRENCY, Currency


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    PARTLY_DELIVERED = "partly_delivered", _("Partly delivered")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_STATUSES = (OrderStatus.RECEIVED, OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT,
                 OrderStatus.PARTLY_DELIVERED)


class OrderChannel(models.TextChoices):
    UI = "ui", _("Entered by hand")
    API = "api", _("API")
    IMPORT = "import", _("Import")


class Order(BusinessRecord):
    number = models.CharField(_("number"), max_length=30, unique=True)
    company = models.ForeignKey("clients.Company", on_delete=models.PROTECT, related_name="orders",
                                verbose_name=_("client"))
    contract = models.ForeignKey("contracts.Contract", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="orders", verbose_name=_("contract"))
    offer = models.ForeignKey("sales.Offer", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="orders", verbose_name=_("offer"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="owned_orders",
                              verbose_name=_("account manager"))
    team = models.ForeignKey("people.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="orders", verbose_name=_("team"))
    # The departments whose work the order needs (logistics ships it, finance invoices it): their
    # members see it, and nothing else of the client.
    departments = models.ManyToManyField("people.Department", blank=True, related_name="orders",
                                         verbose_name=_("departments"))
    client_reference = models.CharField(_("client's order number"), max_length=60, blank=True)
    channel = models.CharField(_("received through"), max_length=8, choices=OrderChannel.choices,
                               default=OrderChannel.UI)
    received_on = models.DateField(_("received on"))
    # The delivery date the client asked for; each line's promised date starts from it.
    requested_date = models.DateField(_("requested delivery date"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=18, choices=OrderStatus.choices,
                              default=OrderStatus.RECEIVED)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=DEFAULT_CURRENCY)
    net_total = models.DecimalField(_("total without VAT"), max_digits=16, decimal_places=2, default=0)
    vat_total = models.DecimalField(_("VAT"), max_digits=16, decimal_places=2, default=0)
    gross_total = models.DecimalField(_("total with VAT"), max_digits=16, decimal_places=2, default=0)
    net_total_eur = models.DecimalField(max_digits=16, decimal_places=2, default=0, editable=False)
    delivery_address = models.CharField(_("delivery address"), max_length=500, blank=True)
    note = models.TextField(_("note"), max_length=4000, blank=True)
    cancel_reason = models.TextField(_("cancellation reason"), max_length=2000, blank=True)
    # Why a partly delivered order was closed without the rest (it then counts as not in full).
    close_reason = models.TextField(_("reason for closing short"), max_length=2000, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # Set once the owner and departments were alerted that the order is late: one alert per
    # lateness episode (a write that makes the order no longer late clears it, orders.late.rearm).
    late_alerted_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-received_on", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["company", "received_on"], name="order_company_idx"),
            models.Index(fields=["owner", "status", "received_on"], name="order_owner_idx"),
            models.Index(fields=["status", "received_on"], name="order_status_idx",
                         condition=Q(deleted_at__isnull=True)),
            models.Index(fields=["-received_on", "-id"], name="order_recent_idx",
                         condition=Q(deleted_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.number


class OrderLine(PricedLine):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines",
                              verbose_name=_("order"))
    # The offer line it was copied from (priced as offered), kept so an edit keeps that price.
    offer_line = models.ForeignKey("sales.OfferLine", null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("offer line"))
    promised_date = models.DateField(_("promised for"))
    delivered_quantity = models.DecimalField(_("delivered"), max_digits=14, decimal_places=3, default=0)
    # The day the delivered quantity reached the ordered quantity (None while incomplete).
    completed_on = models.DateField(_("completed on"), null=True, blank=True)

    class Meta:
        ordering = ["order", "position", "id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [
            models.Index(fields=["promised_date", "completed_on"], name="order_line_due_idx"),
            models.Index(fields=["product", "order"], name="order_line_product_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="order_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.position}"


class Delivery(models.Model):
    """One shipment (or handover of a service) against an order, with what it carried."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries",
                              verbose_name=_("order"))
    delivered_on = models.DateField(_("delivered on"))
    document_number = models.CharField(_("delivery note number"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("recorded by"))

    class Meta:
        ordering = ["order", "delivered_on", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.order_id} @ {self.delivered_on}"


class DeliveryLine(models.Model):
    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="lines",
                                 verbose_name=_("delivery"))
    order_line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="deliveries",
                                   verbose_name=_("order line"))
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3)

    class Meta:
        verbose_name = _("delivered line")
        verbose_name_plural = _("delivered lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="delivery_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order_line_id}: {self.quantity}"
