"""`partnera orders alert-late [--enqueue]`: alert the people of every order that became late.

Checks every open order with a line past its promised date and not delivered in full, and
alerts its account manager and the active members of its departments — once per lateness
episode (an order alerted before is left alone until a write makes it no longer late). Run it
once a night from cron (or a systemd timer); each order's own check also runs at the end of its
promised day through the job worker.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, no_translations


class Command(BaseCommand):
    help = (
        "Order jobs. `alert-late` alerts the account manager and the departments of every order "
        "that became late (once per lateness episode); --enqueue leaves it to the job worker."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{alert-late}")
        alert = actions.add_parser("alert-late", help="alert the people of every late order once")
        alert.add_argument("--enqueue", action="store_true",
                           help="enqueue the job for `partnera worker` instead of running it now")

    @no_translations  # operators' output in English, like Django's own commands
    def handle(self, *args, action: str, enqueue: bool = False, **options):
        from partnera.orders.tasks import alert_late_orders_task

        if enqueue:
            result = alert_late_orders_task.enqueue()
            self.stdout.write(f"Enqueued the late-order check (job {result.id}).")
            return
        outcome = alert_late_orders_task.call()
        alerted = outcome.get("alerted", 0)
        others = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in sorted(outcome.items())
                           if what != "alerted")
        self.stdout.write(f"{alerted} late order{'s' if alerted != 1 else ''} alerted"
                          + (f" ({others})." if others else "."))
