"""Order pages (a package: orders.py, deliveries.py, panels.py; performance pages beside them)."""
