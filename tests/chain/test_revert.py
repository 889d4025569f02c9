"""chain._revert: revert data from every backend's exception shape → the ContractError classes."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from eth_tester.exceptions import TransactionFailed
from eth_utils.abi import function_signature_to_4byte_selector
from hypothesis import assume, given
from hypothesis import strategies as st
from web3.exceptions import ContractCustomError, ContractLogicError

from chain._revert import as_chain_error, decode_revert, error_table, revert_data
from chain.artifacts import ledger_abi, load_artifact
from chain.errors import (
    CONTRACT_ERRORS,
    ContractError,
    InsufficientCredits,
    InvalidNamespace,
    SerialsAlreadyBridged,
    StateConflict,
    TransactionError,
)
from tests.conftest import VCS_NAMESPACE, Ledger

ABI = ledger_abi()
ERRORS = {e["name"]: e for e in ABI if e["type"] == "error"}
HOLDER = "0x" + "ab" * 20


def _types(name: str) -> list[str]:
    return [i["type"] for i in ERRORS[name]["inputs"]]


def revert_bytes(name: str, *values: Any) -> bytes:
    types = _types(name)
    return function_signature_to_4byte_selector(f"{name}({','.join(types)})") + encode(
        types, list(values)
    )


def eth_tester_failure(data: bytes) -> TransactionFailed:
    """What web3's eth-tester provider raises: the bytes' repr after 'execution reverted: '."""
    return TransactionFailed(f"execution reverted: {data!r}")


def web3_custom_error(data: bytes) -> ContractCustomError:
    """What web3 raises for a custom error from an RPC node such as anvil."""
    return ContractCustomError("0x" + data.hex(), data="0x" + data.hex())


INSUFFICIENT = revert_bytes("InsufficientCredits", HOLDER, 7, 1001, 1100)
EXPECTED_ARGS = {"holder": HOLDER, "batchId": 7, "first": 1001, "last": 1100}


def _normal(arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        k: v.lower() if isinstance(v, str) and v.startswith("0x") else v
        for k, v in arguments.items()
    }


@pytest.mark.parametrize(
    "exc",
    [
        eth_tester_failure(INSUFFICIENT),
        web3_custom_error(INSUFFICIENT),
        Exception(INSUFFICIENT),  # raw bytes as the exception argument
        Exception("0x" + INSUFFICIENT.hex()),  # hex string as the argument
    ],
    ids=["eth-tester", "web3-ContractCustomError", "raw-bytes", "hex-arg"],
)
def test_each_backend_shape_decodes_to_the_named_class(exc: Exception) -> None:
    assert revert_data(exc) == INSUFFICIENT
    err = as_chain_error(exc, ABI, tx_hash="0xabc")
    assert type(err) is InsufficientCredits
    assert isinstance(err, StateConflict) and err.category == "conflict"
    assert err.error_name == "InsufficientCredits"
    assert _normal(err.arguments) == EXPECTED_ARGS
    assert err.tx_hash == "0xabc"
    assert str(err).startswith("InsufficientCredits(holder=")


def test_raw_bytes_decode_directly() -> None:
    err = decode_revert(INSUFFICIENT, ABI)
    assert isinstance(err, InsufficientCredits)
    assert _normal(err.arguments) == EXPECTED_ARGS


def test_bytes_data_attribute() -> None:
    exc = ContractLogicError("reverted")
    exc.data = INSUFFICIENT  # type: ignore[assignment]
    assert revert_data(exc) == INSUFFICIENT


def test_string_arguments_survive_each_shape() -> None:
    data = revert_bytes("SerialsAlreadyBridged", 1, VCS_NAMESPACE, 5, 9)
    for exc in (eth_tester_failure(data), web3_custom_error(data)):
        err = as_chain_error(exc, ABI)
        assert isinstance(err, SerialsAlreadyBridged)
        assert err.arguments == {"programId": 1, "namespace": VCS_NAMESPACE, "first": 5, "last": 9}


def test_error_string() -> None:
    data = bytes.fromhex("08c379a0") + encode(["string"], ["not allowed"])
    for exc in (Exception(data), web3_custom_error(data), eth_tester_failure(data)):
        err = as_chain_error(exc, ABI)
        assert type(err) is ContractError
        assert err.error_name == "Error"
        assert err.arguments == {"message": "not allowed"}


def test_error_string_as_eth_tester_really_reports_it() -> None:
    # py-evm decodes Error(string) itself, so the message carries the text, not the bytes.
    err = as_chain_error(TransactionFailed("execution reverted: not allowed"), ABI)
    assert type(err) is TransactionError
    assert "not allowed" in str(err)


def test_panic() -> None:
    data = bytes.fromhex("4e487b71") + encode(["uint256"], [0x11])  # arithmetic overflow
    for exc in (Exception(data), web3_custom_error(data), eth_tester_failure(data)):
        err = as_chain_error(exc, ABI)
        assert type(err) is ContractError
        assert (err.error_name, err.arguments) == ("Panic", {"code": 0x11})


@pytest.mark.parametrize(
    "data",
    [bytes.fromhex("deadbeef") + b"\0" * 32, b"", b"\x01\x02"],
    ids=["unknown-selector", "empty", "short"],
)
def test_unknown_or_missing_data_is_a_plain_transaction_error(data: bytes) -> None:
    assert decode_revert(data, ABI) is None
    for exc in (Exception(data), eth_tester_failure(data), web3_custom_error(data)):
        err = as_chain_error(exc, ABI, tx_hash="0x01")
        assert type(err) is TransactionError
        assert err.tx_hash == "0x01"


def test_exception_without_data_is_a_plain_transaction_error() -> None:
    err = as_chain_error(TimeoutError("node went away"), ABI)
    assert type(err) is TransactionError
    assert "node went away" in str(err)


# ------------------------------------------------------------ every error of the ABI


def _sample(abi_type: str, i: int) -> Any:
    if abi_type == "address":
        return "0x" + f"{i + 1:02x}" * 20
    if abi_type == "bytes32":
        return bytes([i + 1]) * 32
    if abi_type == "string":
        return f"{VCS_NAMESPACE}-{i}"
    if abi_type == "bool":
        return True
    assert abi_type.startswith("uint"), abi_type
    return 2 + i


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_every_abi_error_maps_to_its_class_with_named_arguments(name: str) -> None:
    inputs = ERRORS[name]["inputs"]
    values = [_sample(i["type"], n) for n, i in enumerate(inputs)]
    err = decode_revert(revert_bytes(name, *values), ABI)
    assert err is not None
    assert type(err) is CONTRACT_ERRORS[name]
    assert err.error_name == name
    assert _normal(err.arguments) == {i["name"]: v for i, v in zip(inputs, values, strict=True)}


def test_every_error_class_names_an_error_of_the_abi() -> None:
    # A class whose name matches no Solidity error would never be raised (NotLedger is the
    # pool token's own: its hooks refuse any caller but the ledger).
    token_errors = {e["name"] for e in load_artifact("PoolToken").abi if e["type"] == "error"}
    assert set(CONTRACT_ERRORS) <= set(ERRORS) | token_errors
    for name, cls in CONTRACT_ERRORS.items():
        assert cls.__name__ == name and issubclass(cls, ContractError)


def test_error_table_selectors_match_solidity() -> None:
    table = error_table(ABI)
    assert table[bytes.fromhex(INSUFFICIENT[:4].hex())].name == "InsufficientCredits"
    assert len(table) == len(ERRORS)


# ------------------------------------------------------------ eth-tester's message format


def _repr_confuses_marker(data: bytes) -> bool:
    """The bytes' repr is b"..." (the data has ' but no ") and its text holds b' somewhere inside,
    e.g. after the letter b or an escape ending in b such as \\xcb."""
    text = repr(data)
    return text.startswith('b"') and "b'" in text


@given(st.binary(max_size=200))
def test_eth_tester_message_round_trips(data: bytes) -> None:
    assume(not _repr_confuses_marker(data))  # the bug below
    assert revert_data(eth_tester_failure(data)) == data


@pytest.mark.parametrize(
    "data",
    [revert_bytes("SerialsAlreadyBridged", 1, "VCS-lamb's-2020", 5, 9), b"\xcb'"],
    ids=["namespace-with-apostrophe", "escape-before-quote"],
)
def test_eth_tester_message_with_double_quoted_repr(data: bytes) -> None:
    assert _repr_confuses_marker(data)
    assert revert_data(eth_tester_failure(data)) == data


def test_truncated_arguments_are_a_transaction_error() -> None:
    err = as_chain_error(Exception(INSUFFICIENT[:20]), ABI)
    assert type(err) is TransactionError


# ------------------------------------------------------------ the real backends


def test_real_eth_tester_revert_decodes(ledger: Ledger) -> None:
    fn = ledger.admin.contract.functions.batch(42)
    with pytest.raises(TransactionFailed) as info:
        fn.call()
    err = as_chain_error(info.value, ABI)
    assert isinstance(err, ContractError)
    assert err.error_name == "UnknownBatch"
    assert err.arguments == {"batchId": 42}


def test_client_decodes_an_error_whose_string_holds_an_apostrophe(ledger: Ledger) -> None:
    # eth-tester reprs the revert bytes; an apostrophe switches the repr to double quotes.
    namespace = "VCS-lamb's-2020"
    with pytest.raises(InvalidNamespace) as info:
        ledger.issuer.bridge(ledger.issuance(1, 10, namespace=namespace))
    assert info.value.arguments == {"namespace": namespace}


def test_client_decodes_overlap_in_a_plain_namespace(ledger: Ledger) -> None:
    ledger.issuer.bridge(ledger.issuance(1, 10))
    with pytest.raises(SerialsAlreadyBridged) as info:
        ledger.issuer.bridge(ledger.issuance(5, 20))
    assert info.value.arguments == {
        "programId": ledger.vcs,
        "namespace": VCS_NAMESPACE,
        "first": 5,
        "last": 20,
    }
