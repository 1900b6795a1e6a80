"""Who is acting and through which channel, for the audit log.

Set once per request (middleware), per API call (auth), per CLI command or per job, and read
by the audit writer, so services never need a `channel` argument threaded through them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


class Channel:
    WEB = "web"
    API = "api"
    IMPORT = "import"
    JOB = "job"
    CLI = "cli"
    SYSTEM = "system"

    CHOICES = [
        (WEB, _("web")),
        (API, _("API")),
        (IMPORT, _("import")),
        (JOB, _("job")),
        (CLI, _("command line")),
        (SYSTEM, _("system")),
    ]


@dataclass(frozen=True)
class RequestContext:
    channel: str = Channel.SYSTEM
    ip: str | None = None
    request_id: str = ""


_current: ContextVar[RequestContext] = ContextVar(
    "partnera_context", default=RequestContext()  # noqa: B039  (frozen, immutable)
)


def current() -> RequestContext:
    return _current.get()


@contextlib.contextmanager
def acting(channel: str, ip: str | None = None, request_id: str = "") -> Iterator[None]:
    token = _current.set(RequestContext(channel=channel, ip=ip, request_id=request_id))
    try:
        yield
    finally:
        _current.reset(token)
