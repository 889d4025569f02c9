"""GET /v1/stats: every total equals what the contract stores, summed in Python here."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from chain.store import schema as s
from tests.api.reads.conftest import Filled, client_for
from tests.api.reads.support import get

STATES = ("bridged", "held", "retired", "detokenised", "cancelled")


def test_totals_and_groups_match_the_chain(
    client: TestClient, store: Engine, filled: Filled
) -> None:
    chain = filled.chain
    b, p, pr = s.batches, s.programs, s.projects
    with store.connect() as conn:
        keys = {
            int(row.id): row
            for row in conn.execute(
                sa.select(b.c.id, b.c.vintage_start, p.c.code, pr.c.country, pr.c.project_type)
                .join(p, p.c.id == b.c.program_id)
                .join(pr, pr.c.key == b.c.project_key)
            )
        }
    groups: dict[str, dict[object, dict[str, int]]] = defaultdict(
        lambda: defaultdict(lambda: dict.fromkeys(("batches", *STATES), 0))
    )
    for batch_id in range(1, chain.batch_count() + 1):
        on_chain, row = chain.batch(batch_id), keys[batch_id]
        values = {
            "batches": 1,
            "bridged": on_chain.quantity,
            "held": on_chain.held,
            "retired": on_chain.retired,
            "detokenised": on_chain.detokenised,
            "cancelled": on_chain.cancelled,
        }
        for group, key in (
            ("totals", None),
            ("by_program", row.code),
            ("by_vintage_year", row.vintage_start // 10000),
            ("by_country", row.country),
            ("by_project_type", row.project_type),
        ):
            for name, value in values.items():
                groups[group][key][name] += value
    body = get(client, "/v1/stats")
    lists = ("by_program", "by_vintage_year", "by_country", "by_project_type")
    for row in [body["totals"], *(x for g in lists for x in body[g])]:
        # Every programme here counts whole tonnes: the exact tonnes are the counts.
        assert row.pop("tonnes") == {k: str(row[k]) for k in STATES}
    assert body["totals"] == groups["totals"][None]
    for group in ("by_program", "by_vintage_year", "by_country", "by_project_type"):
        field = "year" if group == "by_vintage_year" else "key"
        found = {row.pop(field): row for row in body[group]}
        assert found == groups[group], group
        assert list(found) == sorted(found)
    for row in [body["totals"], *body["by_program"]]:
        assert row["bridged"] == sum(row[k] for k in STATES[1:])  # conservation
    assert set(groups["by_program"]) == {"VCS", "GS", "CDM"}


def test_an_empty_ledger_has_zero_totals(fresh_store: Engine) -> None:
    body = get(client_for(fresh_store), "/v1/stats")
    assert body["totals"].pop("tonnes") == dict.fromkeys(STATES, "0")
    assert body["totals"] == dict.fromkeys(("batches", *STATES), 0)
    assert body["by_program"] == body["by_country"] == []
