"""The pipeline on a real node: many bridgings of one namespace in flight at once, each hinted
against the ones signed before it, all mined in one block, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from web3 import Web3

from api.app import create_app
from api.audit_log import verify_api_log
from api.serve import build_services
from chain.anvil import LocalNode, NodeOptions
from chain.artifacts import ledger_abi
from chain.client import LedgerClient
from chain.connect import ANVIL_DEV_KEY
from chain.deployment import Deployment, deploy_ledger
from chain.store.engine import open_store
from chain.transactions import TxSender
from tests.api.conftest import api_settings, indexer_beside, issuance_body
from tests.chain.conftest import new_pg_schema, pg_database, pg_url

pytestmark = pytest.mark.anvil
__all__ = ["pg_database"]
BLOCKS = 40


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Web3, Deployment]]:
    with LocalNode(tmp_path_factory.mktemp("anvil"), NodeOptions(base_fee=0)) as local:
        w3 = Web3(Web3.HTTPProvider(local.url))
        operator = TxSender(w3, Account.from_key(ANVIL_DEV_KEY), ledger_abi())
        deployment = deploy_ledger(operator, admin_delay=3600)
        ledger = LedgerClient.for_deployment(w3, deployment, operator)
        ledger.grant_role(ledger.role("COMPLIANCE_ROLE"), operator.address)
        ledger.register_program("VCS")
        yield w3, deployment


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    database = request.getfixturevalue("pg_database")
    return pg_url(database, new_pg_schema(database))


def test_a_block_of_bridgings_of_one_namespace(
    node: tuple[Web3, Deployment], store: str, tmp_path: Path
) -> None:
    w3, deployment = node
    operator = Account.from_key(ANVIL_DEV_KEY)  # every role: the data folder's dev chain
    services = build_services(
        api_settings(tmp_path), open_store(store), w3, deployment, operator, operator
    )
    services.start()
    client = TestClient(create_app(services))
    admin = {"Authorization": "Bearer test-admin-key-0123456789"}
    # The writes answer once the store holds their block: the indexer runs beside, as in serve.
    with indexer_beside(w3, store, deployment, lambda: services.mirror):
        try:
            issuer = client.post(
                "/v1/keys", json={"role": "issuer", "program": "VCS"}, headers=admin
            )
            holder = client.post("/v1/keys", json={"role": "holder"}, headers=admin)
            assert issuer.status_code == holder.status_code == 201, issuer.text + holder.text
            headers = {"Authorization": f"Bearer {issuer.json()['key']}"}
            recipient = holder.json()["address"]
            base = 10_000 + 100 * BLOCKS * LedgerClient.for_deployment(w3, deployment).batch_count()
            parts = [(base + 100 * n, base + 100 * n + 99) for n in range(BLOCKS)]
            random.Random(7).shuffle(parts)  # the part book must order them, not the clients
            first = deployment.deploy_block
            w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]

            def pending() -> int:
                status = w3.provider.make_request("txpool_status", [])  # type: ignore[arg-type]
                return int(status["result"]["pending"], 16)

            async def scenario() -> list[httpx.Response]:
                transport = httpx.ASGITransport(app=client.app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://api", timeout=60
                ) as http:
                    sent = [
                        asyncio.create_task(
                            http.post(
                                "/v1/issuances",
                                json=issuance_body(recipient, a, b),
                                headers=headers,
                            )
                        )
                        for a, b in parts
                    ]
                    while pending() < BLOCKS and not all(task.done() for task in sent):
                        await asyncio.sleep(0.01)  # until all are signed and in the node's pool
                    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
                    return list(await asyncio.gather(*sent))

            try:
                answers = asyncio.run(scenario())
            finally:
                w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
            assert [a.status_code for a in answers] == [201] * BLOCKS, [a.text for a in answers]
            assert len({a.json()["block_number"] for a in answers}) == 1  # one block, no retries
            assert len({a.json()["batch_id"] for a in answers}) == BLOCKS
            for a in answers:
                status = client.get(f"/v1/requests/{a.json()['id']}", headers=headers).json()
                assert status["attempts"] == 1
            assert first < answers[0].json()["block_number"]
            assert verify_api_log(services.engine, w3).discrepancies == []
        finally:
            services.close()
