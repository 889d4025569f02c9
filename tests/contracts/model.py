"""A plain-Python reference model of the carbon ledger, for property-based tests.

It models what the ledger *means* (SPEC.md §1), not how CarbonLedger.sol stores it:

- a batch's serials are tiled by holding ranges ``first..last → (holder, state)``; a move takes
  ``first..last`` out of the tiling (all of it must be the mover's live credits, possibly over
  several adjacent ranges) and puts back at most three ranges: the mover's untouched left part,
  the moved range, the mover's untouched right part;
- each ``(programme, namespace)`` owns a set of bridged serial intervals that never overlap;
- roles are sets of accounts per role id, accounts carry allowlist/freeze flags.

Operations raise :class:`ModelError` with the Solidity error's name and arguments, checking in
the order the contract's interface promises (pause, then role, then request shape, then state),
and change nothing when they raise. ``audit_seq`` counts the audited events an operation emits.

Addresses are lower-case ``0x`` strings; role ids and keys are ``bytes``.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field
from typing import Any

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain.domain import Label, Purpose, RangeState

ZERO_ADDRESS = "0x" + "00" * 20
DEFAULT_ADMIN_ROLE = b"\0" * 32
COMPLIANCE_ROLE = keccak(b"COMPLIANCE_ROLE")
PAUSER_ROLE = keccak(b"PAUSER_ROLE")
_ISSUER_TAG = keccak(b"ISSUER_ROLE")

KNOWN_LABELS = int(
    Label.CORSIA_ELIGIBLE
    | Label.CCP_APPROVED
    | Label.ARTICLE6_AUTHORISED
    | Label.CORRESPONDING_ADJUSTMENT
)
MAX_QUANTITY = 2**32 - 1
MAX_SERIAL = 2**63 - 2
PARTS_HEAD = 0

CORSIA_FIRST_PHASE = 20210101
"""CORSIA retirements of vintages starting on or after this day need the corresponding
adjustment as well as eligibility."""


def required_labels(purpose: Purpose, vintage_start: int) -> int:
    """The batch labels a retirement for ``purpose`` needs."""
    adjustment = int(Label.CORRESPONDING_ADJUSTMENT)
    if purpose == Purpose.CORSIA:
        first_phase = vintage_start >= CORSIA_FIRST_PHASE
        return int(Label.CORSIA_ELIGIBLE) | (adjustment if first_phase else 0)
    if purpose == Purpose.ARTICLE6:
        return int(Label.ARTICLE6_AUTHORISED) | adjustment
    return 0


def program_admin_role(program_id: int) -> bytes:
    return keccak(encode(["bytes32", "uint16"], [keccak(b"PROGRAM_ADMIN_ROLE"), program_id]))


def issuer_role(program_id: int) -> bytes:
    """The role id that lets an account act as the issuing registry of one programme."""
    return keccak(encode(["bytes32", "uint16"], [_ISSUER_TAG, program_id]))


def project_key(program_id: int, project_id: str) -> bytes:
    return keccak(encode(["uint16", "string"], [program_id, project_id]))


def namespace_order(program_id: int, namespace: str) -> int:
    """Where a namespace sorts among all bridged parts (its 160-bit id)."""
    return int.from_bytes(keccak(encode(["uint16", "string"], [program_id, namespace]))) >> 96


def part_position(program_id: int, namespace: str, first: int) -> int:
    """Global sort key of a bridged part: namespace first, then its first serial."""
    return (namespace_order(program_id, namespace) << 64) | first


def addr(value: str) -> str:
    return value.lower()


def is_date(value: int) -> bool:
    """A calendar date YYYYMMDD in the years 1900-9999."""
    year, month, day = value // 10000, value // 100 % 100, value % 100
    if not (1900 <= year <= 9999 and 1 <= month <= 12):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return 1 <= day <= days


def is_identifier(text: str) -> bool:
    """1-64 bytes of A-Z and 0-9, with single '-', '_' or '.' between them."""
    parts = text.replace("_", "-").replace(".", "-").split("-")
    return (
        0 < len(text.encode()) <= 64
        and text.isascii()
        and all(p and all(c.isdigit() or "A" <= c <= "Z" for c in p) for p in parts)
    )


class ModelError(Exception):
    """What the contract would revert with: the Solidity error name and its arguments."""

    def __init__(self, error_name: str, **arguments: Any) -> None:
        self.error_name = error_name
        self.arguments = arguments
        shown = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        super().__init__(f"{error_name}({shown})")


@dataclass(frozen=True)
class Holding:
    """One holding range of a batch. For spent states, ``holder`` is who spent it."""

    first: int
    last: int
    holder: str
    state: RangeState

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1

    def as_tuple(self) -> tuple[int, int, str, RangeState]:
        return (self.first, self.last, self.holder, self.state)


@dataclass
class BatchModel:
    batch_id: int
    program_id: int
    namespace: str
    first: int
    last: int
    labels: int
    vintage_start: int = 20200101
    frozen: bool = False
    untouched: bool = True  # every serial still held by the first recipient, as bridged
    voided: bool = False
    holdings: list[Holding] = field(default_factory=list)
    retired: int = 0
    detokenised: int = 0
    cancelled: int = 0

    @property
    def quantity(self) -> int:
        return self.last - self.first + 1

    @property
    def held(self) -> int:
        return sum(h.quantity for h in self.holdings if h.state == RangeState.HELD)

    def index_of(self, serial: int) -> int | None:
        """Index of the holding range containing ``serial``, or None."""
        i = bisect.bisect_right([h.first for h in self.holdings], serial) - 1
        if i >= 0 and self.holdings[i].first <= serial <= self.holdings[i].last:
            return i
        return None


@dataclass(frozen=True)
class BatchTotals:
    program_id: int
    labels: int
    frozen: bool
    first_serial: int
    quantity: int
    retired: int
    detokenised: int
    cancelled: int
    vintage_start: int

    @property
    def held(self) -> int:
        return self.quantity - self.retired - self.detokenised - self.cancelled


class LedgerModel:
    """The ledger's meaning, in memory. ``admin`` is the deployer and first default admin."""

    def __init__(self, admin: str) -> None:
        self.roles: dict[bytes, set[str]] = {DEFAULT_ADMIN_ROLE: {addr(admin)}}
        self.audit_seq = 1  # the constructor's admin grant is audited
        self.paused = False
        self.programs: dict[int, bytes] = {}
        self.projects: dict[bytes, int] = {}
        self.accounts: dict[str, tuple[bool, bool]] = {}
        self.batches: dict[int, BatchModel] = {}
        self.bridged: dict[tuple[int, str], list[tuple[int, int]]] = {}
        self.retirement_count = 0
        self.nonces: dict[str, int] = {}
        self._retired_seen: dict[int, int] = {}

    # ------------------------------------------------------------ checks shared by operations

    def _require_role(self, role: bytes, account: str) -> None:
        if addr(account) not in self.roles.get(role, set()):
            raise ModelError(
                "AccessControlUnauthorizedAccount", account=addr(account), neededRole=role
            )

    def _require_not_paused(self) -> None:
        if self.paused:
            raise ModelError("EnforcedPause")

    def _require_batch(self, batch_id: int) -> BatchModel:
        b = self.batches.get(batch_id)
        if b is None:
            raise ModelError("UnknownBatch", batchId=batch_id)
        return b

    def _require_live_batch(self, batch_id: int) -> BatchModel:
        b = self._require_batch(batch_id)
        if b.frozen:
            raise ModelError("BatchFrozen", batchId=batch_id)
        return b

    def _require_active(self, account: str) -> None:
        allowed, frozen = self.accounts.get(addr(account), (False, False))
        if not allowed:
            raise ModelError("AccountNotAllowed", account=addr(account))
        if frozen:
            raise ModelError("AccountFrozen", account=addr(account))

    def _emit(self, count: int = 1) -> None:
        self.audit_seq += count

    # ------------------------------------------------------------ governance

    def register_program(self, sender: str, code: bytes) -> int:
        self._require_role(DEFAULT_ADMIN_ROLE, sender)
        code = code.ljust(32, b"\0")
        if code == b"\0" * 32 or code in self.programs.values():
            raise ModelError("InvalidProgramCode", code=code)
        program_id = len(self.programs) + 1
        self.programs[program_id] = code
        # The registrant names itself the programme's admin (as the client does by default).
        self.roles.setdefault(program_admin_role(program_id), set()).add(addr(sender))
        self._emit(2)  # ProgramRegistered, and that grant
        return program_id

    def _role_admin(self, role: bytes) -> bytes:
        """A programme's admin role administers itself and its issuers; the default admin the
        rest."""
        for program_id in self.programs:
            if role in (issuer_role(program_id), program_admin_role(program_id)):
                return program_admin_role(program_id)
        return DEFAULT_ADMIN_ROLE

    def program_id(self, code: bytes) -> int:
        code = code.ljust(32, b"\0")
        return next((p for p, c in self.programs.items() if c == code), 0)

    def grant_role(self, sender: str, role: bytes, account: str) -> None:
        if role == DEFAULT_ADMIN_ROLE:
            raise ModelError("AccessControlEnforcedDefaultAdminRules")
        self._require_role(self._role_admin(role), sender)
        members = self.roles.setdefault(role, set())
        if addr(account) not in members:
            members.add(addr(account))
            self._emit()

    def revoke_role(self, sender: str, role: bytes, account: str) -> None:
        if role == DEFAULT_ADMIN_ROLE:
            raise ModelError("AccessControlEnforcedDefaultAdminRules")
        self._require_role(self._role_admin(role), sender)
        members = self.roles.setdefault(role, set())
        if addr(account) in members:
            members.discard(addr(account))
            self._emit()

    def has_role(self, role: bytes, account: str) -> bool:
        return addr(account) in self.roles.get(role, set())

    def set_account(self, sender: str, account: str, allowed: bool, frozen: bool) -> None:
        self._require_role(COMPLIANCE_ROLE, sender)
        if addr(account) == ZERO_ADDRESS:  # "nobody": the sender of a bridging
            raise ModelError("InvalidAccount", account=ZERO_ADDRESS)
        self.accounts[addr(account)] = (allowed, frozen)
        self._emit()

    def account_status(self, account: str) -> tuple[bool, bool]:
        return self.accounts.get(addr(account), (False, False))

    def pause(self, sender: str) -> None:
        self._require_role(PAUSER_ROLE, sender)
        self._require_not_paused()
        self.paused = True
        self._emit()

    def unpause(self, sender: str) -> None:
        self._require_role(PAUSER_ROLE, sender)
        if not self.paused:
            raise ModelError("ExpectedPause")
        self.paused = False
        self._emit()

    # ------------------------------------------------------------ issuers

    def register_project(self, sender: str, program_id: int, project_id: str) -> bytes:
        self._require_not_paused()
        self._require_role(issuer_role(program_id), sender)
        if program_id not in self.programs:
            raise ModelError("UnknownProgram", programId=program_id)
        key = project_key(program_id, project_id)
        if key in self.projects:
            raise ModelError("ProjectAlreadyRegistered", projectKey=key)
        self.projects[key] = program_id
        self._emit()
        return key

    def bridge(
        self,
        sender: str,
        *,
        program_id: int,
        project_key: bytes,
        namespace: str,
        first: int,
        last: int,
        recipient: str,
        vintage_start: int,
        vintage_end: int,
        labels: int = 0,
        part_hint: int | None = None,
    ) -> int:
        """Bridge ``first..last`` of ``namespace`` as a new batch; returns its id.

        ``part_hint`` is checked only when given: it must be the position (see
        :func:`part_position`) of the bridged part just below the new one, or 0 for none.
        """
        self._require_not_paused()
        self._require_role(issuer_role(program_id), sender)
        # An issuer role for an unregistered programme is useless: no project can be registered
        # under it (register_project), so the project check below refuses the bridging.
        if first > last or last > MAX_SERIAL or last - first + 1 > MAX_QUANTITY:
            raise ModelError("InvalidSerialRange", first=first, last=last)
        if not is_identifier(namespace):
            raise ModelError("InvalidNamespace", namespace=namespace)
        if not (is_date(vintage_start) and is_date(vintage_end) and vintage_start <= vintage_end):
            raise ModelError("InvalidVintage", vintageStart=vintage_start, vintageEnd=vintage_end)
        if labels & ~KNOWN_LABELS:
            raise ModelError("UnknownLabels", labels=labels)
        if self.projects.get(project_key) != program_id:
            raise ModelError("UnknownProject", projectKey=project_key, programId=program_id)
        self._require_active(recipient)
        if part_hint is not None and part_hint != self.part_hint(program_id, namespace, first):
            raise ModelError("InvalidBridgeHint", hint=part_hint)
        scope = (program_id, namespace)
        if any(a <= last and first <= b for a, b in self.bridged.get(scope, [])):
            raise ModelError(
                "SerialsAlreadyBridged",
                programId=program_id,
                namespace=namespace,
                first=first,
                last=last,
            )

        bisect.insort(self.bridged.setdefault(scope, []), (first, last))
        batch_id = len(self.batches) + 1
        self.batches[batch_id] = BatchModel(
            batch_id=batch_id,
            program_id=program_id,
            namespace=namespace,
            first=first,
            last=last,
            labels=labels,
            vintage_start=vintage_start,
            holdings=[Holding(first, last, addr(recipient), RangeState.HELD)],
        )
        self._emit(2)  # BatchBridged, SerialsMoved
        return batch_id

    def part_hint(self, program_id: int, namespace: str, first: int) -> int:
        """Position of the bridged part immediately below ``first`` of ``namespace`` (any
        namespace's part counts: they all share one order), or 0 if none is below."""
        target = part_position(program_id, namespace, first)
        below = [p for p in self.part_positions() if p < target]
        return max(below, default=PARTS_HEAD)

    def part_positions(self) -> list[int]:
        return sorted(
            part_position(p, ns, a) for (p, ns), parts in self.bridged.items() for a, _ in parts
        )

    def cancel(
        self,
        sender: str,
        batch_id: int,
        holder: str,
        first: int,
        last: int,
        range_start: int | None = None,
    ) -> None:
        """The programme admin cancels ``holder``'s live serials, an issuer only its own
        (freezes do not block it)."""
        self._require_not_paused()
        b = self._require_batch(batch_id)
        if not self.has_role(program_admin_role(b.program_id), sender):
            self._require_role(issuer_role(b.program_id), sender)
            if addr(holder) != addr(sender):
                self._require_role(program_admin_role(b.program_id), sender)
        if addr(holder) == ZERO_ADDRESS:  # nobody holds credits as the zero address
            raise ModelError(
                "InsufficientCredits", holder=ZERO_ADDRESS, batchId=batch_id, first=first, last=last
            )
        self._move(b, first, last, holder, holder, RangeState.CANCELLED, range_start)
        b.cancelled += last - first + 1
        self._emit(2)  # SerialsMoved, CreditsCancelled

    def set_labels(self, sender: str, batch_id: int, labels: int) -> None:
        self._require_not_paused()
        b = self._require_batch(batch_id)
        self._require_role(program_admin_role(b.program_id), sender)
        if labels & ~KNOWN_LABELS:
            raise ModelError("UnknownLabels", labels=labels)
        if b.retired:  # retirements relied on the labels
            raise ModelError("LabelsLocked", batchId=batch_id)
        b.labels = labels
        self._emit()

    def set_batch_frozen(self, sender: str, batch_id: int, frozen: bool) -> None:
        self._require_role(COMPLIANCE_ROLE, sender)
        b = self._require_batch(batch_id)
        b.frozen = frozen
        self._emit()

    # ------------------------------------------------------------ holders

    def transfer(
        self,
        sender: str,
        batch_id: int,
        first: int,
        last: int,
        to: str,
        range_start: int | None = None,
    ) -> None:
        self._require_not_paused()
        if addr(to) == addr(sender):
            raise ModelError("SelfTransfer", account=addr(sender))
        b = self._require_live_batch(batch_id)
        self._require_active(sender)
        self._require_active(to)
        self._move(b, first, last, sender, to, RangeState.HELD, range_start)
        self._emit()

    def retire(
        self,
        sender: str,
        batch_id: int,
        first: int,
        last: int,
        purpose: Purpose = Purpose.VOLUNTARY,
        range_start: int | None = None,
        consumption: tuple[int, int] = (0, 0),
    ) -> int:
        """Retire ``first..last`` for good; returns the retirement id. ``consumption`` is the
        optional YYYYMMDD consumption period (0 = not given; a given start needs an end)."""
        self._require_not_paused()
        b = self._require_live_batch(batch_id)
        self._require_active(sender)
        start, end = consumption
        if (start and not is_date(start)) or (end and not is_date(end)) or (start and end < start):
            raise ModelError("InvalidConsumptionPeriod", consumptionStart=start, consumptionEnd=end)
        missing = required_labels(purpose, b.vintage_start) & ~b.labels
        if missing:
            raise ModelError("LabelRequired", batchId=batch_id, label=missing)
        self._move(b, first, last, sender, sender, RangeState.RETIRED, range_start)
        b.retired += last - first + 1
        self.retirement_count += 1
        self._emit(2)  # SerialsMoved, CreditsRetired
        return self.retirement_count

    def detokenise(
        self, sender: str, batch_id: int, first: int, last: int, range_start: int | None = None
    ) -> None:
        self._require_not_paused()
        b = self._require_live_batch(batch_id)
        self._require_active(sender)
        self._move(b, first, last, sender, sender, RangeState.DETOKENISED, range_start)
        b.detokenised += last - first + 1
        self._emit(2)  # SerialsMoved, CreditsDetokenised

    def _move(
        self,
        b: BatchModel,
        first: int,
        last: int,
        owner: str,
        to: str,
        state: RangeState,
        range_start: int | None,
    ) -> None:
        """Take ``first..last`` (all of it ``owner``'s live credits) out of the tiling and put it
        back as one range of ``to`` in ``state``, keeping ``owner``'s untouched ends."""
        owner, to = addr(owner), addr(to)
        if first > last:
            raise ModelError("InvalidSerialRange", first=first, last=last)
        i = b.index_of(first)
        if range_start is None:
            range_start = b.holdings[i].first if i is not None else first
        if i is None or b.holdings[i].first != range_start:
            raise ModelError("InvalidRangeHint", batchId=b.batch_id, rangeStart=range_start)
        j = i
        while True:
            h = b.holdings[j]
            if h.holder != owner or h.state != RangeState.HELD:
                raise ModelError(
                    "InsufficientCredits", holder=owner, batchId=b.batch_id, first=first, last=last
                )
            if h.last >= last:
                break
            j += 1
            if j == len(b.holdings):  # runs past the end of the batch
                raise ModelError(
                    "InsufficientCredits", holder=owner, batchId=b.batch_id, first=first, last=last
                )
        left, right = b.holdings[i], b.holdings[j]
        replacement = []
        if left.first < first:
            replacement.append(Holding(left.first, first - 1, owner, RangeState.HELD))
        replacement.append(Holding(first, last, to, state))
        if right.last > last:
            replacement.append(Holding(last + 1, right.last, owner, RangeState.HELD))
        b.holdings[i : j + 1] = replacement
        b.untouched = False

    # ------------------------------------------------------------ correction

    def void_batch(
        self,
        sender: str,
        batch_id: int,
        namespace: str | None = None,
        *,
        reason: str = "wrong recipient",
        part_hint: int | None = None,
    ) -> None:
        """The programme admin voids an untouched batch: cancelled whole, its serials free to
        be bridged again. ``namespace`` defaults to the batch's own; ``part_hint`` (checked
        only when given) must be the position of the bridged part just below the batch's."""
        self._require_not_paused()
        b = self._require_batch(batch_id)
        self._require_role(program_admin_role(b.program_id), sender)
        if not reason.strip():
            raise ModelError("TextBlank", field="reason")
        if not b.untouched:
            raise ModelError("BatchNotVoidable", batchId=batch_id)
        if namespace is not None and namespace != b.namespace:
            raise ModelError("InvalidNamespace", namespace=namespace)
        if part_hint is not None and part_hint != self.part_hint(
            b.program_id, b.namespace, b.first
        ):
            raise ModelError("InvalidBridgeHint", hint=part_hint)
        (h,) = b.holdings
        self._move(b, b.first, b.last, h.holder, h.holder, RangeState.CANCELLED, b.first)
        b.cancelled += b.quantity
        b.voided = True
        self.bridged[(b.program_id, b.namespace)].remove((b.first, b.last))
        self._emit(2)  # SerialsMoved, BatchVoided

    def recover(
        self, sender: str, lost: str, replacement: str, refs: list[tuple[int, int]]
    ) -> None:
        """Compliance moves the frozen ``lost`` account's named ranges, whole, to
        ``replacement``, one after the other as the contract does (a range named twice is
        no longer ``lost``'s the second time); any refusal undoes them all (a revert)."""
        self._require_not_paused()
        self._require_role(COMPLIANCE_ROLE, sender)
        if not self.accounts.get(addr(lost), (False, False))[1]:
            raise ModelError("AccountNotFrozen", account=addr(lost))
        self._require_active(replacement)
        saved = {
            batch_id: (list(b.holdings), b.untouched)
            for batch_id, b in self.batches.items()
            if batch_id in {ref[0] for ref in refs}
        }
        try:
            for batch_id, start in refs:
                b = self._require_batch(batch_id)
                i = b.index_of(start)
                # The contract reads the range stored at `start`: none there reads as last 0.
                last = b.holdings[i].last if i is not None and b.holdings[i].first == start else 0
                self._move(b, start, last, lost, replacement, RangeState.HELD, start)
        except ModelError:
            for batch_id, (holdings, untouched) in saved.items():
                self.batches[batch_id].holdings = holdings
                self.batches[batch_id].untouched = untouched
            raise
        self._emit(len(refs) + 1)  # SerialsMoved per range, AccountRecovered

    def correct_batch(self, sender: str, voided_batch_id: int, batch_id: int) -> None:
        """The programme admin links a voided batch to the batch that replaces it."""
        self._require_not_paused()
        old = self._require_batch(voided_batch_id)
        new = self._require_batch(batch_id)
        self._require_role(program_admin_role(old.program_id), sender)
        self._require_role(program_admin_role(new.program_id), sender)
        if not old.voided:
            raise ModelError("BatchNotVoided", batchId=voided_batch_id)
        if new.voided:
            raise ModelError("BatchNotVoidable", batchId=batch_id)
        self._emit()  # BatchCorrected

    def use_nonce(self, sender: str) -> int:
        """``sender`` invalidates its next signature nonce (allowed while paused); returns it."""
        nonce = self.nonces.get(addr(sender), 0)
        self.nonces[addr(sender)] = nonce + 1
        self._emit()  # NonceInvalidated
        return nonce

    def nonce(self, account: str) -> int:
        return self.nonces.get(addr(account), 0)

    # ------------------------------------------------------------ views

    def batch_ids(self) -> list[int]:
        return sorted(self.batches)

    def batch(self, batch_id: int) -> BatchTotals:
        b = self._require_batch(batch_id)
        return BatchTotals(
            b.program_id,
            b.labels,
            b.frozen,
            b.first,
            b.quantity,
            b.retired,
            b.detokenised,
            b.cancelled,
            b.vintage_start,
        )

    def ranges(self, batch_id: int) -> list[tuple[int, int, str, RangeState]]:
        """Every holding range of the batch in serial order: ``(first, last, holder, state)``."""
        return [h.as_tuple() for h in self._require_batch(batch_id).holdings]

    def range_start(self, batch_id: int, serial: int) -> int | None:
        """Start of the range containing ``serial`` (the contract's ``rangeStart`` hint)."""
        b = self._require_batch(batch_id)
        i = b.index_of(serial)
        return None if i is None else b.holdings[i].first

    def balance_of(self, account: str, batch_id: int) -> int:
        b = self._require_batch(batch_id)
        return sum(
            h.quantity
            for h in b.holdings
            if h.holder == addr(account) and h.state == RangeState.HELD
        )

    def holder_runs(self, batch_id: int, account: str) -> list[tuple[int, int]]:
        """``account``'s live serials of a batch as maximal runs of adjacent ranges."""
        runs: list[tuple[int, int]] = []
        for h in self._require_batch(batch_id).holdings:
            if h.holder != addr(account) or h.state != RangeState.HELD:
                continue
            if runs and runs[-1][1] + 1 == h.first:
                runs[-1] = (runs[-1][0], h.last)
            else:
                runs.append((h.first, h.last))
        return runs

    # ------------------------------------------------------------ invariants

    def check_invariants(self) -> None:
        """SPEC §1's invariants, on the model itself."""
        for b in self.batches.values():
            expected = b.first
            for h in b.holdings:
                assert h.first == expected, f"batch {b.batch_id}: gap or overlap at {h.first}"
                assert h.first <= h.last, f"batch {b.batch_id}: empty range {h}"
                assert h.state != RangeState.NONE, f"batch {b.batch_id}: stateless range {h}"
                expected = h.last + 1
            assert expected == b.last + 1, f"batch {b.batch_id}: tiling ends at {expected - 1}"
            per_state = {s: 0 for s in RangeState}
            for h in b.holdings:
                per_state[h.state] += h.quantity
            assert per_state[RangeState.RETIRED] == b.retired
            assert per_state[RangeState.DETOKENISED] == b.detokenised
            assert per_state[RangeState.CANCELLED] == b.cancelled
            assert b.quantity == b.held + b.retired + b.detokenised + b.cancelled
            assert b.retired >= self._retired_seen.get(b.batch_id, 0), "retired went down"
            self._retired_seen[b.batch_id] = b.retired
            # A void takes the batch's part out of the overlap index (its serials may be
            # bridged again, by another batch) and leaves the batch whole, cancelled.
            if b.voided:
                assert b.cancelled == b.quantity and not b.untouched
            else:
                assert (b.first, b.last) in self.bridged[(b.program_id, b.namespace)]
        for scope, parts in self.bridged.items():
            for (_, b1), (a2, _) in itertools.pairwise(parts):
                assert b1 < a2, f"{scope}: serial {a2} bridged twice"
        live_batches = sum(1 for b in self.batches.values() if not b.voided)
        assert sum(len(p) for p in self.bridged.values()) == live_batches


# ---------------------------------------------------------------- pools (issue 15)


POOL = "pool"
"""The model's name for a pool's own account (the pool's token address on the ledger)."""


@dataclass
class PoolBatch:
    """A batch as the pool model sees it: who holds which runs (``POOL`` for the pool's
    account), and how many tonnes were retired."""

    batch_id: int
    program_id: int
    vintage: int  # YYYYMMDD of the vintage start
    labels: int
    first: int
    last: int
    country: str = "ET"  # its project's country (the pool's country rule reads it)
    runs: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    retired: int = 0

    def held_by(self, account: str) -> int:
        return sum(b - a + 1 for a, b in self.runs.get(account, []))

    def take_lowest(self, account: str, quantity: int) -> list[tuple[int, int]]:
        """Remove ``account``'s ``quantity`` lowest serials; the runs taken, in order."""
        runs = sorted(self.runs.get(account, []))
        taken: list[tuple[int, int]] = []
        while quantity:
            a, b = runs.pop(0)
            n = min(quantity, b - a + 1)
            taken.append((a, a + n - 1))
            if a + n <= b:
                runs.insert(0, (a + n, b))
            quantity -= n
        self.runs[account] = runs
        return taken

    def give(self, account: str, run: tuple[int, int]) -> None:
        self.runs.setdefault(account, []).append(run)


@dataclass
class PoolModel:
    """One pool: rules over programme, vintage window, labels and countries (the other lists
    are left to the unit tests), the ranges it holds in its order, and unit balances."""

    pool_id: int
    programmes: frozenset[int]
    vintage_from: int = 0
    vintage_to: int = 0
    labels_required: int = 0
    country_mode: int = 0  # PoolMode: 0 any, 1 only the listed, 2 all but the listed
    countries: frozenset[str] = frozenset()
    order: list[tuple[int, int, int, int]] = field(default_factory=list)
    """``(vintage, batch_id, first, last)`` in the pool's order."""
    balances: dict[str, int] = field(default_factory=dict)

    def refusing_rule(self, b: PoolBatch) -> int:
        """The rule code that refuses ``b`` (``PoolRule`` in CreditTypes.sol), 0 if none."""
        if b.program_id not in self.programmes:
            return 1
        if self.vintage_from and b.vintage < self.vintage_from:
            return 2
        if self.vintage_to and b.vintage > self.vintage_to:
            return 3
        if b.labels & self.labels_required != self.labels_required:
            return 4
        if self.country_mode and (b.country in self.countries) != (self.country_mode == 1):
            return 5
        return 0

    def tighten_countries(self, mode: int, countries: list[str]) -> str:
        """The error a tightening to country ``mode`` with ``countries`` gets ("" if none), as
        the contract checks the lists (after the rules); applies it if accepted."""
        leaves_any = self.country_mode == 0 and mode != 0
        if mode == 1 and leaves_any and not countries:
            return "PoolListEmpty"  # it would admit no country at all
        if countries and not leaves_any:
            return "InvalidPoolList"
        if leaves_any:
            self.country_mode, self.countries = mode, frozenset(countries)
        return ""

    @property
    def supply(self) -> int:
        return sum(last - first + 1 for _v, _b, first, last in self.order)

    def deposit(self, holder: str, b: PoolBatch, quantity: int) -> list[tuple[int, int]]:
        """``holder`` deposits its ``quantity`` lowest serials of ``b`` (one run each call)."""
        runs = b.take_lowest(holder, quantity)
        for run in runs:
            b.give(POOL, run)
            bisect.insort(self.order, (b.vintage, b.batch_id, *run))
        self.balances[holder] = self.balances.get(holder, 0) + quantity
        return runs

    def take(
        self, holder: str, units: int, batches: dict[int, PoolBatch]
    ) -> list[tuple[int, int, int]]:
        """Burn ``units`` of ``holder``'s; the ``(batch, first, last)`` runs given out, head
        first (oldest vintage, then batch, then lowest serial). The caller moves them."""
        if units <= 0 or units > self.balances.get(holder, 0):
            raise ModelError("InsufficientPoolUnits")
        self.balances[holder] -= units
        out: list[tuple[int, int, int]] = []
        while units:
            vintage, batch_id, first, last = self.order.pop(0)
            n = min(units, last - first + 1)
            out.append((batch_id, first, first + n - 1))
            if first + n <= last:
                self.order.insert(0, (vintage, batch_id, first + n, last))
            units -= n
        for batch_id, first, last in out:
            pool_runs = batches[batch_id].runs[POOL]
            for i, (a, b) in enumerate(pool_runs):
                if a == first:
                    pool_runs[i : i + 1] = [(last + 1, b)] if last < b else []
                    break
            else:  # pragma: no cover - the pool holds what its order lists
                raise AssertionError(f"pool holds no run at {batch_id}:{first}")
        return out

    def transfer(self, sender: str, to: str, units: int) -> None:
        if units > self.balances.get(sender, 0):
            raise ModelError("InsufficientPoolUnits")
        self.balances[sender] = self.balances.get(sender, 0) - units
        self.balances[to] = self.balances.get(to, 0) + units

    def check_invariants(self, batches: dict[int, PoolBatch]) -> None:
        """Units = tonnes the pool holds; each batch conserves its serials; the order is
        sorted; every pooled batch was eligible when deposited (rules only tighten, so the
        programme bit still admits it)."""
        assert sum(self.balances.values()) == self.supply
        assert self.order == sorted(self.order)
        assert self.supply == sum(b.held_by(POOL) for b in batches.values())
        for b in batches.values():
            held = sum(b.held_by(a) for a in b.runs)
            assert held + b.retired == b.last - b.first + 1
        for _v, batch_id, _f, _l in self.order:
            assert batches[batch_id].program_id in self.programmes
