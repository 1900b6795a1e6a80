"""/orders/performance/: delivery performance and repeat orders (included by orders/urls.py)."""

from django.urls import path

from partnera.orders.views import performance

urlpatterns = [
    path("performance/", performance.order_performance, name="performance"),
    path("performance/export/", performance.order_performance_export, name="performance_export"),
]
