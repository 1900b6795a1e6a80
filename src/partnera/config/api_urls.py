"""/api/v1/: the one NinjaAPI with every domain's router (config is where the apps meet)."""

from partnera.clients.api import router as clients_router
from partnera.core.api import api_urlpatterns, create_api
from partnera.people.api import router as people_router

api = create_api([("/", clients_router), ("/", people_router)])

app_name = "api"
urlpatterns = api_urlpatterns(api)
