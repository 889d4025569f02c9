// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from
    "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

import {
    AccountStatus,
    AdminAction,
    BatchRecord,
    BridgedPart,
    HoldingRange,
    Issuance,
    Labels,
    Project,
    Purpose,
    RangeState,
    Retirement
} from "./CreditTypes.sol";
import {ICarbonLedgerEvents} from "./ICarbonLedgerEvents.sol";

/// @title CarbonLedger: serialised carbon credits bridged from off-chain registries
/// @notice Registries bridge issuance blocks as batches of serial numbers; holders transfer, retire
/// and detokenise exact serial ranges; every state change lands in a hash-chained audit trail.
///
/// Design, in brief (docs/ARCHITECTURE.md has the long form):
/// - Holdings are ranges `start..last` keyed by `(batchId, start)`. Ranges of a batch tile its
///   serials, so the range after `start..last` begins at `last + 1`: splitting and walking need no
///   pointers, and every operation costs O(1) storage per range touched, whatever the quantity.
/// - Bridged parts of all namespaces form one sorted linked list keyed by
///   `namespaceId << 64 | firstSerial`. The caller names the part just below a new range; the
///   ledger checks that hint in O(1), so overlaps are refused at a cost independent of history.
/// - `auditSeq`/`auditHead` chain every event's raw log bytes (docs/AUDIT.md).
contract CarbonLedger is ICarbonLedgerEvents, AccessControlDefaultAdminRules, EIP712, Nonces, Multicall, Pausable {
    /// @notice May set account allowlist/freeze flags and freeze batches.
    bytes32 public constant COMPLIANCE_ROLE = keccak256("COMPLIANCE_ROLE");
    /// @notice May pause and unpause the whole ledger.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");
    /// @dev Tag from which each programme's issuer role is derived, see {issuerRole}.
    bytes32 private constant _ISSUER_ROLE_TAG = keccak256("ISSUER_ROLE");

    /// @notice EIP-712 type of a registry-signed bridging.
    bytes32 public constant BRIDGE_TYPEHASH = keccak256(
        "Bridge(uint16 programId,bytes32 projectKey,string namespace,uint64 firstSerial,uint64 lastSerial,"
        "address recipient,uint32 vintageStart,uint32 vintageEnd,uint16 labels,bytes32 metadataHash,"
        "string registryReference,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type of a holder-signed retirement.
    bytes32 public constant RETIRE_TYPEHASH = keccak256(
        "Retire(address holder,uint64 batchId,uint64 firstSerial,uint64 lastSerial,string beneficiary,"
        "uint8 purpose,string jurisdiction,uint32 consumptionStart,uint32 consumptionEnd,string note,"
        "uint256 nonce,uint256 deadline)"
    );

    /// @dev Key of the head sentinel of the bridged-part list; no namespace id is 0.
    uint256 private constant _PARTS_HEAD = 0;
    /// @dev `next` of the last part; no namespace id is all ones.
    uint224 private constant _PARTS_END = type(uint224).max;

    // These four pack into the slot of Pausable's `_paused`, which every operation reads anyway:
    // one cold load serves the pause check, the sequence and the id counters.
    uint64 private _auditSeq;
    uint64 private _batchCount;
    uint64 private _retirementCount;
    uint16 private _programCount;

    bytes32 private _auditHead;

    mapping(uint16 programId => bytes32 code) private _programCodes;
    mapping(bytes32 code => uint16 programId) private _programIds;
    mapping(bytes32 projectKey => uint16 programId) private _projectPrograms;
    mapping(address account => AccountStatus) private _accounts;
    mapping(uint64 batchId => BatchRecord) private _batches;
    mapping(uint256 partKey => BridgedPart) private _parts;
    mapping(uint64 batchId => mapping(uint64 start => HoldingRange)) private _ranges;

    /// @param initialDelay Delay of the two-step default-admin hand-over, in seconds.
    /// @param admin The first default admin.
    constructor(uint48 initialDelay, address admin)
        AccessControlDefaultAdminRules(initialDelay, admin)
        EIP712("CarbonLedger", "1")
    {
        _parts[_PARTS_HEAD] = BridgedPart({next: _PARTS_END, span: 0});
    }

    // ---------------------------------------------------------------- programmes and projects

    /// @notice Registers a crediting programme such as `"VCS"`.
    /// @dev Requirements: caller is the default admin; `code` is non-empty and new.
    /// Emits {ProgramRegistered}.
    /// @return programId The new programme id (ids start at 1).
    function registerProgram(bytes32 code) external onlyRole(DEFAULT_ADMIN_ROLE) returns (uint16 programId) {
        if (code == bytes32(0) || _programIds[code] != 0) revert InvalidProgramCode(code);
        programId = ++_programCount;
        _programCodes[programId] = code;
        _programIds[code] = programId;
        _emitAudited(ProgramRegistered.selector, _topic(programId), _topic(_msgSender()), abi.encode(code));
    }

    /// @notice Registers a registry project under a programme, once, before its first batch.
    /// @dev Requirements: caller is an issuer of `programId`; the programme exists; the project
    /// is new.
    /// Emits {ProjectRegistered}.
    /// @return key The project key, `keccak256(abi.encode(programId, project.projectId))`.
    function registerProject(uint16 programId, Project calldata project)
        external
        onlyRole(issuerRole(programId))
        returns (bytes32 key)
    {
        if (_programCodes[programId] == 0) revert UnknownProgram(programId);
        key = projectKey(programId, project.projectId);
        if (_projectPrograms[key] != 0) revert ProjectAlreadyRegistered(key);
        _projectPrograms[key] = programId;
        _emitAudited(ProjectRegistered.selector, key, _topic(_msgSender()), abi.encode(programId, project));
    }

    // ---------------------------------------------------------------- bridging

    /// @notice Bridges a registry issuance block as a new batch held by `issuance.recipient`.
    /// @dev Requirements: not paused; caller is an issuer of the programme; the project is
    /// registered under it; the range is valid and overlaps nothing ever bridged in its
    /// namespace; `partHint` is the key of the bridged part immediately below the new range
    /// (see {findPartHint}); the recipient is allowlisted and not frozen.
    /// Emits {BatchBridged} then {SerialsMoved}.
    /// @return batchId The new batch id.
    function bridge(Issuance calldata issuance, uint256 partHint)
        external
        whenNotPaused
        onlyRole(issuerRole(issuance.programId))
        returns (uint64 batchId)
    {
        return _bridge(issuance, partHint, _msgSender());
    }

    /// @notice Bridges on the authority of `issuer`'s EIP-712 signature, so a registry can
    /// authorise without holding gas or trusting the relayer.
    /// @dev Requirements: as {bridge} for `issuer` in place of the caller; `block.timestamp <=
    /// deadline`; `signature` is `issuer`'s (EOA or ERC-1271) over {BRIDGE_TYPEHASH} with the
    /// issuer's current nonce, which it consumes.
    /// Emits {BatchBridged} then {SerialsMoved}.
    function bridgeWithSignature(
        Issuance calldata issuance,
        uint256 partHint,
        address issuer,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused returns (uint64 batchId) {
        _checkRole(issuerRole(issuance.programId), issuer);
        _useSignature(issuer, _bridgeStructHash(issuance, _useNonce(issuer), deadline), deadline, signature);
        return _bridge(issuance, partHint, issuer);
    }

    // ---------------------------------------------------------------- holders

    /// @notice Transfers the caller's serials `first..last` of a batch to `to`.
    /// @dev Requirements: not paused; batch not frozen; caller and `to` allowlisted and not
    /// frozen; the caller holds all of `first..last`, starting in the range that begins at
    /// `rangeStart` (and, if longer, continuing through the caller's following ranges).
    /// Emits {SerialsMoved}.
    function transfer(uint64 batchId, uint64 first, uint64 last, address to, uint64 rangeStart)
        external
        whenNotPaused
    {
        address from = _msgSender();
        _requireLiveBatch(batchId);
        _requireActive(from);
        _requireActive(to);
        _move(batchId, rangeStart, first, last, from, to, RangeState.Held, from);
    }

    /// @notice Retires the caller's serials `r.firstSerial..r.lastSerial` permanently.
    /// @dev Requirements: as {transfer} for the caller; a CORSIA purpose needs the batch's
    /// CORSIA label and an Article 6 purpose its authorisation label.
    /// Emits {SerialsMoved} then {CreditsRetired}.
    /// @return retirementId Id of the retirement, which resolves to its certificate.
    function retire(Retirement calldata r, uint64 rangeStart)
        external
        whenNotPaused
        returns (uint64 retirementId)
    {
        return _retire(r, rangeStart, _msgSender(), 0, _msgSender());
    }

    /// @notice Retires on the authority of `holder`'s EIP-712 signature.
    /// @dev Requirements: as {retire} for `holder`; `block.timestamp <= deadline`; `signature` is
    /// `holder`'s over {RETIRE_TYPEHASH} with its current nonce, which it consumes.
    /// Emits {SerialsMoved} then {CreditsRetired}.
    function retireWithSignature(
        Retirement calldata r,
        uint64 rangeStart,
        address holder,
        uint256 deadline,
        bytes calldata signature
    ) external whenNotPaused returns (uint64 retirementId) {
        _useSignature(holder, _retireStructHash(r, holder, _useNonce(holder), deadline), deadline, signature);
        return _retire(r, rangeStart, holder, 0, holder);
    }

    /// @notice Replays a retirement the registry recorded off-chain, dated `retiredOn`, on
    /// credits the issuer holds (bridged to itself), so they can never circulate as live.
    /// @dev Requirements: as {retire}; the caller is an issuer of the batch's programme;
    /// `retiredOn` is a YYYYMMDD date, not in the future.
    /// Emits {SerialsMoved} then {CreditsRetired} with `mirrored = true`.
    function recordRegistryRetirement(Retirement calldata r, uint64 rangeStart, uint32 retiredOn)
        external
        whenNotPaused
        returns (uint64 retirementId)
    {
        _checkRole(issuerRole(_batch(r.batchId).programId));
        if (!_isDate(retiredOn) || retiredOn > _today()) revert InvalidDate(retiredOn);
        return _retire(r, rangeStart, _msgSender(), retiredOn, _msgSender());
    }

    /// @notice Returns the caller's serials `first..last` to the off-chain registry (burned here).
    /// @dev Requirements: as {transfer} for the caller.
    /// Emits {SerialsMoved} then {CreditsDetokenised}.
    function detokenise(uint64 batchId, uint64 first, uint64 last, uint64 rangeStart, string calldata registryReference)
        external
        whenNotPaused
    {
        address holder = _msgSender();
        _requireLiveBatch(batchId);
        _requireActive(holder);
        _move(batchId, rangeStart, first, last, holder, holder, RangeState.Detokenised, holder);
        _emitAudited(CreditsDetokenised.selector, _topic(batchId), _topic(holder), abi.encode(first, last, registryReference));
    }

    // ---------------------------------------------------------------- issuers

    /// @notice Cancels `holder`'s live serials `first..last` (e.g. a registry reversal).
    /// @dev Requirements: not paused; caller is an issuer of the batch's programme; `holder`
    /// holds the serials. Freezes do not block a cancellation.
    /// Emits {SerialsMoved} then {CreditsCancelled}.
    function cancel(
        uint64 batchId,
        address holder,
        uint64 first,
        uint64 last,
        uint64 rangeStart,
        string calldata reason
    ) external whenNotPaused {
        _checkRole(issuerRole(_batch(batchId).programId));
        // `_move` reads a zero sender as a bridging; nobody holds credits as the zero address.
        if (holder == address(0)) revert InsufficientCredits(holder, batchId, first, last);
        address actor = _msgSender();
        _move(batchId, rangeStart, first, last, holder, holder, RangeState.Cancelled, actor);
        _emitAudited(CreditsCancelled.selector, _topic(batchId), _topic(holder), abi.encode(first, last, reason, actor));
    }

    /// @notice Sets a batch's labels (CORSIA eligible, CCP approved, Article 6 authorised,
    /// corresponding adjustment applied).
    /// @dev Requirements: caller is an issuer of the batch's programme; only known label bits.
    /// Emits {LabelsUpdated}.
    function setLabels(uint64 batchId, uint16 labels) external {
        _checkRole(issuerRole(_batch(batchId).programId));
        if (labels & ~Labels.ALL != 0) revert UnknownLabels(labels);
        _batches[batchId].labels = labels;
        _emitAudited(LabelsUpdated.selector, _topic(batchId), _topic(_msgSender()), abi.encode(labels));
    }

    // ---------------------------------------------------------------- compliance and pausing

    /// @notice Sets whether `account` may hold credits (`allowed`) and whether it is `frozen`.
    /// @dev Requirements: caller has {COMPLIANCE_ROLE}; `account` is not the zero address.
    /// Emits {AccountUpdated}.
    function setAccount(address account, bool allowed, bool frozen) external onlyRole(COMPLIANCE_ROLE) {
        // The zero address stands for "nobody" in SerialsMoved (a bridging's sender).
        if (account == address(0)) revert InvalidAccount(account);
        _accounts[account] = AccountStatus({allowed: allowed, frozen: frozen});
        _emitAudited(AccountUpdated.selector, _topic(account), _topic(_msgSender()), abi.encode(allowed, frozen));
    }

    /// @notice Freezes or unfreezes a batch: a frozen batch cannot be transferred, retired or
    /// detokenised.
    /// @dev Requirements: caller has {COMPLIANCE_ROLE}; the batch exists. Emits {BatchFreezeChanged}.
    function setBatchFrozen(uint64 batchId, bool frozen) external onlyRole(COMPLIANCE_ROLE) {
        _batch(batchId);
        _batches[batchId].frozen = frozen;
        _emitAudited(BatchFreezeChanged.selector, _topic(batchId), _topic(_msgSender()), abi.encode(frozen));
    }

    /// @notice Pauses every change of holdings.
    /// @dev Requirements: caller has {PAUSER_ROLE}; not paused. Emits {PauseChanged}.
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
        _emitAudited(PauseChanged.selector, _topic(_msgSender()), _topic(true), "");
    }

    /// @notice Ends a pause.
    /// @dev Requirements: caller has {PAUSER_ROLE}; paused. Emits {PauseChanged}.
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
        _emitAudited(PauseChanged.selector, _topic(_msgSender()), _topic(false), "");
    }

    // ---------------------------------------------------------------- views

    /// @notice Number of audited events so far; the last event carried this `seq`.
    function auditSeq() external view returns (uint64) {
        return _auditSeq;
    }

    /// @notice Rolling hash over every audited event's raw log, see docs/AUDIT.md.
    function auditHead() external view returns (bytes32) {
        return _auditHead;
    }

    /// @notice Live (held) credits of `account` in a batch.
    /// @dev Walks the batch's ranges: O(ranges), for off-chain callers. Holdings are not kept as
    /// per-account counters because that slot would cost every bridging and first receipt 22,100
    /// gas; the indexer answers holdings queries in O(1).
    function balanceOf(address account, uint64 batchId) external view returns (uint256 balance) {
        BatchRecord memory b = _batch(batchId);
        uint64 end = b.firstSerial + b.quantity - 1;
        for (uint64 start = b.firstSerial; start <= end;) {
            HoldingRange memory r = _ranges[batchId][start];
            if (r.holder == account && r.state == RangeState.Held) balance += r.last - start + 1;
            start = r.last + 1;
        }
    }

    /// @notice A batch's programme, labels, freeze flag, serials and totals per state.
    /// @dev Reverts with {UnknownBatch} if it does not exist. Held = quantity - retired -
    /// detokenised - cancelled.
    function batch(uint64 batchId) external view returns (BatchRecord memory) {
        return _batch(batchId);
    }

    /// @notice Number of batches bridged so far (batch ids are 1..batchCount).
    function batchCount() external view returns (uint64) {
        return _batchCount;
    }

    /// @notice Number of retirements recorded so far (ids are 1..retirementCount).
    function retirementCount() external view returns (uint64) {
        return _retirementCount;
    }

    /// @notice The holding range of a batch that starts at `start` (state `None` if none does).
    function rangeAt(uint64 batchId, uint64 start) external view returns (HoldingRange memory) {
        return _ranges[batchId][start];
    }

    /// @notice Up to `maxCount` consecutive holding ranges of a batch from the one starting at
    /// `start` (use the batch's first serial to list all). Off-chain convenience: O(maxCount).
    function rangesFrom(uint64 batchId, uint64 start, uint256 maxCount)
        external
        view
        returns (uint64[] memory starts, HoldingRange[] memory ranges)
    {
        BatchRecord memory b = _batch(batchId);
        uint64 end = b.firstSerial + b.quantity - 1;
        uint256 n;
        starts = new uint64[](maxCount);
        ranges = new HoldingRange[](maxCount);
        while (n < maxCount && start <= end) {
            HoldingRange memory r = _ranges[batchId][start];
            if (r.state == RangeState.None) revert InvalidRangeHint(batchId, start);
            (starts[n], ranges[n]) = (start, r);
            ++n;
            start = r.last + 1;
        }
        assembly ("memory-safe") {
            // Shrink both arrays to the `n` entries filled: lengths only ever decrease here.
            mstore(starts, n)
            mstore(ranges, n)
        }
    }

    /// @notice Who holds `serial` of a batch and in which state, given the start of the range
    /// that contains it (from {rangesFrom} or an index).
    /// @dev Reverts with {InvalidRangeHint} if no range starting at `rangeStart` contains `serial`.
    function serialStatus(uint64 batchId, uint64 serial, uint64 rangeStart)
        external
        view
        returns (address holder, RangeState state)
    {
        HoldingRange memory r = _ranges[batchId][rangeStart];
        if (r.state == RangeState.None || serial < rangeStart || serial > r.last) {
            revert InvalidRangeHint(batchId, rangeStart);
        }
        return (r.holder, r.state);
    }

    /// @notice Who holds `serial` of a batch and in which state, without a hint: walks the
    /// batch's ranges from its first serial. Off-chain convenience: O(ranges before `serial`).
    /// @dev Reverts with {UnknownBatch}, or {InvalidRangeHint} if `serial` is outside the batch.
    function locateSerial(uint64 batchId, uint64 serial)
        external
        view
        returns (uint64 rangeStart, HoldingRange memory range)
    {
        BatchRecord memory b = _batch(batchId);
        if (serial < b.firstSerial || serial > b.firstSerial + b.quantity - 1) {
            revert InvalidRangeHint(batchId, serial);
        }
        rangeStart = b.firstSerial;
        range = _ranges[batchId][rangeStart];
        while (range.last < serial) {
            rangeStart = range.last + 1;
            range = _ranges[batchId][rangeStart];
        }
    }

    /// @notice The code of programme `programId` (zero if none).
    function programCode(uint16 programId) external view returns (bytes32) {
        return _programCodes[programId];
    }

    /// @notice The id of the programme registered under `code` (0 if none).
    function programIdOf(bytes32 code) external view returns (uint16) {
        return _programIds[code];
    }

    /// @notice The programme a project is registered under (0 if it is not registered).
    function projectProgram(bytes32 key) external view returns (uint16) {
        return _projectPrograms[key];
    }

    /// @notice Allowlist and freeze flags of `account`.
    function accountStatus(address account) external view returns (AccountStatus memory) {
        return _accounts[account];
    }

    /// @notice The bridged part stored under `key` (`next == 0` if there is none).
    function part(uint256 key) external view returns (BridgedPart memory) {
        return _parts[key];
    }

    /// @notice Up to `maxCount` bridged parts in key order, from the one stored under `from`
    /// (0 is the head sentinel). Lets a client mirror the list and compute hints locally.
    /// Off-chain convenience: O(maxCount).
    function partsFrom(uint256 from, uint256 maxCount)
        external
        view
        returns (uint256[] memory keys, BridgedPart[] memory parts)
    {
        keys = new uint256[](maxCount);
        parts = new BridgedPart[](maxCount);
        uint256 n;
        for (uint256 key = from; n < maxCount && key != _PARTS_END; key = parts[n - 1].next) {
            BridgedPart memory p = _parts[key];
            if (p.next == 0) revert InvalidBridgeHint(key);
            (keys[n], parts[n]) = (key, p);
            ++n;
        }
        assembly ("memory-safe") {
            // Shrink both arrays to the `n` entries filled: lengths only ever decrease here.
            mstore(keys, n)
            mstore(parts, n)
        }
    }

    /// @notice The hint {bridge} needs for `first` of `namespace`: the key of the bridged part
    /// immediately below it, searched from `from` (a key known to be below, or 0 for the head).
    /// Off-chain convenience: O(parts between `from` and the answer).
    function findPartHint(uint16 programId, string calldata namespace, uint64 first, uint256 from)
        external
        view
        returns (uint256 hint)
    {
        uint256 key = partKey(namespaceId(programId, namespace), first);
        hint = from;
        if (_parts[hint].next == 0 || hint >= key) revert InvalidBridgeHint(from);
        for (uint256 next = _parts[hint].next; next < key; next = _parts[hint].next) {
            hint = next;
        }
    }

    /// @notice The issuer role of a programme: its holders bridge, register projects, cancel and
    /// label for that programme only.
    function issuerRole(uint16 programId) public pure returns (bytes32) {
        return keccak256(abi.encode(_ISSUER_ROLE_TAG, programId));
    }

    /// @notice Key of a registry project: `keccak256(abi.encode(programId, projectId))`.
    function projectKey(uint16 programId, string calldata projectId) public pure returns (bytes32) {
        return keccak256(abi.encode(programId, projectId));
    }

    /// @notice 160-bit id of a programme namespace: the top 160 bits of
    /// `keccak256(abi.encode(programId, namespace))`.
    function namespaceId(uint16 programId, string calldata namespace) public pure returns (uint160) {
        return uint160(uint256(keccak256(abi.encode(programId, namespace))) >> 96);
    }

    /// @notice Key of the bridged part of namespace `nsId` starting at `first`.
    function partKey(uint160 nsId, uint64 first) public pure returns (uint256) {
        return (uint256(nsId) << 64) | first;
    }

    // ---------------------------------------------------------------- internals

    function _bridge(Issuance calldata issuance, uint256 partHint, address actor) private returns (uint64 batchId) {
        uint64 first = issuance.firstSerial;
        uint64 last = issuance.lastSerial;
        // `last < max` keeps `last + 1` (the start of the following range) representable.
        if (first > last || last == type(uint64).max || last - first > type(uint32).max - 1) {
            revert InvalidSerialRange(first, last);
        }
        if (bytes(issuance.namespace).length == 0) revert InvalidNamespace(issuance.namespace);
        if (!_isDate(issuance.vintageStart) || !_isDate(issuance.vintageEnd) || issuance.vintageEnd < issuance.vintageStart)
        {
            revert InvalidVintage(issuance.vintageStart, issuance.vintageEnd);
        }
        if (issuance.labels & ~Labels.ALL != 0) revert UnknownLabels(issuance.labels);
        uint16 projectProgramId = _projectPrograms[issuance.projectKey];
        // Registered projects belong to registered programmes (ids from 1), so 0 means unknown.
        if (projectProgramId == 0 || projectProgramId != issuance.programId) {
            revert UnknownProject(issuance.projectKey, issuance.programId);
        }
        _requireActive(issuance.recipient);
        _insertPart(issuance, partHint);

        batchId = ++_batchCount;
        _batches[batchId] = BatchRecord({
            programId: issuance.programId,
            labels: issuance.labels,
            frozen: false,
            firstSerial: first,
            // Cannot truncate: the range check above bounds the quantity to 2^32 - 1.
            quantity: uint32(last - first + 1),
            retired: 0,
            detokenised: 0,
            cancelled: 0
        });
        _emitAudited(BatchBridged.selector, _topic(batchId), _topic(actor), abi.encode(issuance));
        _move(batchId, first, first, last, address(0), issuance.recipient, RangeState.Held, actor);
    }

    /// @dev Links the new part into the sorted list after `hint`, or reverts if the hint is not
    /// its immediate predecessor or if the range overlaps a neighbour. Neighbours in other
    /// namespaces sort apart by their id's high bits, so only same-namespace parts can overlap.
    function _insertPart(Issuance calldata issuance, uint256 hint) private {
        uint160 nsId = namespaceId(issuance.programId, issuance.namespace);
        if (nsId == 0 || nsId == type(uint160).max) revert InvalidNamespace(issuance.namespace);
        uint256 firstKey = partKey(nsId, issuance.firstSerial);
        uint256 lastKey = partKey(nsId, issuance.lastSerial);
        BridgedPart memory prev = _parts[hint];
        if (prev.next == 0 || hint >= firstKey || prev.next < firstKey) revert InvalidBridgeHint(hint);
        // The part at `hint` ends at `hint + span`; a part starting at or before `lastKey` overlaps.
        if (hint + prev.span >= firstKey || prev.next <= lastKey) {
            revert SerialsAlreadyBridged(
                issuance.programId, issuance.namespace, issuance.firstSerial, issuance.lastSerial
            );
        }
        _parts[firstKey] = BridgedPart({
            next: prev.next,
            // Cannot truncate: {_bridge} bounds last - first below 2^32 - 1.
            span: uint32(issuance.lastSerial - issuance.firstSerial)
        });
        _parts[hint].next = uint224(firstKey);
    }

    function _retire(Retirement calldata r, uint64 rangeStart, address holder, uint32 retiredOn, address actor)
        private
        returns (uint64 retirementId)
    {
        BatchRecord memory b = _requireLiveBatch(r.batchId);
        _requireActive(holder);
        uint32 cStart = r.consumptionStart;
        uint32 cEnd = r.consumptionEnd;
        if ((cStart != 0 && !_isDate(cStart)) || (cEnd != 0 && !_isDate(cEnd)) || (cStart != 0 && cEnd < cStart)) {
            revert InvalidConsumptionPeriod(cStart, cEnd);
        }
        if (r.purpose == Purpose.Corsia && b.labels & Labels.CORSIA_ELIGIBLE == 0) {
            revert LabelRequired(r.batchId, Labels.CORSIA_ELIGIBLE);
        }
        if (r.purpose == Purpose.Article6 && b.labels & Labels.ARTICLE6_AUTHORISED == 0) {
            revert LabelRequired(r.batchId, Labels.ARTICLE6_AUTHORISED);
        }
        _move(r.batchId, rangeStart, r.firstSerial, r.lastSerial, holder, holder, RangeState.Retired, actor);
        retirementId = ++_retirementCount;
        bool mirrored = retiredOn != 0;
        if (!mirrored) retiredOn = _today();
        _emitAudited(CreditsRetired.selector, _topic(retirementId), _topic(holder), abi.encode(r, retiredOn, mirrored, actor));
    }

    /// @dev The one function that changes holdings. Moves `first..last` of a batch, held by `from`
    /// (`address(0)` when bridging) starting in the range at `start`, to `to` in state `state`,
    /// keeps the batch totals, and emits {SerialsMoved}. When `first..last` runs past
    /// the range at `start`, the following ranges must be `from`'s too and are absorbed, so the
    /// result is at most three ranges: `from`'s left remainder, the moved one, `from`'s right one.
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
    ) private {
        mapping(uint64 => HoldingRange) storage ranges = _ranges[batchId];
        if (first > last) revert InvalidSerialRange(first, last);
        uint64 end = last;
        if (from != address(0)) {
            HoldingRange memory r = ranges[start];
            if (r.state == RangeState.None || start > first || r.last < first) revert InvalidRangeHint(batchId, start);
            if (r.holder != from || r.state != RangeState.Held) revert InsufficientCredits(from, batchId, first, last);
            if (start < first) ranges[start].last = first - 1;
            end = r.last;
            while (end < last) {
                // `end < last < type(uint64).max`, so `end + 1` cannot overflow.
                HoldingRange memory next = ranges[end + 1];
                if (next.holder != from || next.state != RangeState.Held) {
                    revert InsufficientCredits(from, batchId, first, last);
                }
                delete ranges[end + 1];
                end = next.last;
            }
        }
        ranges[first] = HoldingRange({holder: to, last: last, state: state});
        if (end > last) ranges[last + 1] = HoldingRange({holder: from, last: end, state: RangeState.Held});

        if (state != RangeState.Held) {
            // Every serial belongs to one batch of at most 2^32 - 1 tonnes and is spent at most
            // once, so neither `quantity` nor any per-state total can exceed the batch quantity.
            uint32 quantity = uint32(last - first + 1);
            BatchRecord storage b = _batches[batchId];
            unchecked {
                if (state == RangeState.Retired) b.retired += quantity;
                else if (state == RangeState.Detokenised) b.detokenised += quantity;
                else b.cancelled += quantity;
            }
        }
        _emitAudited(SerialsMoved.selector, _topic(batchId), _topic(from), abi.encode(to, first, last, state, actor));
    }

    /// @dev The only place the ledger emits an event, so the audit trail hashes exactly the bytes
    /// the log carries. Every audited event has four topics: its selector, `seq`, and two indexed
    /// fields (`topic2`, `topic3`), followed by `data`, the ABI encoding of its other fields in
    /// declaration order (the layout `emit` would produce; tests decode every log with the ABI).
    /// Advances `auditSeq` and folds the log into `auditHead` (docs/AUDIT.md).
    function _emitAudited(bytes32 selector, bytes32 topic2, bytes32 topic3, bytes memory data) private {
        uint64 seq = ++_auditSeq;
        _auditHead = keccak256(abi.encodePacked(_auditHead, selector, uint256(seq), topic2, topic3, data));
        assembly ("memory-safe") {
            log4(add(data, 0x20), mload(data), selector, seq, topic2, topic3)
        }
    }

    function _topic(uint256 value) private pure returns (bytes32) {
        return bytes32(value);
    }

    function _topic(address value) private pure returns (bytes32) {
        return bytes32(uint256(uint160(value)));
    }

    function _topic(bool value) private pure returns (bytes32) {
        return value ? bytes32(uint256(1)) : bytes32(0);
    }

    function _useSignature(address signer, bytes32 structHash, uint256 deadline, bytes calldata signature)
        private
        view
    {
        if (block.timestamp > deadline) revert ExpiredSignature(deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(signer, _hashTypedDataV4(structHash), signature)) {
            revert InvalidSignature(signer);
        }
    }

    function _bridgeStructHash(Issuance calldata i, uint256 nonce, uint256 deadline) private pure returns (bytes32) {
        return keccak256(
            bytes.concat(
                abi.encode(
                    BRIDGE_TYPEHASH,
                    i.programId,
                    i.projectKey,
                    keccak256(bytes(i.namespace)),
                    i.firstSerial,
                    i.lastSerial,
                    i.recipient,
                    i.vintageStart
                ),
                abi.encode(
                    i.vintageEnd, i.labels, i.metadataHash, keccak256(bytes(i.registryReference)), nonce, deadline
                )
            )
        );
    }

    function _retireStructHash(Retirement calldata r, address holder, uint256 nonce, uint256 deadline)
        private
        pure
        returns (bytes32)
    {
        return keccak256(
            bytes.concat(
                abi.encode(
                    RETIRE_TYPEHASH,
                    holder,
                    r.batchId,
                    r.firstSerial,
                    r.lastSerial,
                    keccak256(bytes(r.beneficiary)),
                    uint8(r.purpose)
                ),
                abi.encode(
                    keccak256(bytes(r.jurisdiction)),
                    r.consumptionStart,
                    r.consumptionEnd,
                    keccak256(bytes(r.note)),
                    nonce,
                    deadline
                )
            )
        );
    }

    function _batch(uint64 batchId) private view returns (BatchRecord memory b) {
        b = _batches[batchId];
        if (b.programId == 0) revert UnknownBatch(batchId);
    }

    function _requireLiveBatch(uint64 batchId) private view returns (BatchRecord memory b) {
        b = _batch(batchId);
        if (b.frozen) revert BatchFrozen(batchId);
    }

    function _requireActive(address account) private view {
        AccountStatus memory status = _accounts[account];
        if (!status.allowed) revert AccountNotAllowed(account);
        if (status.frozen) revert AccountFrozen(account);
    }

    /// @dev A plausible YYYYMMDD date (month 1-12, day 1-31); registries differ on finer rules.
    function _isDate(uint32 d) private pure returns (bool) {
        uint32 month = (d / 100) % 100;
        uint32 day = d % 100;
        return d >= 1900_01_01 && d <= 9999_12_31 && month >= 1 && month <= 12 && day >= 1 && day <= 31;
    }

    /// @dev Today's UTC date as YYYYMMDD (civil-from-days, Howard Hinnant's algorithm).
    // slither-disable-next-line divide-before-multiply -- the floor divisions are the calendar algorithm
    function _today() private view returns (uint32) {
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
