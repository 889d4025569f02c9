// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Shared nouns of the carbon ledger
/// @notice Plain data types used by {CarbonLedger} and its callers. Serial numbers are the
/// registry's own (one tonne CO2e each); a serial is unique within its programme namespace.

/// @notice Lifecycle of a serial range. `None` marks storage that holds no range.
enum RangeState {
    None,
    Held,
    Retired,
    Detokenised,
    Cancelled
}

/// @notice Why credits are retired. CORSIA and Article 6 uses are gated by batch labels.
enum Purpose {
    Voluntary,
    Corsia,
    Article6,
    Compliance
}

/// @notice Steps of the two-step default-admin hand-over, recorded in the audit trail.
enum AdminAction {
    TransferBegun,
    TransferCancelled,
    TransferAccepted,
    DelayChangeBegun,
    DelayChangeRolledBack
}

/// @notice Bounds every layer shares (docs/ARCHITECTURE.md, "Bounds"): the contract refuses
/// anything beyond them, so the query store, the API and the pages hold every value it accepts.
library Limits {
    /// @notice Largest serial number: fits a signed 64-bit SQL column, and so does `last + 1`.
    uint64 internal constant MAX_SERIAL = 2 ** 63 - 2;
    /// @notice Longest programme code, in bytes (A-Z and 0-9, starting with a letter).
    uint256 internal constant PROGRAM_CODE = 16;
    /// @notice Longest identifier (namespace, project id), in bytes.
    uint256 internal constant IDENTIFIER = 64;
    /// @notice Longest registry reference (bridging, detokenisation), in bytes.
    uint256 internal constant REFERENCE = 128;
    /// @notice Longest short text (country, jurisdiction), in bytes.
    uint256 internal constant SHORT_TEXT = 64;
    /// @notice Longest name (project name, methodology, project type, beneficiary), in bytes.
    uint256 internal constant NAME = 256;
    /// @notice Longest note (retirement note, cancellation reason), in bytes.
    uint256 internal constant NOTE = 2048;
}

/// @notice The text fields the ledger checks ({CanonicalText-check}), each with its limit.
enum TextField {
    Name,
    Country,
    Methodology,
    ProjectType,
    RegistryReference,
    Beneficiary,
    Jurisdiction,
    Note,
    Reason
}

/// @notice Label bits a batch carries (set by its issuing registry).
library Labels {
    uint16 internal constant CORSIA_ELIGIBLE = 1 << 0;
    uint16 internal constant CCP_APPROVED = 1 << 1;
    uint16 internal constant ARTICLE6_AUTHORISED = 1 << 2;
    uint16 internal constant CORRESPONDING_ADJUSTMENT = 1 << 3;
    uint16 internal constant ALL = CORSIA_ELIGIBLE | CCP_APPROVED | ARTICLE6_AUTHORISED | CORRESPONDING_ADJUSTMENT;
}

/// @notice A registry project, registered once per programme before its first batch.
struct Project {
    string projectId; // canonical registry project id, e.g. "1340" (VCS) or "11236" (GS)
    string name;
    string country; // ISO 3166-1 alpha-2 where known, else the registry's spelling
    string methodology;
    string projectType;
}

/// @notice Storage of a registered project (one slot, read by every bridging of it): its
/// programme and the link group it joined ({LedgerGovernance-acceptProjectLink}).
struct ProjectRecord {
    uint16 programId; // 0 means "no such project": programme ids start at 1
    uint32 linkGroup; // 0: linked to no project of another programme
    // The programme's `fixedNamespaces` when the project was registered: a hint that orders a
    // bridging's two policy reads (the programme's flag, the namespace's), never a check.
    bool fixedNamespaces;
}

/// @notice One registry issuance block to bridge: `firstSerial..lastSerial` of `namespace`.
struct Issuance {
    uint16 programId;
    bytes32 projectKey; // keccak256(abi.encode(programId, projectId)), see {CarbonLedger-projectKey}
    string namespace; // canonical registry namespace that scopes the serial numbers
    uint64 firstSerial;
    uint64 lastSerial;
    address recipient;
    uint32 vintageStart; // YYYYMMDD
    uint32 vintageEnd; // YYYYMMDD
    uint16 labels;
    bytes32 metadataHash; // keccak256 of the batch's canonical metadata JSON (off-chain)
    string registryReference; // the registry's own reference for the block
}

/// @notice A retirement request: the exact serials, who benefits and why.
struct Retirement {
    uint64 batchId;
    uint64 firstSerial;
    uint64 lastSerial;
    string beneficiary;
    Purpose purpose;
    string jurisdiction; // optional, e.g. "CH" for a Swiss NDC use
    uint32 consumptionStart; // optional YYYYMMDD, 0 when not given
    uint32 consumptionEnd; // optional YYYYMMDD, 0 when not given
    string note; // free text: the buyer's statement, or the registry's recorded reason and details
}

/// @notice Storage of a crediting programme (one slot): its code and the identity policy its
/// governance (the programme admin) sets.
struct ProgramRecord {
    bytes16 code; // canonical code, e.g. "VCS"; zero means "no such programme"
    bool fixedNamespaces; // only namespaces the programme admin allowed may be bridged into
    bool numericProjectIds; // project ids are decimal numbers without leading zeros
}

/// @notice Storage of a batch, packed into one slot (256 bits).
/// @dev `held` is not stored: held = quantity - retired - detokenised - cancelled.
struct BatchRecord {
    uint16 programId; // 0 means "no such batch": programme ids start at 1
    uint16 labels;
    bool frozen;
    uint64 firstSerial;
    uint32 quantity;
    uint32 retired;
    uint32 detokenised;
    uint32 cancelled;
    // The vintage's first day as `year << 9 | month << 5 | day` (YYYYMMDD does not fit 24
    // bits; this packing keeps the order of dates), see {CarbonLedger-_packDate}.
    uint24 vintageStart;
}

/// @notice One holding range `start..last` of a batch, keyed by its start, as views return it.
struct HoldingRange {
    address holder; // the holder, or for a spent range the account that spent it
    uint64 last;
    RangeState state;
}

/// @notice Storage of one holding range (one slot): {HoldingRange} and two marks.
struct StoredRange {
    address holder;
    uint64 last;
    RangeState state;
    // Written by the bridging itself and never rewritten: with `last` the batch's last serial,
    // the whole batch is still held, untouched, by its first recipient ({LedgerGovernance-voidBatch}).
    bool bridged;
    // Set on the first range of a voided batch (its whole range, cancelled by the void).
    bool voided;
}

/// @notice A holding range named by its batch and start, e.g. for {LedgerGovernance-recover}.
struct RangeRef {
    uint64 batchId;
    uint64 start;
}

/// @notice Node of the global sorted list of bridged parts (one slot), keyed by
/// `namespaceId << 64 | firstSerial`. Lets the ledger refuse overlaps in O(1) with a hint.
/// @dev The part names its batch (whose quantity gives its span), so a void can prove which
/// part is the batch's own before it unlinks it.
struct BridgedPart {
    uint224 next; // key of the following part; type(uint224).max terminates the list
    uint32 batchId; // the batch bridged as this part (0 for the head sentinel)
}

/// @notice Allowlist and freeze flags of an account (one slot).
struct AccountStatus {
    bool allowed;
    bool frozen;
}
