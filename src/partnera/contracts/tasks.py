"""Background jobs of contracts (django-tasks; `partnera worker` runs them)."""

from __future__ import annotations

from django_tasks import task

from partnera.core.context import Channel, acting


@task()
def expire_contract_task(contract_id: int) -> str:
    """Expire (or renew automatically) one active contract whose end date has passed.

    Enqueued when a contract becomes active or renews, to run the day after its end. Safe to run
    twice, early or late: a contract not yet past its end, or no longer active, is left alone.
    """
    from partnera.contracts.services.lifecycle import contracts_expire_due

    with acting(Channel.JOB):
        result = contracts_expire_due(contract_ids=[contract_id])
    return f"expired {len(result.expired)}, renewed {len(result.renewed)}"


@task()
def expire_contracts_task() -> str:
    """Every active contract past its end date: expired, or renewed for another term.
    Idempotent (`partnera contracts expire --enqueue` puts it on the queue)."""
    from partnera.contracts.services.lifecycle import contracts_expire_due

    with acting(Channel.JOB):
        result = contracts_expire_due()
    return f"expired {len(result.expired)}, renewed {len(result.renewed)}"
