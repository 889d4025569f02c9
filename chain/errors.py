"""Exception hierarchy for carbon-ledger: catch CarbonLedgerError for anything we raise.

Contract reverts are decoded (see ``chain._revert``) into a ``ContractError`` subclass named
after the Solidity custom error, grouped by what the caller did wrong:

- ``Unauthorized``: the caller lacks the role or signature (HTTP 401/403);
- ``InvalidRequest``: the request itself is malformed or names nothing that exists (422);
- ``StateConflict``: well-formed, but the ledger's state forbids it now (409).
"""

from __future__ import annotations

from typing import Any, ClassVar


class CarbonLedgerError(Exception):
    """Base class of every error raised by carbon-ledger."""


class CompileError(CarbonLedgerError):
    """Solidity compilation failed (message names file, line and compiler message)."""


class ConfigurationError(CarbonLedgerError):
    """A setting, key or data folder is missing or inconsistent."""


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
        EnforcedPause,
        ExpectedPause,
    )
}
"""Solidity error name → exception class; names not listed decode to plain ContractError."""


# The data folder's local anvil node (chain.anvil).
class AnvilNotFound(ChainError):
    """No anvil binary: run `npm ci` in the repository (or set CARBON_LEDGER_ANVIL)."""


class NodeStartError(ChainError):
    """The local anvil node exited or did not answer in time (message has its log's tail)."""


class NodeAlreadyRunning(ChainError):
    """A live anvil node is already recorded for this data folder."""
