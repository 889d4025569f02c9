"""What writes read from the ledger before sending: programmes, projects, accounts, holdings.

All reads go through the pipeline's ``Node`` (raw ``eth_call``; thread-safe on every backend).
Facts that only ever become true (a programme's id, a registered project) and allowlisting
(briefly) are cached, so the issuance hot path usually reads nothing at all.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from web3 import Web3

from api.submission import calls
from api.submission.model import Settled
from api.submission.node import Node
from chain.domain import HoldingRange, RangeState, program_code
from chain.store import schema as s

ALLOWED_TTL_S = 10.0
RANGE_PAGE = 64


class Views:
    def __init__(self, node: Node, contract: str) -> None:
        self.node = node
        self.contract = contract
        self._programs: dict[str, int] = {}
        self._projects: set[bytes] = set()
        self._registering: dict[bytes, tuple[str, Future[Settled]]] = {}
        self._allowed: dict[str, float] = {}
        self._lock = threading.Lock()

    def _call(self, name: str, *args: object) -> tuple[Any, ...]:
        return calls.result(name, self.node.call(self.contract, calls.calldata(name, *args)))

    def read(self, name: str, *args: object) -> tuple[Any, ...]:
        """Any ledger view, uncached (the pool writes read their hints and rules with it)."""
        return self._call(name, *args)

    # ------------------------------------------------------------ programmes and projects

    def program_id(self, code: str) -> int:
        """The programme's id (0 if it is not registered)."""
        found = self._programs.get(code)
        if found is None:
            found = int(self._call("programIdOf", program_code(code))[0])
            if found:
                self._programs[code] = found
        return found

    def known_project(self, key: bytes) -> bool:
        """Registered, as far as this server has seen (no call)."""
        return key in self._projects

    def project_registered(self, key: bytes) -> bool:
        if key in self._projects:
            return True
        if int(self._call("projectProgram", key)[0]) != 0:
            self._projects.add(key)
            return True
        return False

    def registration(self, key: bytes) -> tuple[str, Future[Settled]] | None:
        """The in-flight registration of project ``key``: (sender, its future)."""
        with self._lock:
            return self._registering.get(key)

    def registering(self, key: bytes, sender: str, done: Future[Settled]) -> bool:
        """Record that ``sender`` registers ``key``; ``False`` if someone already does."""
        with self._lock:
            if key in self._registering:
                return False
            self._registering[key] = (sender, done)

        def finished(future: Future[Settled]) -> None:
            settled = future.result()
            error = settled.body.get("error") if settled.state == "failed" else None
            if settled.state == "confirmed" or error == "ProjectAlreadyRegistered":
                self._projects.add(key)
            with self._lock:
                self._registering.pop(key, None)

        done.add_done_callback(finished)
        return True

    def warm(self, program: str, account: str) -> bool:
        """Whether ``program_id(program)`` and ``allowed(account)`` would answer from memory."""
        remembered = self._allowed.get(account.lower(), -ALLOWED_TTL_S)
        return program in self._programs and time.monotonic() - remembered < ALLOWED_TTL_S

    # ------------------------------------------------------------ accounts

    def allowed(self, account: str) -> tuple[bool, bool]:
        """(allowlisted, frozen); an allowlisted, unfrozen account is remembered briefly."""
        account = account.lower()
        if time.monotonic() - self._allowed.get(account, -ALLOWED_TTL_S) < ALLOWED_TTL_S:
            return True, False
        (status,) = self._call("accountStatus", Web3.to_checksum_address(account))
        allowed, frozen = bool(status[0]), bool(status[1])
        if allowed and not frozen:
            self._allowed[account] = time.monotonic()
        return allowed, frozen

    def nonce(self, account: str) -> int:
        return int(self._call("nonces", Web3.to_checksum_address(account))[0])

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self._call("hasRole", role, Web3.to_checksum_address(account))[0])

    def issuer_role(self, program_id: int) -> bytes:
        return bytes(self._call("issuerRole", program_id)[0])

    # ------------------------------------------------------------ holdings

    def balance(self, account: str, batch_id: int) -> int:
        (held,) = self._call("balanceOf", Web3.to_checksum_address(account), batch_id)
        return int(held)

    def batch_program(self, batch_id: int) -> int:
        """The id of the programme a batch belongs to (the contract refuses an unknown batch:
        ``UnknownBatch``)."""
        (record,) = self._call("batch", batch_id)
        return int(record[0])

    def locate(self, batch_id: int, serial: int) -> HoldingRange:
        """The holding range ``serial`` lies in (the contract reverts for a serial outside)."""
        start, (holder, last, state) = self._call("locateSerial", batch_id, serial)
        return HoldingRange(int(start), int(last), str(holder).lower(), RangeState(state))

    def ranges(self, batch_id: int) -> list[HoldingRange]:
        """Every holding range of the batch, from the contract, in serial order."""
        (record,) = self._call("batch", batch_id)
        first, quantity = int(record[3]), int(record[4])
        out: list[HoldingRange] = []
        start = first
        while start <= first + quantity - 1:
            starts, found = self._call("rangesFrom", batch_id, start, RANGE_PAGE)
            for at, (holder, last, state) in zip(starts, found, strict=True):
                out.append(HoldingRange(int(at), int(last), str(holder).lower(), RangeState(state)))
            start = out[-1].last + 1
        return out

    def held_ranges(
        self, engine: Engine, account: str, batch_id: int, quantity: int
    ) -> list[HoldingRange]:
        """``account``'s live ranges of the batch, lowest first, enough for ``quantity`` if it
        holds that many: from the query store's index, each range checked against the
        contract; the contract's own list when the store lags or disagrees."""
        account = account.lower()
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(s.serial_ranges.c.first_serial, s.serial_ranges.c.last_serial)
                .where(
                    s.serial_ranges.c.holder == account,
                    s.serial_ranges.c.batch_id == batch_id,
                    s.serial_ranges.c.state == int(RangeState.HELD),
                )
                .order_by(s.serial_ranges.c.first_serial)
            ).all()
        checked: list[HoldingRange] = []
        total = 0
        for first, last in rows:
            (on_chain,) = self._call("rangeAt", batch_id, first)
            holder, chain_last, state = on_chain
            if (
                str(holder).lower() != account
                or int(chain_last) != last
                or state != RangeState.HELD
            ):
                break  # the store is behind: ask the contract
            checked.append(HoldingRange(int(first), int(last), account, RangeState.HELD))
            total += last - first + 1
            if total >= quantity:
                return checked
        return [
            r for r in self.ranges(batch_id) if r.holder == account and r.state == RangeState.HELD
        ]
