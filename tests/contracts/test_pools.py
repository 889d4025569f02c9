"""Pools: eligibility rules, units minted on deposit, serial-exact redemption and retirement,
the ERC-20 face, and a test named after each hostile input (issue 15 items 1-3)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from web3 import Web3

from chain.artifacts import load_artifact
from chain.domain import (
    Label,
    PoolKind,
    PoolMode,
    PoolRules,
    Purpose,
    RangeState,
    RetirementRequest,
    pool_key,
    text_tag,
)
from chain.errors import (
    AccessControlUnauthorizedAccount,
    AccountFrozen,
    AccountNotAllowed,
    BatchFrozen,
    BatchNotVoidable,
    EnforcedPause,
    InsufficientCredits,
    InsufficientPoolAllowance,
    InsufficientPoolUnits,
    InvalidAccount,
    InvalidPoolHint,
    InvalidPoolList,
    InvalidPoolRules,
    InvalidRangeHint,
    LabelRequired,
    NotLedger,
    NotPoolToken,
    PoolAccountRefused,
    PooledCredits,
    PoolIneligible,
    PoolListEmpty,
    PoolRulesWidened,
    ProgramUnitFixed,
    TextBlank,
    TextNotAllowed,
    TextTooLong,
    UnknownPool,
    UnknownPoolRange,
)
from tests.conftest import Ledger
from tests.contracts._helpers import (
    GS_PROJECT,
    ZERO,
    addr,
    attempt,
    bridge,
    bridge_range,
    expect_events,
    invariants,  # noqa: F401  (autouse fixture)
    issuance,
    moved,
    predicted_pool_token,
    ranges,
    reverts,
    send,
    to_checksum,
)

VINTAGE_2020 = dt.date(2020, 1, 1)
ALL_VCS = PoolRules(programmes=frozenset({1}))


@pytest.fixture
def pools(ledger: Ledger) -> Ledger:
    """The ledger with the admin as pool admin."""
    admin = ledger.admin
    admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
    return ledger


def make_pool(ledger: Ledger, rules: PoolRules = ALL_VCS, **lists: Any) -> tuple[int, str]:
    return ledger.admin.create_pool("Nature pool", "NAT", rules, **lists)


def vintage(year: int) -> dict[str, dt.date]:
    return {"vintage_start": dt.date(year, 1, 1), "vintage_end": dt.date(year, 12, 31)}


def bridge_gs(ledger: Ledger, first: int, last: int, **changes: Any) -> int:
    """Bridge ``first..last`` of a GS project (Uganda cookstoves) to alice."""
    key = ledger.gs_issuer.ensure_project(ledger.gs, GS_PROJECT)
    i = dataclasses.replace(
        issuance(ledger, first, last, ledger.alice),
        program_id=ledger.gs,
        project_key=key,
        namespace="GS",
        **changes,
    )
    return int(bridge(ledger, i, by=ledger.gs_issuer).event("BatchBridged").fields["batchId"])


def rules_fields(rules: PoolRules) -> dict[str, int]:
    """PoolRules as events decode the struct."""
    names = (
        "programmes",
        "vintageFrom",
        "vintageTo",
        "labelsRequired",
        "countryMode",
        "typeMode",
        "methodologyMode",
    )
    return dict(zip(names, rules.as_abi(), strict=True))


def token(ledger: Ledger, pool_id: int) -> Any:
    return ledger.admin.pool_token(pool_id)


def check_pool(ledger: Ledger, pool_id: int) -> None:
    """Supply = tonnes the pool's account holds, each listed range held by it, in order."""
    pool = ledger.admin.pool(pool_id)
    listed = ledger.admin.pool_ranges(pool_id)
    assert pool.ranges == len(listed)
    assert pool.supply == sum(r.quantity for r in listed)
    assert [r.key for r in listed] == sorted(r.key for r in listed)
    fn = ledger.admin.contract.functions
    for r in listed:
        holder, last, state = fn.rangeAt(r.batch_id, r.first_serial).call()
        assert (holder.lower(), last, state) == (pool.token.lower(), r.last_serial, 1)
    held = 0
    for b in range(1, ledger.admin.batch_count() + 1):
        held += ledger.admin.balance_of(pool.token, b)
    assert held == pool.supply
    assert token(ledger, pool_id).functions.totalSupply().call() == pool.supply


# ---------------------------------------------------------------- creation


def test_create_pool_records_rules_and_a_token_at_its_create2_address(pools: Ledger) -> None:
    rules = PoolRules(
        frozenset({1, 2}),
        vintage_from=dt.date(2016, 1, 1),
        labels_required=Label.CCP_APPROVED,
        country_mode=PoolMode.EXCEPT,
    )
    fn = pools.admin.contract.functions.createPool(
        "Nature pool", "NAT", rules.as_abi(), ["CN"], [], []
    )
    result = send(pools.admin, fn)
    pool_id, address = 1, pools.admin.pool(1).token
    expect_events(
        result,
        (
            "PoolCreated",
            {
                "poolId": 1,
                "token": addr(address),
                "name": "Nature pool",
                "symbol": "NAT",
                "rules": rules_fields(rules),
                "actor": addr(pools.admin),
            },
        ),
        (
            "PoolListUpdated",
            {"poolId": 1, "actor": addr(pools.admin), "kind": 0, "value": "CN", "listed": True},
        ),
    )
    assert pools.admin.pool(pool_id).rules == rules
    assert pools.admin.pool_of(address) == pool_id
    assert pools.admin.pool_listed(pool_id, PoolKind.COUNTRY, "CN")
    init = load_artifact("PoolToken").bytecode
    ctor = pools.chain.w3.codec.encode(["uint32", "string", "string"], [1, "Nature pool", "NAT"])
    code_hash = Web3.keccak(bytes.fromhex(init[2:]) + ctor)
    salt = (1).to_bytes(32)
    expected = Web3.keccak(b"\xff" + bytes.fromhex(pools.deployment.address[2:]) + salt + code_hash)
    assert addr(address) == "0x" + expected[12:].hex()
    t = token(pools, pool_id).functions
    assert (t.name().call(), t.symbol().call(), t.decimals().call()) == ("Nature pool", "NAT", 0)
    assert t.ledger().call().lower() == addr(pools.deployment.address)


def test_create_pool_needs_the_pool_admin_role(pools: Ledger) -> None:
    fn = pools.alice.contract.functions.createPool("P", "P", ALL_VCS.as_abi(), [], [], [])
    with pytest.raises(Exception, match="AccessControlUnauthorizedAccount"):
        attempt(pools.alice, fn)


@pytest.mark.parametrize(
    ("rules", "rule"),
    [
        (PoolRules(frozenset()), 1),
        (PoolRules(frozenset({9})), 1),
        (PoolRules(frozenset({1}), vintage_from=dt.date(2020, 1, 2), vintage_to=VINTAGE_2020), 3),
        (PoolRules(frozenset({1}), labels_required=Label(16)), 4),
    ],
    ids=["no_programme", "unregistered_programme", "window_reversed", "unknown_labels"],
)
def test_create_pool_refuses_malformed_rules(pools: Ledger, rules: PoolRules, rule: int) -> None:
    fn = pools.admin.contract.functions.createPool("P", "P", rules.as_abi(), [], [], [])
    with reverts(InvalidPoolRules, rule=rule):
        attempt(pools.admin, fn)


def test_create_pool_refuses_a_list_for_a_kind_it_does_not_list(pools: Ledger) -> None:
    fn = pools.admin.contract.functions.createPool("P", "P", ALL_VCS.as_abi(), [], ["AFOLU"], [])
    with reverts(InvalidPoolRules, rule=6):
        attempt(pools.admin, fn)


def test_create_pool_refuses_a_predicted_address_that_was_allowlisted(pools: Ledger) -> None:
    predicted = predicted_pool_token(pools, 1)
    pools.admin.set_account(predicted)
    fn = pools.admin.contract.functions.createPool("P", "P", ALL_VCS.as_abi(), [], [], [])
    with reverts(PoolAccountRefused, poolId=1, account=predicted):
        attempt(pools.admin, fn)


def test_create_pool_refuses_a_predicted_address_allowlisted_sent_serials_then_struck_off(
    pools: Ledger,
) -> None:
    """Struck off the allowlist, the address still holds what it was sent: as a pool's
    account those serials would be pooled without units (supply < tonnes held)."""
    predicted = predicted_pool_token(pools, 1)
    batch_id = bridge_range(pools, 1, 10)
    pools.admin.set_account(predicted)
    pools.alice.transfer(batch_id, 1, 10, predicted)
    pools.admin.set_account(predicted, allowed=False)
    fn = pools.admin.contract.functions.createPool("P", "P", ALL_VCS.as_abi(), [], [], [])
    with reverts(PoolAccountRefused, poolId=1, account=predicted):
        attempt(pools.admin, fn)


def test_a_non_tonne_programme_cannot_be_pooled(pools: Ledger) -> None:
    kg = pools.admin.register_program("KG")
    pools.admin.set_program_unit(kg, 1000)
    fn = pools.admin.contract.functions.createPool(
        "P", "P", PoolRules(frozenset({kg})).as_abi(), [], [], []
    )
    with reverts(InvalidPoolRules, rule=8):
        attempt(pools.admin, fn)


def test_a_programme_unit_is_fixed_once_it_has_projects_or_a_pool(pools: Ledger) -> None:
    with reverts(ProgramUnitFixed, programId=pools.vcs):
        attempt(pools.admin, pools.admin.contract.functions.setProgramUnit(pools.vcs, 1000))
    fresh = pools.admin.register_program("NEW")
    make_pool(pools, PoolRules(frozenset({fresh})))
    with reverts(ProgramUnitFixed, programId=fresh):
        attempt(pools.admin, pools.admin.contract.functions.setProgramUnit(fresh, 1000))


def test_projects_get_classes_by_country_type_and_methodology(pools: Ledger) -> None:
    key = pools.project_key
    class_id = pools.admin.project_class_of(key)
    assert class_id == 1
    assert pools.admin.project_class(class_id) == (
        text_tag("ET"),
        text_tag("AFOLU"),
        text_tag("VM0015"),
    )
    bridge_range(pools, 1, 10)
    assert pools.admin.batch_class(1) == class_id
    gs_key = pools.gs_issuer.ensure_project(pools.gs, GS_PROJECT)
    assert pools.admin.project_class_of(gs_key) == 2


def test_the_batch_slot_packs_flags_and_class(pools: Ledger) -> None:
    # programId | flags << 16 | classId << 24 | firstSerial << 40 | quantity << 104 | ...
    bridge_range(pools, 11, 20, labels=Label.CCP_APPROVED | Label.CORSIA_ELIGIBLE)
    pools.admin.set_batch_frozen(1, True)
    slot = int.from_bytes(Web3.keccak((1).to_bytes(32) + _batches_slot().to_bytes(32)))
    word = int.from_bytes(
        bytes(pools.chain.w3.eth.get_storage_at(to_checksum(pools.deployment.address), slot))
    )
    assert word & 0xFFFF == pools.vcs
    assert (word >> 16) & 0xFF == 0x80 | 3
    assert (word >> 24) & 0xFFFF == 1
    assert (word >> 40) & (2**64 - 1) == 11
    assert (word >> 104) & (2**32 - 1) == 10
    b = pools.admin.batch(1)
    assert (b.labels, b.frozen) == (Label.CCP_APPROVED | Label.CORSIA_ELIGIBLE, True)


def _batches_slot() -> int:
    from tests.contracts.test_views import LEDGER_SLOT

    # Slots of Layout: 0 packed, 1 auditHead, 2 programs, 3 programIds, 4 allowedNamespaces,
    # 5 projects, 6 accounts, 7 batches.
    return int(LEDGER_SLOT) + 7


# ---------------------------------------------------------------- deposit


def test_deposit_moves_the_serials_to_the_pool_and_mints_units(pools: Ledger) -> None:
    bridge_range(pools, 1, 100)
    pool_id, address = make_pool(pools)
    result = pools.alice.pool_deposit(pool_id, 1, 11, 40)
    expect_events(
        result,
        moved(1, pools.alice, address, 11, 40, RangeState.HELD, pools.alice),
        (
            "PoolUnitsMoved",
            {
                "poolId": pool_id,
                "from": ZERO,
                "to": addr(pools.alice),
                "amount": 30,
                "actor": addr(pools.alice),
            },
        ),
    )
    assert pools.alice.pool_balance(pool_id, pools.alice.account) == 30
    t = token(pools, pool_id)
    assert t.functions.balanceOf(pools.alice.account).call() == 30
    receipt = pools.chain.w3.eth.get_transaction_receipt(result.tx_hash)
    mine = [log for log in receipt["logs"] if log["address"].lower() == address.lower()]
    logs = [t.events.Transfer().process_log(log) for log in mine]
    assert [(e.args["from"], e.args["to"], e.args["value"]) for e in logs] == [
        (ZERO, pools.alice.account, 30)
    ]
    assert ranges(pools, 1)[1] == (11, 40, address.lower(), RangeState.HELD)
    check_pool(pools, pool_id)


def _deposit_fn(
    ledger: Ledger, client: Any, pool_id: int, batch_id: int, first: int, last: int
) -> Any:
    start = client.range_start(batch_id, first)
    key = client.pool_key(batch_id, last)
    hint = client.contract.functions.findPoolHint(pool_id, key, 0).call()
    return client.contract.functions.poolDeposit(pool_id, batch_id, first, last, start, hint)


@pytest.mark.parametrize(
    ("rules", "lists", "rule"),
    [
        (PoolRules(frozenset({2})), {}, 1),
        (PoolRules(frozenset({1}), vintage_from=dt.date(2020, 1, 2)), {}, 2),
        (PoolRules(frozenset({1}), vintage_to=dt.date(2019, 12, 31)), {}, 3),
        (PoolRules(frozenset({1}), labels_required=Label.CORSIA_ELIGIBLE), {}, 4),
        (PoolRules(frozenset({1}), country_mode=PoolMode.ONLY), {"countries": ["UG"]}, 5),
        (PoolRules(frozenset({1}), type_mode=PoolMode.EXCEPT), {"project_types": ["AFOLU"]}, 6),
        (PoolRules(frozenset({1}), methodology_mode=PoolMode.ONLY), {}, 7),
    ],
    ids=[
        "programme",
        "vintage_before_window",
        "vintage_after_window",
        "labels",
        "country",
        "project_type",
        "methodology",
    ],
)
def test_deposit_of_an_ineligible_batch_names_the_rule(
    pools: Ledger, rules: PoolRules, lists: dict[str, list[str]], rule: int
) -> None:
    bridge_range(pools, 1, 10)
    pool_id, _ = make_pool(pools, rules, **lists)
    with reverts(PoolIneligible, poolId=pool_id, batchId=1, rule=rule):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 1, 1, 10))


def test_ineligibility_reads_in_words(pools: Ledger) -> None:
    bridge_range(pools, 1, 10, **vintage(2015))
    pool_id, _ = make_pool(pools, PoolRules(frozenset({1}), vintage_from=dt.date(2016, 1, 1)))
    with pytest.raises(PoolIneligible) as info:
        pools.alice.pool_deposit(pool_id, 1, 1, 10)
    assert str(info.value).endswith(
        "batch 1 is not eligible for pool 1: its vintage starts before the pool's window "
        "(vintage 2015-01-01 is before the pool's window 2016-01-01)"
    )


def test_eligible_by_lists_country_type_and_methodology(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)
    rules = PoolRules(
        frozenset({1, 2}),
        country_mode=PoolMode.ONLY,
        type_mode=PoolMode.EXCEPT,
        methodology_mode=PoolMode.ONLY,
    )
    pool_id, _ = make_pool(
        pools,
        rules,
        countries=["ET", "KE"],
        project_types=["Energy efficiency"],
        methodologies=["VM0015"],
    )
    pools.alice.pool_deposit(pool_id, 1, 1, 10)
    gs = bridge_gs(pools, 1, 10)
    with reverts(PoolIneligible, poolId=pool_id, batchId=gs, rule=5):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, gs, 1, 10))
    check_pool(pools, pool_id)


def test_deposit_of_someone_elses_serials(pools: Ledger) -> None:
    bridge_range(pools, 1, 10, pools.bob)
    pool_id, _ = make_pool(pools)
    fn = pools.alice.contract.functions.poolDeposit(pool_id, 1, 1, 10, 1, 0)
    with reverts(InsufficientCredits, holder=addr(pools.alice), batchId=1, first=1, last=10):
        attempt(pools.alice, fn)


def test_deposit_of_a_frozen_batch(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)
    pool_id, _ = make_pool(pools)
    pools.admin.set_batch_frozen(1, True)
    with reverts(BatchFrozen, batchId=1):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 1, 1, 10))


def test_deposit_by_a_frozen_account(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)
    pool_id, _ = make_pool(pools)
    pools.admin.set_account(pools.alice.account, allowed=True, frozen=True)
    with reverts(AccountFrozen, account=addr(pools.alice)):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 1, 1, 10))


def test_deposit_while_paused(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)
    pool_id, _ = make_pool(pools)
    pools.admin.pause()
    with reverts(EnforcedPause):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 1, 1, 10))


def test_deposit_into_an_unknown_pool(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)
    fn = pools.alice.contract.functions.poolDeposit(7, 1, 1, 10, 1, 0)
    with reverts(UnknownPool, poolId=7):
        attempt(pools.alice, fn)


def test_a_deposit_hint_that_lies(pools: Ledger) -> None:
    bridge_range(pools, 1, 10, **vintage(2018))
    bridge_range(pools, 11, 20, **vintage(2019))
    pool_id, _ = make_pool(pools)
    pools.alice.pool_deposit(pool_id, 2, 11, 20)
    below = pools.admin.pool_key(2, 20)
    # Batch 1 (2018) sorts before batch 2's range: the head is its hint, not batch 2's key.
    fn = pools.alice.contract.functions.poolDeposit(pool_id, 1, 1, 10, 1, below)
    with reverts(InvalidPoolHint, poolId=pool_id, hint=below):
        attempt(pools.alice, fn)
    fn = pools.alice.contract.functions.poolDeposit(pool_id, 1, 1, 10, 1, 12345)
    with reverts(InvalidPoolHint, poolId=pool_id, hint=12345):
        attempt(pools.alice, fn)


def test_a_deposit_hint_below_but_not_just_below_or_of_a_range_gone(pools: Ledger) -> None:
    """The hint must be the new range's immediate predecessor: one further down would link it
    past a range (out of order), one redeemed is no longer in the list."""
    for year, first in ((2017, 1), (2018, 11), (2019, 21)):
        bridge_range(pools, first, first + 9, **vintage(year))
    pool_id, _ = make_pool(pools)
    pools.alice.pool_deposit(pool_id, 1, 1, 10)
    pools.alice.pool_deposit(pool_id, 3, 21, 30)
    skips = pools.admin.pool_key(1, 10)
    fn = pools.alice.contract.functions
    # Batch 2 (2018) goes between batch 1 (2017) and batch 3 (2019): the head skips batch 1.
    with reverts(InvalidPoolHint, poolId=pool_id, hint=0):
        attempt(pools.alice, fn.poolDeposit(pool_id, 2, 11, 20, 11, 0))
    pools.alice.pool_redeem(pool_id, 10)  # batch 1's range leaves the list
    with reverts(InvalidPoolHint, poolId=pool_id, hint=skips):
        attempt(pools.alice, fn.poolDeposit(pool_id, 2, 11, 20, 11, skips))
    pools.alice.pool_deposit(pool_id, 2, 11, 20)
    assert [r.batch_id for r in pools.admin.pool_ranges(pool_id)] == [2, 3]
    check_pool(pools, pool_id)


# ---------------------------------------------------------------- redeem and retire


def _fill(pools: Ledger) -> int:
    """A pool holding, deposited out of order: 2019 batch 1 (1-10), 2017 batch 2 (101-110,
    two ranges), 2017 batch 3 (201-205)."""
    bridge_range(pools, 1, 10, **vintage(2019))
    bridge_range(pools, 101, 110, **vintage(2017))
    bridge_range(pools, 201, 205, **vintage(2017))
    pool_id, _ = make_pool(pools)
    alice = pools.alice
    alice.pool_deposit(pool_id, 1, 1, 10)
    alice.pool_deposit(pool_id, 3, 201, 205)
    alice.pool_deposit(pool_id, 2, 106, 110)
    alice.pool_deposit(pool_id, 2, 101, 105)
    return pool_id


def _serials_moved(result: Any) -> list[tuple[int, int, int, str, int]]:
    return [
        (
            e.fields["batchId"],
            e.fields["firstSerial"],
            e.fields["lastSerial"],
            e.fields["to"].lower(),
            e.fields["state"],
        )
        for e in result.events
        if e.name == "SerialsMoved"
    ]


def test_redeem_gives_serials_in_order_across_vintages_and_batches(pools: Ledger) -> None:
    pool_id = _fill(pools)
    keys = [r.key for r in pools.admin.pool_ranges(pool_id)]
    assert keys == [
        pool_key(dt.date(2017, 1, 1), 2, 105),
        pool_key(dt.date(2017, 1, 1), 2, 110),
        pool_key(dt.date(2017, 1, 1), 3, 205),
        pool_key(dt.date(2019, 1, 1), 1, 10),
    ]
    pools.alice.pool_transfer(pool_id, pools.bob.account, 25)
    bob = addr(pools.bob)
    result = pools.bob.pool_redeem(pool_id, 3)
    assert _serials_moved(result) == [(2, 101, 103, bob, 1)]
    result = pools.bob.pool_redeem(pool_id, 15)
    assert _serials_moved(result) == [
        (2, 104, 105, bob, 1),
        (2, 106, 110, bob, 1),
        (3, 201, 205, bob, 1),
        (1, 1, 3, bob, 1),
    ]
    assert audited_names(result)[-1] == "PoolUnitsMoved"
    assert result.event("PoolUnitsMoved").fields["to"] == ZERO
    assert pools.admin.pool_balance(pool_id, pools.bob.account) == 7
    check_pool(pools, pool_id)
    assert pools.admin.pool(pool_id).supply == 7


def audited_names(result: Any) -> list[str]:
    return [e.name for e in result.events]


def test_redeem_more_units_than_held(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = pools.bob.contract.functions.poolRedeem(pool_id, 1)
    with reverts(
        InsufficientPoolUnits, poolId=pool_id, account=addr(pools.bob), balance=0, needed=1
    ):
        attempt(pools.bob, fn)
    fn = pools.alice.contract.functions.poolRedeem(pool_id, 26)
    with reverts(
        InsufficientPoolUnits, poolId=pool_id, account=addr(pools.alice), balance=25, needed=26
    ):
        attempt(pools.alice, fn)


def test_redeem_at_a_frozen_head_refuses_and_a_named_range_still_redeems(pools: Ledger) -> None:
    pool_id = _fill(pools)
    pools.admin.set_batch_frozen(2, True)
    with reverts(BatchFrozen, batchId=2):
        attempt(pools.alice, pools.alice.contract.functions.poolRedeem(pool_id, 1))
    key = pools.admin.pool_key(3, 205)
    result = pools.alice.pool_redeem_range(pool_id, key, 5)
    assert _serials_moved(result) == [(3, 201, 205, addr(pools.alice), 1)]
    assert [r.batch_id for r in pools.admin.pool_ranges(pool_id)] == [2, 2, 1]
    check_pool(pools, pool_id)


def test_redeem_by_a_frozen_or_struck_off_holder(pools: Ledger) -> None:
    pool_id = _fill(pools)
    _refused_once_alice_is_frozen_then_struck_off(
        pools, pools.alice, pools.alice.contract.functions.poolRedeem(pool_id, 1)
    )


def test_redeem_range_under_a_key_the_pool_does_not_hold(pools: Ledger) -> None:
    """Keys name the pool's own ranges only: not a range someone else holds, not the head
    sentinel, not another pool's range, not a range already redeemed."""
    pool_id = _fill(pools)
    other = bridge_range(pools, 301, 310)
    other_pool, _ = make_pool(pools)
    pools.alice.pool_deposit(other_pool, other, 301, 305)
    fn = pools.alice.contract.functions
    for pool, key in (
        (pool_id, pools.admin.pool_key(other, 310)),  # alice's, not the pool's
        (pool_id, 0),
        (pool_id, pools.admin.pool_key(other, 305)),  # pooled in the other pool
        (other_pool, pools.admin.pool_key(3, 205)),
    ):
        with reverts(UnknownPoolRange, poolId=pool, key=key):
            attempt(pools.alice, fn.poolRedeemRange(pool, key, 0, 1))
    whole = pools.admin.pool_key(3, 205)
    pools.alice.pool_redeem_range(pool_id, whole, 5)
    with reverts(UnknownPoolRange, poolId=pool_id, key=whole):
        attempt(pools.alice, fn.poolRedeemRange(pool_id, whole, 0, 1))
    check_pool(pools, pool_id)


def test_redeem_range_of_more_units_than_the_range_holds(pools: Ledger) -> None:
    """Units beyond the range would take serials of the next range, unchecked against it."""
    pool_id = _fill(pools)
    key = pools.admin.pool_key(2, 105)
    token_address = pools.admin.pool(pool_id).token
    fn = pools.alice.contract.functions.poolRedeemRange(pool_id, key, 0, 6)
    with reverts(InsufficientPoolUnits, poolId=pool_id, account=token_address, balance=5, needed=6):
        attempt(pools.alice, fn)


def test_redeem_range_partly_keeps_the_range_listed(pools: Ledger) -> None:
    pool_id = _fill(pools)
    key = pools.admin.pool_key(1, 10)
    result = pools.alice.pool_redeem_range(pool_id, key, 4)
    assert _serials_moved(result) == [(1, 1, 4, addr(pools.alice), 1)]
    assert pools.admin.pool_ranges(pool_id)[-1].first_serial == 5
    check_pool(pools, pool_id)


def test_redeem_range_with_an_unlink_hint_that_lies(pools: Ledger) -> None:
    pool_id = _fill(pools)
    key = pools.admin.pool_key(3, 205)
    fn = pools.alice.contract.functions.poolRedeemRange(pool_id, key, 0, 5)
    with reverts(InvalidPoolHint, poolId=pool_id, hint=0):
        attempt(pools.alice, fn)


def test_redeem_range_of_a_batch_the_tightened_rules_refuse(pools: Ledger) -> None:
    pool_id = _fill(pools)
    pools.admin.tighten_pool(pool_id, PoolRules(frozenset({1}), vintage_from=dt.date(2018, 1, 1)))
    key = pools.admin.pool_key(3, 205)
    fn = pools.alice.contract.functions.poolRedeemRange(pool_id, key, key - 1, 1)
    with reverts(PoolIneligible, poolId=pool_id, batchId=3, rule=2):
        attempt(pools.alice, fn)
    # Already pooled credits stay redeemable by units, in order.
    result = pools.alice.pool_redeem(pool_id, 1)
    assert _serials_moved(result) == [(2, 101, 101, addr(pools.alice), 1)]


def test_retire_from_a_pool_retires_exact_serials_per_range(pools: Ledger) -> None:
    pool_id = _fill(pools)
    result = pools.alice.pool_retire(pool_id, 12, "Acme Air", note="Q1 flights")
    alice = addr(pools.alice)
    assert _serials_moved(result) == [
        (2, 101, 105, alice, 2),
        (2, 106, 110, alice, 2),
        (3, 201, 202, alice, 2),
    ]
    retired = [e for e in result.events if e.name == "CreditsRetired"]
    assert [(e.fields["retirementId"], e.fields["holder"].lower()) for e in retired] == [
        (1, alice),
        (2, alice),
        (3, alice),
    ]
    r = retired[2].fields["retirement"]
    assert (r["batchId"], r["firstSerial"], r["lastSerial"], r["beneficiary"], r["note"]) == (
        3,
        201,
        202,
        "Acme Air",
        "Q1 flights",
    )
    assert [e.name for e in result.events][-1] == "PoolUnitsMoved"
    assert pools.admin.batch(2).retired == 10
    assert ranges(pools, 3)[0] == (201, 202, "alice", RangeState.RETIRED)
    check_pool(pools, pool_id)


def test_retire_from_a_pool_for_corsia_needs_the_label(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = pools.alice.contract.functions.poolRetire(
        pool_id, 1, "Airline", int(Purpose.CORSIA), "", 0, 0, ""
    )
    with reverts(LabelRequired, batchId=2, label=int(Label.CORSIA_ELIGIBLE)):
        attempt(pools.alice, fn)


def test_retire_from_a_pool_refuses_a_blank_beneficiary(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = pools.alice.contract.functions.poolRetire(pool_id, 1, " ", 0, "", 0, 0, "")
    with pytest.raises(Exception, match="TextBlank"):
        attempt(pools.alice, fn)


# ---------------------------------------------------------------- units


def test_transfer_units_to_a_non_allowlisted_account(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    fn = t.functions.transfer(pools.outsider.account, 1)
    with reverts(AccountNotAllowed, account=addr(pools.outsider)):
        attempt(pools.alice, fn)


def test_transfer_units_to_or_from_a_frozen_account(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    pools.admin.set_account(pools.bob.account, allowed=True, frozen=True)
    with reverts(AccountFrozen, account=addr(pools.bob)):
        attempt(pools.alice, t.functions.transfer(pools.bob.account, 1))
    pools.alice.pool_transfer(pool_id, pools.carol.account, 3)
    pools.admin.set_account(pools.carol.account, allowed=True, frozen=True)
    with reverts(AccountFrozen, account=addr(pools.carol)):
        attempt(pools.carol, t.functions.transfer(pools.alice.account, 1))


def test_transfer_from_a_frozen_owner_by_an_active_spender(pools: Ledger) -> None:
    """An allowance granted before a freeze must not let a spender move the frozen units."""
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    send(pools.alice, t.functions.approve(pools.bob.account, 5))
    fn = t.functions.transferFrom(pools.alice.account, pools.carol.account, 1)
    _refused_once_alice_is_frozen_then_struck_off(pools, pools.bob, fn)


def _refused_once_alice_is_frozen_then_struck_off(pools: Ledger, by: Any, fn: Any) -> None:
    pools.admin.set_account(pools.alice.account, allowed=True, frozen=True)
    with reverts(AccountFrozen, account=addr(pools.alice)):
        attempt(by, fn)
    pools.admin.set_account(pools.alice.account, allowed=False)
    with reverts(AccountNotAllowed, account=addr(pools.alice)):
        attempt(by, fn)


def test_transfer_approve_redeem_and_retire_units_while_paused(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    send(pools.alice, t.functions.approve(pools.bob.account, 5))
    pools.admin.pause()
    fn = pools.alice.contract.functions
    key = pools.admin.pool_key(3, 205)
    retirement = RetirementRequest(3, 201, 201, "Acme Air").as_abi()
    for client, call in (
        (pools.alice, t.functions.transfer(pools.bob.account, 1)),
        (pools.bob, t.functions.transferFrom(pools.alice.account, pools.carol.account, 1)),
        (pools.alice, t.functions.approve(pools.carol.account, 1)),
        (pools.alice, fn.poolRedeem(pool_id, 1)),
        (pools.alice, fn.poolRedeemRange(pool_id, key, key - 1, 1)),
        (pools.alice, fn.poolRetire(pool_id, 1, "Acme Air", 0, "", 0, 0, "")),
        (pools.alice, fn.poolRetireRange(pool_id, key, key - 1, retirement)),
    ):
        with reverts(EnforcedPause):
            attempt(client, call)


def test_approve_of_the_zero_spender(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = token(pools, pool_id).functions.approve(ZERO, 1)
    with reverts(InvalidAccount, account=ZERO):
        attempt(pools.alice, fn)


def test_transfer_from_on_an_unlimited_allowance_spends_none(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    send(pools.alice, t.functions.approve(pools.bob.account, 2**256 - 1))
    send(pools.bob, t.functions.transferFrom(pools.alice.account, pools.carol.account, 4))
    assert t.functions.allowance(pools.alice.account, pools.bob.account).call() == 2**256 - 1
    check_pool(pools, pool_id)


def test_transfer_from_spends_the_allowance(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    result = send(pools.alice, t.functions.approve(pools.bob.account, 5))
    expect_events(
        result,
        (
            "PoolUnitsApproved",
            {
                "poolId": pool_id,
                "owner": addr(pools.alice),
                "spender": addr(pools.bob),
                "amount": 5,
            },
        ),
    )
    fn = t.functions.transferFrom(pools.alice.account, pools.carol.account, 6)
    with reverts(
        InsufficientPoolAllowance,
        poolId=pool_id,
        owner=addr(pools.alice),
        spender=addr(pools.bob),
        allowance=5,
        needed=6,
    ):
        attempt(pools.bob, fn)
    send(pools.bob, t.functions.transferFrom(pools.alice.account, pools.carol.account, 5))
    assert t.functions.balanceOf(pools.carol.account).call() == 5
    assert t.functions.allowance(pools.alice.account, pools.bob.account).call() == 0


def test_transfer_from_by_the_owner_itself_spends_no_allowance(pools: Ledger) -> None:
    """An owner's own transferFrom logs exactly as a plain transfer (PoolUnitsMoved with the
    owner as actor), so it must not change an allowance the audit trail would not show."""
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    send(pools.alice, t.functions.approve(pools.alice.account, 3))
    result = send(
        pools.alice, t.functions.transferFrom(pools.alice.account, pools.carol.account, 5)
    )
    expect_events(
        result,
        (
            "PoolUnitsMoved",
            {
                "poolId": pool_id,
                "from": addr(pools.alice),
                "to": addr(pools.carol),
                "amount": 5,
                "actor": addr(pools.alice),
            },
        ),
    )
    assert t.functions.balanceOf(pools.carol.account).call() == 5
    assert t.functions.allowance(pools.alice.account, pools.alice.account).call() == 3


def test_token_emit_transfer_called_by_a_stranger(pools: Ledger) -> None:
    pool_id = _fill(pools)
    t = token(pools, pool_id)
    fn = t.functions.emitTransfer(pools.alice.account, pools.bob.account, 1)
    with pytest.raises(Exception) as info:
        fn.call({"from": pools.alice.account})
    from chain._revert import as_chain_error

    err = as_chain_error(info.value, t.abi + pools.alice.abi)
    assert isinstance(err, NotLedger)


def test_pool_token_transfer_from_a_non_token(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = pools.alice.contract.functions.poolTokenTransfer(
        pool_id, pools.alice.account, pools.bob.account, 1
    )
    with reverts(NotPoolToken, poolId=pool_id, caller=addr(pools.alice)):
        attempt(pools.alice, fn)


# ---------------------------------------------------------------- guards


def test_allowlisting_a_pool_account(pools: Ledger) -> None:
    pool_id, address = make_pool(pools)
    fn = pools.admin.contract.functions.setAccount(address, True, False)
    with reverts(PoolAccountRefused, poolId=pool_id, account=address):
        attempt(pools.admin, fn)


def test_calling_the_pool_modules_directly(pools: Ledger) -> None:
    """The modules run on the ledger's storage only through its fallback: called at their own
    address they hold no roles (their initialisers are disabled), so nothing is written, and
    the ledger's state is untouched either way."""
    pool_id = _fill(pools)
    w3 = pools.chain.w3
    ledger_fn = pools.admin.contract.functions
    pools_module = w3.eth.contract(
        address=ledger_fn.pools().call(), abi=load_artifact("LedgerPools").abi
    )
    rules_module = w3.eth.contract(
        address=ledger_fn.poolRules().call(), abi=load_artifact("LedgerPoolRules").abi
    )
    admin = pools.admin
    before = admin.audit_state()
    program_admin = admin.program_admin_role(pools.vcs)
    refusals = (
        (
            rules_module.functions.createPool("P", "P", ALL_VCS.as_abi(), [], [], []),
            AccessControlUnauthorizedAccount,
            {"account": addr(admin), "neededRole": admin.role("POOL_ADMIN_ROLE")},
        ),
        (
            pools_module.functions.setProgramBuffer(pools.vcs, pools.carol.account),
            AccessControlUnauthorizedAccount,
            {"account": addr(admin), "neededRole": program_admin},
        ),
        (pools_module.functions.poolDeposit(pool_id, 1, 1, 1, 1, 0), UnknownPool, {"poolId": 1}),
        (pools_module.functions.poolRedeem(pool_id, 1), UnknownPool, {"poolId": 1}),
        (
            pools_module.functions.poolTokenTransfer(pool_id, admin.account, pools.bob.account, 1),
            NotPoolToken,
            {"poolId": pool_id, "caller": addr(admin)},
        ),
    )
    for fn, error, arguments in refusals:
        with reverts(error, **arguments):
            attempt(admin, fn)
    assert admin.audit_state() == before
    assert admin.pool(pool_id).supply == 25
    check_pool(pools, pool_id)


def test_cancelling_pooled_serials(pools: Ledger) -> None:
    pool_id = _fill(pools)
    address = pools.admin.pool(pool_id).token
    # The admin registered VCS, so it is VCS's programme admin and may cancel anyone's.
    fn = pools.admin.contract.functions.cancel(1, address, 1, 10, 1, "reversal")
    with reverts(PooledCredits, poolId=pool_id, batchId=1):
        attempt(pools.admin, fn)


def test_voiding_a_pooled_batch(pools: Ledger) -> None:
    _fill(pools)
    fn = pools.admin.contract.functions.voidBatch(
        3, pools.issuance(1, 1).namespace, pools.admin.part_hint(pools.issuance(201, 205)), "wrong"
    )
    with reverts(BatchNotVoidable, batchId=3):
        attempt(pools.admin, fn)


# ---------------------------------------------------------------- tightening


@pytest.mark.parametrize(
    ("new", "rule"),
    [
        (
            PoolRules(
                frozenset({1, 2}),
                vintage_from=dt.date(2016, 1, 1),
                vintage_to=dt.date(2020, 12, 31),
            ),
            1,
        ),
        (
            PoolRules(
                frozenset({1}), vintage_from=dt.date(2015, 1, 1), vintage_to=dt.date(2020, 12, 31)
            ),
            2,
        ),
        (PoolRules(frozenset({1}), vintage_to=dt.date(2020, 12, 31)), 2),
        (PoolRules(frozenset({1}), vintage_from=dt.date(2016, 1, 1)), 3),
        (
            PoolRules(
                frozenset({1}), vintage_from=dt.date(2016, 1, 1), vintage_to=dt.date(2021, 1, 1)
            ),
            3,
        ),
        (
            PoolRules(
                frozenset({1}),
                vintage_from=dt.date(2016, 1, 1),
                vintage_to=dt.date(2020, 12, 31),
                labels_required=Label.CCP_APPROVED,
            ),
            4,
        ),
        (
            PoolRules(
                frozenset({1}),
                vintage_from=dt.date(2016, 1, 1),
                vintage_to=dt.date(2020, 12, 31),
                labels_required=Label.CORSIA_ELIGIBLE,
                country_mode=PoolMode.ONLY,
            ),
            5,
        ),
    ],
    ids=[
        "programme",
        "earlier_start",
        "open_start",
        "open_end",
        "later_end",
        "fewer_labels",
        "except_to_only",
    ],
)
def test_tightening_that_widens(pools: Ledger, new: PoolRules, rule: int) -> None:
    old = PoolRules(
        frozenset({1}),
        vintage_from=dt.date(2016, 1, 1),
        vintage_to=dt.date(2020, 12, 31),
        labels_required=Label.CORSIA_ELIGIBLE,
        country_mode=PoolMode.EXCEPT,
    )
    pool_id, _ = make_pool(pools, old, countries=["CN"])
    fn = pools.admin.contract.functions.tightenPool(pool_id, new.as_abi(), [], [], [])
    with reverts(PoolRulesWidened, poolId=pool_id, rule=rule):
        attempt(pools.admin, fn)


def test_tightening_narrows_and_is_audited(pools: Ledger) -> None:
    pool_id, _ = make_pool(pools, PoolRules(frozenset({1, 2})))
    new = PoolRules(
        frozenset({1}),
        vintage_from=dt.date(2016, 1, 1),
        labels_required=Label.CCP_APPROVED,
        methodology_mode=PoolMode.EXCEPT,
    )
    result = pools.admin.tighten_pool(pool_id, new)
    expect_events(
        result,
        (
            "PoolRulesTightened",
            {"poolId": pool_id, "actor": addr(pools.admin), "rules": rules_fields(new)},
        ),
    )
    assert pools.admin.pool(pool_id).rules == new
    pools.admin.list_pool(pool_id, PoolKind.METHODOLOGY, ["VM0015"])
    assert pools.admin.pool_listed(pool_id, PoolKind.METHODOLOGY, "VM0015")


def _tighten_fn(pools: Ledger, pool_id: int, rules: PoolRules, *lists: list[str]) -> Any:
    countries, types, methodologies = (*lists, [], [], [])[:3]
    return pools.admin.contract.functions.tightenPool(
        pool_id, rules.as_abi(), countries, types, methodologies
    )


def test_tightening_to_only_listed_admits_exactly_the_listed_values(pools: Ledger) -> None:
    bridge_range(pools, 1, 10)  # Bale Mountains: ET, AFOLU, VM0015
    gs = bridge_gs(pools, 1, 10)  # Uganda cookstoves: UG, Energy efficiency, GS TPDDTEC
    pool_id, _ = make_pool(pools, PoolRules(frozenset({1, 2})))
    new = PoolRules(frozenset({1, 2}), country_mode=PoolMode.ONLY, type_mode=PoolMode.EXCEPT)
    result = pools.admin.tighten_pool(pool_id, new, countries=["ET", "KE"], project_types=["REDD"])
    admin = addr(pools.admin)
    expect_events(
        result,
        ("PoolRulesTightened", {"poolId": pool_id, "actor": admin, "rules": rules_fields(new)}),
        *(
            ("PoolListUpdated", {"poolId": pool_id, "actor": admin, "kind": kind, "value": value,
                                 "listed": True})
            for kind, value in ((0, "ET"), (0, "KE"), (1, "REDD"))
        ),
    )  # fmt: skip
    assert pools.admin.pool(pool_id).rules == new
    listed = [(k, v) for k in PoolKind for v in ("ET", "KE", "UG", "REDD", "AFOLU")]
    assert {(k, v) for k, v in listed if pools.admin.pool_listed(pool_id, k, v)} == {
        (PoolKind.COUNTRY, "ET"),
        (PoolKind.COUNTRY, "KE"),
        (PoolKind.PROJECT_TYPE, "REDD"),
    }
    pools.alice.pool_deposit(pool_id, 1, 1, 10)
    with reverts(PoolIneligible, poolId=pool_id, batchId=gs, rule=5):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, gs, 1, 10))
    # The list given is the one the kind then has: it shrinks (and may grow no more) as before.
    pools.admin.unlist_pool(pool_id, PoolKind.COUNTRY, ["ET"])
    bridge_range(pools, 11, 20)
    with reverts(PoolIneligible, poolId=pool_id, batchId=3, rule=5):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 3, 11, 20))
    check_pool(pools, pool_id)


def test_tightening_to_only_listed_with_an_empty_list(pools: Ledger) -> None:
    """It would close the kind by accident: the pool would admit none of it."""
    pool_id, _ = make_pool(pools)
    new = PoolRules(frozenset({1}), type_mode=PoolMode.EXCEPT, methodology_mode=PoolMode.ONLY)
    with reverts(PoolListEmpty, poolId=pool_id, kind=2):
        attempt(pools.admin, _tighten_fn(pools, pool_id, new, [], ["REDD"]))
    with pytest.raises(PoolListEmpty) as info:
        pools.admin.tighten_pool(pool_id, new, project_types=["REDD"])
    assert str(info.value).endswith(
        "pool 1's methodology rule would become 'only listed' with an empty list, admitting "
        "no methodology: give the list in the same tightening"
    )
    assert pools.admin.pool(pool_id).rules == ALL_VCS


@pytest.mark.parametrize(
    ("old", "lists", "kind"),
    [
        (PoolRules(frozenset({1})), ([], ["REDD"], []), 1),
        (PoolRules(frozenset({1}), country_mode=PoolMode.ONLY), (["KE"], [], []), 0),
        (PoolRules(frozenset({1}), methodology_mode=PoolMode.EXCEPT), ([], [], ["VM0007"]), 2),
    ],
    ids=["kind_staying_any", "kind_already_only", "kind_already_except"],
)
def test_tightening_lists_a_kind_it_does_not_move_from_any(
    pools: Ledger, old: PoolRules, lists: tuple[list[str], ...], kind: int
) -> None:
    """Only a kind leaving any takes its list here; the others change by list/unlistPool."""
    pool_id, _ = make_pool(
        pools,
        old,
        countries=["ET"] if kind == 0 else [],
        methodologies=["VM0015"] if kind == 2 else [],
    )
    with reverts(InvalidPoolList, poolId=pool_id, kind=kind):
        attempt(pools.admin, _tighten_fn(pools, pool_id, old, *lists))


@pytest.mark.parametrize(
    ("value", "error", "arguments"),
    [
        ("", TextBlank, {"field": "country"}),
        ("  ", TextBlank, {"field": "country"}),
        ("E\u202eT", TextNotAllowed, {"field": "country", "offset": 1}),
        ("K" * 65, TextTooLong, {"field": "country", "length": 65, "maxLength": 64}),
    ],
    ids=["empty", "blank", "bidi_override", "too_long"],
)
def test_tightening_refuses_a_list_value_that_is_not_acceptable_text(
    pools: Ledger, value: str, error: type[Any], arguments: dict[str, Any]
) -> None:
    pool_id, _ = make_pool(pools)
    new = PoolRules(frozenset({1}), country_mode=PoolMode.ONLY)
    with reverts(error, **arguments):
        attempt(pools.admin, _tighten_fn(pools, pool_id, new, ["ET", value]))


def test_lists_only_shrink_an_only_list_and_grow_an_except_list(pools: Ledger) -> None:
    rules = PoolRules(frozenset({1}), country_mode=PoolMode.ONLY, type_mode=PoolMode.EXCEPT)
    pool_id, _ = make_pool(pools, rules, countries=["ET", "KE"], project_types=["REDD"])
    fn = pools.admin.contract.functions
    with reverts(InvalidPoolList, poolId=pool_id, kind=0):
        attempt(pools.admin, fn.listPool(pool_id, 0, ["CN"]))
    with reverts(InvalidPoolList, poolId=pool_id, kind=1):
        attempt(pools.admin, fn.unlistPool(pool_id, 1, ["REDD"]))
    with reverts(InvalidPoolList, poolId=pool_id, kind=2):
        attempt(pools.admin, fn.listPool(pool_id, 2, ["VM0015"]))
    pools.admin.unlist_pool(pool_id, PoolKind.COUNTRY, ["ET"])
    assert not pools.admin.pool_listed(pool_id, PoolKind.COUNTRY, "ET")
    bridge_range(pools, 1, 10)
    with reverts(PoolIneligible, poolId=pool_id, batchId=1, rule=5):
        attempt(pools.alice, _deposit_fn(pools, pools.alice, pool_id, 1, 1, 10))


def test_audit_verify_checks_each_pools_supply_against_its_holdings(pools: Ledger) -> None:
    from chain.verify import verify_chain

    pool_id = _fill(pools)
    pools.alice.pool_redeem(pool_id, 7)
    pools.alice.pool_retire(pool_id, 4, "Acme")
    report = verify_chain(pools.chain.w3, pools.deployment)
    assert report.ok, report.discrepancies
    assert pools.admin.pool(pool_id).supply == 14


def test_retire_a_named_range_retires_exactly_the_serials_named(pools: Ledger) -> None:
    pool_id = _fill(pools)
    request = RetirementRequest(3, 201, 203, "Acme Air", Purpose.VOLUNTARY, note="named")
    result = pools.alice.pool_retire_range(pool_id, request)
    assert _serials_moved(result) == [(3, 201, 203, addr(pools.alice), 2)]
    retired = result.event("CreditsRetired").fields
    assert retired["retirement"]["lastSerial"] == 203
    assert pools.admin.pool_ranges(pool_id)[2].first_serial == 204
    whole = RetirementRequest(3, 204, 205, "Acme Air")
    pools.alice.pool_retire_range(pool_id, whole)
    assert [r.batch_id for r in pools.admin.pool_ranges(pool_id)] == [2, 2, 1]
    check_pool(pools, pool_id)


def test_retire_a_named_range_not_from_its_lowest_serial(pools: Ledger) -> None:
    pool_id = _fill(pools)
    key = pools.admin.pool_key(3, 205)
    request = RetirementRequest(3, 202, 203, "Acme Air")
    fn = pools.alice.contract.functions.poolRetireRange(pool_id, key, 0, request.as_abi())
    with reverts(InvalidRangeHint, batchId=3, rangeStart=202):
        attempt(pools.alice, fn)


def test_retire_a_named_range_naming_another_batch_or_past_its_end(pools: Ledger) -> None:
    pool_id = _fill(pools)
    fn = pools.alice.contract.functions
    key = pools.admin.pool_key(3, 205)
    # Batch 1's serials 201..203 do not exist: the range's batch is in its key.
    request = RetirementRequest(1, 201, 203, "Acme Air")
    with reverts(InvalidRangeHint, batchId=1, rangeStart=201):
        attempt(pools.alice, fn.poolRetireRange(pool_id, key, 0, request.as_abi()))
    # Batch 2's first range is 101..105; 101..110 runs into its next range.
    key = pools.admin.pool_key(2, 105)
    token_address = pools.admin.pool(pool_id).token
    request = RetirementRequest(2, 101, 110, "Acme Air")
    with reverts(
        InsufficientPoolUnits, poolId=pool_id, account=token_address, balance=5, needed=10
    ):
        attempt(pools.alice, fn.poolRetireRange(pool_id, key, 0, request.as_abi()))
    # Serials reversed.
    request = RetirementRequest(2, 101, 100, "Acme Air")
    with reverts(InvalidRangeHint, batchId=2, rangeStart=101):
        attempt(pools.alice, fn.poolRetireRange(pool_id, key, 0, request.as_abi()))
