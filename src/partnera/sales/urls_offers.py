"""/sales/offers/: offers (quotes) made from deals."""

urlpatterns: list = []
