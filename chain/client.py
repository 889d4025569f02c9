"""Typed client for every ledger operation.

One ``LedgerClient`` speaks for one account (its ``TxSender``), or reads only when it has
none. Operations that take serials also come in amount-based forms (``transfer_quantity``,
``retire_quantity``) that pick the holder's lowest serials and compute the contract's hints.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.types import TxReceipt

from chain import _hints
from chain._revert import as_chain_error
from chain.artifacts import ledger_abi
from chain.audit import AuditState
from chain.deployment import Deployment
from chain.domain import (
    AccountStatus,
    Batch,
    HoldingRange,
    Issuance,
    Label,
    LinkClaim,
    ProgramPolicy,
    Project,
    Purpose,
    RangeState,
    RetirementRequest,
    int_to_date,
    namespace_id,
    part_key,
    program_code,
    project_key,
    unpack_date,
)
from chain.errors import (
    ConfigurationError,
    InsufficientCredits,
    InvalidBridgeHint,
    InvalidRangeHint,
)
from chain.events import LedgerEvent, decode_logs
from chain.pools import PoolsMixin
from chain.signing import SignedRequest, bridge_typed_data, retire_typed_data, sign_typed
from chain.transactions import TxSender
from chain.units import Unit

_RANGE_PAGE = 64  # the view allocates maxCount entries: big pages cost more than calls


@dataclass(frozen=True)
class TxResult:
    tx_hash: str
    block_number: int
    gas_used: int
    events: list[LedgerEvent]

    def event(self, name: str) -> LedgerEvent:
        for e in self.events:
            if e.name == name:
                return e
        raise LookupError(f"transaction {self.tx_hash} emitted no {name}")


@dataclass(frozen=True)
class BridgeResult(TxResult):
    batch_id: int = 0


@dataclass(frozen=True)
class RetireResult(TxResult):
    retirement_id: int = 0
    first_serial: int = 0
    last_serial: int = 0


class LedgerClient(PoolsMixin):
    def __init__(self, w3: Web3, address: str, sender: TxSender | None = None) -> None:
        self.w3 = w3
        self.address = Web3.to_checksum_address(address)
        self.abi = ledger_abi()
        self.contract: Contract = w3.eth.contract(address=self.address, abi=self.abi)
        self.sender = sender
        self._parts = _hints.PartIndex(self._parts_page)

    @classmethod
    def for_deployment(
        cls, w3: Web3, deployment: Deployment, sender: TxSender | None = None
    ) -> LedgerClient:
        return cls(w3, deployment.address, sender)

    def as_account(self, sender: TxSender) -> LedgerClient:
        """The same ledger, acting as another account (shares the part index)."""
        other = LedgerClient.__new__(LedgerClient)
        other.w3, other.address, other.abi, other.contract = (
            self.w3,
            self.address,
            self.abi,
            self.contract,
        )
        other.sender, other._parts = sender, self._parts
        return other

    @property
    def account(self) -> str:
        if self.sender is None:
            raise ConfigurationError("this client is read-only: it has no signing account")
        return self.sender.address

    # ------------------------------------------------------------ sending

    def _transact(self, fn: ContractFunction, *, gas: int | None = None) -> TxResult:
        if self.sender is None:
            raise ConfigurationError("this client is read-only: it has no signing account")
        receipt = self.sender.transact(fn, gas=gas)
        return self._result(receipt)

    def _result(self, receipt: TxReceipt) -> TxResult:
        mine = [log for log in receipt["logs"] if log["address"].lower() == self.address.lower()]
        return TxResult(
            tx_hash="0x" + bytes(receipt["transactionHash"]).hex(),
            block_number=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
            events=decode_logs(mine),
        )

    def _call(self, fn: ContractFunction) -> Any:
        try:
            return fn.call()
        except Exception as exc:
            raise as_chain_error(exc, self.abi) from exc

    # ------------------------------------------------------------ governance

    def register_program(self, code: str, admin: str | None = None) -> int:
        """Register programme ``code`` with ``admin`` (default: this account) as its admin."""
        return int(
            self.register_program_tx(code, admin).event("ProgramRegistered").fields["programId"]
        )

    def register_program_tx(self, code: str, admin: str | None = None) -> TxResult:
        """``register_program``, returning the transaction (its ``ProgramRegistered`` names
        the id)."""
        fn = self.contract.functions.registerProgram(
            program_code(code), Web3.to_checksum_address(admin or self.account)
        )
        return self._transact(fn)

    def set_program_policy(
        self, program_id: int, *, fixed_namespaces: bool, numeric_project_ids: bool
    ) -> TxResult:
        """As the programme's admin: confine bridgings to allowed namespaces, and/or require
        decimal project ids."""
        fn = self.contract.functions.setProgramPolicy(
            program_id, fixed_namespaces, numeric_project_ids
        )
        return self._transact(fn)

    def set_namespaces(
        self, program_id: int, namespaces: Sequence[str], *, allowed: bool = True
    ) -> TxResult:
        """As the programme's admin: allow (or withdraw) namespaces of a fixed-namespace
        programme."""
        fn = self.contract.functions.setNamespaces(program_id, list(namespaces), allowed)
        return self._transact(fn)

    def program_policy(self, program_id: int) -> ProgramPolicy:
        code, fixed, numeric, *_ = self._call(self.contract.functions.program(program_id))
        return ProgramPolicy(bytes(code).rstrip(b"\0").decode("ascii"), bool(fixed), bool(numeric))

    def namespace_allowed(self, program_id: int, namespace: str) -> bool:
        return bool(self._call(self.contract.functions.namespaceAllowed(program_id, namespace)))

    def program_admin_role(self, program_id: int) -> bytes:
        return bytes(self._call(self.contract.functions.programAdminRole(program_id)))

    def program_id(self, code: str) -> int:
        """The id of programme ``code``, or 0 if it is not registered."""
        return int(self._call(self.contract.functions.programIdOf(program_code(code))))

    def issuer_role(self, program_id: int) -> bytes:
        return bytes(self._call(self.contract.functions.issuerRole(program_id)))

    def role(self, name: str) -> bytes:
        """``"COMPLIANCE_ROLE"``, ``"PAUSER_ROLE"``, ``"POOL_ADMIN_ROLE"`` or
        ``"DEFAULT_ADMIN_ROLE"``."""
        return bytes(self._call(getattr(self.contract.functions, name)()))

    def grant_role(self, role: bytes, account: str) -> TxResult:
        return self._transact(
            self.contract.functions.grantRole(role, Web3.to_checksum_address(account))
        )

    def revoke_role(self, role: bytes, account: str) -> TxResult:
        return self._transact(
            self.contract.functions.revokeRole(role, Web3.to_checksum_address(account))
        )

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(
            self._call(self.contract.functions.hasRole(role, Web3.to_checksum_address(account)))
        )

    def grant_issuer(self, program_id: int, account: str) -> TxResult:
        return self.grant_role(self.issuer_role(program_id), account)

    def revoke_issuer(self, program_id: int, account: str) -> TxResult:
        return self.revoke_role(self.issuer_role(program_id), account)

    def set_account(self, account: str, *, allowed: bool = True, frozen: bool = False) -> TxResult:
        fn = self.contract.functions.setAccount(Web3.to_checksum_address(account), allowed, frozen)
        return self._transact(fn)

    def account_status(self, account: str) -> AccountStatus:
        allowed, frozen = self._call(
            self.contract.functions.accountStatus(Web3.to_checksum_address(account))
        )
        return AccountStatus(bool(allowed), bool(frozen))

    def pause(self) -> TxResult:
        return self._transact(self.contract.functions.pause())

    def unpause(self) -> TxResult:
        return self._transact(self.contract.functions.unpause())

    def paused(self) -> bool:
        return bool(self._call(self.contract.functions.paused()))

    # ------------------------------------------------------------ the default admin

    def begin_admin_transfer(self, new_admin: str) -> TxResult:
        """As the default admin: name ``new_admin``, who may accept once the delay has passed."""
        fn = self.contract.functions.beginDefaultAdminTransfer(Web3.to_checksum_address(new_admin))
        return self._transact(fn)

    def accept_admin_transfer(self) -> TxResult:
        """As the pending admin, once the delay has passed: become the default admin."""
        return self._transact(self.contract.functions.acceptDefaultAdminTransfer())

    def cancel_admin_transfer(self) -> TxResult:
        """As the default admin: withdraw a pending hand-over."""
        return self._transact(self.contract.functions.cancelDefaultAdminTransfer())

    def default_admin(self) -> str:
        return str(self._call(self.contract.functions.defaultAdmin()))

    def pending_admin(self) -> tuple[str, int]:
        """The pending admin (the zero address if none) and when it may accept (unix time)."""
        new_admin, schedule = self._call(self.contract.functions.pendingDefaultAdmin())
        return str(new_admin), int(schedule)

    def admin_delay(self) -> int:
        """Seconds between beginning a hand-over and its earliest acceptance."""
        return int(self._call(self.contract.functions.defaultAdminDelay()))

    # ------------------------------------------------------------ migration (the default admin)

    def schedule_seal(self) -> TxResult:
        """Announce sealing the ledger: ``seal`` may run once the admin delay has passed."""
        return self._transact(self.contract.functions.scheduleSeal())

    def cancel_seal(self) -> TxResult:
        return self._transact(self.contract.functions.cancelSeal())

    def seal(self) -> TxResult:
        """Seal the ledger for good (its scheduled time has come)."""
        return self._transact(self.contract.functions.seal())

    def seal_at(self) -> int:
        """When a scheduled seal may be carried out (unix time; 0 if none is scheduled)."""
        return int(self._call(self.contract.functions.sealAt()))

    def final_state(self) -> tuple[bool, int, bytes, bytes]:
        """``(sealed, seq, head, commitment)``: final once sealed (docs/AUDIT.md, "Migration")."""
        sealed, seq, head, commitment = self._call(self.contract.functions.finalState())
        return bool(sealed), int(seq), bytes(head), bytes(commitment)

    def predecessor(self) -> str | None:
        """The sealed ledger this one succeeds, if any."""
        found = str(self._call(self.contract.functions.predecessor()))
        return None if int(found, 16) == 0 else found

    # ------------------------------------------------------------ issuers

    def register_project(self, program_id: int, project: Project) -> bytes:
        result = self.register_project_tx(program_id, project)
        return bytes(result.event("ProjectRegistered").fields["projectKey"])

    def register_project_tx(self, program_id: int, project: Project) -> TxResult:
        """``register_project``, returning the transaction."""
        return self._transact(self.contract.functions.registerProject(program_id, project.as_abi()))

    def project_program(self, key: bytes) -> int:
        return int(self._call(self.contract.functions.projectProgram(key)))

    def ensure_project(self, program_id: int, project: Project) -> bytes:
        """Register ``project`` unless it already is; returns its key."""
        key = project_key(program_id, project.project_id)
        if self.project_program(key) == 0:
            self.register_project(program_id, project)
        return key

    # ------------------------------------------------------------ project links

    def propose_project_link(self, project_key: bytes, other_key: bytes) -> TxResult:
        """As the admin of ``project_key``'s programme: propose linking it to ``other_key``, a
        project of another programme (the other admin accepts with ``accept_project_link``)."""
        return self._transact(self.contract.functions.proposeProjectLink(project_key, other_key))

    def accept_project_link(self, project_key: bytes, other_key: bytes) -> TxResult:
        """As the admin of ``project_key``'s programme: accept the other programme's proposal
        to link ``other_key`` to it. Its ``ProjectLinkRecorded`` names the link group."""
        return self._transact(self.contract.functions.acceptProjectLink(project_key, other_key))

    def withdraw_project_link(self, project_key: bytes, other_key: bytes) -> TxResult:
        """As the admin of ``project_key``'s programme: withdraw its pending proposal."""
        return self._transact(self.contract.functions.withdrawProjectLink(project_key, other_key))

    def project_link_group(self, key: bytes) -> int:
        """The project's link group, or 0 if it is linked to nothing."""
        return int(self._call(self.contract.functions.projectLinkGroup(key)))

    def project_link_proposed(self, project_key: bytes, other_key: bytes) -> bool:
        """Whether ``project_key``'s programme admin has a pending proposal to link it to
        ``other_key``."""
        fn = self.contract.functions.projectLinkProposed(project_key, other_key)
        return bool(self._call(fn))

    def link_claims(self, group_id: int) -> list[LinkClaim]:
        """The link group's member programmes and the period each claimed, in joining order."""
        programs, starts, ends = self._call(self.contract.functions.linkClaims(group_id))
        return [
            LinkClaim(int(p), int_to_date(int(s) or None), int_to_date(int(e) or None))
            for p, s, e in zip(programs, starts, ends, strict=True)
            if p
        ]

    def part_hint(self, issuance: Issuance) -> int:
        key = part_key(namespace_id(issuance.program_id, issuance.namespace), issuance.first_serial)
        return self._parts.hint_for(key)

    def bridge(self, issuance: Issuance) -> BridgeResult:
        """Bridge one issuance block; the part hint is computed (and refreshed once if stale)."""
        return self._bridge(
            lambda hint: self.contract.functions.bridge(issuance.as_abi(), hint), issuance
        )

    def sign_bridge(self, issuance: Issuance, *, deadline: int | None = None) -> SignedRequest:
        """The registry's EIP-712 authorisation for ``issuance`` (signed by this client's key)."""
        if self.sender is None:
            raise ConfigurationError("signing needs an account")
        typed = bridge_typed_data(
            issuance,
            nonce=self.nonce(self.account),
            deadline=deadline if deadline is not None else int(time.time()) + 3600,
            chain_id=self.w3.eth.chain_id,
            contract=self.address,
        )
        return sign_typed(self.sender.account, typed)

    def bridge_signed(self, issuance: Issuance, signed: SignedRequest) -> BridgeResult:
        """Relay a registry-signed bridging; this client pays the gas, the signer is the actor."""
        return self._bridge(
            lambda hint: self.contract.functions.bridgeWithSignature(
                issuance.as_abi(),
                hint,
                Web3.to_checksum_address(signed.signer),
                signed.deadline,
                signed.signature,
            ),
            issuance,
        )

    def _bridge(self, make: Any, issuance: Issuance) -> BridgeResult:
        key = part_key(namespace_id(issuance.program_id, issuance.namespace), issuance.first_serial)
        try:
            result = self._transact(make(self._parts.hint_for(key)))
        except InvalidBridgeHint:
            self._parts.refresh()  # another bridger moved the neighbourhood: re-read, retry once
            result = self._transact(make(self._parts.hint_for(key)))
        self._parts.add(key)
        batch_id = int(result.event("BatchBridged").fields["batchId"])
        return BridgeResult(**vars(result), batch_id=batch_id)

    def cancel(self, batch_id: int, holder: str, first: int, last: int, reason: str) -> TxResult:
        start = self.range_start(batch_id, first)
        fn = self.contract.functions.cancel(
            batch_id, Web3.to_checksum_address(holder), first, last, start, reason
        )
        return self._transact(fn)

    def set_labels(self, batch_id: int, labels: Label) -> TxResult:
        return self._transact(self.contract.functions.setLabels(batch_id, int(labels)))

    def set_batch_frozen(self, batch_id: int, frozen: bool) -> TxResult:
        return self._transact(self.contract.functions.setBatchFrozen(batch_id, frozen))

    def void_batch(self, batch_id: int, namespace: str, reason: str) -> TxResult:
        """Void an untouched batch of ``namespace`` (programme admin): its serials are cancelled
        and leave the overlap index, free to be bridged again."""
        b = self.batch(batch_id)
        key = part_key(namespace_id(b.program_id, namespace), b.first_serial)
        void = self.contract.functions.voidBatch
        try:
            result = self._transact(void(batch_id, namespace, self._parts.hint_for(key), reason))
        except InvalidBridgeHint:
            self._parts.refresh()  # others bridged or voided around it: re-read, retry once
            result = self._transact(void(batch_id, namespace, self._parts.hint_for(key), reason))
        self._parts.discard(key)
        return result

    # ---------------------------------------------------------- units and buffer pools
    # Issue 16 items 2 and 3 (chain.units; docs/ARCHITECTURE.md, "Units and buffer pools");
    # setting a unit is ``PoolsMixin.set_program_unit`` (``Unit.chain_value``).

    def program_unit(self, program_id: int) -> Unit:
        """The programme's unit, as ``program(id).unitGrams`` says (a tonne for 0)."""
        record = self._call(self.contract.functions.program(program_id))
        return Unit.from_chain(int(record[3]))

    def set_program_buffer(self, program_id: int, account: str) -> TxResult:
        """As the programme's admin: name ``account`` its buffer account."""
        fn = self.contract.functions.setProgramBuffer(program_id, Web3.to_checksum_address(account))
        return self._transact(fn)

    def buffer_account(self, program_id: int) -> str | None:
        """The programme's buffer account (lowercase), or ``None`` while none is set."""
        account = str(self._call(self.contract.functions.bufferAccount(program_id)))
        return None if int(account, 16) == 0 else account.lower()

    def reverse_from_buffer(
        self, batch_id: int, first: int, last: int, reversed_batch_id: int, reason: str
    ) -> TxResult:
        """Cancel buffer-held serials ``first..last`` of ``batch_id`` to make good a reversal
        of ``reversed_batch_id`` (programme admin, or an issuer that is the buffer account)."""
        start = self.range_start(batch_id, first)
        fn = self.contract.functions.reverseFromBuffer(
            batch_id, first, last, start, reversed_batch_id, reason
        )
        return self._transact(fn)

    def correct_batch(self, voided_batch_id: int, batch_id: int) -> TxResult:
        """Record in the audit trail that ``batch_id`` replaces the voided batch."""
        return self._transact(self.contract.functions.correctBatch(voided_batch_id, batch_id))

    def batch_voided(self, batch_id: int) -> bool:
        return bool(self._call(self.contract.functions.batchVoided(batch_id)))

    def recover(self, lost: str, replacement: str, ranges: Sequence[tuple[int, int]]) -> TxResult:
        """Move the frozen ``lost`` account's live ranges, each named ``(batch_id, start)``, to
        ``replacement`` (compliance)."""
        fn = self.contract.functions.recover(
            Web3.to_checksum_address(lost),
            Web3.to_checksum_address(replacement),
            [(batch_id, start) for batch_id, start in ranges],
        )
        return self._transact(fn)

    def use_nonce(self) -> TxResult:
        """Invalidate this account's next signature nonce (a pending signed request)."""
        return self._transact(self.contract.functions.useNonce())

    def record_registry_retirement(
        self, request: RetirementRequest, retired_on: int
    ) -> RetireResult:
        """Mirror a retirement the registry recorded off-chain (YYYYMMDD ``retired_on``)."""
        start = self.range_start(request.batch_id, request.first_serial)
        fn = self.contract.functions.recordRegistryRetirement(request.as_abi(), start, retired_on)
        return self._retire_result(self._transact(fn))

    # ------------------------------------------------------------ holders

    def transfer(self, batch_id: int, first: int, last: int, to: str) -> TxResult:
        start = self.range_start(batch_id, first)
        fn = self.contract.functions.transfer(
            batch_id, first, last, Web3.to_checksum_address(to), start
        )
        return self._transact(fn)

    def transfer_quantity(self, batch_id: int, quantity: int, to: str) -> list[TxResult]:
        """Transfer this account's ``quantity`` lowest live serials (one call per run)."""
        return [
            self.transfer(batch_id, first, last, to)
            for first, last in self._pick(batch_id, quantity)
        ]

    def retire(self, request: RetirementRequest) -> RetireResult:
        start = self.range_start(request.batch_id, request.first_serial)
        return self._retire_result(
            self._transact(self.contract.functions.retire(request.as_abi(), start))
        )

    def retire_quantity(
        self,
        batch_id: int,
        quantity: int,
        beneficiary: str,
        purpose: Purpose = Purpose.VOLUNTARY,
        **details: Any,
    ) -> list[RetireResult]:
        """Retire this account's ``quantity`` lowest live serials (one retirement per run)."""
        return [
            self.retire(RetirementRequest(batch_id, first, last, beneficiary, purpose, **details))
            for first, last in self._pick(batch_id, quantity)
        ]

    def sign_retirement(
        self, request: RetirementRequest, *, deadline: int | None = None
    ) -> SignedRequest:
        """The holder's EIP-712 authorisation of ``request`` (signed by this client's key)."""
        if self.sender is None:
            raise ConfigurationError("signing needs an account")
        typed = retire_typed_data(
            request,
            holder=self.account,
            nonce=self.nonce(self.account),
            deadline=deadline if deadline is not None else int(time.time()) + 3600,
            chain_id=self.w3.eth.chain_id,
            contract=self.address,
        )
        return sign_typed(self.sender.account, typed)

    def retire_signed(self, request: RetirementRequest, signed: SignedRequest) -> RetireResult:
        """Relay a holder-signed retirement; this client pays the gas."""
        start = self.range_start(request.batch_id, request.first_serial)
        fn = self.contract.functions.retireWithSignature(
            request.as_abi(),
            start,
            Web3.to_checksum_address(signed.signer),
            signed.deadline,
            signed.signature,
        )
        return self._retire_result(self._transact(fn))

    def detokenise(self, batch_id: int, first: int, last: int, registry_reference: str) -> TxResult:
        start = self.range_start(batch_id, first)
        return self._transact(
            self.contract.functions.detokenise(batch_id, first, last, start, registry_reference)
        )

    def _retire_result(self, result: TxResult) -> RetireResult:
        fields = result.event("CreditsRetired").fields
        retirement = fields["retirement"]
        return RetireResult(
            **vars(result),
            retirement_id=int(fields["retirementId"]),
            first_serial=int(retirement["firstSerial"]),
            last_serial=int(retirement["lastSerial"]),
        )

    def _pick(self, batch_id: int, quantity: int) -> list[tuple[int, int]]:
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        try:
            return _hints.lowest_serials(self.ranges(batch_id), self.account, quantity)
        except LookupError as exc:
            held = self.balance_of(self.account, batch_id)
            raise InsufficientCredits(
                "InsufficientCredits",
                {"holder": self.account, "batchId": batch_id, "held": held, "requested": quantity},
            ) from exc

    # ------------------------------------------------------------ views

    def batch(self, batch_id: int) -> Batch:
        p, labels, frozen, first, quantity, retired, detok, cancelled, vintage = self._call(
            self.contract.functions.batch(batch_id)
        )
        return Batch(
            batch_id,
            p,
            Label(labels),
            frozen,
            first,
            quantity,
            retired,
            detok,
            cancelled,
            unpack_date(vintage),
        )

    def batch_count(self) -> int:
        return int(self._call(self.contract.functions.batchCount()))

    def ranges(self, batch_id: int) -> list[HoldingRange]:
        """Every holding range of a batch, in serial order (reads ``rangesFrom`` page by page)."""
        b = self.batch(batch_id)
        out: list[HoldingRange] = []
        start = b.first_serial
        while start <= b.last_serial:
            starts, ranges = self._call(
                self.contract.functions.rangesFrom(batch_id, start, _RANGE_PAGE)
            )
            for s, (holder, last, state) in zip(starts, ranges, strict=True):
                out.append(HoldingRange(int(s), int(last), str(holder), RangeState(state)))
            start = out[-1].last + 1
        return out

    def holdings(self, batch_id: int, account: str) -> list[HoldingRange]:
        return [r for r in self.ranges(batch_id) if r.holder.lower() == account.lower()]

    def range_start(self, batch_id: int, serial: int) -> int:
        try:
            return _hints.range_start_for(self.ranges(batch_id), serial)
        except LookupError as exc:
            raise InvalidRangeHint(
                "InvalidRangeHint", {"batchId": batch_id, "serial": serial}
            ) from exc

    def serial_status(self, batch_id: int, serial: int) -> HoldingRange:
        """The holding range ``serial`` is in: its holder and state."""
        start, (holder, last, state) = self._call(
            self.contract.functions.locateSerial(batch_id, serial)
        )
        return HoldingRange(int(start), int(last), str(holder), RangeState(state))

    def balance_of(self, account: str, batch_id: int) -> int:
        return int(
            self._call(
                self.contract.functions.balanceOf(Web3.to_checksum_address(account), batch_id)
            )
        )

    def nonce(self, account: str) -> int:
        return int(self._call(self.contract.functions.nonces(Web3.to_checksum_address(account))))

    def audit_state(self) -> AuditState:
        seq = self._call(self.contract.functions.auditSeq())
        head = self._call(self.contract.functions.auditHead())
        return AuditState(int(seq), bytes(head))

    def _parts_page(self, start: int, count: int) -> tuple[Sequence[int], Sequence[int]]:
        keys, parts = self._call(self.contract.functions.partsFrom(start, count))
        return [int(k) for k in keys], [int(p[0]) for p in parts]
