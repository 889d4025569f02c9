"""The pool operations of ``LedgerClient`` (a mixin): creating and tightening pools, deposits,
redemptions and retirements by units, unit transfers through the pool's ERC-20, and the views.

A deposit's order hint and a named-range redemption's unlink hint are found with the ledger's
own views (``findPoolHint``), so callers name only pools, batches, serials and units. A refusal
for eligibility (``PoolIneligible``) is decoded with the rule it broke, and the client adds
what it compared (e.g. the batch's vintage against the pool's window).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

from chain.artifacts import load_artifact
from chain.domain import (
    Batch,
    Label,
    Pool,
    PoolKind,
    PoolRange,
    PoolRules,
    Purpose,
    RetirementRequest,
    date_to_int,
    int_to_date,
    label_names,
)
from chain.errors import CarbonLedgerError, ConfigurationError, PoolIneligible
from chain.transactions import TxSender

_PAGE = 64
_NODES_END = 2**192 - 1


class PoolsMixin:
    """Pool methods of ``chain.client.LedgerClient`` (which provides the attributes below)."""

    w3: Any
    contract: Contract
    sender: TxSender | None

    # Provided by LedgerClient.
    def _transact(self, fn: ContractFunction, *, gas: int | None = None) -> Any:
        raise NotImplementedError

    def _call(self, fn: ContractFunction) -> Any:
        raise NotImplementedError

    def range_start(self, batch_id: int, serial: int) -> int:
        raise NotImplementedError

    def batch(self, batch_id: int) -> Batch:
        raise NotImplementedError

    @property
    def account(self) -> str:
        raise NotImplementedError

    # ------------------------------------------------------------ governance

    def set_program_unit(self, program_id: int, unit_grams: int) -> Any:
        """As the programme's admin, before its first project: grams of CO2e one serial
        stands for (0 or 1,000,000: a tonne). Pools admit tonne programmes only."""
        return self._transact(self.contract.functions.setProgramUnit(program_id, unit_grams))

    def create_pool(
        self,
        name: str,
        symbol: str,
        rules: PoolRules,
        *,
        countries: Sequence[str] = (),
        project_types: Sequence[str] = (),
        methodologies: Sequence[str] = (),
    ) -> tuple[int, str]:
        """As a pool admin: create a pool; its id and its token's address."""
        fn = self.contract.functions.createPool(
            name,
            symbol,
            rules.as_abi(),
            list(countries),
            list(project_types),
            list(methodologies),
        )
        fields = self._transact(fn).event("PoolCreated").fields
        return int(fields["poolId"]), Web3.to_checksum_address(fields["token"])

    def tighten_pool(
        self,
        pool_id: int,
        rules: PoolRules,
        *,
        countries: Sequence[str] = (),
        project_types: Sequence[str] = (),
        methodologies: Sequence[str] = (),
    ) -> Any:
        """As a pool admin: replace a pool's rules by tighter ones. A kind whose mode leaves
        any gets its whole list here (one the rules make "only listed" must have one); the
        lists of kinds already listed change by ``list_pool`` and ``unlist_pool``."""
        fn = self.contract.functions.tightenPool(
            pool_id, rules.as_abi(), list(countries), list(project_types), list(methodologies)
        )
        return self._transact(fn)

    def list_pool(self, pool_id: int, kind: PoolKind, values: Sequence[str]) -> Any:
        """Add exclusions to an all-but-listed list."""
        return self._transact(self.contract.functions.listPool(pool_id, int(kind), list(values)))

    def unlist_pool(self, pool_id: int, kind: PoolKind, values: Sequence[str]) -> Any:
        """Remove values from an only-listed list."""
        fn = self.contract.functions.unlistPool(pool_id, int(kind), list(values))
        return self._transact(fn)

    # ------------------------------------------------------------ units

    def pool_deposit(self, pool_id: int, batch_id: int, first: int, last: int) -> Any:
        """Deposit this account's serials ``first..last`` of a batch; mints as many units."""
        start = self.range_start(batch_id, first)
        key = self.pool_key(batch_id, last)
        hint = int(self._call(self.contract.functions.findPoolHint(pool_id, key, 0)))
        fn = self.contract.functions.poolDeposit(pool_id, batch_id, first, last, start, hint)
        try:
            return self._transact(fn)
        except PoolIneligible as exc:
            exc.detail = self._ineligibility_detail(pool_id, batch_id, int(exc.arguments["rule"]))
            raise

    def pool_redeem(self, pool_id: int, units: int) -> Any:
        """Burn ``units`` for as many exact serials from the head of the pool's order."""
        return self._transact(self.contract.functions.poolRedeem(pool_id, units))

    def pool_redeem_range(self, pool_id: int, key: int, units: int) -> Any:
        """Burn ``units`` for the lowest serials of the pool's range under ``key``."""
        prev = int(self._call(self.contract.functions.findPoolHint(pool_id, key, 0)))
        fn = self.contract.functions.poolRedeemRange(pool_id, key, prev, units)
        try:
            return self._transact(fn)
        except PoolIneligible as exc:
            batch_id = key >> 64 & (2**64 - 1)
            exc.detail = self._ineligibility_detail(pool_id, batch_id, int(exc.arguments["rule"]))
            raise

    def pool_retire(
        self,
        pool_id: int,
        units: int,
        beneficiary: str,
        purpose: Purpose = Purpose.VOLUNTARY,
        *,
        jurisdiction: str = "",
        consumption_start: dt.date | None = None,
        consumption_end: dt.date | None = None,
        note: str = "",
    ) -> Any:
        """Burn ``units`` and retire as many exact serials from the head of the pool's order
        (one retirement per range, each ``CreditsRetired`` naming its serials)."""
        fn = self.contract.functions.poolRetire(
            pool_id,
            units,
            beneficiary,
            int(purpose),
            jurisdiction,
            date_to_int(consumption_start),
            date_to_int(consumption_end),
            note,
        )
        return self._transact(fn)

    def pool_retire_range(self, pool_id: int, request: RetirementRequest) -> Any:
        """Burn units and retire exactly ``request``'s serials from the pool range that starts
        at ``request.first_serial`` (serials leave a pool range from its bottom)."""
        found = [
            r
            for r in self.pool_ranges(pool_id)
            if r.batch_id == request.batch_id and r.first_serial == request.first_serial
        ]
        key = found[0].key if found else 0
        prev = int(self._call(self.contract.functions.findPoolHint(pool_id, key, 0))) if key else 0
        fn = self.contract.functions.poolRetireRange(pool_id, key, prev, request.as_abi())
        return self._transact(fn)

    def pool_token(self, pool_id: int) -> Contract:
        """The pool's ERC-20 contract (its address is the pool's ledger account)."""
        abi = load_artifact("PoolToken").abi
        return self.w3.eth.contract(address=self.pool(pool_id).token, abi=abi)  # type: ignore[no-any-return]

    def pool_transfer(self, pool_id: int, to: str, amount: int) -> Any:
        """Transfer units through the pool's ERC-20 ``transfer`` (audited by the ledger)."""
        if self.sender is None:
            raise ConfigurationError("this client is read-only: it has no signing account")
        token = self.pool_token(pool_id)
        fn = token.functions.transfer(Web3.to_checksum_address(to), amount)
        return self._transact(fn)

    # ------------------------------------------------------------ views

    def pool(self, pool_id: int) -> Pool:
        rules, token, supply, ranges = self._call(self.contract.functions.pool(pool_id))
        return Pool(
            pool_id,
            PoolRules.from_abi(rules),
            Web3.to_checksum_address(token),
            int(supply),
            int(ranges),
        )

    def pool_count(self) -> int:
        return int(self._call(self.contract.functions.poolCount()))

    def pool_of(self, account: str) -> int:
        """The pool whose account ``account`` is (0 if none)."""
        fn = self.contract.functions.poolOf(Web3.to_checksum_address(account))
        return int(self._call(fn))

    def pool_balance(self, pool_id: int, account: str) -> int:
        fn = self.contract.functions.poolUnitBalance(pool_id, Web3.to_checksum_address(account))
        return int(self._call(fn))

    def pool_listed(self, pool_id: int, kind: PoolKind, value: str) -> bool:
        return bool(self._call(self.contract.functions.poolListed(pool_id, int(kind), value)))

    def pool_key(self, batch_id: int, last_serial: int) -> int:
        return int(self._call(self.contract.functions.poolKey(batch_id, last_serial)))

    def pool_ranges(self, pool_id: int) -> list[PoolRange]:
        """Every range the pool holds, in its order (oldest vintage, batch, serial first)."""
        out: list[PoolRange] = []
        after = 0
        while True:
            fn = self.contract.functions.poolRangesFrom(pool_id, after, _PAGE)
            keys, starts = self._call(fn)
            for key, start in zip(keys, starts, strict=True):
                out.append(
                    PoolRange(
                        int(key), int(key) >> 64 & (2**64 - 1), int(start), int(key) & (2**64 - 1)
                    )
                )
            if len(keys) < _PAGE:
                return out
            after = int(keys[-1])

    def project_class(self, class_id: int) -> tuple[bytes, bytes, bytes]:
        """A project class's (country, type, methodology) tags (``chain.domain.text_tag``)."""
        country, kind, methodology = self._call(self.contract.functions.projectClass(class_id))
        return bytes(country), bytes(kind), bytes(methodology)

    def project_class_of(self, project_key: bytes) -> int:
        return int(self._call(self.contract.functions.projectClassOf(project_key)))

    def batch_class(self, batch_id: int) -> int:
        return int(self._call(self.contract.functions.batchClass(batch_id)))

    def _ineligibility_detail(self, pool_id: int, batch_id: int, rule: int) -> str:
        """What the refusing rule compared, in words (best effort: a read that fails says less)."""
        try:
            p = self.pool(pool_id).rules
            b = self.batch(batch_id)
        except CarbonLedgerError:  # the refusal itself is what matters
            return ""
        vintage = int_to_date(b.vintage_start)
        if rule == 1:
            return f"programme {b.program_id} is not among {sorted(p.programmes)}"
        if rule == 2:
            return f"vintage {vintage} is before the pool's window {p.vintage_from}"
        if rule == 3:
            return f"vintage {vintage} is after the pool's window {p.vintage_to}"
        if rule == 4:
            missing = Label(p.labels_required & ~b.labels)
            return f"missing labels {', '.join(label_names(int(missing)))}"
        return ""
