// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AdminAction, Issuance, PoolRules, Project, RangeState, Retirement} from "./CreditTypes.sol";

/// @title Events of the carbon ledger
/// @notice Every event below is part of the audit trail. Each has exactly four topics (selector,
/// a strictly increasing, gap-free `seq`, and two indexed fields) and the ledger folds each one
/// into `auditHead = keccak256(auditHead ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data)` over the
/// raw log bytes (see docs/AUDIT.md). Events are emitted right after the state change they describe.
interface ICarbonLedgerEvents {
    /// @notice A crediting programme (VCS, GS, CDM, …) was registered.
    event ProgramRegistered(uint64 indexed seq, uint16 indexed programId, address indexed actor, bytes32 code);

    /// @notice A programme admin set the programme's identity policy: whether bridgings are
    /// confined to the namespaces it allowed, and whether project ids must be decimal numbers.
    event ProgramPolicyUpdated(
        uint64 indexed seq, uint16 indexed programId, address indexed actor, bool fixedNamespaces, bool numericProjectIds
    );

    /// @notice A programme admin allowed (`allowed`) or withdrew a namespace of its programme.
    event NamespaceUpdated(
        uint64 indexed seq, uint16 indexed programId, address indexed actor, string namespace, bool allowed
    );

    /// @notice A registry project was registered under a programme.
    event ProjectRegistered(
        uint64 indexed seq, bytes32 indexed projectKey, address indexed actor, uint16 programId, Project project
    );

    /// @notice An account's allowlist or freeze flags were set.
    event AccountUpdated(uint64 indexed seq, address indexed account, address indexed actor, bool allowed, bool frozen);

    /// @notice A role was granted (`granted`) or revoked.
    event RoleUpdated(uint64 indexed seq, bytes32 indexed role, address indexed account, address actor, bool granted);

    /// @notice A step of the two-step default-admin hand-over was taken; `effectiveAt` is when a
    /// begun transfer can be accepted or a begun delay change takes effect (0 otherwise).
    event AdminChangeRecorded(
        uint64 indexed seq,
        address indexed actor,
        AdminAction indexed action,
        address newAdmin,
        uint48 newDelay,
        uint48 effectiveAt
    );

    /// @notice The whole ledger was paused (`paused`) or unpaused.
    event PauseChanged(uint64 indexed seq, address indexed actor, bool indexed paused);

    /// @notice A registry issuance block was bridged as batch `batchId`.
    event BatchBridged(uint64 indexed seq, uint64 indexed batchId, address indexed actor, Issuance issuance);

    /// @notice The serials `firstSerial..lastSerial` of a batch changed hands or state.
    /// @dev The single holdings event: bridging has `from == address(0)`; a transfer moves `Held`
    /// serials from `from` to `to`; retirement, detokenisation and cancellation keep `to == from`
    /// and set `state`.
    event SerialsMoved(
        uint64 indexed seq,
        uint64 indexed batchId,
        address indexed from,
        address to,
        uint64 firstSerial,
        uint64 lastSerial,
        RangeState state,
        address actor
    );

    /// @notice Credits were retired. `mirrored` marks a retirement replayed from the registry's
    /// own records, dated `retiredOn` (YYYYMMDD); on-chain retirements carry the block date.
    /// `labels` are the batch's labels the retirement relied on (fixed from then on).
    event CreditsRetired(
        uint64 indexed seq,
        uint64 indexed retirementId,
        address indexed holder,
        Retirement retirement,
        uint32 retiredOn,
        bool mirrored,
        address actor,
        uint16 labels
    );

    /// @notice Credits were returned to the off-chain registry under `registryReference`.
    event CreditsDetokenised(
        uint64 indexed seq,
        uint64 indexed batchId,
        address indexed holder,
        uint64 firstSerial,
        uint64 lastSerial,
        string registryReference
    );

    /// @notice The issuing registry cancelled credits (e.g. a reversal) for `reason`.
    event CreditsCancelled(
        uint64 indexed seq,
        uint64 indexed batchId,
        address indexed holder,
        uint64 firstSerial,
        uint64 lastSerial,
        string reason,
        address actor
    );

    /// @notice The issuing registry set a batch's labels.
    event LabelsUpdated(uint64 indexed seq, uint64 indexed batchId, address indexed actor, uint16 labels);

    /// @notice A programme admin voided a wrong bridging for `reason`: its serials were
    /// cancelled (the `SerialsMoved` just before) and can be bridged again.
    event BatchVoided(uint64 indexed seq, uint64 indexed batchId, address indexed actor, string reason);

    /// @notice Batch `batchId` replaces the voided batch `voidedBatchId`.
    event BatchCorrected(uint64 indexed seq, uint64 indexed voidedBatchId, uint64 indexed batchId, address actor);

    /// @notice Compliance moved `ranges` live ranges of the frozen account `lost` to
    /// `replacement` (the `SerialsMoved` just before).
    event AccountRecovered(
        uint64 indexed seq, address indexed lost, address indexed replacement, address actor, uint256 ranges
    );

    /// @notice `holder` used up signature nonce `nonce` without a request: a pending signature
    /// carrying it is void.
    event NonceInvalidated(uint64 indexed seq, address indexed holder, uint256 indexed nonce);

    /// @notice A step of sealing the ledger for migration: `step` 0 scheduled (`effectiveAt` is
    /// when {LedgerGovernance-seal} may run), 1 cancelled, 2 sealed (the last event ever:
    /// its head is the final head).
    event SealRecorded(uint64 indexed seq, address indexed actor, uint8 indexed step, uint48 effectiveAt);

    /// @notice This ledger succeeds the sealed ledger `predecessor`, whose final audit head
    /// and state commitment are `predecessorHead` and `predecessorCommitment`.
    event LedgerSucceeded(
        uint64 indexed seq,
        address indexed predecessor,
        bytes32 indexed predecessorHead,
        bytes32 predecessorCommitment
    );

    /// @notice A step of linking two projects of different programmes: `step` 0 proposed by
    /// `projectKey`'s programme admin, 1 that proposal withdrawn, 2 accepted by `projectKey`'s
    /// programme admin (the other's proposed it): both are in link group `groupId` (0 before).
    event ProjectLinkRecorded(
        uint64 indexed seq,
        bytes32 indexed projectKey,
        bytes32 indexed otherKey,
        uint8 step,
        uint32 groupId,
        address actor
    );

    /// @notice A batch was frozen (`frozen`) or unfrozen.
    event BatchFreezeChanged(uint64 indexed seq, uint64 indexed batchId, address indexed actor, bool frozen);

    /// @notice A programme admin set the programme's unit: one serial is `unitGrams` grams of
    /// CO2e (0: one tonne).
    event ProgramUnitSet(uint64 indexed seq, uint16 indexed programId, address indexed actor, uint32 unitGrams);

    /// @notice A programme admin named `account` the programme's buffer account: the account
    /// the buffer share of its issuances is bridged to, and a reversal cancels from.
    event ProgramBufferSet(uint64 indexed seq, uint16 indexed programId, address indexed account, address actor);

    /// @notice The buffer account `holder` of batch `batchId`'s programme had its serials
    /// `firstSerial..lastSerial` cancelled to make good a reversal of batch `reversedBatchId`
    /// (of the same programme), for `reason`. Follows the {SerialsMoved} that cancelled them.
    event BufferReversed(
        uint64 indexed seq,
        uint64 indexed batchId,
        uint64 indexed reversedBatchId,
        address holder,
        uint64 firstSerial,
        uint64 lastSerial,
        string reason,
        address actor
    );

    /// @notice Pool `poolId` was created with its ERC-20 `token` (also the ledger account that
    /// holds its serials) and its rules; its lists follow as {PoolListUpdated} events.
    event PoolCreated(
        uint64 indexed seq,
        uint32 indexed poolId,
        address indexed token,
        string name,
        string symbol,
        PoolRules rules,
        address actor
    );

    /// @notice A pool's rules were tightened to `rules`. Credits already pooled stay.
    event PoolRulesTightened(uint64 indexed seq, uint32 indexed poolId, address indexed actor, PoolRules rules);

    /// @notice `value` was added to (`listed`) or removed from a pool's list of kind `kind`
    /// (0 country, 1 project type, 2 methodology).
    event PoolListUpdated(
        uint64 indexed seq, uint32 indexed poolId, address indexed actor, uint8 kind, string value, bool listed
    );

    /// @notice `amount` units of a pool moved from `from` to `to`: minted by a deposit (`from`
    /// zero), burned by a redemption or retirement (`to` zero), or transferred.
    event PoolUnitsMoved(
        uint64 indexed seq, uint32 indexed poolId, address indexed from, address to, uint256 amount, address actor
    );

    /// @notice `owner` allowed `spender` to move `amount` of its units of a pool.
    event PoolUnitsApproved(
        uint64 indexed seq, uint32 indexed poolId, address indexed owner, address spender, uint256 amount
    );
}
