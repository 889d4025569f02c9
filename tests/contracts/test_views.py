"""Views and pure helpers, multicall, and the storage layout the gas design depends on."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eth_utils.crypto import keccak

from chain.artifacts import load_artifact
from chain.client import LedgerClient
from chain.compile import ARTIFACTS_DIR
from chain.domain import RangeState, RetirementRequest, namespace_id, part_key, project_key
from chain.errors import (
    AccessControlUnauthorizedAccount,
    FailedCall,
    InsufficientCredits,
    LedgerFault,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    U64_MAX,
    ZERO,
    addr,
    assert_consecutive,
    attempt,
    audited,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    moved,
    ranges,
    reverts,
    send,
    to_checksum,
)

LEDGER_SLOT = 0x83FF91A090B07D5D4E2CE2469D9035BA6EF594BEF69D82DEA0901B3A9B963C00


def _fn(client: LedgerClient) -> Any:
    return client.contract.functions


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(
    ("program_id", "text"),
    [
        (1, "VCS-VCU-1507-VER-ET-14-1340-01012020-31122020"),
        (2, "GS1-1-UG-GS11236-16-2024-30307"),
        (65535, "x"),
        (0, ""),
        (7, "ünïcødé 命名空间"),
    ],
)
def test_key_derivations_match_the_python_client(
    ledger: Ledger, program_id: int, text: str
) -> None:
    fn = _fn(ledger.admin)
    ns = fn.namespaceId(program_id, text).call()
    assert ns == namespace_id(program_id, text)
    assert ns < 2**160
    assert fn.projectKey(program_id, text).call() == project_key(program_id, text)
    for first in (0, 1, 123456789, U64_MAX):
        assert fn.partKey(ns, first).call() == part_key(ns, first) == (ns << 64) | first


def test_part_key_spans_224_bits(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    assert fn.partKey(2**160 - 1, U64_MAX).call() == 2**224 - 1
    assert fn.partKey(0, 0).call() == 0


def test_fresh_ledger_counters_and_defaults(ledger: Ledger) -> None:
    fn = _fn(ledger.admin)
    assert fn.batchCount().call() == 0
    assert fn.retirementCount().call() == 0
    assert fn.paused().call() is False
    assert ledger.admin.account_status(ledger.outsider.account).allowed is False
    assert fn.accountStatus(ZERO).call() == (False, False)
    assert fn.accountStatus(to_checksum(ledger.alice)).call() == (True, False)
    assert fn.part(0).call() == (2**224 - 1, 0)  # the head sentinel of an empty list
    # The fixture's set-up: 2 programmes (each with its admin grant), 2 issuer grants, 2 role
    # grants, 5 accounts, 1 project, plus the constructor's admin grant.
    assert fn.auditSeq().call() == 15


def test_counters_follow_bridging_and_retiring(ledger: Ledger) -> None:
    bridge_range(ledger, 1, 100)
    bridge_range(ledger, 200, 300)
    ledger.alice.retire(RetirementRequest(1, 1, 5, "Acme"))
    fn = _fn(ledger.admin)
    assert (fn.batchCount().call(), fn.retirementCount().call()) == (2, 1)


# ---------------------------------------------------------------- storage layout


def test_the_ledger_state_lives_at_its_erc7201_slot() -> None:
    # keccak256(abi.encode(uint256(keccak256("carbonledger.storage.Ledger")) - 1)) & ~0xff
    inner = int.from_bytes(keccak(b"carbonledger.storage.Ledger")) - 1
    slot = int.from_bytes(keccak(inner.to_bytes(32))) & ~0xFF
    assert slot == LEDGER_SLOT


def test_the_ledger_and_its_module_share_one_storage_layout() -> None:
    # The module runs on the ledger's storage (delegatecall): any variable outside the
    # namespaces would have to sit at the same slot in both. Only EIP712's two fallback strings
    # (never written for the short name "CarbonLedger") are outside them.
    names = ("CarbonLedger", "LedgerGovernance", "LedgerPools", "LedgerPoolRules")
    layouts = [_layout(name) for name in names]
    slots = [
        [(e["label"], e["slot"], e["offset"]) for e in layout["storage"]] for layout in layouts
    ]
    for found in slots:
        assert found == [("_nameFallback", "0", 0), ("_versionFallback", "1", 0)]


def test_the_packed_slot_holds_the_live_values(ledger: Ledger) -> None:
    # The pause flag, the audit sequence and the id counters share the namespace's first slot,
    # which every operation reads anyway: one cold load serves them all.
    bridge_range(ledger, 1, 100)
    ledger.alice.retire(RetirementRequest(1, 1, 5, "Acme"))
    ledger.admin.pause()
    address = to_checksum(ledger.deployment.address)
    word = int.from_bytes(bytes(ledger.chain.w3.eth.get_storage_at(address, LEDGER_SLOT)))

    def field(offset: int, size: int) -> int:
        return (word >> (8 * offset)) & ((1 << (8 * size)) - 1)

    fn = _fn(ledger.admin)
    assert field(0, 1) == 1  # paused
    assert field(1, 8) == fn.auditSeq().call()
    assert field(9, 8) == 1  # batches
    assert field(17, 8) == 1  # retirements
    assert field(25, 2) == 2  # programmes
    assert word >> (8 * 27) == 0  # nothing else in the slot


def _layout(name: str = "CarbonLedger") -> dict[str, Any]:
    data = json.loads((ARTIFACTS_DIR / f"{name}.json").read_text())
    assert data["abi"] == load_artifact(name).abi  # the file the package loads
    return dict(data["storageLayout"])


# ---------------------------------------------------------------- multicall


def _encode(client: LedgerClient, name: str, *args: Any) -> bytes:
    return bytes.fromhex(client.contract.encode_abi(name, args=list(args))[2:])


def test_multicall_runs_several_operations_as_the_caller(ledger: Ledger) -> None:
    bridge_range(ledger, 1001, 2000)
    alice = ledger.alice
    request = RetirementRequest(1, 1101, 1110, "Acme")
    calls = [
        _encode(alice, "transfer", 1, 1001, 1100, to_checksum(ledger.bob), 1001),
        _encode(alice, "retire", request.as_abi(), 1101),
    ]
    returned = _fn(alice).multicall(calls).call({"from": alice.account})
    assert returned[0] == b"" and int.from_bytes(returned[1]) == 1  # the retirement id

    result = send(alice, _fn(alice).multicall(calls))

    events = audited(result)
    assert [e.name for e in events] == ["SerialsMoved", "SerialsMoved", "CreditsRetired"]
    assert_consecutive(events)
    assert events[0].fields["actor"] == events[2].fields["actor"] == addr(alice)
    assert ranges(ledger, 1)[:3] == [
        (1001, 1100, "bob", RangeState.HELD),
        (1101, 1110, "alice", RangeState.RETIRED),
        (1111, 2000, "alice", RangeState.HELD),
    ]


def test_multicall_of_admin_calls(ledger: Ledger) -> None:
    admin = ledger.admin
    role = admin.issuer_role(3)
    calls = [
        _encode(admin, "registerProgram", b"ART".ljust(32, b"\0"), to_checksum(admin)),
        _encode(admin, "grantRole", role, to_checksum(ledger.carol)),
    ]
    result = send(admin, _fn(admin).multicall(calls))
    names = [e.name for e in audited(result)]
    assert names == ["ProgramRegistered", "RoleUpdated", "RoleUpdated"]
    assert admin.has_role(role, ledger.carol.account)
    assert send(admin, _fn(admin).multicall([])).events == []


def test_multicall_is_all_or_nothing_and_bubbles_the_custom_error(ledger: Ledger) -> None:
    bridge_range(ledger, 1001, 2000)
    alice = ledger.alice
    before = (ranges(ledger, 1), ledger.admin.audit_state())
    calls = [
        _encode(alice, "transfer", 1, 1001, 1100, to_checksum(ledger.bob), 1001),
        _encode(alice, "transfer", 1, 1001, 1100, to_checksum(ledger.bob), 1001),  # gone now
    ]
    with reverts(InsufficientCredits, holder=addr(alice), batchId=1, first=1001, last=1100):
        send(alice, _fn(alice).multicall(calls))
    assert (ranges(ledger, 1), ledger.admin.audit_state()) == before
    # Sub-calls keep the caller: an admin call inside a holder's multicall is refused.
    sneaky = [_encode(alice, "pause")]
    with reverts(
        AccessControlUnauthorizedAccount, account=addr(alice), neededRole=keccak(b"PAUSER_ROLE")
    ):
        attempt(alice, _fn(alice).multicall(sneaky))


def test_multicall_of_an_unknown_function_fails_with_failed_call(ledger: Ledger) -> None:
    with pytest.raises(FailedCall) as info:
        attempt(ledger.alice, _fn(ledger.alice).multicall([bytes.fromhex("deadbeef")]))
    # OpenZeppelin's FailedCall() has its class: a fault of the ledger's own call, not the caller's.
    assert isinstance(info.value, LedgerFault)
    assert (info.value.error_name, info.value.arguments) == ("FailedCall", {})


def test_events_and_views_agree_after_a_transfer(ledger: Ledger) -> None:
    bridge_range(ledger, 1001, 2000)
    result = send(
        ledger.alice, _fn(ledger.alice).transfer(1, 1500, 1500, to_checksum(ledger.bob), 1001)
    )
    expect_events(
        result, moved(1, ledger.alice, ledger.bob, 1500, 1500, RangeState.HELD, ledger.alice)
    )
    assert _fn(ledger.admin).serialStatus(1, 1500, 1500).call() == [ledger.bob.account, 1]


@pytest.mark.parametrize(
    "name", ["CarbonLedger", "LedgerGovernance", "LedgerPools", "LedgerPoolRules", "PoolToken"]
)
def test_every_deployed_contract_fits_the_eip170_code_limit(name: str) -> None:
    # 24,576 bytes (EIP-170): the ledger is split into modules so that none is over it.
    code = load_artifact(name).deployed_bytecode
    assert (len(code) - 2) // 2 < 24_576
