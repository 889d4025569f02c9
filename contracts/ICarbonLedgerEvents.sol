// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AdminAction, Issuance, Project, RangeState, Retirement} from "./CreditTypes.sol";

/// @title Events and errors of the carbon ledger
/// @notice Every event below is part of the audit trail. Each has exactly four topics (selector,
/// a strictly increasing, gap-free `seq`, and two indexed fields) and the ledger folds each one
/// into `auditHead = keccak256(auditHead ‖ topic0 ‖ topic1 ‖ topic2 ‖ topic3 ‖ data)` over the
/// raw log bytes (see docs/AUDIT.md). Events are emitted right after the state change they describe.
interface ICarbonLedgerEvents {
    /// @notice A crediting programme (VCS, GS, CDM, …) was registered.
    event ProgramRegistered(uint64 indexed seq, uint16 indexed programId, address indexed actor, bytes32 code);

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
    event CreditsRetired(
        uint64 indexed seq,
        uint64 indexed retirementId,
        address indexed holder,
        Retirement retirement,
        uint32 retiredOn,
        bool mirrored,
        address actor
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

    /// @notice A batch was frozen (`frozen`) or unfrozen.
    event BatchFreezeChanged(uint64 indexed seq, uint64 indexed batchId, address indexed actor, bool frozen);

    /// @notice `code` is empty or already registered.
    error InvalidProgramCode(bytes32 code);
    /// @notice No programme has id `programId`.
    error UnknownProgram(uint16 programId);
    /// @notice `projectKey` is already registered.
    error ProjectAlreadyRegistered(bytes32 projectKey);
    /// @notice `projectKey` is not a registered project of `programId`.
    error UnknownProject(bytes32 projectKey, uint16 programId);
    /// @notice No batch has id `batchId`.
    error UnknownBatch(uint64 batchId);
    /// @notice `first..last` is empty, reversed, too long (over 2^32-1 t) or ends at the top serial.
    error InvalidSerialRange(uint64 first, uint64 last);
    /// @notice The namespace string is empty.
    error InvalidNamespace(string namespace);
    /// @notice A vintage date is not YYYYMMDD-shaped or ends before it starts.
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
    /// @notice The retirement purpose needs `label`, which the batch lacks.
    error LabelRequired(uint64 batchId, uint16 label);
    /// @notice `account` cannot be given permissions (the zero address).
    error InvalidAccount(address account);
    /// @notice A date is not a plausible YYYYMMDD date, or lies in the future.
    error InvalidDate(uint32 date);
    /// @notice The consumption period is not two YYYYMMDD dates (or zeros), in order.
    error InvalidConsumptionPeriod(uint32 consumptionStart, uint32 consumptionEnd);
    /// @notice A signed request was submitted after its `deadline`.
    error ExpiredSignature(uint256 deadline);
    /// @notice The signature is not `signer`'s for this request.
    error InvalidSignature(address signer);
}
