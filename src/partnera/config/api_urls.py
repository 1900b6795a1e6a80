"""/api/v1/: the one NinjaAPI with every domain's router (config is where the apps meet)."""

from partnera.activities.api import router as activities_router
from partnera.activities.api_calendar import router as calendar_router
from partnera.activities.api_myday import router as my_day_router
from partnera.catalog.api import router as catalog_router
from partnera.clients.api import router as clients_router
from partnera.clients.api_duplicates import router as duplicates_router
from partnera.clients.api_exports import router as client_exports_router
from partnera.contracts.api import router as contracts_router
from partnera.core.api import api_urlpatterns, create_api
from partnera.core.search_api import router as search_router
from partnera.imports.api import router as imports_router
from partnera.orders.api import router as orders_router
from partnera.orders.api_performance import router as order_performance_router
from partnera.people.api import router as people_router
from partnera.sales.api import router as sales_router
from partnera.sales.api_leads import router as leads_router
from partnera.sales.api_offers import router as offers_router

# The export and duplicates paths (/companies/export, /companies/duplicates) come before the
# record paths (/companies/{id}).
api = create_api([("/", client_exports_router), ("/", duplicates_router), ("/", clients_router),
                  ("/", people_router), ("/imports", imports_router), ("/", search_router),
                  ("/", sales_router), ("/", leads_router), ("/", activities_router),
                  ("/", calendar_router), ("/", my_day_router), ("/", catalog_router),
                  ("/", offers_router), ("/", contracts_router),
                  ("/", order_performance_router), ("/", orders_router)])

app_name = "api"
urlpatterns = api_urlpatterns(api)
