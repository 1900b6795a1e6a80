"""/sales/: deals, the board, leads, offers and the pipeline settings."""

from partnera.sales import urls_board, urls_deals, urls_leads, urls_offers

app_name = "sales"
urlpatterns = [*urls_deals.urlpatterns, *urls_board.urlpatterns, *urls_leads.urlpatterns,
               *urls_offers.urlpatterns]
