"""What a pool write sends, and what its receipt means (issue 15): a deposit of exact serials,
a redemption (from the head of the pool's order, or from a named range), a retirement by
units, and a unit transfer through the pool's ERC-20.

Hints are read when the account's turn comes (``build``), as a bridging's are: a deposit's
order hint and a named range's unlink hint depend on the pool's order at that moment. The
confirmed body names the exact serials the receipt moved, from the ledger's own events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, ClassVar

from web3 import Web3

from api.submission import calls
from api.submission.actions import ACTIONS, Context, StoredFields, serial_run, settled
from api.submission.node import Receipt
from chain.artifacts import load_artifact
from chain.events import LedgerEvent
from chain.transactions.calldata import Function, function_of
from chain.transactions.signer import Call

Read = Callable[..., tuple[Any, ...]]
"""A ledger view: ``read("poolKey", batch_id, last)`` -> its decoded results."""


def reader(ctx: Context) -> Read:
    def read(name: str, *args: Any) -> tuple[Any, ...]:
        return calls.result(name, ctx.node.call(ctx.contract, calls.calldata(name, *args)))

    return read


@cache
def token_function(name: str) -> Function:
    """A function of the pool token's ERC-20 face."""
    return function_of(load_artifact("PoolToken").abi, name)


def moved_out(events: list[LedgerEvent], token: str) -> list[dict[str, Any]]:
    """The ranges the receipt moved out of the pool's account, in order."""
    out = []
    for e in events:
        f = e.fields
        if e.name == "SerialsMoved" and str(f["from"]).lower() == token.lower():
            run = serial_run(int(f["firstSerial"]), int(f["lastSerial"]))
            out.append({"batch_id": int(f["batchId"])} | run)
    return out


class PoolAction(StoredFields):
    """A pool write: a call to the ledger (or to the pool's token) with whatever hint it needs
    read when the account's turn comes."""

    def calldata(self, read: Read) -> bytes:
        """The call, with whatever hint it needs read now through ``read``."""
        raise NotImplementedError

    def target(self, ledger: str) -> str:
        """The address the call goes to: the ledger's (``ledger``), unless said otherwise."""
        return ledger

    def build(self, ctx: Context, sender: str, attempt: int) -> Call:
        return Call(self.target(ctx.contract), self.calldata(reader(ctx)), self.gas)


@dataclass
class PoolDeposit(PoolAction):
    """Deposit the sender's serials ``first..last`` (in its holding range at ``range_start``)."""

    kind: ClassVar[str] = "pool_deposit"
    pool_id: int
    batch_id: int
    first: int
    last: int
    range_start: int
    gas: int
    response: dict[str, Any]

    def calldata(self, read: Read) -> bytes:
        (key,) = read("poolKey", self.batch_id, self.last)
        hint = int(read("findPoolHint", self.pool_id, int(key), 0)[0])
        args = (self.pool_id, self.batch_id, self.first, self.last, self.range_start, hint)
        return calls.calldata("poolDeposit", *args)


@dataclass
class PoolRedeem(PoolAction):
    """Burn ``units`` for serials from the head of the pool's order, or (``key`` not 0) from
    the range under ``key``."""

    kind: ClassVar[str] = "pool_redemption"
    pool_id: int
    units: int
    key: str
    """The named range's order key as a decimal string ("0": the head of the order)."""
    token: str
    gas: int
    response: dict[str, Any]

    def calldata(self, read: Read) -> bytes:
        key = int(self.key)
        if key == 0:
            return calls.calldata("poolRedeem", self.pool_id, self.units)
        prev = int(read("findPoolHint", self.pool_id, key, 0)[0])
        return calls.calldata("poolRedeemRange", self.pool_id, key, prev, self.units)

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        return settled(self.response | {"ranges": moved_out(receipt.events(), self.token)}, receipt)


@dataclass
class PoolRetire(PoolAction):
    """Burn ``units`` and retire as many serials from the head of the pool's order for a
    beneficiary: one retirement (and certificate) per range."""

    kind: ClassVar[str] = "pool_retirement"
    pool_id: int
    units: int
    beneficiary: str
    purpose: int
    jurisdiction: str
    consumption_start: int
    consumption_end: int
    note: str
    gas: int
    response: dict[str, Any]

    def calldata(self, read: Read) -> bytes:
        return calls.calldata(
            "poolRetire",
            self.pool_id,
            self.units,
            self.beneficiary,
            self.purpose,
            self.jurisdiction,
            self.consumption_start,
            self.consumption_end,
            self.note,
        )

    def confirmed(self, ctx: Context, receipt: Receipt) -> dict[str, Any]:
        retirements = []
        for e in receipt.events():
            if e.name != "CreditsRetired":
                continue
            rid = int(e.fields["retirementId"])
            r = e.fields["retirement"]
            run = serial_run(int(r["firstSerial"]), int(r["lastSerial"]))
            certificate = {"certificate_url": f"/v1/retirements/{rid}/certificate"}
            retirements.append({"id": rid, "batch_id": int(r["batchId"])} | run | certificate)
        return settled(self.response | {"retirements": retirements}, receipt)


@dataclass
class PoolTransfer(PoolAction):
    """Move units to another allowlisted account through the pool's ERC-20 ``transfer``."""

    kind: ClassVar[str] = "pool_transfer"
    token: str
    to: str
    units: int
    gas: int
    response: dict[str, Any]

    def calldata(self, read: Read) -> bytes:
        return token_function("transfer").calldata(Web3.to_checksum_address(self.to), self.units)

    def target(self, ledger: str) -> str:
        return Web3.to_checksum_address(self.token)


ACTIONS.update({cls.kind: cls for cls in (PoolDeposit, PoolRedeem, PoolRetire, PoolTransfer)})
