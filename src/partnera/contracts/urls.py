"""/contracts/: the web pages of this domain."""

app_name = "contracts"
urlpatterns: list = []
