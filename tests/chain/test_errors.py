"""``chain.errors``: one tree. Every exception class the project defines descends from
``CarbonLedgerError``, every error of the ledger's ABI has its class, and each class says whether
trying again may help (what the indexer and the submission pipeline act on)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections import Counter
from types import ModuleType

import pytest
import requests
from starlette.exceptions import HTTPException

from chain import errors as e
from chain.artifacts import ledger_abi

PACKAGES = ("chain", "api", "bench")
"""Every package of the project's code (``scripts/`` holds no Python)."""


def _modules() -> list[ModuleType]:
    found = []
    for name in PACKAGES:
        package = importlib.import_module(name)
        found.append(package)
        for info in pkgutil.walk_packages(package.__path__, prefix=name + "."):
            if info.name.rsplit(".", 1)[-1] == "__main__":
                continue  # runs a command when imported
            found.append(importlib.import_module(info.name))
    return found


def _exception_classes() -> list[type[BaseException]]:
    return [
        cls
        for module in _modules()
        for _, cls in inspect.getmembers(module, inspect.isclass)
        if issubclass(cls, BaseException) and cls.__module__ == module.__name__
    ]


CLASSES = _exception_classes()


def test_the_walk_finds_the_project_s_exceptions() -> None:
    # Guards the test below against a walk that finds nothing.
    names = {cls.__name__ for cls in CLASSES}
    assert {"CarbonLedgerError", "ArtifactNotFound", "Problem", "RowError", "PageError"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_exception_the_project_defines_is_a_carbon_ledger_error(
    cls: type[BaseException],
) -> None:
    assert issubclass(cls, e.CarbonLedgerError)


def test_no_exception_is_defined_twice() -> None:
    twice = [name for name, n in Counter(c.__name__ for c in CLASSES).items() if n > 1]
    assert twice == []


def test_the_chain_s_node_and_indexer_errors_live_in_chain_errors() -> None:
    for module in ("chain.indexer.source", "chain.indexer.writer", "chain.indexer.core",
                   "chain.indexer.lock", "chain.replay", "api.submission.node"):  # fmt: skip
        defined = [c for c in CLASSES if c.__module__ == module]
        assert defined == [], module


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (e.ReplayViolation, ValueError),
        ("chain.registries._rows.RowError", ValueError),
        ("chain.canonical.TextRejected", ValueError),
        ("chain.registries._model.UnknownRegistry", LookupError),
        ("api.journal.JournalClosed", RuntimeError),
        ("api.limits._BodyTooLarge", HTTPException),
    ],
)
def test_builtin_mix_ins_stay_where_callers_catch_them(
    cls: type[BaseException] | str, builtin: type[BaseException]
) -> None:
    if isinstance(cls, str):
        module, name = cls.rsplit(".", 1)
        cls = getattr(importlib.import_module(module), name)
    assert isinstance(cls, type)
    assert issubclass(cls, e.CarbonLedgerError) and issubclass(cls, builtin)


def test_a_body_too_large_is_answered_by_the_http_handler_first() -> None:
    # Starlette picks a handler along the MRO: the 413 must win over the ledger errors' one.
    from api.limits import _BodyTooLarge

    mro = _BodyTooLarge.__mro__
    assert mro.index(HTTPException) < mro.index(e.CarbonLedgerError)


# ------------------------------------------------------------ every error of the ABI


def _abi_errors() -> dict[str, list[str]]:
    return {
        str(x["name"]): [str(i["type"]) for i in x.get("inputs", [])]
        for x in ledger_abi()
        if x.get("type") == "error"
    }


def test_every_error_of_the_ledger_s_abi_has_its_class() -> None:
    """A contract error added without a class here fails this test: add the class to
    ``chain.errors`` (under ``Unauthorized``, ``InvalidRequest``, ``StateConflict`` or
    ``LedgerFault``), list it in ``CONTRACT_ERRORS``, and give it a status in docs/API.md."""
    missing = sorted(set(_abi_errors()) - set(e.CONTRACT_ERRORS))
    assert missing == []


def test_the_openzeppelin_errors_are_among_them() -> None:
    for name in (
        "FailedCall",
        "SafeCastOverflowedUintDowncast",
        "AccessControlUnauthorizedAccount",
    ):
        assert name in _abi_errors() and name in e.CONTRACT_ERRORS


@pytest.mark.parametrize("name", sorted(e.CONTRACT_ERRORS))
def test_each_contract_error_class_sits_under_one_category(name: str) -> None:
    cls = e.CONTRACT_ERRORS[name]
    categories = (e.Unauthorized, e.InvalidRequest, e.StateConflict, e.LedgerFault)
    assert [c for c in categories if issubclass(cls, c)] != []
    assert cls.__module__ == "chain.errors" and cls.__name__ == name
    assert not cls.retryable  # the ledger refused: the same call is refused again


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("SafeCastOverflowedUintDowncast", e.InvalidRequest),
        ("StringTooLong", e.InvalidRequest),
        ("InvalidInitialization", e.StateConflict),
        ("NotInitializing", e.LedgerFault),
        ("FailedCall", e.LedgerFault),
        ("AddressEmptyCode", e.LedgerFault),
        ("InvalidShortString", e.LedgerFault),
    ],
)
def test_the_inherited_errors_fall_where_their_cause_lies(
    name: str, category: type[e.ContractError]
) -> None:
    assert issubclass(e.CONTRACT_ERRORS[name], category)


# ------------------------------------------------------------ retryable or fatal


@pytest.mark.parametrize(
    "cls",
    [
        e.NodeUnavailable,
        e.RateLimited,
        e.NonceConflict,
        e.TransactionTimeout,
        e.IndexerBusy,
        e.SequenceGap,
    ],
)
def test_what_may_pass_is_retryable(cls: type[e.CarbonLedgerError]) -> None:
    assert cls.retryable


@pytest.mark.parametrize(
    "cls",
    [
        e.CarbonLedgerError,
        e.ConfigurationError,
        e.CompileError,
        e.DeploymentMismatch,
        e.ContractError,
        e.InsufficientCredits,
        e.AccessControlUnauthorizedAccount,
        e.FailedCall,
        e.ReplayViolation,
        e.ReorgTooDeep,
        e.IndexerError,
        e.NodeError,
        e.MissingBlock,
        e.RowRejected,
    ],
)
def test_refusals_configuration_and_replay_violations_are_fatal(
    cls: type[e.CarbonLedgerError],
) -> None:
    assert not cls.retryable


def test_is_retryable_answers_for_builtin_connection_failures_too() -> None:
    assert e.is_retryable(ConnectionResetError("reset"))
    assert e.is_retryable(TimeoutError())
    assert e.is_retryable(requests.exceptions.ConnectionError("refused"))
    assert e.is_retryable(requests.exceptions.ReadTimeout("slow"))
    assert e.is_retryable(e.NodeUnavailable("down"))
    assert not e.is_retryable(ValueError("bad"))
    assert not e.is_retryable(FileNotFoundError("deployment.json"))
    assert not e.is_retryable(e.InsufficientCredits("InsufficientCredits"))


@pytest.mark.parametrize(
    ("error", "cls"),
    [
        ({"code": -32000, "message": "nonce too low"}, e.NonceConflict),
        ({"code": -32000, "message": "replacement transaction underpriced"}, e.NonceConflict),
        ("nonce too high", e.NonceConflict),
        ({"code": 429, "message": "Too Many Requests"}, e.RateLimited),
        ({"code": -32005, "message": "query returned more than 10000 results"}, e.RateLimited),
        ({"code": -32000, "message": "daily request limit exceeded"}, e.RateLimited),
        ({"code": -32603, "message": "upstream connect error"}, e.NodeUnavailable),
        ({"code": -32000, "message": "request timed out"}, e.NodeUnavailable),
        ({"code": -32000, "message": "header not found"}, e.NodeUnavailable),
        ({"code": -32601, "message": "the method eth_foo does not exist"}, e.NodeError),
        ({"code": -32000, "message": "insufficient funds for gas * price + value"}, e.NodeError),
        # A revert is the contract's answer, whatever its text holds.
        ({"code": 3, "message": "execution reverted", "data": "0x1234"}, e.NodeError),
        ({"code": -32000, "message": "execution reverted: bad nonce"}, e.NodeError),
    ],
)
def test_node_error_classifies_a_json_rpc_answer(error: object, cls: type[e.NodeError]) -> None:
    found = e.node_error("eth_sendRawTransaction", error)
    assert type(found) is cls
    assert found.message.startswith("eth_sendRawTransaction: ")


def test_node_error_keeps_the_revert_data_and_code() -> None:
    nested = {"code": 3, "message": "execution reverted", "data": {"data": "0xabcd"}}
    found = e.node_error("eth_call", nested)
    assert (found.data, found.code) == ("0xabcd", 3)
    assert e.node_error("eth_call", {"message": "x", "data": "0x01"}).data == "0x01"


def test_no_answer_is_retryable_and_names_the_method() -> None:
    found = e.no_answer("eth_blockNumber", requests.exceptions.ConnectionError("refused"))
    assert isinstance(found, e.NodeUnavailable) and found.retryable
    assert str(found) == "eth_blockNumber failed: refused"


def test_pool_rule_codes_match_the_contracts_and_read_in_words() -> None:
    import re
    from pathlib import Path

    source = (Path(__file__).resolve().parents[2] / "contracts/CreditTypes.sol").read_text()
    library = source[source.index("library PoolRule {") :]
    library = library[: library.index("\n}")]
    codes = {
        name.lower(): int(value)
        for name, value in re.findall(r"uint8 internal constant (\w+) = (\d+);", library)
    }
    assert {name: code for code, (name, _words) in e.POOL_RULES.items()} == codes
    refused = e.PoolIneligible("PoolIneligible", {"poolId": 1, "batchId": 7, "rule": 2})
    assert str(refused).endswith(
        "batch 7 is not eligible for pool 1: its vintage starts before the pool's window"
    )
    refused.detail = "vintage 2015-01-01 is before the pool's window 2016-01-01"
    assert str(refused).endswith("(vintage 2015-01-01 is before the pool's window 2016-01-01)")
    widened = e.PoolRulesWidened("PoolRulesWidened", {"poolId": 3, "rule": 4})
    assert "the new labels rule would admit batches pool 3 refuses" in str(widened)
    assert e.pool_rule_name(42) == "rule 42"


def test_an_empty_only_list_reads_as_the_kind_it_would_close() -> None:
    empty = e.PoolListEmpty("PoolListEmpty", {"poolId": 2, "kind": 1})
    assert isinstance(empty, e.InvalidRequest)
    assert str(empty) == (
        "PoolListEmpty(poolId=2, kind=1): pool 2's project type rule would become 'only listed' "
        "with an empty list, admitting no project type: give the list in the same tightening"
    )
