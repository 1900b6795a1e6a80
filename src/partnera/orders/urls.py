"""/orders/: the web pages of this domain."""

from django.urls import path

from partnera.orders import urls_performance
from partnera.orders.views import deliveries, edit, orders

app_name = "orders"
urlpatterns: list = [
    path("", orders.order_list, name="order_list"),
    path("new/", edit.order_create, name="order_create"),
    path("<int:pk>/", orders.order_detail, name="order_detail"),
    path("<int:pk>/edit/", edit.order_edit, name="order_edit"),
    path("<int:pk>/lines/", edit.order_lines, name="order_lines"),
    path("<int:pk>/confirm/", orders.order_confirm, name="order_confirm"),
    path("<int:pk>/start/", orders.order_start, name="order_start"),
    path("<int:pk>/close/", orders.order_close, name="order_close"),
    path("<int:pk>/cancel/", orders.order_cancel, name="order_cancel"),
    path("<int:pk>/deliveries/", deliveries.delivery_create, name="delivery_create"),
    path("<int:pk>/deliveries/<int:delivery_id>/delete/", deliveries.delivery_delete,
         name="delivery_delete"),
    *urls_performance.urlpatterns,
]
