"""chain.deployment: the deployment.json record and the checks that pin it to one chain."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import pytest

from chain.deployment import Deployment
from chain.errors import ConfigurationError, DeploymentMismatch
from tests.conftest import Ledger

# Creation code that deploys a 10-byte runtime returning 42: not the ledger.
OTHER_RUNTIME = "602a60005260206000f3"
OTHER_CREATION = "0x600a600c600039600a6000f3" + OTHER_RUNTIME


def _record() -> Deployment:
    return Deployment(
        chain_id=31337,
        genesis_hash="0x" + "01" * 32,
        address="0x" + "ab" * 20,
        deploy_block=5,
        deploy_block_hash="0x" + "02" * 32,
        deploy_tx="0x" + "03" * 32,
        artifact_hash="0x" + "04" * 32,
        admin="0x" + "cd" * 20,
        governance="0x" + "ef" * 20,
    )


# ------------------------------------------------------------ save and load


def test_save_then_load_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "data" / "deployment.json"  # the folder is created
    record = _record()
    record.save(path)
    assert Deployment.load(path) == record


def test_save_writes_pretty_sorted_json_and_no_stray_files(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    _record().save(path)
    text = path.read_text()
    assert text == json.dumps(asdict(_record()), indent=2, sort_keys=True) + "\n"
    assert text.startswith('{\n  "address": ')
    assert [p.name for p in tmp_path.iterdir()] == ["deployment.json"]


def test_save_replaces_an_existing_record(tmp_path: Path) -> None:
    path = tmp_path / "deployment.json"
    _record().save(path)
    newer = replace(_record(), deploy_block=9)
    newer.save(path)
    assert Deployment.load(path) == newer
    assert [p.name for p in tmp_path.iterdir()] == ["deployment.json"]


def _failing_dump(obj: Any, fh: Any, **_: Any) -> None:
    fh.write('{"chain_id": ')  # half a record, then the process "crashes"
    raise OSError("disk full")


def test_a_failed_save_leaves_the_old_record_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "deployment.json"
    _record().save(path)
    before = path.read_bytes()
    monkeypatch.setattr(json, "dump", _failing_dump)
    with pytest.raises(OSError, match="disk full"):
        replace(_record(), deploy_block=9).save(path)
    assert path.read_bytes() == before


def test_a_failed_save_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "deployment.json"
    monkeypatch.setattr(json, "dump", _failing_dump)
    with pytest.raises(OSError):
        _record().save(path)
    assert list(tmp_path.iterdir()) == []


def test_contract_defaults_when_absent(tmp_path: Path) -> None:
    data = asdict(_record())
    del data["contract"]
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(data))
    assert Deployment.load(path).contract == "CarbonLedger"


def test_load_of_a_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "deployment.json"
    with pytest.raises(ConfigurationError) as info:
        Deployment.load(path)
    assert str(path) in str(info.value)
    assert "carbon-ledger deploy" in str(info.value)


@pytest.mark.parametrize("text", ["", "{", "not json", '{"chain_id": 1,}'])
def test_load_of_invalid_json(tmp_path: Path, text: str) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as info:
        Deployment.load(path)
    assert str(path) in str(info.value) and "not valid JSON" in str(info.value)


@pytest.mark.parametrize("field", ["chain_id", "genesis_hash", "address", "deploy_block_hash"])
def test_load_of_an_incomplete_record_names_what_lacks(tmp_path: Path, field: str) -> None:
    data = asdict(_record())
    del data[field]
    path = tmp_path / "deployment.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError) as info:
        Deployment.load(path)
    assert str(info.value) == f"{path} lacks {field}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", "holds a JSON list, not an object"),
        ('"x"', "holds a JSON str"),
        ("{}", "lacks chain_id"),
    ],
)
def test_load_of_json_that_is_no_record(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "deployment.json"
    path.write_text(text)
    with pytest.raises(ConfigurationError, match=message):
        Deployment.load(path)


@pytest.mark.parametrize("raw", [b"null", b"5", b"\xff\xfe{}"], ids=["null", "number", "not-utf8"])
def test_load_of_a_corrupt_file(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "deployment.json"
    path.write_bytes(raw)
    with pytest.raises(ConfigurationError, match=str(path)):
        Deployment.load(path)


# ------------------------------------------------------------ check against the chain


def test_check_passes_on_the_right_chain(ledger: Ledger) -> None:
    ledger.deployment.check(ledger.chain.w3)


def test_check_refuses_another_chain_id(ledger: Ledger) -> None:
    record = replace(ledger.deployment, chain_id=ledger.deployment.chain_id + 1)
    with pytest.raises(DeploymentMismatch, match="chain id is"):
        record.check(ledger.chain.w3)


def test_check_refuses_another_genesis(ledger: Ledger) -> None:
    record = replace(ledger.deployment, genesis_hash="0x" + "00" * 32)
    with pytest.raises(DeploymentMismatch, match="genesis block is"):
        record.check(ledger.chain.w3)


def test_check_refuses_another_deploy_block(ledger: Ledger) -> None:
    record = replace(ledger.deployment, deploy_block_hash="0x" + "00" * 32)
    with pytest.raises(DeploymentMismatch, match=f"block {record.deploy_block} is 0x"):
        record.check(ledger.chain.w3)
    record = replace(ledger.deployment, deploy_block=10**6)
    with pytest.raises(DeploymentMismatch, match="no block 1000000"):
        record.check(ledger.chain.w3)


def test_check_refuses_an_address_without_code(ledger: Ledger) -> None:
    record = replace(ledger.deployment, address=ledger.alice.account)
    with pytest.raises(DeploymentMismatch, match=f"no contract at {ledger.alice.account}"):
        record.check(ledger.chain.w3)


def test_check_refuses_other_code(ledger: Ledger) -> None:
    w3 = ledger.chain.w3
    assert ledger.admin.sender is not None
    factory = w3.eth.contract(abi=[], bytecode=OTHER_CREATION)
    receipt = ledger.admin.sender.transact(factory.constructor())  # type: ignore[arg-type]
    other = receipt["contractAddress"]
    assert other is not None
    assert bytes(w3.eth.get_code(other)).hex() == OTHER_RUNTIME
    record = replace(ledger.deployment, address=other)
    with pytest.raises(DeploymentMismatch, match=f"contract at {other} is not the CarbonLedger"):
        record.check(w3)


def test_check_refuses_another_artifact_hash(ledger: Ledger) -> None:
    record = replace(ledger.deployment, artifact_hash="0x" + "ee" * 32)
    with pytest.raises(DeploymentMismatch, match="is not the CarbonLedger artifact"):
        record.check(ledger.chain.w3)
