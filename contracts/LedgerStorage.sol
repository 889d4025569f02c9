// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {
    AccountStatus, BatchRecord, BridgedPart, ProgramRecord, ProjectClass, ProjectRecord, StoredRange
} from "./CreditTypes.sol";

/// @title The ledger's state, in one ERC-7201 namespace
/// @notice {CarbonLedger} and its modules {LedgerGovernance} and {LedgerPools} run on the same storage (the modules
/// through `delegatecall`), so the state lives at a fixed slot rather than wherever inheritance
/// order would put it; OpenZeppelin's access control and nonces keep their own namespaces.
library LedgerStorage {
    /// @custom:storage-location erc7201:carbonledger.storage.Ledger
    struct Layout {
        // One slot, read by every operation anyway: the pause flag, the audit sequence and the
        // id counters (a test pins the packing).
        bool paused;
        uint64 auditSeq;
        uint64 batchCount;
        uint64 retirementCount;
        uint16 programCount;
        // Set by {LedgerGovernance-seal}: from then on every audited change reverts.
        bool isSealed;
        bytes32 auditHead;
        mapping(uint16 programId => ProgramRecord) programs;
        mapping(bytes32 code => uint16 programId) programIds;
        // Namespaces a programme admin allowed, by namespace id (which includes the programme).
        mapping(uint160 namespaceId => bool) allowedNamespaces;
        // Each project's programme and link group, in the one slot a bridging of it reads.
        mapping(bytes32 projectKey => ProjectRecord) projects;
        mapping(address account => AccountStatus) accounts;
        mapping(uint64 batchId => BatchRecord) batches;
        mapping(uint256 partKey => BridgedPart) parts;
        mapping(uint64 batchId => mapping(uint64 start => StoredRange)) ranges;
        // When a scheduled seal may be carried out (0: none scheduled).
        uint48 sealAt;
        // The sealed ledger this one succeeds (zero for a first ledger).
        address predecessor;
        // Link groups made so far (ids are 1..linkGroupCount).
        uint32 linkGroupCount;
        // Per link group, one word: up to four member programmes' claimed vintage envelopes,
        // 64 bits each: `programId << 48 | start << 24 | end` (packed dates; 0 start: none).
        mapping(uint32 groupId => uint256) linkClaims;
        // Pending link proposals, by `keccak256(abi.encode(proposer's project, other project))`.
        mapping(bytes32 proposal => bool) linkProposals;
        // Project classes (ids 1..classCount), by id and by `keccak256(abi.encode(country,
        // projectType, methodology))` of the project's texts.
        uint16 classCount;
        // Pools (ids 1..poolCount).
        uint32 poolCount;
        mapping(bytes32 classKey => uint16 classId) classIdOf;
        mapping(uint16 classId => ProjectClass) classes;
        mapping(uint32 poolId => Pool) pools;
        // The pool whose token (and ledger account) `account` is; 0 for every other account.
        mapping(address account => uint32 poolId) poolOf;
        // Per pool, `kind << 64 | tag` of each listed country, project type or methodology.
        mapping(uint32 poolId => mapping(uint256 kindTag => bool)) poolListed;
        // Per pool, the order list of the ranges it holds ({PoolNode}), by key
        // `vintageStart << 128 | batchId << 64 | lastSerial`; key 0 is the head sentinel.
        mapping(uint32 poolId => mapping(uint256 key => PoolNode)) poolNodes;
        mapping(uint32 poolId => mapping(address account => uint256)) poolBalances;
        mapping(uint32 poolId => mapping(address owner => mapping(address spender => uint256))) poolAllowances;
        // Each programme's buffer account ({LedgerPools-setProgramBuffer}; zero: none set).
        mapping(uint16 programId => address) bufferAccounts;
        // Every account ever allowlisted ({LedgerGovernance-setAccount}): struck off, it still
        // holds what it was sent, so it can never become a pool's account.
        mapping(address account => bool) everAllowed;
    }

    /// @notice Storage of a pool (three slots). The rules' dates are packed
    /// ({CarbonLedger-_packDate}) so the rules a deposit reads, and the token, share a slot.
    struct Pool {
        uint256 programmes;
        uint24 vintageFrom; // packed date; 0: open
        uint24 vintageTo; // packed date; 0: open
        uint16 labelsRequired;
        uint8 countryMode;
        uint8 typeMode;
        uint8 methodologyMode;
        address token;
        uint64 supply;
        uint32 ranges;
    }

    /// @notice A node of a pool's order list (one slot): the key of the next range (the list's
    /// end: `type(uint192).max`) and the first serial of this one (its last is in its key).
    struct PoolNode {
        uint192 next;
        uint64 start;
    }

    /// @dev `next` of the last bridged part; no namespace id is all ones.
    uint224 internal constant PARTS_END = type(uint224).max;

    /// @dev keccak256(abi.encode(uint256(keccak256("carbonledger.storage.Ledger")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant SLOT = 0x83ff91a090b07d5d4e2ce2469d9035ba6ef594bef69d82dea0901b3a9b963c00;

    function state() internal pure returns (Layout storage $) {
        assembly ("memory-safe") {
            $.slot := SLOT
        }
    }
}
