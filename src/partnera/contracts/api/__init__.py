"""REST API of contracts (/api/v1/…): one router, its endpoints in the modules beside this one.

Thin like the other domains' APIs: parse into a schema, call a selector or a service, render. The
same services as the web pages hold every rule: a refused status change answers 400
`transition_refused` naming what is missing in `fields`; a contract the caller may not see is
404; a role that reads but may not write is 403; settings are for administrators.
"""

from ninja import Router

router = Router(tags=["contracts"])

from partnera.contracts.api import contracts, items, settings  # noqa: E402, F401  (adds routes)
