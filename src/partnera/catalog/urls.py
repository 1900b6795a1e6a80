"""/catalog/: the web pages of this domain."""

app_name = "catalog"
urlpatterns: list = []
