"""Pool operations on a test ledger (``AnvilLedger``), straight through the contract's ABI:
the mirror's tests need the events, not a client (the client's pool methods are the contract
helper's). Units move through the pool's own ERC-20 (``PoolToken``), as a wallet would."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from web3 import Web3
from web3.contract import Contract

from chain.artifacts import load_artifact
from chain.client import LedgerClient, TxResult
from chain.domain import Label, Purpose, RangeState
from tests.chain.indexer.support import AnvilLedger

POOL_NAME = "Naturbasierte Gutschriften — 自然碳汇 ñ 🌳"
LONG_SYMBOL = "Ω" * 32  # 64 bytes of UTF-8: the longest symbol the contract accepts


def rules(
    programmes: tuple[int, ...],
    vintage_from: int = 0,
    vintage_to: int = 0,
    labels: int = 0,
    modes: tuple[int, int, int] = (0, 0, 0),
) -> tuple[int, int, int, int, int, int, int]:
    bitmap = sum(1 << p for p in programmes)
    return (bitmap, vintage_from, vintage_to, labels, *modes)


def _send(client: LedgerClient, fn: str, *args: Any) -> TxResult:
    return client._transact(getattr(client.contract.functions, fn)(*args))


def enable_pools(ledger: AnvilLedger) -> None:
    """The admin may create and tighten pools."""
    admin = ledger.admin
    if not admin.has_role(admin.role("POOL_ADMIN_ROLE"), admin.account):
        admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)


def create_pool(
    ledger: AnvilLedger,
    pool_rules: tuple[int, ...],
    *,
    name: str = POOL_NAME,
    symbol: str = LONG_SYMBOL,
    countries: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    methodologies: tuple[str, ...] = (),
) -> tuple[int, str]:
    """(pool id, token address) of a new pool."""
    enable_pools(ledger)
    result = _send(
        ledger.admin,
        "createPool",
        name,
        symbol,
        pool_rules,
        list(countries),
        list(types),
        list(methodologies),
    )
    (created,) = [e for e in result.events if e.name == "PoolCreated"]
    return int(created.fields["poolId"]), str(created.fields["token"])


def deposit(client: LedgerClient, pool_id: int, batch_id: int, first: int, last: int) -> TxResult:
    """Deposit the client's ``first..last`` of ``batch_id``, finding both hints."""
    start = next(
        r.first
        for r in client.ranges(batch_id)
        if r.first <= first <= r.last and r.state == RangeState.HELD
    )
    f = client.contract.functions
    key = f.poolKey(batch_id, last).call()
    hint = f.findPoolHint(pool_id, key, 0).call()
    return _send(client, "poolDeposit", pool_id, batch_id, first, last, start, hint)


def redeem(client: LedgerClient, pool_id: int, units: int) -> TxResult:
    return _send(client, "poolRedeem", pool_id, units)


def retire(
    client: LedgerClient,
    pool_id: int,
    units: int,
    beneficiary: str = "Bénéficiaire 受益人",
    purpose: Purpose = Purpose.VOLUNTARY,
) -> TxResult:
    return _send(client, "poolRetire", pool_id, units, beneficiary, int(purpose), "", 0, 0, "")


def tighten(
    ledger: AnvilLedger,
    pool_id: int,
    pool_rules: tuple[int, ...],
    *,
    countries: tuple[str, ...] = (),
    types: tuple[str, ...] = (),
    methodologies: tuple[str, ...] = (),
) -> TxResult:
    """Tighten; the lists are those of the kinds the rules move from any."""
    lists = (list(countries), list(types), list(methodologies))
    return _send(ledger.admin, "tightenPool", pool_id, pool_rules, *lists)


def unlist(ledger: AnvilLedger, pool_id: int, kind: int, values: list[str]) -> TxResult:
    return _send(ledger.admin, "unlistPool", pool_id, kind, values)


def token(client: LedgerClient, address: str) -> Contract:
    return client.w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load_artifact("PoolToken").abi
    )


def token_call(client: LedgerClient, address: str, fn: str, *args: Any) -> None:
    """``transfer``, ``transferFrom`` or ``approve`` on the pool's ERC-20, as ``client``."""
    assert client.sender is not None
    client.sender.transact(getattr(token(client, address).functions, fn)(*args))


def bridge_vintage(
    ledger: AnvilLedger,
    quantity: int,
    recipient: str,
    vintage: dt.date,
    *,
    gs: bool = False,
    labels: Label = Label.NONE,
) -> int:
    """A batch of ``vintage`` (the fixture's are all 2020)."""
    issuance = dataclasses.replace(
        ledger.issuance(quantity, recipient, gs=gs, labels=labels),
        vintage_start=vintage,
        vintage_end=vintage.replace(month=12, day=31),
    )
    issuer = ledger.gs_issuer if gs else ledger.issuer
    return issuer.bridge(issuance).batch_id


def pool_view(client: LedgerClient, pool_id: int) -> tuple[int, int]:
    """(supply, ranges) from the contract's ``pool`` view."""
    v = client.contract.functions.pool(pool_id).call()
    return int(v[2]), int(v[3])


def unit_balance(client: LedgerClient, pool_id: int, account: str) -> int:
    return int(
        client.contract.functions.poolUnitBalance(pool_id, Web3.to_checksum_address(account)).call()
    )


def allowance(client: LedgerClient, pool_id: int, owner: str, spender: str) -> int:
    return int(
        client.contract.functions.poolUnitAllowance(
            pool_id, Web3.to_checksum_address(owner), Web3.to_checksum_address(spender)
        ).call()
    )


def pool_life(ledger: AnvilLedger) -> tuple[int, str]:
    """A pool's life on the ledger: created with lists and a Unicode name; deposits from
    three batches of two vintages and two programmes; units moved by ERC-20 transfer, an
    unlimited and a limited approve and transferFrom; a kilogram programme's unit; a redeem and a retirement across
    ranges in redeem order; a tightening listing the project types it moves from any, and a
    list change. Returns (pool id, token)."""
    a, b, c, d = ledger.alice, ledger.bob, ledger.carol, ledger.dave
    kilograms = ledger.admin.register_program("KGM")
    _send(ledger.admin, "setProgramUnit", kilograms, 1000)  # its serials are kilograms
    old = bridge_vintage(ledger, 500, a.account, dt.date(2016, 7, 1))
    new = bridge_vintage(ledger, 1000, a.account, dt.date(2021, 1, 1))
    gs = bridge_vintage(ledger, 300, b.account, dt.date(2019, 3, 1), gs=True)
    pool_id, address = create_pool(
        ledger,
        rules((ledger.vcs, ledger.gs), vintage_from=20150101, modes=(2, 0, 0)),
        countries=("BR", "Côte d'Ivoire"),
    )
    first = {n: ledger.admin.batch(n).first_serial for n in (old, new, gs)}
    deposit(a, pool_id, new, first[new], first[new] + 99)
    deposit(a, pool_id, old, first[old] + 10, first[old] + 59)
    deposit(b, pool_id, gs, first[gs], first[gs] + 199)
    deposit(a, pool_id, new, first[new] + 100, first[new] + 149)
    token_call(a, address, "transfer", Web3.to_checksum_address(c.account), 40)
    token_call(a, address, "approve", Web3.to_checksum_address(d.account), 2**256 - 1)
    token_call(
        d,
        address,
        "transferFrom",
        Web3.to_checksum_address(a.account),
        Web3.to_checksum_address(b.account),
        25,
    )
    token_call(b, address, "approve", Web3.to_checksum_address(c.account), 30)
    token_call(
        c,
        address,
        "transferFrom",
        Web3.to_checksum_address(b.account),
        Web3.to_checksum_address(d.account),
        30,
    )
    redeem(c, pool_id, 40)  # 40 of the 2016 batch's 50 (oldest vintage first), then ...
    retire(b, pool_id, 120)  # ... its last 10 and the 2019 GS batch's first 110
    tighten(
        ledger,
        pool_id,
        rules((ledger.vcs, ledger.gs), vintage_from=20160101, vintage_to=20251231, modes=(2, 1, 0)),
        types=("AFOLU", "Energy efficiency"),
    )
    _send(ledger.admin, "listPool", pool_id, 0, ["ET"])
    return pool_id, address
