// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRulesUpgradeable} from
    "@openzeppelin/contracts-upgradeable/access/extensions/AccessControlDefaultAdminRulesUpgradeable.sol";
import {NoncesUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/NoncesUpgradeable.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {CanonicalText} from "./CanonicalText.sol";
import {
    AccountStatus, AdminAction, BatchFlags, BatchRecord, BatchView, Labels, Purpose, RangeState, StoredRange, TextField
} from "./CreditTypes.sol";
import {ICarbonLedgerErrors} from "./ICarbonLedgerErrors.sol";
import {ICarbonLedgerEvents} from "./ICarbonLedgerEvents.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

/// @title What {CarbonLedger} and its modules {LedgerGovernance} and {LedgerPools} share
/// @notice Roles, the pause flag, the audit trail and the one function that changes holdings.
/// Both contracts inherit it and run on the same storage ({LedgerStorage}; OpenZeppelin's
/// upgradeable access control and nonces keep theirs in ERC-7201 namespaces too, and EIP712's
/// fallback strings are never written for a short name), so either may hold any operation.
abstract contract LedgerCore is
    ICarbonLedgerEvents,
    ICarbonLedgerErrors,
    AccessControlDefaultAdminRulesUpgradeable,
    EIP712,
    NoncesUpgradeable
{
    /// @notice May set account allowlist/freeze flags and freeze batches.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice May pause and unpause the whole ledger.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @dev Tags from which each programme's issuer and admin roles are derived.
    bytes32 internal constant _ISSUER_ROLE_TAG = keccak256("ISSUER_ROLE");
    bytes32 internal constant _PROGRAM_ADMIN_ROLE_TAG = keccak256("PROGRAM_ADMIN_ROLE");


    constructor() EIP712("CarbonLedger", "1") {}

    modifier whenNotPaused() {
        if (_ledger().paused) revert EnforcedPause();
        _;
    }

    /// @dev Runs the call in `module` on this contract's storage and address, and returns or
    /// reverts with what it did: each contract's `fallback` hands what it does not define to the
    /// next module this way (ledger -> governance -> pools -> pool rules).
    function _delegateTo(address module) internal {
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), module, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
    }

    function _ledger() internal pure returns (LedgerStorage.Layout storage) {
        return LedgerStorage.state();
    }

    function _issuerRole(uint16 programId) internal pure returns (bytes32) {
        return keccak256(abi.encode(_ISSUER_ROLE_TAG, programId));
    }

    function _programAdminRole(uint16 programId) internal pure returns (bytes32) {
        return keccak256(abi.encode(_PROGRAM_ADMIN_ROLE_TAG, programId));
    }

    /// @dev The one function that changes holdings. Moves `first..last` of a batch, held by `from`
    /// (`address(0)` when bridging) starting in the range at `start`, to `to` in state `state`,
    /// keeps the batch totals, and emits {SerialsMoved}. When `first..last` runs past
    /// the range at `start`, the following ranges must be `from`'s too and are absorbed, so the
    /// result is at most three ranges: `from`'s left remainder, the moved one, `from`'s right one.
    /// Pooled serials are never cancelled ({PooledCredits}): they back the pool's units, so a
    /// reversal of them is left to governance, whichever function asks.
    // slither-disable-next-line cyclomatic-complexity -- one choke point for all holdings changes, by design
    function _move(
        uint64 batchId,
        uint64 start,
        uint64 first,
        uint64 last,
        address from,
        address to,
        RangeState state,
        address actor
    ) internal {
        mapping(uint64 => StoredRange) storage ranges = _ledger().ranges[batchId];
        if (first > last) revert InvalidSerialRange(first, last);
        uint64 end = last;
        if (from != address(0)) {
            if (state == RangeState.Cancelled) {
                uint32 poolId = _ledger().poolOf[from];
                if (poolId != 0) revert PooledCredits(poolId, batchId);
            }
            StoredRange memory r = ranges[start];
            if (r.state == RangeState.None || start > first || r.last < first) revert InvalidRangeHint(batchId, start);
            if (r.holder != from || r.state != RangeState.Held) revert InsufficientCredits(from, batchId, first, last);
            if (start < first) ranges[start].last = first - 1;
            end = r.last;
            while (end < last) {
                // `end < last <= MAX_SERIAL`, so `end + 1` cannot overflow.
                StoredRange memory next = ranges[end + 1];
                if (next.holder != from || next.state != RangeState.Held) {
                    revert InsufficientCredits(from, batchId, first, last);
                }
                delete ranges[end + 1];
                end = next.last;
            }
        }
        // Only the bridging's own range is marked `bridged`; every later write clears the mark.
        // Whole {StoredRange}s in one write each: `holder | last << 160 | state << 224 |
        // bridged << 232` (`voided` clear).
        uint256 moved = uint256(uint160(to)) | (uint256(last) << 160) | (uint256(uint8(state)) << 224);
        if (from == address(0)) moved |= 1 << 232;
        _storeRange(ranges, first, moved);
        if (end > last) {
            _storeRange(ranges, last + 1, uint256(uint160(from)) | (uint256(end) << 160) | (uint256(uint8(RangeState.Held)) << 224));
        }

        if (state != RangeState.Held) {
            // Every serial belongs to one batch of at most 2^32 - 1 tonnes and is spent at most
            // once, so neither `quantity` nor any per-state total can exceed the batch quantity.
            uint32 quantity = uint32(last - first + 1);
            BatchRecord storage b = _ledger().batches[batchId];
            unchecked {
                if (state == RangeState.Retired) b.retired += quantity;
                else if (state == RangeState.Detokenised) b.detokenised += quantity;
                else b.cancelled += quantity;
            }
        }
        _emitAudited(SerialsMoved.selector, _topic(batchId), _topic(from), abi.encode(to, first, last, state, actor));
    }

    function _storeRange(mapping(uint64 => StoredRange) storage ranges, uint64 start, uint256 packed) private {
        assembly ("memory-safe") {
            mstore(0, start)
            mstore(0x20, ranges.slot)
            sstore(keccak256(0, 0x40), packed)
        }
    }

    /// @dev The only place the ledger emits an event, so the audit trail hashes exactly the bytes
    /// the log carries. Every audited event has four topics: its selector, `seq`, and two indexed
    /// fields (`topic2`, `topic3`), followed by `data`, the ABI encoding of its other fields in
    /// declaration order (the layout `emit` would produce; tests decode every log with the ABI).
    /// Advances `auditSeq` and folds the log into `auditHead` (docs/AUDIT.md). Run by the
    /// module through `delegatecall`, the log is still the ledger's: it carries its address.
    function _emitAudited(bytes32 selector, bytes32 topic2, bytes32 topic3, bytes memory data) internal {
        LedgerStorage.Layout storage l = _ledger();
        // Every state change is audited, so refusing here refuses them all once sealed.
        if (l.isSealed) revert LedgerSealed();
        uint64 seq = ++l.auditSeq;
        bytes32 head = l.auditHead;
        bytes32 next;
        // keccak256(head ‖ selector ‖ seq ‖ topic2 ‖ topic3 ‖ data), hashed in place: the five
        // words are written just before `data`'s bytes (over its length word and what precedes
        // it, saved and put back), rather than copying `data` after them.
        assembly {
            // (An empty `data` may be the zero slot 0x60, with nothing of its own before it.)
            let start := sub(data, 0x80)
            if lt(data, 0x80) {
                start := mload(0x40)
                mstore(add(start, 0x80), 0)
                data := add(start, 0x80)
            }
            let s0 := mload(start)
            let s1 := mload(add(start, 0x20))
            let s2 := mload(add(start, 0x40))
            let s3 := mload(add(start, 0x60))
            let len := mload(data)
            mstore(start, head)
            mstore(add(start, 0x20), selector)
            mstore(add(start, 0x40), seq)
            mstore(add(start, 0x60), topic2)
            mstore(data, topic3)
            next := keccak256(start, add(0xa0, len))
            mstore(start, s0)
            mstore(add(start, 0x20), s1)
            mstore(add(start, 0x40), s2)
            mstore(add(start, 0x60), s3)
            mstore(data, len)
        }
        l.auditHead = next;
        assembly ("memory-safe") {
            log4(add(data, 0x20), mload(data), selector, seq, topic2, topic3)
        }
    }

    function _topic(uint256 value) internal pure returns (bytes32) {
        return bytes32(value);
    }

    function _topic(address value) internal pure returns (bytes32) {
        return bytes32(uint256(uint160(value)));
    }

    function _topic(bool value) internal pure returns (bytes32) {
        return value ? bytes32(uint256(1)) : bytes32(0);
    }

    function _batch(uint64 batchId) internal view returns (BatchRecord memory b) {
        b = _ledger().batches[batchId];
        if (b.programId == 0) revert UnknownBatch(batchId);
    }

    function _requireLiveBatch(uint64 batchId) internal view returns (BatchRecord memory b) {
        b = _batch(batchId);
        if (b.flags & BatchFlags.FROZEN != 0) revert BatchFrozen(batchId);
    }

    /// @dev Refuses a retirement's terms unless acceptable: the consumption period two calendar
    /// dates in order (or zeros), the beneficiary non-blank text (unless `beneficiaryOptional`),
    /// the jurisdiction and note acceptable text ({CanonicalText}).
    function _checkRetirementTerms(
        string calldata beneficiary,
        string calldata jurisdiction,
        string calldata note,
        uint32 cStart,
        uint32 cEnd,
        bool beneficiaryOptional
    ) internal pure {
        if (
            (cStart != 0 && !CanonicalText.isDate(cStart)) || (cEnd != 0 && !CanonicalText.isDate(cEnd))
                || (cStart != 0 && cEnd < cStart)
        ) {
            revert InvalidConsumptionPeriod(cStart, cEnd);
        }
        CanonicalText.check(beneficiary, TextField.Beneficiary, !beneficiaryOptional);
        CanonicalText.check(jurisdiction, TextField.Jurisdiction, false);
        CanonicalText.check(note, TextField.Note, false);
    }

    /// @dev Refuses retiring credits of batch `b` for `purpose` unless it carries the labels that
    /// use relies on, naming those it lacks; returns the batch's labels. A registry's own record
    /// (`made` false: mirrored) is replayed as the registry made it and needs only the label
    /// naming its use; a retirement made here needs every label the use relies on.
    function _retirementLabels(uint64 batchId, BatchRecord memory b, Purpose purpose, bool made)
        internal
        pure
        returns (uint16 labels)
    {
        labels = b.flags & BatchFlags.LABELS;
        uint16 required = 0;
        if (purpose == Purpose.Corsia) {
            // CORSIA's first phase (2021-2023) and later accept 2021+ vintages only with the host
            // country's corresponding adjustment; older vintages need the eligibility label alone.
            required = made && b.vintageStart >> 9 >= 2021
                ? Labels.CORSIA_ELIGIBLE | Labels.CORRESPONDING_ADJUSTMENT
                : Labels.CORSIA_ELIGIBLE;
        } else if (purpose == Purpose.Article6) {
            required = made
                ? Labels.ARTICLE6_AUTHORISED | Labels.CORRESPONDING_ADJUSTMENT
                : Labels.ARTICLE6_AUTHORISED;
        }
        // Names the labels missing, so the caller learns all it lacks at once.
        if (labels & required != required) revert LabelRequired(batchId, required & ~labels);
    }

    /// @dev A date YYYYMMDD (already checked a calendar date) as `year << 9 | month << 5 | day`:
    /// 23 bits instead of 27, in the same order.
    function _packDate(uint32 date) internal pure returns (uint24) {
        return uint24(((date / 10000) << 9) | (((date / 100) % 100) << 5) | (date % 100));
    }

    /// @dev The YYYYMMDD date of a packed one ({_packDate}); 0 for 0.
    function _unpackDate(uint24 packed) internal pure returns (uint32) {
        if (packed == 0) return 0;
        return uint32(packed >> 9) * 10000 + uint32((packed >> 5) & 15) * 100 + uint32(packed & 31);
    }

    /// @dev A stored batch as the views show it ({BatchView}).
    function _batchView(BatchRecord memory b) internal pure returns (BatchView memory) {
        return BatchView({
            programId: b.programId,
            labels: b.flags & BatchFlags.LABELS,
            frozen: b.flags & BatchFlags.FROZEN != 0,
            firstSerial: b.firstSerial,
            quantity: b.quantity,
            retired: b.retired,
            detokenised: b.detokenised,
            cancelled: b.cancelled,
            vintageStart: b.vintageStart
        });
    }

    function _requireActive(address account) internal view {
        AccountStatus memory status = _ledger().accounts[account];
        if (!status.allowed) revert AccountNotAllowed(account);
        if (status.frozen) revert AccountFrozen(account);
    }

    /// @dev Today's UTC date as YYYYMMDD (civil-from-days, Howard Hinnant's algorithm).
    // slither-disable-next-line divide-before-multiply -- the floor divisions are the calendar algorithm
    function _today() internal view returns (uint32) {
        unchecked {
            // All intermediate values are small positive numbers for any post-1970 timestamp.
            int256 z = int256(block.timestamp / 86400) + 719468;
            int256 era = z / 146097;
            int256 doe = z - era * 146097;
            int256 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
            int256 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
            int256 mp = (5 * doy + 2) / 153;
            int256 day = doy - (153 * mp + 2) / 5 + 1;
            int256 month = mp < 10 ? mp + 3 : mp - 9;
            int256 year = yoe + era * 400 + (month <= 2 ? int256(1) : int256(0));
            return uint32(uint256(year * 10000 + month * 100 + day));
        }
    }

    // ---------------------------------------------------------------- audited overrides

    /// @dev Records role grants in the audit trail (including the constructor's admin grant).
    // slither-disable-next-line dead-code -- reached through AccessControl's virtual calls
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted) _recordRoleChange(role, account, true);
    }

    /// @dev Records role revocations in the audit trail.
    // slither-disable-next-line dead-code -- reached through AccessControl's virtual calls
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked) _recordRoleChange(role, account, false);
    }

    // slither-disable-next-line dead-code -- called by the two overrides above
    function _recordRoleChange(bytes32 role, address account, bool granted) private {
        _emitAudited(RoleUpdated.selector, role, _topic(account), abi.encode(_msgSender(), granted));
    }

    function _beginDefaultAdminTransfer(address newAdmin) internal override {
        (address pending,) = pendingDefaultAdmin();
        // A new transfer replaces a pending one: record that the old one is gone.
        if (pending != address(0)) _recordAdminChange(AdminAction.TransferCancelled, pending, 0, 0);
        super._beginDefaultAdminTransfer(newAdmin);
        (, uint48 acceptableFrom) = pendingDefaultAdmin();
        _recordAdminChange(AdminAction.TransferBegun, newAdmin, 0, acceptableFrom);
    }

    function _cancelDefaultAdminTransfer() internal override {
        (address pending,) = pendingDefaultAdmin();
        super._cancelDefaultAdminTransfer();
        _recordAdminChange(AdminAction.TransferCancelled, pending, 0, 0);
    }

    function _acceptDefaultAdminTransfer() internal override {
        super._acceptDefaultAdminTransfer();
        _recordAdminChange(AdminAction.TransferAccepted, defaultAdmin(), 0, 0);
    }

    function _changeDefaultAdminDelay(uint48 newDelay) internal override {
        super._changeDefaultAdminDelay(newDelay);
        (, uint48 effectiveAt) = pendingDefaultAdminDelay();
        _recordAdminChange(AdminAction.DelayChangeBegun, address(0), newDelay, effectiveAt);
    }

    function _rollbackDefaultAdminDelay() internal override {
        super._rollbackDefaultAdminDelay();
        _recordAdminChange(AdminAction.DelayChangeRolledBack, address(0), 0, 0);
    }

    function _recordAdminChange(AdminAction action, address newAdmin, uint48 newDelay, uint48 effectiveAt)
        private
    {
        _emitAudited(
            AdminChangeRecorded.selector,
            _topic(_msgSender()),
            _topic(uint8(action)),
            abi.encode(newAdmin, newDelay, effectiveAt)
        );
    }
}
