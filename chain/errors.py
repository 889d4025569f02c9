"""Exception hierarchy for carbon-ledger: catch CarbonLedgerError for anything we raise.

Every exception class the project defines descends from ``CarbonLedgerError`` (with a builtin
mix-in where callers expect one, e.g. ``ValueError``); the chain's, the node's and the
indexer's errors are all defined here, the API's problem types map from them
(``api.problems``). ``tests/chain/test_errors.py`` holds the tree to that.

Each class says whether trying again may help (``retryable``; ``is_retryable`` also answers
for the builtin connection errors): the node unreachable, a timeout, a rate limit, a nonce
another transaction took are retryable, so the indexer backs off and tries again and the
submission pipeline signs the row again; a contract refusal, a configuration error, a replay
violation are fatal, so the indexer halts with the reason recorded and the row fails.

Contract reverts are decoded (see ``chain._revert``) into a ``ContractError`` subclass named
after the Solidity custom error, grouped by what the caller did wrong:

- ``Unauthorized``: the caller lacks the role or signature (HTTP 401/403);
- ``InvalidRequest``: the request itself is malformed or names nothing that exists (422);
- ``StateConflict``: well-formed, but the ledger's state forbids it now (409);
- ``LedgerFault``: the ledger's own code or deployment failed, whatever the request (502).
"""

from __future__ import annotations

from typing import Any, ClassVar

import requests


class CarbonLedgerError(Exception):
    """Base class of every error raised by carbon-ledger."""

    retryable: ClassVar[bool] = False
    """Whether the same work may succeed if tried again later, unchanged (module docstring)."""


def is_retryable(exc: BaseException) -> bool:
    """Whether ``exc`` is worth trying again: a carbon-ledger error says so itself; of the
    rest, only a connection that failed or timed out is (the node may be back)."""
    if isinstance(exc, CarbonLedgerError):
        return exc.retryable
    return isinstance(
        exc,
        ConnectionError
        | TimeoutError
        | requests.exceptions.ConnectionError
        | requests.exceptions.Timeout,
    )


class CompileError(CarbonLedgerError):
    """Solidity compilation failed (message names file, line and compiler message)."""


class ConfigurationError(CarbonLedgerError):
    """A setting, key or data folder is missing or inconsistent."""


class RowRejected(CarbonLedgerError):
    """An import row that yields nothing to bridge: ``reason`` is what its report says (raised
    and caught inside ``chain.importer``, where reading and planning a row stop early)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidQuantity(CarbonLedgerError, ValueError):
    """A programme unit or a quantity of tonnes that cannot be what it claims (``chain.units``):
    a unit that does not divide a tonne, tonnes finer than one unit of the programme."""


class ChainError(CarbonLedgerError):
    """Talking to the chain failed, or the chain is not the one expected."""


class DeploymentMismatch(ChainError):
    """The node's chain id, genesis hash or contract code differs from deployment.json."""


class TransactionError(ChainError):
    """A transaction reverted, was dropped, or was not mined in time."""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionTimeout(TransactionError):
    """No receipt arrived within the timeout; the transaction may still be mined later."""

    retryable = True


# ---------------------------------------------------------------- the node's JSON-RPC answers


class NodeError(ChainError):
    """The node refused a JSON-RPC request, or did not answer it. ``data`` is the revert
    payload when there is one, ``code`` the JSON-RPC error code when the node gave one."""

    def __init__(self, message: str, data: str | None = None, *, code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.data = data
        self.code = code


class NodeUnavailable(NodeError):
    """No answer (connection refused or reset, a timeout), or the node says it cannot serve
    now: it may be back in a moment."""

    retryable = True


class RateLimited(NodeError):
    """The node (or the provider in front of it) refuses for now: too many requests."""

    retryable = True


class NonceConflict(NodeError):
    """The node disagrees about a transaction's nonce (too low, already used, a replacement
    underpriced): sign it again with the node's count."""

    retryable = True


class MissingBlock(NodeError):
    """The node has no block of that number (its chain is shorter)."""


_REVERTED = "execution reverted"
_NONCE = ("nonce", "underpriced", "replacement")
_RATE_LIMITED = ("rate limit", "too many requests", "limit exceeded")
_UNAVAILABLE = ("timeout", "timed out", "unavailable", "header not found", "connect")
# EIP-1474: 3 is a revert, -32005 "limit exceeded"; some providers answer with the HTTP status.
_REVERT_CODE = 3
_RATE_LIMIT_CODES = frozenset({-32005, 429})


def node_error(method: str, error: Any) -> NodeError:
    """The class of a JSON-RPC ``error`` answer to ``method``: what the node said decides
    whether trying again may help; anything not recognised is a refusal (fatal)."""
    data: Any = None
    code: int | None = None
    message = str(error)
    if isinstance(error, dict):
        data = error.get("data")
        if isinstance(data, dict):  # some nodes nest it
            data = data.get("data")
        raw_code = error.get("code")
        code = raw_code if isinstance(raw_code, int) else None
        message = str(error.get("message", error))
    text = message.lower()
    cls: type[NodeError] = NodeError
    if code == _REVERT_CODE or _REVERTED in text:
        cls = NodeError  # the contract refused: its data says why (chain._revert)
    elif any(word in text for word in _NONCE):
        cls = NonceConflict
    elif any(word in text for word in _RATE_LIMITED):
        cls = RateLimited
    elif any(word in text for word in _UNAVAILABLE):
        cls = NodeUnavailable
    elif code in _RATE_LIMIT_CODES:
        cls = RateLimited
    return cls(f"{method}: {message}", data if isinstance(data, str) else None, code=code)


def no_answer(method: str, exc: BaseException) -> NodeUnavailable:
    """A request that got no JSON-RPC answer at all (the transport failed): retryable."""
    return NodeUnavailable(f"{method} failed: {exc}")


class ContractError(TransactionError):
    """The ledger contract reverted with a (decoded) custom error.

    ``error_name`` is the Solidity error's name and ``arguments`` its fields by name.
    """

    category: ClassVar[str] = "contract"

    def __init__(
        self,
        error_name: str,
        arguments: dict[str, Any] | None = None,
        *,
        tx_hash: str | None = None,
    ) -> None:
        self.error_name = error_name
        self.arguments: dict[str, Any] = dict(arguments or {})
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.arguments.items())
        super().__init__(f"{error_name}({shown})", tx_hash=tx_hash)


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return repr(value) if isinstance(value, str) else str(value)


class Unauthorized(ContractError):
    """The caller (or signer) is not allowed to do this."""

    category = "unauthorized"


class InvalidRequest(ContractError):
    """The request is malformed or refers to something that does not exist."""

    category = "invalid"


class StateConflict(ContractError):
    """The request is well-formed but conflicts with the ledger's current state."""

    category = "conflict"


class LedgerFault(ContractError):
    """The ledger's own code or deployment failed (a library's internal error): no change to
    the request would help, and nothing was done."""

    category = "fault"


# One class per custom error of the contract (and the OpenZeppelin errors it can raise), so
# callers can `except InsufficientCredits`. Names match the Solidity errors exactly.
class AccessControlUnauthorizedAccount(Unauthorized):
    """The account lacks the role needed."""


class AccessControlBadConfirmation(Unauthorized):
    """renounceRole was called for another account."""


class AccessControlEnforcedDefaultAdminRules(Unauthorized):
    """The default admin role can only change hands through the two-step hand-over."""


class AccessControlEnforcedDefaultAdminDelay(StateConflict):
    """The admin hand-over delay has not passed yet."""


class AccessControlInvalidDefaultAdmin(InvalidRequest):
    """The pending default admin is not the caller, or the new admin is invalid."""


class InvalidSignature(Unauthorized):
    """The EIP-712 signature is not the named signer's for this request."""


class ExpiredSignature(Unauthorized):
    """The signed request's deadline has passed."""


class InvalidAccountNonce(Unauthorized):
    """The signed request's nonce was already used (a replay) or is out of order."""


class InvalidProgramCode(InvalidRequest):
    """The programme code is empty or already registered."""


class UnknownProgram(InvalidRequest):
    """No such programme."""


class UnknownProject(InvalidRequest):
    """The project is not registered under that programme."""


class UnknownBatch(InvalidRequest):
    """No such batch."""


class InvalidSerialRange(InvalidRequest):
    """first > last, too long, or at the top of the serial space."""


class InvalidNamespace(InvalidRequest):
    """The namespace is not a canonical identifier (``chain.canonical``), or not the batch's own
    (voiding a batch)."""


class NamespaceNotAllowed(InvalidRequest):
    """The programme fixes its namespaces, and its admin has not allowed this one."""


class InvalidProjectId(InvalidRequest):
    """The project id is not canonical (or not a decimal number where the programme wants one)."""


class TextTooLong(InvalidRequest):
    """A text field is longer than its limit (``chain.canonical``)."""


class TextNotAllowed(InvalidRequest):
    """A text field holds invalid UTF-8, a control character, a line separator or a bidi
    override."""


class TextBlank(InvalidRequest):
    """A required text field holds no visible character."""


class SelfTransfer(InvalidRequest):
    """A transfer names its sender as the recipient."""


class InvalidVintage(InvalidRequest):
    """A date is not a YYYYMMDD date, or the vintage ends before it starts."""


class UnknownLabels(InvalidRequest):
    """Label bits the ledger does not know."""


class InvalidAccount(InvalidRequest):
    """The zero address cannot be given permissions."""


class InvalidDate(InvalidRequest):
    """A date is not a plausible YYYYMMDD date, or lies in the future."""


class InvalidConsumptionPeriod(InvalidRequest):
    """The consumption period is not two YYYYMMDD dates (or zeros), in order."""


class InvalidBridgeHint(InvalidRequest):
    """The part hint is not the bridged part immediately below the new range."""


class InvalidRangeHint(InvalidRequest):
    """The range hint does not name a holding range containing the first serial."""


class ProjectAlreadyRegistered(StateConflict):
    """The project is registered already."""


class SerialsAlreadyBridged(StateConflict):
    """Some of the serials were bridged before: no serial is ever bridged twice."""


class InsufficientCredits(StateConflict):
    """The holder does not hold all of the serials as live credits."""


class AccountNotAllowed(StateConflict):
    """The account is not allowlisted."""


class AccountFrozen(StateConflict):
    """The account is frozen."""


class BatchFrozen(StateConflict):
    """The batch is frozen."""


class LabelRequired(StateConflict):
    """The retirement purpose needs a label the batch lacks (e.g. CORSIA)."""


class EnforcedPause(StateConflict):
    """The ledger is paused."""


class ExpectedPause(StateConflict):
    """The ledger is not paused (unpause called while running)."""


# OpenZeppelin's library errors, reachable through the ledger's inherited code.
class SafeCastOverflowedUintDowncast(InvalidRequest):
    """A number the caller gave does not fit the field it is stored in (``bits`` wide), e.g.
    an admin delay beyond uint48."""


class StringTooLong(InvalidRequest):
    """A string given to a short-string field (the EIP-712 name or version) is too long."""


class InvalidInitialization(StateConflict):
    """``initialize`` was called on a ledger that is initialised already."""


class NotInitializing(LedgerFault):
    """An initialiser step ran outside initialisation: a fault of the ledger's code."""


class FailedCall(LedgerFault):
    """A call the ledger made (a multicall's step, its module by delegation) failed without
    saying why, e.g. out of gas."""


class AddressEmptyCode(LedgerFault):
    """The ledger delegated to an address with no code: its deployment is broken."""


class InvalidShortString(LedgerFault):
    """A stored short string is malformed: a fault of the ledger's code."""


class LabelsLocked(StateConflict):
    """Credits of the batch were retired relying on its labels, which can no longer change."""


class BatchNotVoidable(StateConflict):
    """The batch is no longer all held, untouched, by its first recipient (or was voided)."""


class BatchNotVoided(StateConflict):
    """The batch a correction names as replaced was not voided."""


class AccountNotFrozen(StateConflict):
    """Recovery moves only the credits of a frozen account."""


class BatchLimitReached(StateConflict):
    """The ledger holds 2^32 - 1 batches, its most."""


class LedgerSealed(StateConflict):
    """The ledger is sealed for migration: it changes no more (its successor carries on)."""


class SealNotReady(StateConflict):
    """No seal is scheduled, or its delay has not passed yet."""


class PredecessorNotSealed(InvalidRequest):
    """A successor ledger names a predecessor that is not a sealed ledger."""


class LinkedPeriodClaimed(StateConflict):
    """The bridging's vintage overlaps a period its link group claimed under another programme:
    the same tonnes would be issued twice."""


class InvalidProjectLink(InvalidRequest):
    """Two projects of one programme (or a project and itself) cannot be linked."""


class ProjectAlreadyLinked(StateConflict):
    """The projects are already linked, or each is already in a link group."""


class ProjectLinkNotProposed(StateConflict):
    """No pending proposal by the other programme's admin names this link."""


class LinkGroupFull(StateConflict):
    """The link group already spans four programmes."""


class ClassLimitReached(StateConflict):
    """The ledger holds 65,535 project classes (country, type, methodology), its most."""


class ProgramUnitFixed(StateConflict):
    """The programme's unit cannot change: it has projects, or a pool admits it."""


class NoBufferAccount(StateConflict):
    """The programme has no buffer account to reverse from (``setProgramBuffer`` first)."""


class ReversalOutsideProgramme(InvalidRequest):
    """A buffer reversal must name another batch of the buffer batch's own programme."""


class UnknownPool(InvalidRequest):
    """No such pool."""


POOL_RULES: dict[int, tuple[str, str]] = {
    1: ("programme", "its programme is not one the pool admits"),
    2: ("vintage_from", "its vintage starts before the pool's window"),
    3: ("vintage_to", "its vintage starts after the pool's window"),
    4: ("labels", "it lacks labels the pool requires"),
    5: ("country", "its project's country is not admitted"),
    6: ("project_type", "its project's type is not admitted"),
    7: ("methodology", "its project's methodology is not admitted"),
    8: ("unit", "a programme's serial is not one tonne"),
}
"""Pool rule codes (``PoolRule`` in contracts/CreditTypes.sol): name and what refusing means."""


def pool_rule_name(code: int) -> str:
    """The name of pool rule ``code`` (``"rule 42"`` for a code the ledger does not define)."""
    return POOL_RULES.get(code, (f"rule {code}", ""))[0]


class _PoolRuleError(ContractError):
    """A pool error carrying a rule code: the message names the rule in words."""

    def rule_name(self) -> str:
        return pool_rule_name(int(self.arguments.get("rule", 0)))

    def __str__(self) -> str:
        return f"{super().__str__()}: {self.explanation()}"

    def explanation(self) -> str:
        code = int(self.arguments.get("rule", 0))
        return POOL_RULES.get(code, (f"rule {code}", f"unknown rule {code}"))[1] or self.rule_name()


class InvalidPoolRules(_PoolRuleError, InvalidRequest):
    """A pool rule is malformed (``rule`` names which, ``POOL_RULES``)."""

    def explanation(self) -> str:
        return f"the pool's {self.rule_name()} rule is malformed"


class PoolRulesWidened(_PoolRuleError, StateConflict):
    """Tightening a pool's rules would admit batches the pool refuses (``rule`` names which)."""

    def explanation(self) -> str:
        return (
            f"the new {self.rule_name()} rule would admit batches pool "
            f"{self.arguments.get('poolId')} refuses: rules only tighten"
        )


class InvalidPoolList(InvalidRequest):
    """The pool does not list that kind in the mode the change needs (only-listed lists
    shrink, all-but-listed lists grow; a tightening lists only a kind it moves from any)."""


class PoolListEmpty(InvalidRequest):
    """A tightening would make a kind "only listed" with no list: the pool would admit nothing
    of that kind. The list goes in the same call."""

    def __str__(self) -> str:
        # PoolRule codes 5-7 are the list kinds 0-2 (PoolKind): the kind's rule names it.
        kind = pool_rule_name(5 + int(self.arguments.get("kind", 0))).replace("_", " ")
        return (
            f"{super().__str__()}: pool {self.arguments.get('poolId')}'s {kind} rule would "
            f"become 'only listed' with an empty list, admitting no {kind}: give the list "
            "in the same tightening"
        )


class PoolIneligible(_PoolRuleError, StateConflict):
    """The batch is not eligible for the pool: ``rule`` names the rule that refuses it."""

    detail: str = ""
    """Filled by the client when it can say more (e.g. the dates a vintage rule compared)."""

    def explanation(self) -> str:
        base = (
            f"batch {self.arguments.get('batchId')} is not eligible for pool "
            f"{self.arguments.get('poolId')}: {super().explanation()}"
        )
        return f"{base} ({self.detail})" if self.detail else base


class InvalidPoolHint(InvalidRequest):
    """The order hint is not the pool range just below (or, unlinking, just before) the range."""


class UnknownPoolRange(InvalidRequest):
    """The pool holds no range under that key."""


class InsufficientPoolUnits(StateConflict):
    """The account holds fewer units of the pool than asked (or the named range fewer tonnes)."""


class InsufficientPoolAllowance(StateConflict):
    """The spender's allowance over the owner's units is smaller than the amount."""


class NotPoolToken(Unauthorized):
    """Only the pool's own token may call the ledger's token functions."""


class NotLedger(Unauthorized):
    """Only the ledger that created a pool token may make it emit logs."""


class PoolAccountRefused(StateConflict):
    """The account is a pool's (or a new pool's predicted) account: it is never allowlisted."""


class PooledCredits(StateConflict):
    """A pool holds those serials: reversing pooled credits is left to governance."""


CONTRACT_ERRORS: dict[str, type[ContractError]] = {
    cls.__name__: cls
    for cls in (
        AccessControlUnauthorizedAccount,
        AccessControlBadConfirmation,
        AccessControlEnforcedDefaultAdminRules,
        AccessControlEnforcedDefaultAdminDelay,
        AccessControlInvalidDefaultAdmin,
        InvalidSignature,
        ExpiredSignature,
        InvalidAccountNonce,
        InvalidProgramCode,
        UnknownProgram,
        UnknownProject,
        UnknownBatch,
        InvalidSerialRange,
        InvalidNamespace,
        NamespaceNotAllowed,
        InvalidProjectId,
        TextTooLong,
        TextNotAllowed,
        TextBlank,
        SelfTransfer,
        InvalidVintage,
        UnknownLabels,
        InvalidAccount,
        InvalidDate,
        InvalidConsumptionPeriod,
        InvalidBridgeHint,
        InvalidRangeHint,
        ProjectAlreadyRegistered,
        SerialsAlreadyBridged,
        InsufficientCredits,
        AccountNotAllowed,
        AccountFrozen,
        BatchFrozen,
        LabelRequired,
        LabelsLocked,
        BatchNotVoidable,
        BatchNotVoided,
        AccountNotFrozen,
        BatchLimitReached,
        LedgerSealed,
        SealNotReady,
        PredecessorNotSealed,
        LinkedPeriodClaimed,
        InvalidProjectLink,
        ProjectAlreadyLinked,
        ProjectLinkNotProposed,
        LinkGroupFull,
        ClassLimitReached,
        ProgramUnitFixed,
        UnknownPool,
        InvalidPoolRules,
        PoolRulesWidened,
        InvalidPoolList,
        PoolListEmpty,
        PoolIneligible,
        InvalidPoolHint,
        UnknownPoolRange,
        InsufficientPoolUnits,
        InsufficientPoolAllowance,
        NotPoolToken,
        NotLedger,
        PoolAccountRefused,
        PooledCredits,
        NoBufferAccount,
        ReversalOutsideProgramme,
        EnforcedPause,
        ExpectedPause,
        SafeCastOverflowedUintDowncast,
        StringTooLong,
        InvalidInitialization,
        NotInitializing,
        FailedCall,
        AddressEmptyCode,
        InvalidShortString,
    )
}
"""Solidity error name → exception class, one for every error in ``chain.artifacts.ledger_abi``
(a test requires it); ``Error(string)`` and ``Panic(uint256)`` decode to plain ContractError."""


# ---------------------------------------------------------------- the indexer


class IndexerError(ChainError):
    """The indexer met something it must not paper over; it stops instead of diverging."""


class IndexerBusy(IndexerError):
    """Another indexer is writing this store: two at once would race for the same rows. It
    may be done in a while."""

    retryable = True


class ReorgTooDeep(IndexerError):
    """The chain changed below the confirmation depth: the store cannot follow it safely."""


class SequenceGap(IndexerError):
    """The node's logs skip (or repeat) an audit ``seq``: ``found`` came where ``expected``
    belongs, in ``block``. ``previous_block`` is the block of the event before the gap when
    that event is in the same chunk, ``None`` when the gap is at the chunk's start (so the
    missing logs may lie in blocks the store already holds). The node's answer was short:
    reading the blocks again may help (the indexer does, then stops if it stays short)."""

    retryable = True

    def __init__(
        self, message: str, expected: int, found: int, block: int, previous_block: int | None
    ) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found
        self.block = block
        self.previous_block = previous_block


class ReplayViolation(CarbonLedgerError, ValueError):
    """An event that could not have happened on a correct ledger (``chain.replay``); ``field``
    names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# The data folder's local anvil node (chain.anvil).
class AnvilNotFound(ChainError):
    """No anvil binary: run `npm ci` in the repository (or set CARBON_LEDGER_ANVIL)."""


class NodeStartError(ChainError):
    """The local anvil node exited or did not answer in time (message has its log's tail)."""


class NodeAlreadyRunning(ChainError):
    """A live anvil node is already recorded for this data folder."""
