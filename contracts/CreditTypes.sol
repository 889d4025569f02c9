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
    Reason,
    Symbol
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
    // The project's class ({ProjectClass}): its country, type and methodology, which pool rules
    // read. Copied into each of its batches at bridging, from this slot the bridging reads anyway.
    uint16 classId;
}

/// @notice The attributes of a project that pool rules read, as 64-bit tags: each is
/// `bytes8(keccak256(bytes(text)))` of the project's country, type and methodology, exactly as
/// registered. A pool's lists are hashed the same way. 64 bits suffice: the texts are chosen by
/// the programme's issuer before any pool names them, and finding a second text with the tag of
/// a listed one (a targeted second preimage) takes about 2^64 hashes.
struct ProjectClass {
    bytes8 country;
    bytes8 projectType;
    bytes8 methodology;
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
    // Grams of CO2e one serial stands for; 0 means one tonne (1,000,000 g). Settable only while
    // the programme has no project and no pool admits it ({LedgerPools-setProgramUnit}).
    uint32 unitGrams;
    bool hasProjects; // a project was registered under it: the unit is fixed from then on
    bool inPool; // a pool's rules admitted it: the unit is fixed from then on
}

/// @notice A batch as the views return it ({CarbonLedger-batch}); stored as {BatchRecord}.
/// @dev `held` is not stored: held = quantity - retired - detokenised - cancelled.
struct BatchView {
    uint16 programId;
    uint16 labels;
    bool frozen;
    uint64 firstSerial;
    uint32 quantity;
    uint32 retired;
    uint32 detokenised;
    uint32 cancelled;
    uint24 vintageStart; // packed as in {BatchRecord}
}

/// @notice Storage of a batch, packed into one slot (256 bits; a test pins the packing):
/// `programId | flags << 16 | classId << 24 | firstSerial << 40 | quantity << 104 | retired << 136
/// | detokenised << 168 | cancelled << 200 | vintageStart << 232`.
/// @dev `held` is not stored: held = quantity - retired - detokenised - cancelled.
struct BatchRecord {
    uint16 programId; // 0 means "no such batch": programme ids start at 1
    // Labels in bits 0-3 ({Labels}), frozen in bit 7 ({BatchFlags}).
    uint8 flags;
    uint16 classId; // the project's class when the batch was bridged ({ProjectClass})
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

/// @notice Bits of {BatchRecord-flags} besides the labels (bits 0-3, {Labels}).
library BatchFlags {
    uint8 internal constant LABELS = 0x0f;
    uint8 internal constant FROZEN = 0x80;
}

/// @notice The rules of a pool: which batches it admits ({LedgerPools}).
/// @dev `programmes` is a bitmap of admitted programme ids 1..255 (bit `id`); the vintage window
/// applies to a batch's vintage start, YYYYMMDD, 0 leaving that end open; a batch must carry
/// every label of `labelsRequired`; each mode is {PoolMode}, for the pool's list of that kind
/// ({PoolKind}).
struct PoolRules {
    uint256 programmes;
    uint32 vintageFrom;
    uint32 vintageTo;
    uint16 labelsRequired;
    uint8 countryMode;
    uint8 typeMode;
    uint8 methodologyMode;
}

/// @notice A pool as {LedgerPools-pool} returns it.
struct PoolView {
    PoolRules rules;
    address token; // the pool's ERC-20 and its ledger account, which holds the pooled serials
    uint64 supply; // units in circulation = tonnes the token account holds
    uint32 ranges; // holding ranges in the pool's order list
}

/// @notice Modes of a pool's country, project-type and methodology rules.
library PoolMode {
    uint8 internal constant ANY = 0;
    uint8 internal constant ONLY = 1; // only the listed values
    uint8 internal constant EXCEPT = 2; // all but the listed values
}

/// @notice The kinds of a pool's lists.
library PoolKind {
    uint8 internal constant COUNTRY = 0;
    uint8 internal constant PROJECT_TYPE = 1;
    uint8 internal constant METHODOLOGY = 2;
}

/// @notice Codes naming a pool rule in {ICarbonLedgerErrors-PoolIneligible},
/// {ICarbonLedgerErrors-InvalidPoolRules} and {ICarbonLedgerErrors-PoolRulesWidened}.
library PoolRule {
    uint8 internal constant PROGRAMME = 1;
    uint8 internal constant VINTAGE_FROM = 2;
    uint8 internal constant VINTAGE_TO = 3;
    uint8 internal constant LABELS = 4;
    uint8 internal constant COUNTRY = 5; // = 5 + {PoolKind-COUNTRY}
    uint8 internal constant PROJECT_TYPE = 6;
    uint8 internal constant METHODOLOGY = 7;
    uint8 internal constant UNIT = 8; // a programme whose serial is not one tonne
}
