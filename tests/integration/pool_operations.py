"""Pool operations for the pipeline property test (issue 15): drawn like every other
operation (``operations``), mostly valid, with adversarial values in every field: pools
created with hostile names, symbols, rules and lists; programme units; deposits of held
serials (with the order hint the mirror computes, sometimes a lie); redemptions and
retirements by units; unit transfers, approvals and transfers on allowance through the
pool's own ERC-20; tightenings that may widen (and be refused), with the lists of the kinds
they move from any (or lists the ledger refuses); list changes.
"""

from __future__ import annotations

from hypothesis import strategies as st

from chain.canonical import NAME, NOTE, SHORT_TEXT
from tests.integration import hostile
from tests.integration.mirror import POOL_ADMIN_ROLE, ZERO, Mirror, program_admin_role
from tests.integration.operations import (
    Actors,
    Call,
    Draw,
    _admin_of,
    _holder,
    _program,
    _span,
    _usually,
)

POOL_PERCENT = 12
"""Of the operations after setup, the percentage that are pool operations."""

MAX_UINT256 = 2**256 - 1


def _pool(draw: Draw, m: Mirror) -> int:
    return int(_usually(draw, sorted(m.pools), [0, len(m.pools) + 1, 2**32 - 1], 95))


def _rules(draw: Draw, m: Mirror) -> tuple[int, int, int, int, int, int, int]:
    registered = sorted(m.programmes)
    if registered and draw(st.integers(0, 1)) == 0:  # half the pools admit every programme
        return (sum(1 << p for p in registered if p < 256), 0, 0, 0, 0, 0, 0)
    chosen = (
        draw(st.lists(st.sampled_from(registered), min_size=1, max_size=3)) if registered else []
    )
    programmes = sum(1 << p for p in chosen if p < 256)
    if draw(st.integers(0, 99)) >= 94:
        programmes = draw(st.sampled_from([0, 1, MAX_UINT256, 1 << 255, 1 << 44]))
    dates = [0, 0, 0, 19000101, 20150101, 20200101, 20991231]
    window = [draw(st.sampled_from(dates)) for _ in range(2)]
    if draw(st.integers(0, 99)) >= 90:
        window = [draw(hostile.date()), draw(hostile.date())]  # any order, any date
    elif window[1]:
        window.sort()  # from <= to, and an open start stays open
        window = [window[0], window[1]] if window[0] else [0, window[1]]
    return (
        programmes,
        window[0],
        window[1],
        draw(hostile.labels()),
        # Mostly all-but-listed (2), then only-listed (1) and any (0); rarely no mode at all.
        *(draw(st.integers(0, 99).map(lambda r: 2 - r % 3 if r < 97 else 3 + r)) for _ in range(3)),
    )  # type: ignore[return-value]


def _values(draw: Draw, mode: int) -> list[bytes]:
    """A rule list: mostly values for a mode that reads one, sometimes one it refuses."""
    if mode == 0 and draw(st.integers(0, 19)) < 19:
        return []
    return list(draw(st.lists(hostile.text(SHORT_TEXT), max_size=3)))


def create_pool(draw: Draw, m: Mirror, a: Actors) -> Call:
    rules = _rules(draw, m)
    name, symbol = draw(hostile.text(NAME)), draw(hostile.text(SHORT_TEXT))
    lists = [_values(draw, mode) for mode in rules[4:]]
    sender = _admin_of(draw, m, POOL_ADMIN_ROLE, a)
    return Call(
        "create_pool",
        sender,
        "createPool",
        (name, symbol, rules, *lists),
        (("PoolCreated", {"name": name, "symbol": symbol, "actor": sender}),),
    )


def set_program_unit(draw: Draw, m: Mirror, a: Actors) -> Call:
    """Mostly for a programme whose unit may still change: no project, in no pool's rules."""
    pooled = 0
    for row in m.pools.values():
        pooled |= int(row["programmes"], 16)
    used = {p["program_id"] for p in m.projects.values()}
    free = [p for p in sorted(m.programmes) if p not in used and not pooled >> p & 1]
    program = draw(st.sampled_from(free)) if free and draw(st.integers(0, 9)) < 9 else None
    if program is None:
        program = _program(draw, m)
    grams = draw(st.sampled_from([0, 0, 1000, 1_000_000, 2**32 - 1]))
    sender = _admin_of(draw, m, program_admin_role(program), a)
    expect = (("ProgramUnitSet", {"programId": program, "unitGrams": grams}),)
    return Call("program_unit", sender, "setProgramUnit", (program, grams), expect)


def tighten_pool(draw: Draw, m: Mirror, a: Actors) -> Call:
    """Mostly a real tightening, a kind moved from any given its list in the same call
    (sometimes none: "only" with none is refused); otherwise any rules and lists."""
    pool = _pool(draw, m)
    rules = _rules(draw, m)
    row = m.pools.get(pool)
    modes = ("country_mode", "type_mode", "methodology_mode")
    was = tuple(int(row[mode]) for mode in modes) if row is not None else (0, 0, 0)
    if row is not None and draw(st.integers(0, 2)) < 2:  # mostly a real tightening
        rules = (
            int(row["programmes"], 16),
            max(int(row["vintage_from"]), draw(st.sampled_from([0, 20100101, 20180101]))),
            int(row["vintage_to"]) or draw(st.sampled_from([0, 20301231])),
            int(row["labels_required"]) | draw(st.sampled_from([0, 0, 1, 4])),
            *(old or draw(st.sampled_from([0, 0, 1, 2])) for old in was),
        )  # type: ignore[assignment]
    lists = [_tightened_values(draw, old, new) for old, new in zip(was, rules[4:], strict=True)]
    sender = _admin_of(draw, m, POOL_ADMIN_ROLE, a)
    return Call("tighten_pool", sender, "tightenPool", (pool, rules, *lists))


def _tightened_values(draw: Draw, was: int, mode: int) -> list[bytes]:
    """A tightening's list for a kind: mostly values for a kind it moves from any (now and
    then none), mostly none for any other kind (which refuses one)."""
    if was == 0 and mode != 0:
        least = 0 if draw(st.integers(0, 9)) == 0 else 1
        return list(draw(st.lists(hostile.text(SHORT_TEXT), min_size=least, max_size=3)))
    return _values(draw, 0)


def list_pool(draw: Draw, m: Mirror, a: Actors) -> Call:
    """Mostly a list change the pool's mode allows: exclusions added to an all-but-listed
    list, values removed from an only-listed one; otherwise anything."""
    lists = [
        (pool, kind, int(row[mode]))
        for pool, row in sorted(m.pools.items())
        for kind, mode in enumerate(("country_mode", "type_mode", "methodology_mode"))
        if int(row[mode]) in (1, 2)
    ]
    values = list(draw(st.lists(hostile.text(SHORT_TEXT), min_size=1, max_size=2)))
    if lists and draw(st.integers(0, 4)) < 4:
        pool, kind, mode = draw(st.sampled_from(lists))
        function = "listPool" if mode == 2 else "unlistPool"
        known = [
            r["value"].encode()
            for r in m.pool_lists.values()
            if (r["pool_id"], r["kind"], r["listed"]) == (pool, kind, True)
        ]
        if mode == 1 and known:
            values = [draw(st.sampled_from(known))]
    else:
        pool = _pool(draw, m)
        kind = draw(st.integers(0, 99).map(lambda r: r % 3 if r < 97 else 3))
        function = draw(st.sampled_from(["listPool", "unlistPool"]))
    sender = _admin_of(draw, m, POOL_ADMIN_ROLE, a)
    return Call("list_pool", sender, function, (pool, kind, values))


def deposit(draw: Draw, m: Mirror, a: Actors) -> Call:
    """Serials of a held range into a pool; with none held outside the pools, a redemption
    (which gives some back) instead."""
    if m.pool_balances and not any(
        r.holder not in m.pool_tokens for b in m.batches for _, r in m.held(b)
    ):
        return redeem(draw, m, a)
    span = _span(draw, m, lambda b, h: True)
    holder = _holder(draw, span, a)
    pool = _pool(draw, m)
    hint = 0
    if span.batch in m.batches and pool in m.pools:
        hint = m.pool_hint(pool, m.pool_key(span.batch, span.last))
    if draw(st.integers(0, 99)) >= 95:
        hint = draw(st.sampled_from([0, hint + 1, MAX_UINT256]))  # a hint that lies
    amount = span.last - span.first + 1
    expect = (("PoolUnitsMoved", {"poolId": pool, "from": ZERO, "to": holder, "amount": amount}),)
    args = (pool, span.batch, span.first, span.last, span.start, hint)
    return Call("pool_deposit", holder, "poolDeposit", args, expect)


def _units_holder(draw: Draw, m: Mirror, a: Actors) -> tuple[int, str, int]:
    """A pool, an account (mostly one holding its units) and how many units it holds."""
    held = sorted(m.pool_balances)
    if held and draw(st.integers(0, 9)) < 9:
        pool, account = draw(st.sampled_from(held))
    else:
        pool, account = _pool(draw, m), draw(st.sampled_from(a.all))
    return pool, account, m.units(pool, account)


def _amount(draw: Draw, units: int) -> int:
    return int(
        draw(
            st.one_of(
                st.integers(1, max(1, units)),
                st.sampled_from([units, units + 1, 0, MAX_UINT256]),
            )
        )
    )


def redeem(draw: Draw, m: Mirror, a: Actors) -> Call:
    pool, account, units = _units_holder(draw, m, a)
    return Call("pool_redeem", account, "poolRedeem", (pool, _amount(draw, units)))


def retire(draw: Draw, m: Mirror, a: Actors) -> Call:
    pool, account, units = _units_holder(draw, m, a)
    c_start = draw(st.one_of(st.just(0), hostile.date()))
    c_end = draw(st.one_of(st.just(0), hostile.date()))
    if c_start and c_end and draw(st.integers(0, 9)) < 9:
        c_start, c_end = sorted([c_start, c_end])
    if draw(st.integers(0, 1)) == 0:  # half the time terms a retirement mostly passes
        c_start = c_end = 0
        beneficiary = draw(st.sampled_from(["Acme GmbH", "北京碳中和有限公司", "Ünïcode 🌳"]))
        terms = (beneficiary.encode(), 0, b"", 0, 0, b"")
    else:
        terms = (
            draw(hostile.text(NAME)),
            _usually(draw, [0, 3, 0, 3, 1, 2], [4, 255], 97),
            draw(hostile.text(SHORT_TEXT)),
            c_start,
            c_end,
            draw(hostile.text(NOTE)),
        )
    args = (pool, _amount(draw, units), *terms)
    return Call("pool_retire", account, "poolRetire", args)


def _token(draw: Draw, m: Mirror, pool: int) -> str:
    row = m.pools.get(pool)
    if row is None:
        return draw(st.sampled_from(sorted(m.pool_tokens) or ["0x" + "77" * 20]))
    return str(row["token"])


def unit_transfer(draw: Draw, m: Mirror, a: Actors) -> Call:
    pool, account, units = _units_holder(draw, m, a)
    to = _usually(draw, [x for x in a.holders if x != account], [account, ZERO, a[7]], 90)
    token = _token(draw, m, pool)
    return Call("unit_transfer", account, "transfer", (to, _amount(draw, units)), token=token)


def unit_approve(draw: Draw, m: Mirror, a: Actors) -> Call:
    pool, account, units = _units_holder(draw, m, a)
    spender = _usually(draw, a.holders, [ZERO, account], 95)
    amount = draw(st.sampled_from([units, 1, 0, MAX_UINT256, MAX_UINT256 - 1]))
    token = _token(draw, m, pool)
    return Call("unit_approve", account, "approve", (spender, amount), token=token)


def unit_transfer_from(draw: Draw, m: Mirror, a: Actors) -> Call:
    approvals = sorted(m.pool_approvals)
    if approvals and draw(st.integers(0, 9)) < 9:
        pool, owner, spender = draw(st.sampled_from(approvals))
    else:
        pool, owner, spender = _pool(draw, m), a.holders[0], a.holders[1]
    allowed = int(m.pool_approvals.get((pool, owner, spender), {"amount": 0})["amount"])
    amount = _amount(draw, min(allowed, m.units(pool, owner)))
    to = _usually(draw, [x for x in a.holders if x != owner], [ZERO, a[7]], 92)
    token = _token(draw, m, pool)
    return Call("unit_transfer_from", spender, "transferFrom", (owner, to, amount), token=token)


KINDS = (  # the first is drawn most (Hypothesis's simplest choice)
    (10, deposit),
    (4, redeem),
    (6, retire),
    (2, set_program_unit),
    (3, unit_transfer),
    (2, unit_approve),
    (2, unit_transfer_from),
    (2, list_pool),
    (2, create_pool),
    (2, tighten_pool),
)
_WEIGHTED = tuple(kind for weight, kind in KINDS for _ in range(weight))


def pool_call(draw: Draw, m: Mirror, a: Actors) -> Call:
    """The next pool operation; a ledger without a pool soon gets one."""
    if not m.pools and draw(st.integers(0, 1)) == 0:
        return create_pool(draw, m, a)
    return draw(st.sampled_from(_WEIGHTED))(draw, m, a)
