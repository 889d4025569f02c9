"""A hypothesis state machine holding one pool against the plain-Python model
(``tests.contracts.model.PoolModel``): deposits, redemptions, retirements, unit transfers and
tightenings (a country list given with them), in any order. After every step: the pool's unit
supply equals the tonnes its account holds, every batch conserves its serials (bridged = held +
retired), the pool lists its ranges in order and exactly as the model does, its country mode
and list match, balances match, and refusals name the rule (or list error) the model names."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chain.client import LedgerClient
from chain.domain import Label, PoolKind, PoolMode, PoolRules, RangeState, pool_key
from chain.errors import (
    InsufficientPoolUnits,
    InvalidPoolList,
    PoolIneligible,
    PoolListEmpty,
    PoolRulesWidened,
)
from tests.conftest import BALE, Ledger
from tests.contracts._helpers import bridge_range, invariants  # noqa: F401  (autouse fixture)
from tests.contracts.model import POOL, PoolBatch, PoolModel

HOLDERS = ("alice", "bob", "carol")
# (first, last, vintage year, labels): bridged to alice, bob, carol in turn.
BATCHES = (
    (1, 40, 2019, Label.CCP_APPROVED),
    (101, 130, 2017, Label.NONE),
    (201, 250, 2017, Label.CCP_APPROVED | Label.CORSIA_ELIGIBLE),
    (301, 320, 2021, Label.CCP_APPROVED),
    (401, 430, 2015, Label.CCP_APPROVED),
)


class PoolMachine(RuleBasedStateMachine):
    def __init__(self, ledger: Ledger) -> None:
        super().__init__()
        self.ledger = ledger
        self.snapshot = ledger.chain.snapshot()
        admin = ledger.admin
        admin.grant_role(admin.role("POOL_ADMIN_ROLE"), admin.account)
        self.batches: dict[int, PoolBatch] = {}
        for n, (first, last, year, labels) in enumerate(BATCHES):
            holder = HOLDERS[n % len(HOLDERS)]
            batch_id = bridge_range(
                ledger,
                first,
                last,
                self.client(holder),
                vintage_start=dt.date(year, 1, 1),
                vintage_end=dt.date(year, 12, 31),
                labels=labels,
            )
            b = PoolBatch(
                batch_id, ledger.vcs, year * 10000 + 101, int(labels), first, last, BALE.country
            )
            b.runs[holder] = [(first, last)]
            self.batches[batch_id] = b
        self.pool_id, self.token = admin.create_pool(
            "Pool", "P", PoolRules(frozenset({ledger.vcs}), vintage_from=dt.date(2016, 1, 1))
        )
        self.model = PoolModel(self.pool_id, frozenset({ledger.vcs}), vintage_from=20160101)

    def teardown(self) -> None:
        self.ledger.chain.revert(self.snapshot)
        self.ledger.admin._parts.refresh()
        self.ledger.nonces.reset()

    def client(self, name: str) -> LedgerClient:
        client: LedgerClient = getattr(self.ledger, name)
        return client

    def moved_runs(self, result: Any) -> list[tuple[int, int, int, int]]:
        return [
            (
                e.fields["batchId"],
                e.fields["firstSerial"],
                e.fields["lastSerial"],
                e.fields["state"],
            )
            for e in result.events
            if e.name == "SerialsMoved"
        ]

    # ------------------------------------------------------------ rules

    @rule(data=st.data())
    def deposit(self, data: st.DataObject) -> None:
        holder = data.draw(st.sampled_from(HOLDERS), label="holder")
        owned = [b for b in self.batches.values() if b.runs.get(holder)]
        if not owned:
            return
        b = data.draw(st.sampled_from(owned), label="batch")
        first, last = min(b.runs[holder])
        n = data.draw(st.integers(1, last - first + 1), label="tonnes")
        rule_code = self.model.refusing_rule(b)
        client = self.client(holder)
        if rule_code:
            try:
                client.pool_deposit(self.pool_id, b.batch_id, first, first + n - 1)
            except PoolIneligible as exc:
                assert exc.arguments["rule"] == rule_code
                return
            raise AssertionError(f"batch {b.batch_id} was deposited against rule {rule_code}")
        result = client.pool_deposit(self.pool_id, b.batch_id, first, first + n - 1)
        self.model.deposit(holder, b, n)
        assert self.moved_runs(result) == [(b.batch_id, first, first + n - 1, RangeState.HELD)]

    @rule(data=st.data(), retire=st.booleans())
    def take(self, data: st.DataObject, retire: bool) -> None:
        holder = data.draw(st.sampled_from(HOLDERS), label="holder")
        balance = self.model.balances.get(holder, 0)
        units = data.draw(st.integers(1, balance + 1), label="units")
        client = self.client(holder)
        if units > balance:
            try:
                client.pool_redeem(self.pool_id, units)
            except InsufficientPoolUnits:
                return
            raise AssertionError("redeemed more units than held")
        if retire:
            result = client.pool_retire(self.pool_id, units, "Acme")
        else:
            result = client.pool_redeem(self.pool_id, units)
        runs = self.model.take(holder, units, self.batches)
        state = RangeState.RETIRED if retire else RangeState.HELD
        assert self.moved_runs(result) == [(b, f, last, state) for b, f, last in runs]
        for batch_id, first, last in runs:
            b = self.batches[batch_id]
            if retire:
                b.retired += last - first + 1
            else:
                b.give(holder, (first, last))

    @rule(data=st.data())
    def transfer_units(self, data: st.DataObject) -> None:
        sender, to = data.draw(st.permutations(HOLDERS), label="who")[:2]
        balance = self.model.balances.get(sender, 0)
        units = data.draw(st.integers(0, balance), label="units")
        self.client(sender).pool_transfer(self.pool_id, self.client(to).account, units)
        self.model.transfer(sender, to, units)

    @precondition(lambda self: not self.model.labels_required)
    @rule(data=st.data())
    def tighten(self, data: st.DataObject) -> None:
        year = data.draw(st.sampled_from((2016, 2017, 2018, 2020)), label="from")
        labels = data.draw(st.sampled_from((Label.NONE, Label.CCP_APPROVED)), label="labels")
        # A country list only where the mode leaves any, and perhaps none at all: "only" with
        # none is refused (PoolListEmpty) rather than closing the pool to every country.
        mode = PoolMode(self.model.country_mode) or data.draw(st.sampled_from(PoolMode), "mode")
        countries = data.draw(st.lists(st.sampled_from(("ET", "KE")), unique=True), "countries")
        start = year * 10000 + 101
        new = PoolRules(
            frozenset({self.ledger.vcs}),
            vintage_from=dt.date(year, 1, 1),
            labels_required=labels,
            country_mode=mode,
        )
        admin = self.ledger.admin
        if start < self.model.vintage_from:
            try:
                admin.tighten_pool(self.pool_id, new, countries=countries)
            except PoolRulesWidened as exc:
                assert exc.arguments["rule"] == 2
                return
            raise AssertionError("a widening tightening was accepted")
        refused = self.model.tighten_countries(int(mode), countries)
        if refused:
            try:
                admin.tighten_pool(self.pool_id, new, countries=countries)
            except (PoolListEmpty, InvalidPoolList) as exc:
                assert (exc.error_name, exc.arguments) == (
                    refused,
                    {"poolId": self.pool_id, "kind": 0},
                )
                return
            raise AssertionError(f"a tightening the model refuses ({refused}) was accepted")
        admin.tighten_pool(self.pool_id, new, countries=countries)
        self.model.vintage_from, self.model.labels_required = start, int(labels)

    # ------------------------------------------------------------ invariants

    @invariant()
    def pool_matches_the_model(self) -> None:
        admin = self.ledger.admin
        self.model.check_invariants(self.batches)
        pool = admin.pool(self.pool_id)
        assert pool.supply == self.model.supply
        assert pool.rules.country_mode == self.model.country_mode
        for country in ("ET", "KE"):
            listed_here = admin.pool_listed(self.pool_id, PoolKind.COUNTRY, country)
            assert listed_here == (country in self.model.countries)
        ranges = admin.pool_ranges(self.pool_id)
        listed = [(r.batch_id, r.first_serial, r.last_serial) for r in ranges]
        assert listed == [(b, f, last) for _v, b, f, last in self.model.order]
        keys = [r.key for r in ranges]
        assert keys == [
            pool_key(dt.date(v // 10000, v // 100 % 100, v % 100), b, last)
            for v, b, _f, last in self.model.order
        ]
        for name in HOLDERS:
            account = self.client(name).account
            assert admin.pool_balance(self.pool_id, account) == self.model.balances.get(name, 0)
        for b in self.batches.values():
            on_chain = admin.batch(b.batch_id)
            assert on_chain.retired == b.retired
            assert admin.balance_of(pool.token, b.batch_id) == b.held_by(POOL)
            for name in HOLDERS:
                assert admin.balance_of(self.client(name).account, b.batch_id) == b.held_by(name)


def test_pools_hold_against_the_model(ledger: Ledger) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(
        lambda: PoolMachine(ledger),
        settings=settings(
            max_examples=8,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
