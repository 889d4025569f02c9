// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CanonicalText} from "./CanonicalText.sol";
import {
    AccountStatus,
    BatchFlags,
    BatchRecord,
    BridgedPart,
    HoldingRange,
    Labels,
    Limits,
    ProgramRecord,
    RangeRef,
    RangeState,
    StoredRange,
    TextField
} from "./CreditTypes.sol";
import {LedgerCore} from "./LedgerCore.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

/// @title The ledger's governance and off-chain views
/// @notice The module of {CarbonLedger}: its functions are called at the ledger's address, which
/// delegates every call it does not define here, so they run on the ledger's storage and emit
/// the ledger's audited events. Called at its own address the module has no state and no roles:
/// nothing it does there touches the ledger.
///
/// Who governs what: the ledger's default admin registers programmes, naming each programme's
/// admin; a programme admin alone grants and revokes that programme's issuers (and admins) and
/// sets its identity policy (fixed namespaces, numeric project ids).
contract LedgerGovernance is LedgerCore {
    /// @dev The pools module every call this one does not know is delegated to.
    address private immutable _pools;

    /// @param poolsModule The deployed {LedgerPools} (checked by the deployer: `chain/deployment.py`).
    constructor(address poolsModule) {
        if (poolsModule.code.length == 0) revert InvalidAccount(poolsModule);
        _pools = poolsModule;
        _disableInitializers();
    }

    /// @notice Every function neither the ledger nor this module defines (pools, project
    /// registration) runs in {LedgerPools}, on the ledger's storage and address.
    fallback() external {
        _delegateTo(_pools);
    }

    /// @notice The pools module this one delegates to (fixed at construction).
    function pools() external view returns (address) {
        return _pools;
    }

    // ---------------------------------------------------------------- programmes and projects

    /// @notice Registers a crediting programme such as `"VCS"` and names its admin.
    /// @dev Requirements: caller is the default admin; `code` is a canonical programme code
    /// ({CanonicalText-isProgramCode}) not yet registered; `admin` is not the zero address.
    /// The programme admin role administers itself and the programme's issuer role, so the
    /// default admin cannot act inside the programme. The programme starts with open
    /// namespaces and free-form project ids until its admin sets a policy.
    /// Emits {ProgramRegistered}, then {RoleUpdated} granting `admin` the programme admin role.
    /// @return programId The new programme id (ids start at 1).
    function registerProgram(bytes32 code, address admin)
        external
        onlyRole(DEFAULT_ADMIN_ROLE)
        returns (uint16 programId)
    {
        LedgerStorage.Layout storage l = _ledger();
        if (!CanonicalText.isProgramCode(code) || l.programIds[code] != 0) revert InvalidProgramCode(code);
        if (admin == address(0)) revert InvalidAccount(admin);
        programId = ++l.programCount;
        l.programs[programId].code = bytes16(code);
        l.programIds[code] = programId;
        _emitAudited(ProgramRegistered.selector, _topic(programId), _topic(_msgSender()), abi.encode(code));
        bytes32 adminRole = _programAdminRole(programId);
        _setRoleAdmin(adminRole, adminRole);
        _setRoleAdmin(_issuerRole(programId), adminRole);
        _grantRole(adminRole, admin);
    }

    /// @notice Sets a programme's identity policy.
    /// @dev Requirements: caller is the programme's admin. With `fixedNamespaces`, bridgings go
    /// only into namespaces allowed by {setNamespaces}: for registries that number serials in
    /// one registry-wide space (Verra's VCUs, a CDM originating registry), so no issuer can open
    /// a parallel one. With `numericProjectIds`, new projects' ids must be decimal numbers
    /// without leading zeros.
    /// Emits {ProgramPolicyUpdated}.
    function setProgramPolicy(uint16 programId, bool fixedNamespaces, bool numericProjectIds)
        external
        onlyRole(_programAdminRole(programId))
    {
        ProgramRecord storage record = _program(programId);
        (record.fixedNamespaces, record.numericProjectIds) = (fixedNamespaces, numericProjectIds);
        _emitAudited(
            ProgramPolicyUpdated.selector,
            _topic(programId),
            _topic(_msgSender()),
            abi.encode(fixedNamespaces, numericProjectIds)
        );
    }

    /// @notice Allows (`allowed`) or withdraws namespaces of a programme whose policy fixes them.
    /// @dev Requirements: caller is the programme's admin; every namespace is a canonical
    /// identifier ({CanonicalText-isIdentifier}). Withdrawing stops new bridgings into the
    /// namespace; what was bridged stays.
    /// Emits {NamespaceUpdated} for each namespace.
    function setNamespaces(uint16 programId, string[] calldata namespaces, bool allowed)
        external
        onlyRole(_programAdminRole(programId))
    {
        _program(programId);
        for (uint256 i; i < namespaces.length; ++i) {
            string calldata namespace = namespaces[i];
            if (!CanonicalText.isIdentifier(bytes(namespace), Limits.IDENTIFIER, false)) {
                revert InvalidNamespace(namespace);
            }
            _ledger().allowedNamespaces[namespaceId(programId, namespace)] = allowed;
            _emitAudited(
                NamespaceUpdated.selector, _topic(programId), _topic(_msgSender()), abi.encode(namespace, allowed)
            );
        }
    }

    // Registering projects is {LedgerPools}' (this module is full).

    /// @notice Sets a batch's labels (CORSIA eligible, CCP approved, Article 6 authorised,
    /// corresponding adjustment applied).
    /// @dev Requirements: not paused; caller is the admin of the batch's programme (not an
    /// issuer: a compromised issuer key cannot add or strip CORSIA / Article 6 labels); only
    /// known label bits; no credit of the batch retired yet. Labels cannot change under a
    /// retirement: each retirement records the labels it relied on ({CreditsRetired}), and a
    /// later change would make the batch say something its retirements did not rely on.
    /// Emits {LabelsUpdated}.
    function setLabels(uint64 batchId, uint16 labels) external whenNotPaused {
        BatchRecord memory b = _batch(batchId);
        _checkRole(_programAdminRole(b.programId));
        if (labels & ~Labels.ALL != 0) revert UnknownLabels(labels);
        if (b.retired != 0) revert LabelsLocked(batchId);
        // `labels <= Labels.ALL` (checked above) fits the flags' low four bits.
        _ledger().batches[batchId].flags = (b.flags & ~BatchFlags.LABELS) | uint8(labels);
        _emitAudited(LabelsUpdated.selector, _topic(batchId), _topic(_msgSender()), abi.encode(labels));
    }

    // ---------------------------------------------------------------- project links

    // Proposing, withdrawing and accepting links are {CarbonLedger}'s (this module is full).

    /// @notice A project's link group (0 if it is linked to nothing).
    function projectLinkGroup(bytes32 key) external view returns (uint32) {
        return _ledger().projects[key].linkGroup;
    }

    /// @notice Whether project `key`'s programme admin proposed linking it to project `other`
    /// (pending: neither accepted nor withdrawn).
    function projectLinkProposed(bytes32 key, bytes32 other) external view returns (bool) {
        return _ledger().linkProposals[keccak256(abi.encode(key, other))];
    }

    /// @notice A link group's member programmes and the vintage period each claimed so far
    /// (YYYYMMDD; zeros where nothing was bridged since the link), in the order they joined.
    function linkClaims(uint32 groupId)
        external
        view
        returns (uint16[4] memory programIds, uint32[4] memory starts, uint32[4] memory ends)
    {
        uint256 word = _ledger().linkClaims[groupId];
        for (uint256 i; i < 4; ++i) {
            uint256 entry = word >> (64 * i);
            programIds[i] = uint16(entry >> 48);
            starts[i] = _unpack(uint24(entry >> 24));
            ends[i] = _unpack(uint24(entry));
        }
    }

    function _unpack(uint24 packed) private pure returns (uint32) {
        return packed == 0 ? 0 : uint32(packed >> 9) * 10000 + uint32((packed >> 5) & 15) * 100 + uint32(packed & 31);
    }

    // ---------------------------------------------------------------- correction in the open

    /// @notice Voids a bridging that was wrong (recipient, vintage, metadata): cancels the whole
    /// batch and takes its part out of the overlap index, so its serials can be bridged again,
    /// correctly ({correctBatch} then links the replacement).
    /// @dev Requirements: not paused; caller is the admin of the batch's programme; every serial
    /// of the batch is still held by its first recipient in the one range the bridging wrote
    /// (nothing transferred, retired, detokenised or cancelled: an O(1) check); `namespace` is
    /// the batch's own (its part names the batch) and `partHint` the key of the part just
    /// below it ({LedgerGovernance-findPartHint}); `reason` is acceptable, non-blank text of at
    /// most {Limits-NOTE} bytes. The voided serials count as cancelled in the batch totals, so
    /// bridged = held + retired + detokenised + cancelled still holds for every batch, and
    /// {batchVoided} tells a void from cancellations.
    /// Emits {SerialsMoved} (to `Cancelled`) then {BatchVoided}.
    function voidBatch(uint64 batchId, string calldata namespace, uint256 partHint, string calldata reason)
        external
        whenNotPaused
    {
        BatchRecord memory b = _batch(batchId);
        _checkRole(_programAdminRole(b.programId));
        CanonicalText.check(reason, TextField.Reason, true);
        LedgerStorage.Layout storage l = _ledger();
        uint64 first = b.firstSerial;
        uint64 last = first + b.quantity - 1;
        StoredRange memory r = l.ranges[batchId][first];
        if (!r.bridged || r.last != last || r.state != RangeState.Held) revert BatchNotVoidable(batchId);
        uint256 key = partKey(namespaceId(b.programId, namespace), first);
        if (l.parts[key].batchId != batchId) revert InvalidNamespace(namespace);
        if (l.parts[partHint].next != key) revert InvalidBridgeHint(partHint);
        l.parts[partHint].next = l.parts[key].next;
        delete l.parts[key];
        address actor = _msgSender();
        _move(batchId, first, first, last, r.holder, r.holder, RangeState.Cancelled, actor);
        l.ranges[batchId][first].voided = true;
        _emitAudited(BatchVoided.selector, _topic(batchId), _topic(actor), abi.encode(reason));
    }

    /// @notice Links a voided batch to the batch that replaces it, in the audit trail.
    /// @dev Requirements: caller is the admin of both batches' programme; `voidedBatchId` was
    /// voided and `batchId` was not. Emits {BatchCorrected}.
    function correctBatch(uint64 voidedBatchId, uint64 batchId) external whenNotPaused {
        LedgerStorage.Layout storage l = _ledger();
        BatchRecord memory old = _batch(voidedBatchId);
        BatchRecord memory replacement = _batch(batchId);
        _checkRole(_programAdminRole(old.programId));
        _checkRole(_programAdminRole(replacement.programId));
        if (!l.ranges[voidedBatchId][old.firstSerial].voided) revert BatchNotVoided(voidedBatchId);
        if (l.ranges[batchId][replacement.firstSerial].voided) revert BatchNotVoidable(batchId);
        _emitAudited(BatchCorrected.selector, _topic(voidedBatchId), _topic(batchId), abi.encode(_msgSender()));
    }

    /// @notice Moves a lost-key holder's live credits to its new account (ERC-3643 recovery).
    /// @dev Requirements: not paused; caller has {COMPLIANCE_ROLE}; `lost` is frozen (compliance
    /// froze it first, so nothing moves meanwhile); `replacement` is allowlisted and not frozen;
    /// each of `ranges` is a live range held by `lost` (named by batch and start: the cost is
    /// O(input), whatever `lost` holds elsewhere). Each range moves whole, through the one
    /// function that changes holdings; frozen batches move too (this is not a trade).
    /// Emits {SerialsMoved} per range, then {AccountRecovered}.
    function recover(address lost, address replacement, RangeRef[] calldata ranges)
        external
        whenNotPaused
        onlyRole(COMPLIANCE_ROLE)
    {
        LedgerStorage.Layout storage l = _ledger();
        if (!l.accounts[lost].frozen) revert AccountNotFrozen(lost);
        _requireActive(replacement);
        address actor = _msgSender();
        for (uint256 i; i < ranges.length; ++i) {
            RangeRef calldata ref = ranges[i];
            _batch(ref.batchId);
            uint64 last = l.ranges[ref.batchId][ref.start].last;
            _move(ref.batchId, ref.start, ref.start, last, lost, replacement, RangeState.Held, actor);
        }
        _emitAudited(AccountRecovered.selector, _topic(lost), _topic(replacement), abi.encode(actor, ranges.length));
    }

    /// @notice Invalidates the caller's next signature nonce: a pending signed request (bridging
    /// or retirement) that carries it can no longer be relayed. Call again for the next one.
    /// @dev Allowed while paused (it only withdraws consent). Emits {NonceInvalidated}.
    function useNonce() external returns (uint256 nonce) {
        address holder = _msgSender();
        nonce = _useNonce(holder);
        _emitAudited(NonceInvalidated.selector, _topic(holder), _topic(nonce), "");
    }

    // ---------------------------------------------------------------- migration

    /// @notice Schedules sealing the ledger, announced and delayed like an admin hand-over.
    /// @dev Requirements: caller is the default admin. {seal} may run from now plus the
    /// default-admin delay. Replaces a scheduled seal. Emits {SealRecorded} (step 0).
    function scheduleSeal() external onlyRole(DEFAULT_ADMIN_ROLE) {
        uint48 when = uint48(block.timestamp) + defaultAdminDelay();
        _ledger().sealAt = when;
        _emitAudited(SealRecorded.selector, _topic(_msgSender()), _topic(uint256(0)), abi.encode(when));
    }

    /// @notice Cancels a scheduled seal.
    /// @dev Requirements: caller is the default admin; a seal is scheduled. Emits {SealRecorded}
    /// (step 1).
    function cancelSeal() external onlyRole(DEFAULT_ADMIN_ROLE) {
        LedgerStorage.Layout storage l = _ledger();
        if (l.sealAt == 0) revert SealNotReady(0);
        l.sealAt = 0;
        _emitAudited(SealRecorded.selector, _topic(_msgSender()), _topic(uint256(1)), abi.encode(uint48(0)));
    }

    /// @notice Seals the ledger for good: every later state change reverts with
    /// {LedgerSealed}; {finalState} then holds the final head and the state commitment a
    /// successor starts from.
    /// @dev Requirements: caller is the default admin; a seal is scheduled and its delay has
    /// passed. Emits {SealRecorded} (step 2), the last audited event.
    function seal() external onlyRole(DEFAULT_ADMIN_ROLE) {
        LedgerStorage.Layout storage l = _ledger();
        uint48 when = l.sealAt;
        if (when == 0 || block.timestamp < when) revert SealNotReady(when);
        _emitAudited(SealRecorded.selector, _topic(_msgSender()), _topic(uint256(2)), abi.encode(when));
        l.isSealed = true;
    }

    /// @notice Whether the ledger is sealed, its audit sequence and head, and the state
    /// commitment `keccak256(abi.encode(batchCount, retirementCount, auditSeq, auditHead))`.
    /// Final once `isSealed`.
    function finalState() external view returns (bool isSealed, uint64 seq, bytes32 head, bytes32 commitment) {
        LedgerStorage.Layout storage l = _ledger();
        (isSealed, seq, head) = (l.isSealed, l.auditSeq, l.auditHead);
        commitment = keccak256(abi.encode(l.batchCount, l.retirementCount, seq, head));
    }

    /// @notice When a scheduled seal may be carried out (0 if none is scheduled).
    function sealAt() external view returns (uint48) {
        return _ledger().sealAt;
    }

    /// @notice The sealed ledger this one succeeds (zero for a first ledger).
    function predecessor() external view returns (address) {
        return _ledger().predecessor;
    }

    // ---------------------------------------------------------------- compliance and pausing

    /// @notice Sets whether `account` may hold credits (`allowed`) and whether it is `frozen`.
    /// @dev Requirements: caller has {COMPLIANCE_ROLE}; `account` is not the zero address nor a
    /// pool's account ({PoolAccountRefused}).
    /// Emits {AccountUpdated}.
    function setAccount(address account, bool allowed, bool frozen) external onlyRole(COMPLIANCE_ROLE) {
        // The zero address stands for "nobody" in SerialsMoved (a bridging's sender).
        if (account == address(0)) revert InvalidAccount(account);
        // A pool's serials move only with its units: its account never holds credits otherwise.
        uint32 poolId = _ledger().poolOf[account];
        if (poolId != 0) revert PoolAccountRefused(poolId, account);
        _ledger().accounts[account] = AccountStatus({allowed: allowed, frozen: frozen});
        if (allowed) _ledger().everAllowed[account] = true;
        _emitAudited(AccountUpdated.selector, _topic(account), _topic(_msgSender()), abi.encode(allowed, frozen));
    }

    /// @notice Freezes or unfreezes a batch: a frozen batch cannot be transferred, retired or
    /// detokenised.
    /// @dev Requirements: caller has {COMPLIANCE_ROLE}; the batch exists. Emits {BatchFreezeChanged}.
    function setBatchFrozen(uint64 batchId, bool frozen) external onlyRole(COMPLIANCE_ROLE) {
        uint8 flags = _batch(batchId).flags;
        _ledger().batches[batchId].flags = frozen ? flags | BatchFlags.FROZEN : flags & ~BatchFlags.FROZEN;
        _emitAudited(BatchFreezeChanged.selector, _topic(batchId), _topic(_msgSender()), abi.encode(frozen));
    }

    /// @notice Pauses every change of holdings.
    /// @dev Requirements: caller has {PAUSER_ROLE}; not paused. Emits {PauseChanged}.
    function pause() external onlyRole(PAUSER_ROLE) whenNotPaused {
        _ledger().paused = true;
        _emitAudited(PauseChanged.selector, _topic(_msgSender()), _topic(true), "");
    }

    /// @notice Ends a pause.
    /// @dev Requirements: caller has {PAUSER_ROLE}; paused. Emits {PauseChanged}.
    function unpause() external onlyRole(PAUSER_ROLE) {
        LedgerStorage.Layout storage l = _ledger();
        if (!l.paused) revert ExpectedPause();
        l.paused = false;
        _emitAudited(PauseChanged.selector, _topic(_msgSender()), _topic(false), "");
    }

    // ---------------------------------------------------------------- views

    /// @notice Live (held) credits of `account` in a batch.
    /// @dev Walks the batch's ranges: O(ranges), for off-chain callers. Holdings are not kept as
    /// per-account counters because that slot would cost every bridging and first receipt 22,100
    /// gas; the indexer answers holdings queries in O(1).
    function balanceOf(address account, uint64 batchId) external view returns (uint256 balance) {
        BatchRecord memory b = _batch(batchId);
        mapping(uint64 => StoredRange) storage ranges = _ledger().ranges[batchId];
        uint64 end = b.firstSerial + b.quantity - 1;
        for (uint64 start = b.firstSerial; start <= end;) {
            StoredRange memory r = ranges[start];
            if (r.holder == account && r.state == RangeState.Held) balance += r.last - start + 1;
            start = r.last + 1;
        }
    }

    /// @notice Number of batches bridged so far (batch ids are 1..batchCount).
    function batchCount() external view returns (uint64) {
        return _ledger().batchCount;
    }

    /// @notice Number of retirements recorded so far (ids are 1..retirementCount).
    function retirementCount() external view returns (uint64) {
        return _ledger().retirementCount;
    }

    /// @notice The holding range of a batch that starts at `start` (state `None` if none does).
    function rangeAt(uint64 batchId, uint64 start) external view returns (HoldingRange memory) {
        return _view(_ledger().ranges[batchId][start]);
    }

    /// @notice Up to `maxCount` consecutive holding ranges of a batch from the one starting at
    /// `start` (use the batch's first serial to list all). Off-chain convenience: O(maxCount).
    function rangesFrom(uint64 batchId, uint64 start, uint256 maxCount)
        external
        view
        returns (uint64[] memory starts, HoldingRange[] memory ranges)
    {
        BatchRecord memory b = _batch(batchId);
        mapping(uint64 => StoredRange) storage stored = _ledger().ranges[batchId];
        uint64 end = b.firstSerial + b.quantity - 1;
        uint256 n;
        starts = new uint64[](maxCount);
        ranges = new HoldingRange[](maxCount);
        while (n < maxCount && start <= end) {
            HoldingRange memory r = _view(stored[start]);
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
        StoredRange memory r = _ledger().ranges[batchId][rangeStart];
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
        mapping(uint64 => StoredRange) storage ranges = _ledger().ranges[batchId];
        rangeStart = b.firstSerial;
        range = _view(ranges[rangeStart]);
        while (range.last < serial) {
            rangeStart = range.last + 1;
            range = _view(ranges[rangeStart]);
        }
    }

    /// @notice The code of programme `programId` (zero if none).
    function programCode(uint16 programId) external view returns (bytes32) {
        return bytes32(_ledger().programs[programId].code);
    }

    /// @notice A programme's code and identity policy (a zero code if there is no such programme).
    function program(uint16 programId) external view returns (ProgramRecord memory) {
        return _ledger().programs[programId];
    }

    /// @notice The id of the programme registered under `code` (0 if none).
    function programIdOf(bytes32 code) external view returns (uint16) {
        return _ledger().programIds[code];
    }

    /// @notice Whether the programme admin allowed `namespace` (it matters where the programme's
    /// policy fixes its namespaces).
    function namespaceAllowed(uint16 programId, string calldata namespace) external view returns (bool) {
        return _ledger().allowedNamespaces[namespaceId(programId, namespace)];
    }

    /// @notice The programme a project is registered under (0 if it is not registered).
    function projectProgram(bytes32 key) external view returns (uint16) {
        return _ledger().projects[key].programId;
    }

    /// @notice Allowlist and freeze flags of `account`.
    function accountStatus(address account) external view returns (AccountStatus memory) {
        return _ledger().accounts[account];
    }

    /// @notice The bridged part stored under `key` (`next == 0` if there is none).
    function part(uint256 key) external view returns (BridgedPart memory) {
        return _ledger().parts[key];
    }

    /// @notice Up to `maxCount` bridged parts in key order, from the one stored under `from`
    /// (0 is the head sentinel). Lets a client mirror the list and compute hints locally.
    /// Off-chain convenience: O(maxCount).
    function partsFrom(uint256 from, uint256 maxCount)
        external
        view
        returns (uint256[] memory keys, BridgedPart[] memory parts)
    {
        mapping(uint256 => BridgedPart) storage stored = _ledger().parts;
        keys = new uint256[](maxCount);
        parts = new BridgedPart[](maxCount);
        uint256 n;
        for (uint256 key = from; n < maxCount && key != LedgerStorage.PARTS_END; key = parts[n - 1].next) {
            BridgedPart memory p = stored[key];
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

    /// @notice The hint {CarbonLedger-bridge} needs for `first` of `namespace`: the key of the
    /// bridged part immediately below it, searched from `from` (a key known to be below, or 0
    /// for the head). Off-chain convenience: O(parts between `from` and the answer).
    function findPartHint(uint16 programId, string calldata namespace, uint64 first, uint256 from)
        external
        view
        returns (uint256 hint)
    {
        mapping(uint256 => BridgedPart) storage parts = _ledger().parts;
        uint256 key = partKey(namespaceId(programId, namespace), first);
        hint = from;
        if (parts[hint].next == 0 || hint >= key) revert InvalidBridgeHint(from);
        for (uint256 next = parts[hint].next; next < key; next = parts[hint].next) {
            hint = next;
        }
    }

    /// @notice The issuer role of a programme: its holders bridge, register projects, cancel and
    /// label for that programme only. Its admin role is {programAdminRole}.
    function issuerRole(uint16 programId) external pure returns (bytes32) {
        return _issuerRole(programId);
    }

    /// @notice The admin role of a programme: its holders grant and revoke the programme's
    /// issuers and admins and set its identity policy.
    function programAdminRole(uint16 programId) external pure returns (bytes32) {
        return _programAdminRole(programId);
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

    /// @notice Whether the batch was voided ({voidBatch}).
    function batchVoided(uint64 batchId) external view returns (bool) {
        return _ledger().ranges[batchId][_batch(batchId).firstSerial].voided;
    }

    function _view(StoredRange storage r) private view returns (HoldingRange memory) {
        return HoldingRange({holder: r.holder, last: r.last, state: r.state});
    }

    function _program(uint16 programId) private view returns (ProgramRecord storage record) {
        record = _ledger().programs[programId];
        if (record.code == 0) revert UnknownProgram(programId);
    }
}
