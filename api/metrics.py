"""Prometheus metrics at ``/metrics``: requests, latencies, transaction states, indexer lag.

Each app has its own registry (two apps in one process, as in tests, never share counters).
Requests are labelled by route template, not raw path, so ``/v1/batches/{id}`` is one series
however many batches there are. Transaction states and indexer progress are read at scrape
time, so they are never stale and cost nothing between scrapes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import sqlalchemy as sa
from fastapi import FastAPI, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import tables
from api.deps import Services
from chain.indexer import halt

SUBMISSION_STATES = ("accepted", "submitted", "confirmed", "failed")


class _Instruments:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "carbon_ledger_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"),
            registry=registry,
        )
        self.latency = Histogram(
            "carbon_ledger_http_request_duration_seconds",
            "Time from request to the end of the response, by method and route template.",
            ("method", "route"),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            registry=registry,
        )


class _StateCollector(Collector):
    """Submissions by state, the indexer's position and where connections went, read when
    scraped."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def collect(self) -> Iterator[Metric]:
        states = GaugeMetricFamily(
            "carbon_ledger_submissions",
            "Transactions the API has accepted, by state.",
            labels=("state",),
        )
        counts = dict.fromkeys(SUBMISSION_STATES, 0)
        stopped: halt.Halt | None = None
        try:
            with self.services.engine.connect() as conn:
                rows = conn.execute(
                    sa.select(tables.submissions.c.state, sa.func.count()).group_by(
                        tables.submissions.c.state
                    )
                )
                counts.update({state: n for state, n in rows})
                stopped = halt.read(conn)
                halted: int | None = 0 if stopped is None else 1
        except sa.exc.SQLAlchemyError:
            counts = {}  # store down: /readyz says so; report no series rather than zeros
            halted = None
        for state, n in counts.items():
            states.add_metric((state,), n)
        yield states
        status = self.services.indexer
        with status.lock:
            values = {
                "carbon_ledger_indexer_lag_blocks": (
                    "Blocks the store is behind head.",
                    status.lag,
                ),
                "carbon_ledger_indexer_block": ("The last block in the store.", status.block),
                "carbon_ledger_chain_head_block": ("The chain head last seen.", status.head),
                "carbon_ledger_indexer_events_per_second": (
                    "The indexer's recent event rate.",
                    status.events_per_s,
                ),
            }
        values["carbon_ledger_indexer_halted"] = (
            "1 while the indexer has recorded in the store that it stopped (/readyz names why).",
            halted,
        )
        for name, (doc, value) in values.items():
            if value is not None:
                yield GaugeMetricFamily(name, doc, value=value)
        if stopped is not None and stopped.block is not None:
            yield GaugeMetricFamily(
                "carbon_ledger_indexer_halt_block",
                "The block of the event the store could not take, while halted.",
                value=stopped.block,
            )
        if self.services.connections:
            handed = CounterMetricFamily(
                "carbon_ledger_connections",
                "Connections accepted, by the process that serves them (read workers: those "
                "opening with a read; requests there are not in the http series above).",
                labels=("served_by",),
            )
            for served_by, n in sorted(self.services.connections.items()):
                handed.add_metric((served_by,), n)
            yield handed


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, instruments: _Instruments) -> None:
        self.app = app
        self.instruments = instruments

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # if the app fails before answering

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = self._route(scope)
            method = scope["method"]
            self.instruments.requests.labels(method, route, str(status)).inc()
            self.instruments.latency.labels(method, route).observe(time.perf_counter() - started)

    @staticmethod
    def _route(scope: Scope) -> str:
        # Starlette records the matched route in the (shared) scope while routing.
        route = scope.get("route")
        return str(getattr(route, "path", "unmatched"))  # 404s: one series, not one per path


def install(app: FastAPI) -> None:
    """Serve ``/metrics`` and count every request of ``app``."""
    services: Services = app.state.services
    registry = CollectorRegistry()
    instruments = _Instruments(registry)
    registry.register(_StateCollector(services))
    app.add_middleware(MetricsMiddleware, instruments=instruments)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
