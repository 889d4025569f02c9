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
    string projectId; // the registry's own project id, e.g. "1340" (VCS) or "GS11236"
    string name;
    string country; // ISO 3166-1 alpha-2 where known, else the registry's spelling
    string methodology;
    string projectType;
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

/// @notice Storage of a batch, packed into one slot (232 bits).
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
}

/// @notice Storage of one holding range `start..last` of a batch, keyed by its start (one slot).
struct HoldingRange {
    address holder; // the holder, or for a spent range the account that spent it
    uint64 last;
    RangeState state;
}

/// @notice Node of the global sorted list of bridged parts (one slot), keyed by
/// `namespaceId << 64 | firstSerial`. Lets the ledger refuse overlaps in O(1) with a hint.
struct BridgedPart {
    uint224 next; // key of the following part; type(uint224).max terminates the list
    uint32 span; // lastSerial - firstSerial
}

/// @notice Allowlist and freeze flags of an account (one slot).
struct AccountStatus {
    bool allowed;
    bool frozen;
}
