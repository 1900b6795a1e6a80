"""REST API of this domain (/api/v1/…)."""

from ninja import Router

router = Router(tags=["contracts"])
