"""Pages for people (issue 6): server-rendered HTML in English and Simplified Chinese.

``router`` is mounted at ``/``: the dashboard ``/``, ``/batches`` and ``/batches/{id}``,
``/serials?q=``, ``/accounts/{address}``, ``/pools`` and ``/pools/{id}``, ``/retirements/{id}`` (the certificate page),
``/audit``, the language switch ``/lang`` and ``/static/``. docs/PAGES.md describes them.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.staticfiles import StaticFiles

from api.pages import accounts, audit, batches, dashboard, pools, retirements, serials, site
from api.pages.render import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)
for module in (dashboard, batches, serials, accounts, pools, retirements, audit, site):
    router.include_router(module.router)
router.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
