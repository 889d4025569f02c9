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
- pools: ``list_pools(conn) -> PoolList``, ``get_pool(conn, pool_id) -> PoolOut``,
  ``pool_composition(conn, pool_id, by) -> PoolComposition`` (and ``pool_compositions``: every
  way at once), ``pool_ranges(conn, pool_id,
  limit=, cursor=) -> PoolRangePage``, ``pool_activity(conn, pool_id, limit=, cursor=)
  -> PoolActivityPage``, ``account_pool_units(conn, address) -> AccountPoolUnits`` and
  ``rule_words(rules, phrases, label)`` (a pool's rules as sentences in a language)

What the pages list, keyed as their links are (a batch id, a serial, a ``seq``) rather than by
cursor; each returns the same records as the routes, and a ``Page`` whose ``more`` says
whether another follows:

- ``ledger_status(conn) -> LedgerStatus`` (chain, contract, checkpoint), ``program_list(conn)``
  and ``program_codes(conn, ids)``
- ``batches_by_program(conn, program, after=, limit=) -> BatchPage`` (a programme's batches in
  serial order), ``find_batch(conn, batch_id) -> Batch | None`` and
  ``ranges_after(conn, batch_id, after=, limit=) -> RangePage``
- ``latest_retirements(conn, batch_id=, holder=, before=, limit=) -> RetirementPage``
- ``holdings_after(conn, address, after, limit) -> Holdings`` and
  ``account_tonnes(conn, address) -> StateTonnes``
- ``events_between(conn, name=, batch_id=, before=, after=, limit=, newest_first=)``
  ``-> Page[Event]`` and ``AUDITED_EVENTS``, every kind of audited event
- ``tonnes_over_blocks(conn, points)``, ``retired_by_month(conn)`` and
  ``retirement_count(conn)``: the dashboard's series
- ``verifier_for(engine).result(engine, chain_of(services)) -> AuditResult`` runs or reuses a
  verification; ``verifier_for(engine).last()`` is the last result without running one (for
  "last verified"), ``None`` before the first.
"""

from __future__ import annotations

from api.reads._common import JsonInt, Page, ProblemDetails, SerialSpan, json_int
from api.reads.audit import AuditResult, AuditVerifier, Discrepancy, chain_of, verifier_for
from api.reads.batches import (
    Batch,
    BatchDetail,
    BatchFilters,
    BatchPage,
    BatchSummary,
    HoldingRange,
    RangePage,
    StateTonnes,
    TonneTotals,
    Totals,
    batch_ranges,
    batches_by_program,
    find_batch,
    get_batch,
    list_batches,
    ranges_after,
    totals,
)
from api.reads.buffers import ProgrammeBuffer, Reversal, programme_buffers, reversals_of
from api.reads.events import AUDITED_EVENTS, Event, EventPage, events_between, list_events
from api.reads.holdings import (
    Account,
    BatchHolding,
    Holdings,
    account_holdings,
    account_tonnes,
    holdings_after,
)
from api.reads.ledger import (
    LedgerStatus,
    batch_units,
    ledger_status,
    program_codes,
    program_list,
)
from api.reads.pools import (
    COMPOSITION_BY,
    AccountPoolUnits,
    CompositionBy,
    PoolActivityPage,
    PoolComposition,
    PoolList,
    PoolOut,
    PoolRangePage,
    account_pool_units,
    get_pool,
    list_pools,
    pool_activity,
    pool_composition,
    pool_compositions,
    pool_ranges,
    rule_words,
)
from api.reads.retirements import (
    ConsumptionPeriod,
    Retirement,
    RetirementDetail,
    RetirementFilters,
    RetirementPage,
    Verification,
    certificate_url,
    get_retirement,
    latest_retirements,
    list_retirements,
)
from api.reads.serials import (
    RangeInBatch,
    SerialQuery,
    SerialStatus,
    lookup_serial,
    resolve_serial,
)
from api.reads.stats import (
    Stats,
    Tonnes,
    TonnesBy,
    TonnesByYear,
    ledger_stats,
    retired_by_month,
    retirement_count,
    tonnes_over_blocks,
)
from chain.domain import Project

__all__ = [
    "AUDITED_EVENTS",
    "COMPOSITION_BY",
    "Account",
    "AccountPoolUnits",
    "AuditResult",
    "AuditVerifier",
    "Batch",
    "BatchDetail",
    "BatchFilters",
    "BatchHolding",
    "BatchPage",
    "BatchSummary",
    "CompositionBy",
    "ConsumptionPeriod",
    "Discrepancy",
    "Event",
    "EventPage",
    "HoldingRange",
    "Holdings",
    "JsonInt",
    "LedgerStatus",
    "Page",
    "PoolActivityPage",
    "PoolComposition",
    "PoolList",
    "PoolOut",
    "PoolRangePage",
    "ProblemDetails",
    "ProgrammeBuffer",
    "Project",
    "RangeInBatch",
    "RangePage",
    "Retirement",
    "RetirementDetail",
    "RetirementFilters",
    "RetirementPage",
    "Reversal",
    "SerialQuery",
    "SerialSpan",
    "SerialStatus",
    "StateTonnes",
    "Stats",
    "TonneTotals",
    "Tonnes",
    "TonnesBy",
    "TonnesByYear",
    "Totals",
    "Verification",
    "account_holdings",
    "account_pool_units",
    "account_tonnes",
    "batch_ranges",
    "batch_units",
    "batches_by_program",
    "certificate_url",
    "chain_of",
    "events_between",
    "find_batch",
    "get_batch",
    "get_pool",
    "get_retirement",
    "holdings_after",
    "json_int",
    "latest_retirements",
    "ledger_stats",
    "ledger_status",
    "list_batches",
    "list_events",
    "list_pools",
    "list_retirements",
    "lookup_serial",
    "pool_activity",
    "pool_composition",
    "pool_compositions",
    "pool_ranges",
    "program_codes",
    "program_list",
    "programme_buffers",
    "ranges_after",
    "resolve_serial",
    "retired_by_month",
    "retirement_count",
    "reversals_of",
    "rule_words",
    "tonnes_over_blocks",
    "totals",
    "verifier_for",
]
