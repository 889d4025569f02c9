"""A pool action rebuilt from its stored ``request`` JSON (after a restart) is the same action
and sends the same call, with its hints read afresh through the ledger's views; and a receipt
is read into the exact serials it moved."""

from __future__ import annotations

import json
from typing import Any

import pytest

from api.submission import calls
from api.submission.actions import ACTIONS, Action
from api.submission.pool_actions import (
    PoolDeposit,
    PoolRedeem,
    PoolRetire,
    PoolTransfer,
    moved_out,
    token_function,
)
from chain.events import LedgerEvent

HOLDER = "0x" + "ab" * 20
TOKEN = "0x" + "70" * 20
KEY = 2**200 + 7


def read(name: str, *args: Any) -> tuple[Any, ...]:
    """Views as the ledger answers them: a fixed key, and a hint one below it."""
    return {"poolKey": (KEY,), "findPoolHint": (KEY - 1,)}[name]


def _rebuilt(action: Action) -> Action:
    stored = json.loads(json.dumps(action.request()))  # as the submissions row holds it
    return ACTIONS[action.kind].from_request(stored)


ACTIONS_TO_REBUILD = [
    PoolDeposit(3, 7, 10, 19, 5, 120_000, {"units": 10}),
    PoolRedeem(3, 25, "0", TOKEN, 130_000, {"units": 25}),
    PoolRedeem(3, 25, str(KEY), TOKEN, 130_000, {"units": 25}),
    PoolRetire(3, 2**63, "Bénéficiaire 受益人", 1, "DE", 20240101, 20241231, "n", 150_000, {}),
    PoolTransfer(TOKEN, HOLDER, 4, 90_000, {"to": HOLDER}),
]


@pytest.mark.parametrize(
    "action",
    ACTIONS_TO_REBUILD,
    ids=["deposit", "redeem-head", "redeem-named-range", "retire-huge-units", "transfer"],
)
def test_a_rebuilt_pool_action_is_the_same_call(action: Action) -> None:
    again = _rebuilt(action)
    assert type(again) is type(action)
    assert again.request() == action.request()
    assert again.calldata(read) == action.calldata(read)  # type: ignore[attr-defined]


def test_the_hints_are_read_when_the_call_is_built() -> None:
    deposit = PoolDeposit(3, 7, 10, 19, 5, 1, {})
    assert deposit.calldata(read) == calls.calldata("poolDeposit", 3, 7, 10, 19, 5, KEY - 1)
    named = PoolRedeem(3, 25, str(KEY), TOKEN, 1, {})
    assert named.calldata(read) == calls.calldata("poolRedeemRange", 3, KEY, KEY - 1, 25)
    head = PoolRedeem(3, 25, "0", TOKEN, 1, {})
    assert head.calldata(read) == calls.calldata("poolRedeem", 3, 25)
    transfer = PoolTransfer(TOKEN, HOLDER, 4, 1, {})
    assert transfer.calldata(read)[:4] == token_function("transfer").selector


def _moved(sender: str, first: int, last: int) -> LedgerEvent:
    fields = {"batchId": 7, "from": sender, "to": HOLDER, "firstSerial": first, "lastSerial": last}
    return LedgerEvent(
        name="SerialsMoved",
        seq=1,
        block_number=1,
        block_hash="0x",
        tx_hash="0x",
        tx_index=0,
        log_index=0,
        fields=fields,
        topics=(),
        data=b"",
    )


def test_a_receipt_names_only_the_serials_that_left_the_pool() -> None:
    events = [_moved(TOKEN.upper().replace("0X", "0x"), 10, 19), _moved(HOLDER, 1, 2)]
    assert moved_out(events, TOKEN) == [
        {"batch_id": 7, "first_serial": 10, "last_serial": 19, "quantity": 10}
    ]
