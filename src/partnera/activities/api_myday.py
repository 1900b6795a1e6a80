"""REST API of this part of the domain (mounted in config/api_urls.py)."""

from __future__ import annotations

from ninja import Router

router = Router()
