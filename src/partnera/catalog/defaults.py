"""What a new installation starts with: the Bulgarian VAT rates (20 % standard and default, 9 %
reduced, 0 % zero) and the pricing policy (manual discounts above 10 % need the head of sales).
Names are stored in the installation's language (data an administrator renames, not interface
text)."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import pgettext_lazy

# (name, rate %, default)
VAT_RATES = [
    (pgettext_lazy("catalog seed", "Standard rate"), Decimal("20.00"), True),
    (pgettext_lazy("catalog seed", "Reduced rate"), Decimal("9.00"), False),
    (pgettext_lazy("catalog seed", "Zero rate"), Decimal("0.00"), False),
]
MAX_MANUAL_DISCOUNT = Decimal("10.00")


def install_defaults(apps, language: str) -> None:
    """Create the VAT rates and the pricing policy once (a migration calls it with historical
    models; tests call it again after a flush)."""
    from django.utils import translation

    vat_model = apps.get_model("catalog", "VatRate")
    policy_model = apps.get_model("catalog", "PricingPolicy")
    with translation.override(language):
        if not vat_model.objects.exists():
            vat_model.objects.bulk_create([
                vat_model(name=str(name), rate=rate, is_default=default)
                for name, rate, default in VAT_RATES])
        if not policy_model.objects.exists():
            policy_model.objects.create(max_manual_discount=MAX_MANUAL_DISCOUNT)
