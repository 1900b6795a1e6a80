"""Calling /api/v1 in tests as one user, with a real bearer token made by the token service."""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder

from partnera.people.services import token_create

API = "/api/v1"


class ApiClient:
    """JSON in and out, in English; `raw` sends a body as it is (broken JSON, wrong types)."""

    def __init__(self, client, user):
        self.client = client
        self.user = user
        _token, self.secret = token_create(actor=None, user=user, name="tests")

    @property
    def headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, path: str, params: dict | None = None):
        return self.client.get(API + path, params or {}, **self.headers)

    def _send(self, method: str, path: str, data, raw: str | bytes | None):
        body = raw if raw is not None else json.dumps(data if data is not None else {},
                                                      cls=DjangoJSONEncoder)
        return getattr(self.client, method)(API + path, body, content_type="application/json",
                                            **self.headers)

    def post(self, path: str, data=None, *, raw: str | bytes | None = None):
        return self._send("post", path, data, raw)

    def patch(self, path: str, data=None, *, raw: str | bytes | None = None):
        return self._send("patch", path, data, raw)

    def put(self, path: str, data=None, *, raw: str | bytes | None = None):
        return self._send("put", path, data, raw)

    def delete(self, path: str):
        return self.client.delete(API + path, **self.headers)

    def upload(self, path: str, data: dict):
        return self.client.post(API + path, data, **self.headers)
