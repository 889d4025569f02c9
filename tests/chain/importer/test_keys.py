"""Issuer keystores, and provisioning an issuer on a chain the operator runs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from chain.errors import ConfigurationError
from chain.importer.keys import (
    FUNDING,
    ISSUER_KEY_ENV,
    KEYSTORE_PASSWORD_ENV,
    IssuerKeys,
    create_keystore,
    keystore_path,
    load_keystore,
    provision,
)
from tests.chain.importer.support import make_env


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ISSUER_KEY_ENV, raising=False)
    monkeypatch.delenv(KEYSTORE_PASSWORD_ENV, raising=False)


def test_a_keystore_round_trips_and_is_private(tmp_path: Path) -> None:
    path = keystore_path(tmp_path, "VCS")
    account = create_keystore(path, "s3cret", b"\x07" * 32)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_keystore(path, "s3cret").address == account.address
    with pytest.raises(ConfigurationError, match="cannot unlock the keystore"):
        load_keystore(path, "wrong")
    light = create_keystore(keystore_path(tmp_path, "GS"), "")
    params = json.loads(keystore_path(tmp_path, "GS").read_text())["crypto"]["kdfparams"]
    assert (
        params["n"] == 2**14
        and load_keystore(keystore_path(tmp_path, "GS"), "").address == light.address
    )


def test_local_keys_are_created_on_first_use(tmp_path: Path) -> None:
    keys = IssuerKeys(tmp_path, local=True)
    assert keys.find("ACR") is None
    created = keys.ensure("ACR")
    assert keys.ensure("ACR").address == created.address
    assert keystore_path(tmp_path, "ACR").exists()


def test_remote_keys_come_from_the_environment_or_a_keystore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keys = IssuerKeys(tmp_path, local=False)
    with pytest.raises(ConfigurationError, match=ISSUER_KEY_ENV):
        keys.ensure("VCS")
    create_keystore(keystore_path(tmp_path, "VCS"), "pw", b"\x09" * 32)
    with pytest.raises(ConfigurationError, match=KEYSTORE_PASSWORD_ENV):
        keys.find("VCS")
    monkeypatch.setenv(KEYSTORE_PASSWORD_ENV, "pw")
    found = keys.find("VCS")
    assert found is not None and found.key == b"\x09" * 32
    monkeypatch.setenv(ISSUER_KEY_ENV, "0x" + "0a" * 32)
    found = keys.find("GS")
    assert found is not None and found.key == b"\x0a" * 32
    monkeypatch.setenv(ISSUER_KEY_ENV, "not a key")
    with pytest.raises(ConfigurationError, match=f"{ISSUER_KEY_ENV} is not a valid private key"):
        keys.find("GS")


def test_provisioning_does_each_step_once(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    issuer = IssuerKeys(tmp_path, local=True).ensure("ART")
    assert env.admin.program_id("ART") == 0
    program_id = provision(env.admin, "ART", issuer.address)
    assert env.admin.program_id("ART") == program_id
    assert env.admin.has_role(env.admin.issuer_role(program_id), issuer.address)
    assert env.admin.account_status(issuer.address).allowed
    assert env.chain.w3.eth.get_balance(issuer.address) == FUNDING
    seq = env.audit_seq()
    block = env.chain.w3.eth.block_number
    assert provision(env.admin, "ART", issuer.address) == program_id
    assert (env.audit_seq(), env.chain.w3.eth.block_number) == (seq, block)
    env.engine.dispose()
