// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {MulticallUpgradeable} from "@openzeppelin/contracts-upgradeable/utils/MulticallUpgradeable.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {CanonicalText} from "./CanonicalText.sol";
import {
    BatchRecord,
    BatchView,
    BridgedPart,
    Issuance,
    Labels,
    Limits,
    ProgramRecord,
    ProjectRecord,
    RangeState,
    Retirement,
    TextField
} from "./CreditTypes.sol";
import {LedgerCore} from "./LedgerCore.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

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
/// - Identifiers and text are refused unless canonical ({CanonicalText}), so no spelling can
///   bridge a serial twice and nothing the ledger accepts can halt a mirror of it.
/// - `auditSeq`/`auditHead` chain every event's raw log bytes (docs/AUDIT.md).
/// - This contract holds the operations on credits; governance and the off-chain views live in
///   the module {LedgerGovernance}, fixed at construction, which every call this contract does
///   not know is delegated to. Both run on one storage, so the ledger is one address, one state
///   and one audit trail, and no code can be swapped in later.
contract CarbonLedger is LedgerCore, MulticallUpgradeable {
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

    /// @dev The governance module every unknown call is delegated to.
    address private immutable _governance;

    /// @param module The deployed {LedgerGovernance} (its code is checked by the deployer:
    /// `chain/deployment.py`).
    /// @param initialDelay Delay of the two-step default-admin hand-over, in seconds.
    /// @param admin The first default admin.
    /// @param predecessor A sealed ledger this one succeeds, or the zero address.
    constructor(address module, uint48 initialDelay, address admin, address predecessor) initializer {
        if (module.code.length == 0) revert InvalidAccount(module);
        _governance = module;
        // The trail starts at a head bound to this chain and this address (before the admin
        // grant below, its first audited event), so no two deployments share a head; a
        // successor's also folds in its predecessor's final head, chaining the two trails.
        bytes32 genesis = keccak256(abi.encode(block.chainid, address(this)));
        if (predecessor != address(0)) {
            (bool sealed_, bytes32 head, bytes32 commitment) = _finalState(predecessor);
            if (!sealed_) revert PredecessorNotSealed(predecessor);
            _ledger().auditHead = keccak256(abi.encode(genesis, head));
            _ledger().predecessor = predecessor;
            _emitAudited(LedgerSucceeded.selector, _topic(predecessor), head, abi.encode(commitment));
        } else {
            _ledger().auditHead = genesis;
        }
        __AccessControlDefaultAdminRules_init(initialDelay, admin);
        _ledger().parts[_PARTS_HEAD] = BridgedPart({next: LedgerStorage.PARTS_END, batchId: 0});
    }

    /// @notice Every function this contract does not define (governance and views, see
    /// {LedgerGovernance}) runs in the module, on this contract's storage and address.
    fallback() external {
        _delegateTo(_governance);
    }

    // ---------------------------------------------------------------- bridging

    /// @notice Bridges a registry issuance block as a new batch held by `issuance.recipient`.
    /// @dev Requirements: not paused; caller is an issuer of the programme; the project is
    /// registered under it; the range is valid (at most 2^32 - 1 t, ending at most at
    /// {Limits-MAX_SERIAL}) and overlaps nothing ever bridged in its namespace; the namespace is
    /// a canonical identifier and, if the programme fixes its namespaces, one its admin allowed;
    /// the registry reference is acceptable text; the vintage is two calendar dates in order;
    /// `partHint` is the key of the bridged part immediately below the new range (see
    /// {LedgerGovernance-findPartHint}); the recipient is allowlisted and not frozen; for a
    /// project in a link group ({LedgerGovernance-acceptProjectLink}), the vintage overlaps no
    /// period the group claimed under another programme ({LinkedPeriodClaimed}).
    /// Emits {BatchBridged} then {SerialsMoved}.
    /// @return batchId The new batch id.
    function bridge(Issuance calldata issuance, uint256 partHint)
        external
        whenNotPaused
        onlyRole(_issuerRole(issuance.programId))
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
        _checkRole(_issuerRole(issuance.programId), issuer);
        _useSignature(issuer, _bridgeStructHash(issuance, _useNonce(issuer), deadline), deadline, signature);
        return _bridge(issuance, partHint, issuer);
    }

    // ---------------------------------------------------------------- holders

    /// @notice Transfers the caller's serials `first..last` of a batch to `to`.
    /// @dev Requirements: not paused; batch not frozen; `to` is not the caller; caller and `to`
    /// allowlisted and not frozen; the caller holds all of `first..last`, starting in the range
    /// that begins at `rangeStart` (and, if longer, continuing through the caller's following
    /// ranges).
    /// Emits {SerialsMoved}.
    function transfer(uint64 batchId, uint64 first, uint64 last, address to, uint64 rangeStart)
        external
        whenNotPaused
    {
        address from = _msgSender();
        if (to == from) revert SelfTransfer(from);
        _requireLiveBatch(batchId);
        _requireActive(from);
        _requireActive(to);
        _move(batchId, rangeStart, first, last, from, to, RangeState.Held, from);
    }

    /// @notice Retires the caller's serials `r.firstSerial..r.lastSerial` permanently.
    /// @dev Requirements: as {transfer} for the caller; the beneficiary is acceptable non-blank
    /// text, the jurisdiction and note acceptable text ({CanonicalText}); a CORSIA purpose needs
    /// the batch's CORSIA label, and for a vintage starting in 2021 or later (CORSIA's first
    /// phase) its corresponding-adjustment label too; an Article 6 purpose needs the
    /// authorisation and corresponding-adjustment labels. The retirement records the batch's
    /// labels it relied on; they can no longer change ({LedgerGovernance-setLabels}).
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
    /// @dev Requirements: as {retire}, except that the beneficiary may be empty (registries do
    /// not always record one); the caller is an issuer of the batch's programme; `retiredOn` is
    /// a calendar date, not in the future and not before the batch's vintage starts (the ledger
    /// does not know the registry's issuance date; no credit is issued before its vintage
    /// begins, so this is the earliest date the ledger can vouch for).
    /// Emits {SerialsMoved} then {CreditsRetired} with `mirrored = true`.
    function recordRegistryRetirement(Retirement calldata r, uint64 rangeStart, uint32 retiredOn)
        external
        whenNotPaused
        returns (uint64 retirementId)
    {
        BatchRecord memory b = _batch(r.batchId);
        _checkRole(_issuerRole(b.programId));
        if (!CanonicalText.isDate(retiredOn) || retiredOn > _today() || _packDate(retiredOn) < b.vintageStart) {
            revert InvalidDate(retiredOn);
        }
        return _retire(r, rangeStart, _msgSender(), retiredOn, _msgSender());
    }

    /// @notice Returns the caller's serials `first..last` to the off-chain registry (burned here).
    /// @dev Requirements: as {transfer} for the caller; `registryReference` is acceptable,
    /// non-blank text of at most {Limits-REFERENCE} bytes.
    /// Emits {SerialsMoved} then {CreditsDetokenised}.
    function detokenise(uint64 batchId, uint64 first, uint64 last, uint64 rangeStart, string calldata registryReference)
        external
        whenNotPaused
    {
        address holder = _msgSender();
        CanonicalText.check(registryReference, TextField.RegistryReference, true);
        _requireLiveBatch(batchId);
        _requireActive(holder);
        _move(batchId, rangeStart, first, last, holder, holder, RangeState.Detokenised, holder);
        _emitAudited(CreditsDetokenised.selector, _topic(batchId), _topic(holder), abi.encode(first, last, registryReference));
    }

    // ---------------------------------------------------------------- issuers

    /// @notice Cancels `holder`'s live serials `first..last` (e.g. a registry reversal).
    /// @dev Requirements: not paused; caller is the admin of the batch's programme, or an issuer
    /// of it cancelling credits it holds itself (a compromised issuer key cannot cancel anyone
    /// else's); `holder` holds the serials and is not a pool's account ({PooledCredits}: its
    /// serials back units); `reason` is acceptable, non-blank text of at most {Limits-NOTE}
    /// bytes. Freezes do not block a cancellation.
    /// Emits {SerialsMoved} then {CreditsCancelled}.
    function cancel(
        uint64 batchId,
        address holder,
        uint64 first,
        uint64 last,
        uint64 rangeStart,
        string calldata reason
    ) external whenNotPaused {
        uint16 programId = _batch(batchId).programId;
        address actor = _msgSender();
        bytes32 adminRole = _programAdminRole(programId);
        if (!hasRole(adminRole, actor)) {
            _checkRole(_issuerRole(programId));
            if (holder != actor) revert AccessControlUnauthorizedAccount(actor, adminRole);
        }
        CanonicalText.check(reason, TextField.Reason, true);
        // `_move` reads a zero sender as a bridging; nobody holds credits as the zero address.
        if (holder == address(0)) revert InsufficientCredits(holder, batchId, first, last);
        _move(batchId, rangeStart, first, last, holder, holder, RangeState.Cancelled, actor);
        _emitAudited(CreditsCancelled.selector, _topic(batchId), _topic(holder), abi.encode(first, last, reason, actor));
    }

    // ---------------------------------------------------------------- project links
    // Governance, but here: the module {LedgerGovernance} has no room left for them.

    /// @notice Proposes linking `projectKey` (the caller's programme's project) to `otherKey`,
    /// a project of another programme (say CDM 1234, which transitioned to VCS 5678): once the
    /// other programme's admin accepts ({acceptProjectLink}), no vintage period can be bridged
    /// under both programmes.
    /// @dev Requirements: not paused; caller is the admin of `projectKey`'s programme; both
    /// projects are registered, under different programmes, and not both already in a link
    /// group. A proposal binds nobody: the other admin must accept it.
    /// Emits {ProjectLinkRecorded} (step 0).
    function proposeProjectLink(bytes32 projectKey, bytes32 otherKey) external whenNotPaused {
        ProjectRecord memory p = _linkable(projectKey, otherKey);
        _ledger().linkProposals[keccak256(abi.encode(projectKey, otherKey))] = true;
        _recordLink(projectKey, otherKey, 0, p.linkGroup);
    }

    /// @notice Withdraws the caller's programme's pending proposal to link `projectKey` to
    /// `otherKey`.
    /// @dev Requirements: caller is the admin of `projectKey`'s programme; the proposal is
    /// pending. Allowed while paused (it only withdraws consent). Links themselves are
    /// permanent: undoing one could reopen a period to a second issuance.
    /// Emits {ProjectLinkRecorded} (step 1).
    function withdrawProjectLink(bytes32 projectKey, bytes32 otherKey) external {
        LedgerStorage.Layout storage l = _ledger();
        _checkRole(_programAdminRole(l.projects[projectKey].programId));
        bytes32 proposal = keccak256(abi.encode(projectKey, otherKey));
        if (!l.linkProposals[proposal]) revert ProjectLinkNotProposed(projectKey, otherKey);
        delete l.linkProposals[proposal];
        _recordLink(projectKey, otherKey, 1, 0);
    }

    /// @notice Accepts the other programme's proposal to link its project `otherKey` to the
    /// caller's programme's project `projectKey`: both join one link group (a new one, or the
    /// one either is already in), and from then on a bridging of any project of the group is
    /// refused if its vintage overlaps a period bridged under another programme of the group.
    /// @dev Requirements: not paused; caller is the admin of `projectKey`'s programme;
    /// `otherKey`'s programme admin proposed the link and has not withdrawn it; the projects
    /// are still linkable (as {proposeProjectLink}); the group spans at most four programmes.
    /// The group's claims start from this link: periods bridged before it are not in them,
    /// and `audit verify` reports any overlap among the group's batches, before or after.
    /// Emits {ProjectLinkRecorded} (step 2).
    function acceptProjectLink(bytes32 projectKey, bytes32 otherKey) external whenNotPaused {
        LedgerStorage.Layout storage l = _ledger();
        ProjectRecord memory p = _linkable(projectKey, otherKey);
        ProjectRecord memory o = l.projects[otherKey];
        bytes32 proposal = keccak256(abi.encode(otherKey, projectKey));
        if (!l.linkProposals[proposal]) revert ProjectLinkNotProposed(otherKey, projectKey);
        delete l.linkProposals[proposal];
        uint32 group = p.linkGroup | o.linkGroup; // at most one of them is nonzero
        if (group == 0) group = ++l.linkGroupCount;
        l.linkClaims[group] = _withMember(_withMember(l.linkClaims[group], group, p.programId), group, o.programId);
        l.projects[projectKey].linkGroup = group;
        l.projects[otherKey].linkGroup = group;
        _recordLink(projectKey, otherKey, 2, group);
    }

    /// @dev The caller's project record, once the caller is its programme's admin and the two
    /// projects can be linked.
    function _linkable(bytes32 projectKey, bytes32 otherKey) private view returns (ProjectRecord memory p) {
        LedgerStorage.Layout storage l = _ledger();
        p = l.projects[projectKey];
        ProjectRecord memory o = l.projects[otherKey];
        if (p.programId == 0) revert UnknownProject(projectKey, 0);
        if (o.programId == 0) revert UnknownProject(otherKey, 0);
        _checkRole(_programAdminRole(p.programId));
        if (p.programId == o.programId) revert InvalidProjectLink(projectKey, otherKey);
        if (p.linkGroup != 0 && o.linkGroup != 0) revert ProjectAlreadyLinked(otherKey, o.linkGroup);
    }

    /// @dev `claims` with an (empty) entry for `programId` if it had none.
    function _withMember(uint256 claims, uint32 group, uint16 programId) private pure returns (uint256) {
        for (uint256 shift; shift < 256; shift += 64) {
            uint16 member = uint16(claims >> (shift + 48));
            if (member == programId) return claims;
            if (member == 0) return claims | (uint256(programId) << (shift + 48));
        }
        revert LinkGroupFull(group);
    }

    function _recordLink(bytes32 projectKey, bytes32 otherKey, uint8 step, uint32 group) private {
        _emitAudited(ProjectLinkRecorded.selector, projectKey, otherKey, abi.encode(step, group, _msgSender()));
    }

    // ---------------------------------------------------------------- views on the hot paths

    /// @notice Number of audited events so far; the last event carried this `seq`.
    function auditSeq() external view returns (uint64) {
        return _ledger().auditSeq;
    }

    /// @notice Rolling hash over every audited event's raw log, from the genesis head
    /// `keccak256(abi.encode(block.chainid, address(this)))`; see docs/AUDIT.md.
    function auditHead() external view returns (bytes32) {
        return _ledger().auditHead;
    }

    /// @dev The predecessor's seal flag, final head and commitment, through its {finalState}.
    /// A low-level static call so that an address that is not a ledger (no such function, an
    /// answer of another shape) is refused with {PredecessorNotSealed}, not an opaque revert.
    // slither-disable-next-line low-level-calls
    function _finalState(address predecessor) private view returns (bool, bytes32, bytes32) {
        if (predecessor.code.length == 0) revert PredecessorNotSealed(predecessor);
        (bool ok, bytes memory out) = predecessor.staticcall(abi.encodeWithSignature("finalState()"));
        if (!ok || out.length != 128) revert PredecessorNotSealed(predecessor);
        (bool sealed_,, bytes32 head, bytes32 commitment) = abi.decode(out, (bool, uint64, bytes32, bytes32));
        return (sealed_, head, commitment);
    }

    /// @notice The governance module this ledger delegates to (fixed at construction).
    function governance() external view returns (address) {
        return _governance;
    }

    /// @notice Whether the ledger is paused.
    function paused() external view returns (bool) {
        return _ledger().paused;
    }

    /// @notice A batch's programme, labels, freeze flag, serials and totals per state.
    /// @dev Reverts with {UnknownBatch} if it does not exist. Held = quantity - retired -
    /// detokenised - cancelled.
    function batch(uint64 batchId) external view returns (BatchView memory) {
        return _batchView(_batch(batchId));
    }

    // ---------------------------------------------------------------- internals

    function _bridge(Issuance calldata issuance, uint256 partHint, address actor) private returns (uint64 batchId) {
        uint64 first = issuance.firstSerial;
        uint64 last = issuance.lastSerial;
        if (first > last || last > Limits.MAX_SERIAL || last - first > type(uint32).max - 1) {
            revert InvalidSerialRange(first, last);
        }
        if (!CanonicalText.isIdentifier(bytes(issuance.namespace), Limits.IDENTIFIER, false)) {
            revert InvalidNamespace(issuance.namespace);
        }
        if (!CanonicalText.isDate(issuance.vintageStart) || !CanonicalText.isDate(issuance.vintageEnd) || issuance.vintageEnd < issuance.vintageStart)
        {
            revert InvalidVintage(issuance.vintageStart, issuance.vintageEnd);
        }
        if (issuance.labels & ~Labels.ALL != 0) revert UnknownLabels(issuance.labels);
        CanonicalText.check(issuance.registryReference, TextField.RegistryReference, false);
        LedgerStorage.Layout storage l = _ledger();
        uint24 vintageStart = _packDate(issuance.vintageStart);
        (bool fixedHint, uint256 classId) = _checkProject(issuance, vintageStart);
        _requireActive(issuance.recipient);
        batchId = ++l.batchCount;
        _insertPart(issuance, partHint, _namespaceId(issuance, fixedHint), batchId);

        {
            // The new {BatchRecord} in one write (no retired, detokenised or cancelled credits
            // yet, not frozen): programId | flags << 16 (the labels, checked <= Labels.ALL
            // above) | classId << 24 | firstSerial << 40 | quantity << 104 | vintageStart << 232.
            // The quantity cannot truncate: the range check above bounds it to 2^32 - 1.
            uint256 record = uint256(issuance.programId) | (uint256(issuance.labels) << 16) | (classId << 24)
                | (uint256(first) << 40)
                | (uint256(last - first + 1) << 104) | (uint256(vintageStart) << 232);
            mapping(uint64 => BatchRecord) storage batches = l.batches;
            assembly ("memory-safe") {
                mstore(0, batchId)
                mstore(0x20, batches.slot)
                sstore(keccak256(0, 0x40), record)
            }
        }
        _emitAudited(BatchBridged.selector, _topic(batchId), _topic(actor), abi.encode(issuance));
        _move(batchId, first, first, last, address(0), issuance.recipient, RangeState.Held, actor);
    }

    /// @dev Requires the issuance's project registered under its programme and, if it is in a
    /// link group, claims its vintage there ({_claimLinkedPeriod}); returns the project's
    /// namespace-policy hint ({_namespaceId}) and its class ({ProjectClass}). Reads the
    /// project's one slot, whole: `programId | linkGroup << 16 | fixedNamespaces << 48 | classId << 56`.
    function _checkProject(Issuance calldata issuance, uint24 vintageStart)
        private
        returns (bool fixedHint, uint256 classId)
    {
        mapping(bytes32 => ProjectRecord) storage projects = _ledger().projects;
        bytes32 key = issuance.projectKey;
        uint256 project;
        assembly ("memory-safe") {
            mstore(0, key)
            mstore(0x20, projects.slot)
            project := sload(keccak256(0, 0x40))
        }
        // Registered projects belong to registered programmes (ids from 1), so 0 means unknown.
        uint256 programId = project & 0xffff;
        if (programId == 0 || programId != issuance.programId) revert UnknownProject(key, issuance.programId);
        // The link group lives in the project's slot, so an unlinked project reads nothing more.
        uint256 linkGroup = (project >> 16) & 0xffffffff;
        if (linkGroup != 0) _claimLinkedPeriod(linkGroup, programId, vintageStart, issuance.vintageEnd);
        return ((project >> 48) & 0xff != 0, (project >> 56) & 0xffff);
    }

    /// @dev Refuses a linked project's bridging whose vintage (`start` packed, `endDate` as
    /// YYYYMMDD) overlaps the period another member programme of its link group claimed, and widens
    /// `programId`'s own claim to cover it. One word per group holds each member programme's
    /// envelope [earliest start, latest end]: O(1) whatever the history, and conservative (a
    /// vintage falling between two periods another programme bridged is refused too).
    /// Bridgings under one programme never conflict. Written only when the envelope grows.
    // slither-disable-next-line incorrect-shift -- `shl(shift, mask)` shifts the mask by `shift`: the intended order
    function _claimLinkedPeriod(uint256 group, uint256 programId, uint256 start, uint256 endDate) private {
        mapping(uint32 => uint256) storage claims = _ledger().linkClaims;
        uint256 conflict; // another programme's entry the vintage overlaps (0: none)
        assembly ("memory-safe") {
            mstore(0, group)
            mstore(0x20, claims.slot)
            let slot := keccak256(0, 0x40)
            let word := sload(slot)
            let updated := word
            // {_packDate} of the (checked) vintage end.
            let end := or(or(shl(9, div(endDate, 10000)), shl(5, mod(div(endDate, 100), 100))), mod(endDate, 100))
            // Up to four 64-bit entries `programId << 48 | start << 24 | end`, filled from the
            // lowest and never emptied, so the first empty one ends the list.
            for { let shift := 0 } lt(shift, 256) { shift := add(shift, 64) } {
                let rest := shr(shift, word)
                if iszero(rest) { break }
                let entry := and(rest, 0xffffffffffffffff)
                let claimedStart := and(shr(24, entry), 0xffffff)
                let claimedEnd := and(entry, 0xffffff)
                switch eq(shr(48, entry), programId)
                case 1 {
                    if or(iszero(claimedStart), lt(start, claimedStart)) { claimedStart := start }
                    if gt(end, claimedEnd) { claimedEnd := end }
                    entry := or(shl(48, programId), or(shl(24, claimedStart), claimedEnd))
                    updated := or(and(updated, not(shl(shift, 0xffffffffffffffff))), shl(shift, entry))
                }
                default {
                    // Overlap: start <= claimedEnd and claimedStart <= end.
                    if and(gt(claimedStart, 0), and(iszero(gt(start, claimedEnd)), iszero(gt(claimedStart, end)))) {
                        conflict := entry
                    }
                }
            }
            if and(iszero(conflict), iszero(eq(updated, word))) { sstore(slot, updated) }
        }
        if (conflict != 0) {
            revert LinkedPeriodClaimed(
                uint32(group), uint16(conflict >> 48), _unpackDate(uint24(conflict >> 24)), _unpackDate(uint24(conflict))
            );
        }
    }

    /// @dev The id of the issuance's (canonical) namespace, once it is known allowed by the
    /// programme admin where the programme fixes its namespaces.
    /// The project's `fixedNamespaces` hint (its programme's policy when it was registered)
    /// only orders the two reads, so that the usual case makes one: an allowed namespace
    /// passes whatever the policy, and an open programme's passes unless allowed. A stale hint
    /// (the policy changed since) costs a read, never a check.
    function _namespaceId(Issuance calldata issuance, bool fixedHint) private view returns (uint160 nsId) {
        string calldata namespace = issuance.namespace;
        uint16 programId = issuance.programId;
        nsId = uint160(uint256(keccak256(abi.encode(programId, namespace))) >> 96);
        LedgerStorage.Layout storage l = _ledger();
        bool refused = fixedHint
            ? !l.allowedNamespaces[nsId] && l.programs[programId].fixedNamespaces
            : l.programs[programId].fixedNamespaces && !l.allowedNamespaces[nsId];
        if (refused) revert NamespaceNotAllowed(programId, namespace);
        if (nsId == 0 || nsId == type(uint160).max) revert InvalidNamespace(namespace);
    }

    /// @dev Links the new part into the sorted list after `hint`, or reverts if the hint is not
    /// its immediate predecessor or if the range overlaps a neighbour. Neighbours in other
    /// namespaces sort apart by their id's high bits, so only same-namespace parts can overlap.
    function _insertPart(Issuance calldata issuance, uint256 hint, uint160 nsId, uint64 batchId) private {
        LedgerStorage.Layout storage l = _ledger();
        mapping(uint256 => BridgedPart) storage parts = l.parts;
        uint256 firstKey = (uint256(nsId) << 64) | issuance.firstSerial;
        uint256 lastKey = (uint256(nsId) << 64) | issuance.lastSerial;
        BridgedPart memory prev = parts[hint];
        if (prev.next == 0 || hint >= firstKey || prev.next < firstKey) revert InvalidBridgeHint(hint);
        // The part at `hint` ends at `hint + quantity - 1` of its batch (the head sentinel, with
        // no batch, at `hint` itself); a part starting at or before `lastKey` overlaps.
        uint256 prevLast = prev.batchId == 0 ? hint : hint + l.batches[prev.batchId].quantity - 1;
        if (prevLast >= firstKey || prev.next <= lastKey) {
            revert SerialsAlreadyBridged(
                issuance.programId, issuance.namespace, issuance.firstSerial, issuance.lastSerial
            );
        }
        // Batch ids stop at 2^32 - 1: four billion bridgings, far beyond any registry's history.
        if (batchId > type(uint32).max) revert BatchLimitReached(batchId);
        // Each {BridgedPart} in one write: `next | batchId << 224`.
        uint256 newPart = uint256(prev.next) | (uint256(batchId) << 224);
        uint256 below = uint256(firstKey) | (uint256(prev.batchId) << 224);
        assembly ("memory-safe") {
            mstore(0x20, parts.slot)
            mstore(0, firstKey)
            sstore(keccak256(0, 0x40), newPart)
            mstore(0, hint)
            sstore(keccak256(0, 0x40), below)
        }
    }

    function _retire(Retirement calldata r, uint64 rangeStart, address holder, uint32 retiredOn, address actor)
        private
        returns (uint64 retirementId)
    {
        BatchRecord memory b = _requireLiveBatch(r.batchId);
        _requireActive(holder);
        bool made = retiredOn == 0;
        // A buyer names a beneficiary; a registry's own record may not have one.
        _checkRetirementTerms(r.beneficiary, r.jurisdiction, r.note, r.consumptionStart, r.consumptionEnd, !made);
        uint16 labels = _retirementLabels(r.batchId, b, r.purpose, made);
        _move(r.batchId, rangeStart, r.firstSerial, r.lastSerial, holder, holder, RangeState.Retired, actor);
        retirementId = ++_ledger().retirementCount;
        if (made) retiredOn = _today();
        _emitAudited(
            CreditsRetired.selector, _topic(retirementId), _topic(holder), abi.encode(r, retiredOn, !made, actor, labels)
        );
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
}
