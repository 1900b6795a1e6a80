"""REST API of offers (/api/v1/offers …)."""

from ninja import Router

router = Router(tags=["offers"])
