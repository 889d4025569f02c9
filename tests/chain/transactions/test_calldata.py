"""chain.transactions.calldata: the ledger's calldata and results, as web3's contract objects
encode and decode them."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi.abi import encode
from web3 import Web3

from chain.artifacts import ledger_abi
from chain.transactions.calldata import calldata, function_of, ledger_function, result

ALICE = "0x" + "a1" * 20


def test_calldata_is_what_web3_encodes() -> None:
    contract = Web3().eth.contract(abi=ledger_abi())
    for name, args in (
        ("transfer", (3, 10, 20, Web3.to_checksum_address(ALICE), 10)),
        ("partsFrom", (0, 50)),
        ("auditSeq", ()),
    ):
        expected = contract.encode_abi(name, args=list(args))
        assert "0x" + calldata(name, *args).hex() == expected


def test_result_decodes_the_outputs() -> None:
    assert result("auditSeq", encode(["uint256"], [41])) == (41,)


def test_the_ledger_functions_are_computed_once() -> None:
    assert ledger_function("bridge") is ledger_function("bridge")


def test_a_name_that_is_not_exactly_one_function_is_refused() -> None:
    with pytest.raises(KeyError, match="0 functions named nothingHere"):
        function_of(ledger_abi(), "nothingHere")
    twice: list[dict[str, Any]] = [
        {"type": "function", "name": "f", "inputs": [], "outputs": []},
        {"type": "function", "name": "f", "inputs": [{"type": "uint8"}], "outputs": []},
    ]
    with pytest.raises(KeyError, match="2 functions named f"):
        function_of(twice, "f")
