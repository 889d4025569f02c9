// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Errors of the carbon ledger
/// @notice Every refusal is a custom error carrying the data that explains it; the Python client
/// decodes each into the exception class of the same name (chain/errors.py).
interface ICarbonLedgerErrors {
    /// @notice `code` is not a canonical programme code (1-16 of A-Z and 0-9, starting with a
    /// letter, zero-padded) or is already registered.
    error InvalidProgramCode(bytes32 code);
    /// @notice No programme has id `programId`.
    error UnknownProgram(uint16 programId);
    /// @notice `projectKey` is already registered.
    error ProjectAlreadyRegistered(bytes32 projectKey);
    /// @notice `projectKey` is not a registered project of `programId`.
    error UnknownProject(bytes32 projectKey, uint16 programId);
    /// @notice No batch has id `batchId`.
    error UnknownBatch(uint64 batchId);
    /// @notice `first..last` is reversed, too long (over 2^32-1 t) or ends above {Limits-MAX_SERIAL}.
    error InvalidSerialRange(uint64 first, uint64 last);
    /// @notice The namespace is not a canonical identifier (1-64 bytes of A-Z, 0-9 and single
    /// `-`, `_` or `.` between them), or, voiding a batch, not the batch's own.
    error InvalidNamespace(string namespace);
    /// @notice The programme confines bridgings to the namespaces its admin allowed, and
    /// `namespace` is not one of them.
    error NamespaceNotAllowed(uint16 programId, string namespace);
    /// @notice `projectId` is not a canonical identifier, or not a decimal number where the
    /// programme's policy requires one.
    error InvalidProjectId(uint16 programId, string projectId);
    /// @notice Text field `field` is `length` bytes long, over its limit of `maxLength`.
    error TextTooLong(string field, uint256 length, uint256 maxLength);
    /// @notice Text field `field` is invalid UTF-8, or holds a control character, a line or
    /// paragraph separator or a bidirectional embedding, override or isolate at byte `offset`.
    error TextNotAllowed(string field, uint256 offset);
    /// @notice Required text field `field` is empty or holds only spaces and invisible characters.
    error TextBlank(string field);
    /// @notice A vintage date is not a calendar date YYYYMMDD (1900-9999), or the vintage ends
    /// before it starts.
    error InvalidVintage(uint32 vintageStart, uint32 vintageEnd);
    /// @notice `labels` has bits the ledger does not know.
    error UnknownLabels(uint16 labels);
    /// @notice `hint` is not the bridged part immediately below the new range.
    error InvalidBridgeHint(uint256 hint);
    /// @notice Some of `first..last` in this namespace was bridged before, by anyone.
    error SerialsAlreadyBridged(uint16 programId, string namespace, uint64 first, uint64 last);
    /// @notice `account` is not on the allowlist.
    error AccountNotAllowed(address account);
    /// @notice `account` is frozen.
    error AccountFrozen(address account);
    /// @notice The batch is frozen.
    error BatchFrozen(uint64 batchId);
    /// @notice No holding range of the batch contains `rangeStart..first` as given.
    error InvalidRangeHint(uint64 batchId, uint64 rangeStart);
    /// @notice `holder` does not hold all of `first..last` of the batch as live credits.
    error InsufficientCredits(address holder, uint64 batchId, uint64 first, uint64 last);
    /// @notice The retirement purpose needs the labels `label` (a bit set), which the batch lacks.
    error LabelRequired(uint64 batchId, uint16 label);
    /// @notice Credits of the batch were retired relying on its labels, which can no longer change.
    error LabelsLocked(uint64 batchId);
    /// @notice The batch cannot be voided: not every serial is still held, untouched, by its
    /// first recipient (or it was voided already).
    error BatchNotVoidable(uint64 batchId);
    /// @notice The batch was not voided.
    error BatchNotVoided(uint64 batchId);
    /// @notice Recovery moves only the credits of a frozen account.
    error AccountNotFrozen(address account);
    /// @notice Batch ids stop at 2^32 - 1 (bridged parts name their batch in 32 bits).
    error BatchLimitReached(uint64 batchId);
    /// @notice `account` cannot be given permissions (the zero address).
    error InvalidAccount(address account);
    /// @notice A date is not a calendar date YYYYMMDD (1900-9999), or lies in the future.
    error InvalidDate(uint32 date);
    /// @notice The consumption period is not two calendar dates YYYYMMDD (or zeros), in order.
    error InvalidConsumptionPeriod(uint32 consumptionStart, uint32 consumptionEnd);
    /// @notice A signed request was submitted after its `deadline`.
    error ExpiredSignature(uint256 deadline);
    /// @notice The signature is not `signer`'s for this request.
    error InvalidSignature(address signer);
    /// @notice A transfer names its sender as the recipient (it would only fragment ranges).
    error SelfTransfer(address account);
    /// @notice The ledger is sealed: it changes no more (its successor carries on).
    error LedgerSealed();
    /// @notice No seal is scheduled, or its delay has not passed (`sealAt`).
    error SealNotReady(uint48 sealAt);
    /// @notice The predecessor named at construction is not a sealed ledger.
    error PredecessorNotSealed(address predecessor);
    /// @notice The bridging's vintage overlaps the period `claimedStart..claimedEnd` (YYYYMMDD)
    /// already bridged in link group `groupId` under programme `programId`, another programme
    /// than the bridging's: the same tonnes would be issued twice.
    error LinkedPeriodClaimed(uint32 groupId, uint16 programId, uint32 claimedStart, uint32 claimedEnd);
    /// @notice Two projects of one programme (or a project and itself) cannot be linked.
    error InvalidProjectLink(bytes32 projectKey, bytes32 otherKey);
    /// @notice The two projects are already linked, or each is already in a link group.
    error ProjectAlreadyLinked(bytes32 projectKey, uint32 groupId);
    /// @notice No pending proposal by `projectKey`'s programme admin links it to `otherKey`.
    error ProjectLinkNotProposed(bytes32 projectKey, bytes32 otherKey);
    /// @notice Link group `groupId` already spans four programmes.
    error LinkGroupFull(uint32 groupId);
    /// @notice The ledger holds 65,535 project classes already ({ProjectClass}).
    error ClassLimitReached();
    /// @notice The programme's unit cannot change: it has projects, or a pool admits it.
    error ProgramUnitFixed(uint16 programId);

    /// @notice The programme has no buffer account to reverse from ({LedgerPools-setProgramBuffer}).
    error NoBufferAccount(uint16 programId);

    /// @notice A reversal must name another batch of the buffer batch's own programme.
    error ReversalOutsideProgramme(uint64 reversedBatchId, uint16 programId);
    /// @notice No pool has id `poolId`.
    error UnknownPool(uint32 poolId);
    /// @notice Pool rule `rule` ({PoolRule}) is malformed: an unknown or unregistered programme,
    /// one whose serial is not a tonne, a date that is not a calendar date or a window out of
    /// order, unknown labels, an unknown mode, or a list given for a kind the rules do not list.
    error InvalidPoolRules(uint8 rule);
    /// @notice The new rules of pool `poolId` would admit batches its rules refuse, by rule `rule`.
    error PoolRulesWidened(uint32 poolId, uint8 rule);
    /// @notice Pool `poolId` does not list its kind `kind` ({PoolKind}) in the mode this change needs
    /// (a tightening gives a list only for a kind that leaves mode 0 in the same call).
    error InvalidPoolList(uint32 poolId, uint8 kind);
    /// @notice Tightening pool `poolId`'s kind `kind` ({PoolKind}) to "only listed" needs its
    /// list in the same call: an empty one would admit nothing of that kind.
    error PoolListEmpty(uint32 poolId, uint8 kind);
    /// @notice Batch `batchId` is not eligible for pool `poolId`: rule `rule` ({PoolRule})
    /// refuses it.
    error PoolIneligible(uint32 poolId, uint64 batchId, uint8 rule);
    /// @notice `hint` is not the node of pool `poolId`'s order list just before the range.
    error InvalidPoolHint(uint32 poolId, uint256 hint);
    /// @notice Pool `poolId` holds no range under `key`.
    error UnknownPoolRange(uint32 poolId, uint256 key);
    /// @notice `account` holds `balance` units of pool `poolId`, fewer than `needed` (or the
    /// named range holds fewer than `needed` tonnes).
    error InsufficientPoolUnits(uint32 poolId, address account, uint256 balance, uint256 needed);
    /// @notice `spender` may move `allowance` units of `owner`'s in pool `poolId`, fewer than `needed`.
    error InsufficientPoolAllowance(uint32 poolId, address owner, address spender, uint256 allowance, uint256 needed);
    /// @notice Only pool `poolId`'s token may call this.
    error NotPoolToken(uint32 poolId, address caller);
    /// @notice `account` is pool `poolId`'s account: it cannot be allowlisted, frozen or be
    /// predicted by a new pool once allowlisted (struck off, it still holds what it was sent).
    error PoolAccountRefused(uint32 poolId, address account);
    /// @notice Pool `poolId` holds the serials of batch `batchId`: a reversal of pooled credits
    /// is left to governance.
    error PooledCredits(uint32 poolId, uint64 batchId);
    /// @notice The ledger is paused.
    error EnforcedPause();
    /// @notice The ledger is not paused.
    error ExpectedPause();
}
