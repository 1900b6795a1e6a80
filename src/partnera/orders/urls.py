"""/orders/: the web pages of this domain."""

app_name = "orders"
urlpatterns: list = []
