"""Turn revert data from any backend into the project's ContractError classes.

Nodes disagree on how they report a revert: anvil (through web3.py) raises
``ContractCustomError``/``ContractLogicError`` carrying hex ``data``; eth-tester raises
``TransactionFailed`` whose message holds the raw bytes as a Python literal. Both end here, get
decoded against the contract ABI's error list, and come out as one exception type.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from eth_abi.abi import decode
from eth_abi.exceptions import DecodingError
from eth_utils.abi import function_signature_to_4byte_selector

from chain.abi import abi_type
from chain.errors import CONTRACT_ERRORS, ContractError, TransactionError

_ERROR_STRING = bytes.fromhex("08c379a0")  # Error(string)
_PANIC = bytes.fromhex("4e487b71")  # Panic(uint256)
_ETH_TESTER_PREFIX = "execution reverted: "


@dataclass(frozen=True)
class _ErrorSpec:
    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]


@lru_cache(maxsize=8)
def _error_table(
    abi_key: tuple[tuple[str, tuple[tuple[str, str], ...]], ...],
) -> dict[bytes, _ErrorSpec]:
    table: dict[bytes, _ErrorSpec] = {}
    for name, inputs in abi_key:
        types = tuple(t for t, _ in inputs)
        selector = function_signature_to_4byte_selector(f"{name}({','.join(types)})")
        table[selector] = _ErrorSpec(name, types, tuple(n for _, n in inputs))
    return table


def error_table(abi: Iterable[dict[str, Any]]) -> dict[bytes, _ErrorSpec]:
    """Selector → error spec for every ``error`` entry of ``abi``."""
    key = tuple(
        (str(e["name"]), tuple((abi_type(i), str(i.get("name", ""))) for i in e.get("inputs", [])))
        for e in abi
        if e.get("type") == "error"
    )
    return _error_table(key)


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert bytes carried by a backend exception, if any."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | bytearray):
        return bytes(data)
    for arg in exc.args:
        if isinstance(arg, bytes | bytearray):
            return bytes(arg)
        if isinstance(arg, str):
            found = _bytes_in_message(arg)
            if found is not None:
                return found
    return None


def _bytes_in_message(message: str) -> bytes | None:
    # eth-tester: "execution reverted: b'\x11...'" (or b"..." when the bytes hold a quote):
    # the literal is everything after the prefix, whatever quotes it contains.
    literal = message.removeprefix(_ETH_TESTER_PREFIX)
    if literal.startswith(("b'", 'b"')):
        try:
            value = ast.literal_eval(literal)
        except (ValueError, SyntaxError):
            return None
        return value if isinstance(value, bytes) else None
    if literal.startswith("0x") and len(literal) >= 10:
        try:
            return bytes.fromhex(literal[2:])
        except ValueError:
            return None
    return None


def decode_revert(
    data: bytes, abi: Iterable[dict[str, Any]], *, tx_hash: str | None = None
) -> ContractError | None:
    """Decode ``data`` into the ContractError subclass named after the Solidity error."""
    try:
        return _decode_revert(data, abi, tx_hash)
    except DecodingError:
        return None  # a known selector with a payload that does not fit: not ours to name


def _decode_revert(
    data: bytes, abi: Iterable[dict[str, Any]], tx_hash: str | None
) -> ContractError | None:
    if len(data) < 4:
        return None
    selector, payload = data[:4], data[4:]
    if selector == _ERROR_STRING:
        (message,) = decode(["string"], payload)
        return ContractError("Error", {"message": message}, tx_hash=tx_hash)
    if selector == _PANIC:
        (code,) = decode(["uint256"], payload)
        return ContractError("Panic", {"code": code}, tx_hash=tx_hash)
    spec = error_table(abi).get(selector)
    if spec is None:
        return None
    # A string argument is whatever bytes the caller sent (an invalid namespace may not even be
    # UTF-8): read it as bytes and show undecodable bytes as escapes, never fail on them.
    raw = decode(["bytes" if t == "string" else t for t in spec.types], payload)
    values = [
        v.decode("utf-8", "backslashreplace") if t == "string" else v
        for t, v in zip(spec.types, raw, strict=True)
    ]
    cls = CONTRACT_ERRORS.get(spec.name, ContractError)
    arguments = dict(zip(spec.names, values, strict=True))
    if cls is ContractError:
        return ContractError(spec.name, arguments, tx_hash=tx_hash)
    return cls(spec.name, arguments, tx_hash=tx_hash)


def as_chain_error(
    exc: BaseException, abi: Iterable[dict[str, Any]], *, tx_hash: str | None = None
) -> TransactionError:
    """Map any backend exception for a call or transaction to our exception tree."""
    data = revert_data(exc)
    decoded = decode_revert(data, abi, tx_hash=tx_hash) if data else None
    if decoded is not None:
        return decoded
    if data:
        return TransactionError(
            f"transaction reverted with undecoded data 0x{data.hex()}", tx_hash=tx_hash
        )
    return TransactionError(f"transaction failed: {exc}", tx_hash=tx_hash)
