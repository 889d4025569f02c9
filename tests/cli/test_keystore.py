"""``carbon-ledger keystore create`` and signing with ``--keystore``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chain.importer.keys import KEYSTORE_PASSWORD_ENV, load_keystore
from cli.main import main
from tests.cli.conftest import PASSWORD, Cli, Keyed


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def _create(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["keystore", "create", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_create_writes_an_encrypted_key_and_never_overwrites(
    tmp_path: Path, password_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys" / "registry.json"
    status, out, _ = _create(capsys, str(path), "--password-file", str(password_file), "--json")
    assert status == 0
    created = json.loads(out)
    assert created["keystore"] == str(path)
    assert load_keystore(path, PASSWORD).address == created["address"]
    assert path.stat().st_mode & 0o777 == 0o600
    document = json.loads(path.read_text())
    assert document["crypto"]["kdf"] == "scrypt" and document["version"] == 3

    before = path.read_bytes()
    status, _, err = _create(capsys, str(path), "--password-file", str(password_file))
    assert status == 2
    assert f"{path} exists: a keystore is never overwritten" in err
    assert path.read_bytes() == before


def test_the_password_comes_from_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYSTORE_PASSWORD_ENV, "from the environment")
    path = tmp_path / "env.json"
    status, out, _ = _create(capsys, str(path))
    assert status == 0 and out.startswith("created 0x")
    assert load_keystore(path, "from the environment").address in out


def test_no_password_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEYSTORE_PASSWORD_ENV, raising=False)
    status, _, err = _create(capsys, str(tmp_path / "none.json"))  # stdin is not a terminal
    assert status == 2 and "give --password-file" in err
    empty = tmp_path / "empty"
    empty.write_text("")
    status, _, err = _create(capsys, str(tmp_path / "none.json"), "--password-file", str(empty))
    assert status == 2 and "the password is empty" in err
    assert not (tmp_path / "none.json").exists()


@pytest.mark.anvil
def test_a_wrong_password_is_refused_before_anything_is_sent(
    cli: Cli, dev_keys: list[Keyed], tmp_path: Path
) -> None:
    wrong = tmp_path / "wrong"
    wrong.write_text("not the password\n")
    key = dev_keys[0]
    err = cli.refused("pause", "--keystore", str(key.keystore), "--password-file", str(wrong))
    assert f"cannot unlock the keystore {key.keystore}" in err
    assert cli.json("account", "show", key.address)["frozen"] is False


@pytest.mark.anvil
def test_the_keystore_password_from_the_environment_signs(
    cli: Cli, dev_keys: list[Keyed], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(KEYSTORE_PASSWORD_ENV, PASSWORD)
    key = dev_keys[2]
    err = cli.refused("account", "allow", key.address, "--keystore", str(key.keystore))
    # unlocked, signed and refused by the contract as the keystore's account
    assert "AccessControlUnauthorizedAccount" in err and key.address.lower() in err.lower()
