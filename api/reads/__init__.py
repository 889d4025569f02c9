"""Public read routes: batches, holdings, serials, events, stats, programmes (units and
buffer pools), retirements, pools, audit, and the CSV exports.

``router`` aggregates them; ``api.app`` mounts it behind the public-read policy. The typed
query functions behind the routes are in ``api.reads.queries`` (also used by the pages).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.reads.routes import accounts as _accounts
from api.reads.routes import audit as _audit
from api.reads.routes import batches as _batches
from api.reads.routes import events as _events
from api.reads.routes import exports as _exports
from api.reads.routes import pools as _pools
from api.reads.routes import programmes as _programmes
from api.reads.routes import retirements as _retirements
from api.reads.routes import serials as _serials
from api.reads.routes import stats as _stats

router = APIRouter(prefix="/v1")
for _module in (
    _batches,
    _accounts,
    _exports,
    _serials,
    _retirements,
    _pools,
    _events,
    _stats,
    _programmes,
    _audit,
):
    router.include_router(_module.router)
