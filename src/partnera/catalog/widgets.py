"""Form widgets other domains use in their line forms."""

from __future__ import annotations

from django import forms
from django.urls import reverse


class ProductPicker(forms.HiddenInput):
    """A hidden product id with a search box beside it: typing asks catalog:product_pick for the
    active products that match, choosing one fills the id (core app.js, [data-picker]).

    The box's text travels as `<name>_label`; a bound form passes it back as `attrs["data-label"]`
    (or set it from the chosen product's "code name") so the box keeps what the user saw."""

    template_name = "catalog/widgets/product_picker.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["label_name"] = f"{name}_label"
        context["widget"]["label_value"] = self.attrs.get("data-label", "")
        context["widget"]["search_url"] = reverse("catalog:product_pick")
        return context
