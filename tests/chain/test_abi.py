"""``abi_type``: the type strings selectors are computed from, structs included."""

from __future__ import annotations

from eth_utils.abi import function_abi_to_4byte_selector, function_signature_to_4byte_selector

from chain.abi import abi_type
from chain.artifacts import ledger_abi


def test_a_struct_becomes_its_components_in_parentheses() -> None:
    entry = {
        "type": "tuple[]",
        "components": [
            {"type": "uint64"},
            {"type": "tuple", "components": [{"type": "address"}, {"type": "string[2]"}]},
        ],
    }
    assert abi_type(entry) == "(uint64,(address,string[2]))[]"
    assert abi_type({"type": "bytes32"}) == "bytes32"


def test_every_ledger_function_and_error_gets_the_selector_eth_utils_computes() -> None:
    entries = [e for e in ledger_abi() if e["type"] in ("function", "error")]
    assert any(i["type"].startswith("tuple") for e in entries for i in e["inputs"])
    for entry in entries:
        types = ",".join(abi_type(i) for i in entry["inputs"])
        selector = function_signature_to_4byte_selector(f"{entry['name']}({types})")
        assert selector == function_abi_to_4byte_selector(entry), entry["name"]
