"""The typed query layer behind the read routes, for any caller that holds a store connection
(the routes, the pages, scripts). This list is the stable surface; the modules it comes from
may move.

Every function takes an SQLAlchemy ``Connection`` and returns pydantic models (serialised by
the routes as they are). Errors are ``api.problems.Problem``: a 404 ``not_found`` or a 422
naming the field (``query.cursor``, ``path.serial``, ...), which the app turns into
problem+json. Lists are keyset-paginated: pass the ``next_cursor`` of a page back as
``cursor``; it is ``None`` on the last page. Cursors are opaque and bound to their filters.

- ``list_batches(conn, BatchFilters(...), limit=, cursor=) -> BatchPage``
- ``get_batch(conn, batch_id, ranges=100) -> BatchDetail`` (totals, conservation check, first
  page of holding ranges)
- ``batch_ranges(conn, batch_id, limit=, cursor=) -> RangePage``
- ``account_holdings(conn, address, limit=, cursor=) -> Holdings``
- ``resolve_serial(program, serial, namespace=None) -> SerialQuery`` (parses; no store access)
  and ``lookup_serial(conn, query, limit=, history_limit=) -> SerialStatus``
- ``get_retirement(conn, retirement_id) -> RetirementDetail`` (with ``verification``: chain id,
  contract, tx, block, log index, audit seq and head) and
  ``list_retirements(conn, RetirementFilters(...), limit=, cursor=) -> RetirementPage``
- ``list_events(conn, after_seq=0, batch_id=None, limit=100) -> EventPage``
- ``ledger_stats(conn) -> Stats``
- ``verifier_for(engine).result(engine, chain_of(services)) -> AuditResult`` runs or reuses a
  verification; ``verifier_for(engine).last()`` is the last result without running one (for
  "last verified"), ``None`` before the first.
"""

from __future__ import annotations

from api.reads._common import JsonInt, Page, ProblemDetails, SerialSpan, json_int
from api.reads.audit import AuditResult, AuditVerifier, Discrepancy, chain_of, verifier_for
from api.reads.batches import (
    BatchDetail,
    BatchFilters,
    BatchPage,
    BatchSummary,
    HoldingRange,
    Project,
    RangePage,
    Totals,
    batch_ranges,
    get_batch,
    list_batches,
)
from api.reads.events import Event, EventPage, list_events
from api.reads.holdings import Account, BatchHolding, Holdings, account_holdings
from api.reads.retirements import (
    ConsumptionPeriod,
    Retirement,
    RetirementDetail,
    RetirementFilters,
    RetirementPage,
    Verification,
    certificate_url,
    get_retirement,
    list_retirements,
)
from api.reads.serials import (
    RangeInBatch,
    SerialQuery,
    SerialStatus,
    StateTonnes,
    lookup_serial,
    resolve_serial,
)
from api.reads.stats import Stats, Tonnes, TonnesBy, TonnesByYear, ledger_stats

__all__ = [
    "Account",
    "AuditResult",
    "AuditVerifier",
    "BatchDetail",
    "BatchFilters",
    "BatchHolding",
    "BatchPage",
    "BatchSummary",
    "ConsumptionPeriod",
    "Discrepancy",
    "Event",
    "EventPage",
    "HoldingRange",
    "Holdings",
    "JsonInt",
    "Page",
    "ProblemDetails",
    "Project",
    "RangeInBatch",
    "RangePage",
    "Retirement",
    "RetirementDetail",
    "RetirementFilters",
    "RetirementPage",
    "SerialQuery",
    "SerialSpan",
    "SerialStatus",
    "StateTonnes",
    "Stats",
    "Tonnes",
    "TonnesBy",
    "TonnesByYear",
    "Totals",
    "Verification",
    "account_holdings",
    "batch_ranges",
    "certificate_url",
    "chain_of",
    "get_batch",
    "get_retirement",
    "json_int",
    "ledger_stats",
    "list_batches",
    "list_events",
    "list_retirements",
    "lookup_serial",
    "resolve_serial",
    "verifier_for",
]
