"""The indexer refuses a node or a store that belongs to another chain, genesis, deployment.

Node side: ``Deployment.check`` compares deployment.json with the node (chain id, genesis,
deploy block and its hash, code at the address). Store side: ``chain_info`` remembers what the
store was built from, and another deployment is refused by field name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web3 import Web3

from chain.anvil import LocalNode, NodeOptions
from chain.deployment import Deployment
from chain.errors import DeploymentMismatch
from chain.indexer.core import Indexer
from chain.store import schema as s
from chain.store.engine import open_store
from chain.transactions import NonceManager
from cli.main import main
from tests.chain.indexer.support import AnvilLedger, deploy_anvil_ledger, snapshot_store

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def other_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilLedger]:
    """A ledger on a second anvil with another chain id."""
    with LocalNode(tmp_path_factory.mktemp("other"), NodeOptions(chain_id=1337)) as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        yield deploy_anvil_ledger(w3, NonceManager(w3))


@pytest.fixture(scope="module")
def other_genesis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnvilLedger]:
    """A ledger on a third anvil: the same chain id 31337, another genesis block."""
    options = NodeOptions(extra_args=("--timestamp", "1700000000"))
    with LocalNode(tmp_path_factory.mktemp("genesis"), options) as node:
        w3 = Web3(Web3.HTTPProvider(node.url))
        yield deploy_anvil_ledger(w3, NonceManager(w3))


@pytest.fixture
def indexed(anvil_ledger: AnvilLedger, store: sa.Engine) -> sa.Engine:
    Indexer(anvil_ledger.w3, store, anvil_ledger.deployment, confirmations=0).sync()
    return store


def _cli_url(engine: sa.Engine) -> str:
    url = engine.url.render_as_string(hide_password=False)
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_a_store_refuses_another_deployment_on_the_same_chain(
    anvil_ledger: AnvilLedger,
    anvil_nonces: NonceManager,
    indexed: sa.Engine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot_store(indexed)
    second = deploy_anvil_ledger(anvil_ledger.w3, anvil_nonces)
    with pytest.raises(DeploymentMismatch) as raised:
        Indexer(second.w3, indexed, second.deployment, confirmations=0).sync()
    message = str(raised.value)
    assert "contract_address" in message
    assert anvil_ledger.deployment.address.lower() in message
    assert second.deployment.address.lower() in message
    assert snapshot_store(indexed) == before

    second.deployment.save(tmp_path / "deployment.json")
    url = second.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    code = main(["index", "--data-dir", str(tmp_path), "--rpc", url, "--db", _cli_url(indexed)])
    assert code == 2
    assert "the store was built from contract_address" in capsys.readouterr().err
    assert snapshot_store(indexed) == before


@pytest.mark.parametrize(
    ("other", "field"), [("other_chain", "chain_id"), ("other_genesis", "genesis_hash")]
)
def test_a_store_refuses_another_chain(
    indexed: sa.Engine, request: pytest.FixtureRequest, other: str, field: str
) -> None:
    ledger: AnvilLedger = request.getfixturevalue(other)
    before = snapshot_store(indexed)
    with pytest.raises(DeploymentMismatch) as raised:
        Indexer(ledger.w3, indexed, ledger.deployment, confirmations=0).sync()
    assert f"the store was built from {field} " in str(raised.value)
    assert snapshot_store(indexed) == before


def test_a_store_refuses_another_deploy_block(
    anvil_ledger: AnvilLedger, indexed: sa.Engine
) -> None:
    """deployment.json pointing at an earlier (existing) block passes the node's check; the
    store still knows where it started."""
    w3, d = anvil_ledger.w3, anvil_ledger.deployment
    earlier = d.deploy_block - 1
    edited = dataclasses.replace(
        d,
        deploy_block=earlier,
        deploy_block_hash="0x" + bytes(w3.eth.get_block(earlier)["hash"]).hex(),
    )
    edited.check(w3)
    with pytest.raises(DeploymentMismatch, match="the store was built from deploy_block "):
        Indexer(w3, indexed, edited, confirmations=0).sync()


def _node_mismatches(d: Deployment, w3: Web3) -> list[tuple[str, dict[str, Any], str]]:
    head = w3.eth.block_number
    return [
        ("chain id", {"chain_id": 1}, f"chain id is {d.chain_id}, deployment.json says 1"),
        ("genesis", {"genesis_hash": "0x" + "00" * 32}, "genesis block is 0x"),
        ("no deploy block", {"deploy_block": head + 1000}, f"has no block {head + 1000}"),
        (
            "deploy block hash",
            {"deploy_block_hash": "0x" + "ab" * 32},
            f"block {d.deploy_block} is 0x",
        ),
        (
            "no code",
            {"address": "0x000000000000000000000000000000000000dEaD"},
            "no contract at 0x000000000000000000000000000000000000dEaD",
        ),
        ("artifact", {"artifact_hash": "0x" + "cd" * 32}, "is not the CarbonLedger artifact"),
    ]


@pytest.mark.parametrize(
    "case", ["chain id", "genesis", "no deploy block", "deploy block hash", "no code", "artifact"]
)
def test_a_node_that_does_not_match_deployment_json_is_refused(
    anvil_ledger: AnvilLedger, tmp_path: Path, case: str
) -> None:
    w3 = anvil_ledger.w3
    (_, changes, expected), *_ = [
        m for m in _node_mismatches(anvil_ledger.deployment, w3) if m[0] == case
    ]
    wrong = dataclasses.replace(anvil_ledger.deployment, **changes)
    engine = open_store(f"sqlite:///{tmp_path / 'store.sqlite3'}")
    try:
        with pytest.raises(DeploymentMismatch) as raised:
            Indexer(w3, engine, wrong, confirmations=0).sync()
        assert expected in str(raised.value)
        with engine.connect() as conn:  # refused before the store was touched
            assert conn.execute(sa.select(s.chain_info)).all() == []
            assert conn.execute(sa.select(s.checkpoint)).all() == []
    finally:
        engine.dispose()


def test_the_cli_refuses_a_node_of_another_chain(
    anvil_ledger: AnvilLedger,
    other_chain: AnvilLedger,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    anvil_ledger.deployment.save(tmp_path / "deployment.json")
    url = other_chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    db = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    assert main(["index", "--data-dir", str(tmp_path), "--rpc", url, "--db", db]) == 2
    err = capsys.readouterr().err
    assert "carbon-ledger: error: chain id is 1337, deployment.json says 31337" in err
