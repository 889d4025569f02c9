// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CanonicalText} from "./CanonicalText.sol";
import {BatchRecord, Purpose, RangeState, Retirement, TextField} from "./CreditTypes.sol";
import {LedgerStorage} from "./LedgerStorage.sol";
import {PoolBase} from "./PoolBase.sol";
import {IPoolLedger, PoolToken} from "./PoolToken.sol";

/// @title The ledger's pools: fungible units, serial-exact redemption and retirement
/// @notice The second module of {CarbonLedger}: the ledger delegates what it does not know to
/// {LedgerGovernance}, which delegates what it does not know here, and this module what it does
/// not know to {LedgerPoolRules}; all run on the ledger's storage and address and emit its
/// audited events. This one holds the operations on units (the hot paths, one hop fewer).
///
/// A pool admits batches by rules over their own on-chain attributes (programme, vintage start,
/// labels, and the tags of their project's country, type and methodology; {LedgerPoolRules}).
/// Depositing serials of an eligible batch moves them to the pool's account (its {PoolToken}'s
/// address) and mints as many units; burning units gives back, or retires, exact serials in
/// the pool's order: oldest vintage first, then oldest batch, then lowest serial. Per pool, the
/// unit supply always equals the tonnes the pool's account holds.
contract LedgerPools is PoolBase, IPoolLedger {
    /// @dev The module every call this one does not know is delegated to.
    address private immutable _rules;

    /// @param rules The deployed {LedgerPoolRules} (checked by the deployer: `chain/deployment.py`).
    constructor(address rules) {
        if (rules.code.length == 0) revert InvalidAccount(rules);
        _rules = rules;
        _disableInitializers();
    }

    /// @notice Every function the ledger and the modules before this one do not define (pool
    /// governance, project registration, pool views) runs in {LedgerPoolRules}.
    fallback() external {
        _delegateTo(_rules);
    }

    /// @notice The pool-rules module this one delegates to (fixed at construction).
    function poolRules() external view returns (address) {
        return _rules;
    }

    // ---------------------------------------------------------------- buffer pools
    // Issue 16 item 3: a registry's buffer pool, mirrored as a buffer account per programme.

    /// @notice Names `account` the buffer account of programme `programId`: the importer
    /// bridges the buffer share of the programme's issuances to it, and {reverseFromBuffer}
    /// cancels from it. Credits the previous buffer account holds stay where they are.
    /// @dev Requirements: not paused; caller is the programme's admin; the programme exists;
    /// `account` is not zero and not a pool's account ({InvalidAccount}).
    /// Emits {ProgramBufferSet}.
    function setProgramBuffer(uint16 programId, address account)
        external
        whenNotPaused
        onlyRole(_programAdminRole(programId))
    {
        _program(programId);
        LedgerStorage.Layout storage l = _ledger();
        if (account == address(0) || l.poolOf[account] != 0) revert InvalidAccount(account);
        l.bufferAccounts[programId] = account;
        _emitAudited(ProgramBufferSet.selector, _topic(programId), _topic(account), abi.encode(_msgSender()));
    }

    /// @notice The buffer account of programme `programId` (zero while none is set).
    function bufferAccount(uint16 programId) external view returns (address) {
        return _ledger().bufferAccounts[programId];
    }

    /// @notice Cancels serials `first..last` of batch `batchId`, held by its programme's buffer
    /// account, to make good a reversal of batch `reversedBatchId` (say a forest that burned).
    /// @dev Requirements: not paused; caller is the admin of the batch's programme, or an issuer
    /// of it that is itself the buffer account (as {CarbonLedger-cancel}: an issuer key cannot
    /// cancel another account's credits); the programme has a buffer account
    /// ({NoBufferAccount}) that is not a pool's account ({PooledCredits}: a pool's token address
    /// is known before the pool exists, so it may have been named buffer account before;
    /// its serials back units); `reversedBatchId` is another batch of the same programme
    /// ({ReversalOutsideProgramme}); the buffer account holds `first..last` live, starting in
    /// the range at `rangeStart` ({InsufficientCredits}); `reason` is acceptable, non-blank text
    /// of at most {Limits-NOTE} bytes. Freezes do not block it, as they do not a cancellation.
    /// Emits {SerialsMoved} then {BufferReversed}.
    function reverseFromBuffer(
        uint64 batchId,
        uint64 first,
        uint64 last,
        uint64 rangeStart,
        uint64 reversedBatchId,
        string calldata reason
    ) external whenNotPaused {
        uint16 programId = _batch(batchId).programId;
        address actor = _msgSender();
        address buffer = _ledger().bufferAccounts[programId];
        bytes32 adminRole = _programAdminRole(programId);
        if (!hasRole(adminRole, actor)) {
            _checkRole(_issuerRole(programId));
            if (buffer != actor) revert AccessControlUnauthorizedAccount(actor, adminRole);
        }
        if (buffer == address(0)) revert NoBufferAccount(programId);
        if (reversedBatchId == batchId || _batch(reversedBatchId).programId != programId) {
            revert ReversalOutsideProgramme(reversedBatchId, programId);
        }
        CanonicalText.check(reason, TextField.Reason, true);
        _move(batchId, rangeStart, first, last, buffer, buffer, RangeState.Cancelled, actor);
        _emitAudited(
            BufferReversed.selector,
            _topic(batchId),
            _topic(reversedBatchId),
            abi.encode(buffer, first, last, reason, actor)
        );
    }

    /// @notice Deposits the caller's serials `first..last` of a batch into a pool and mints as
    /// many units to the caller.
    /// @dev Requirements: not paused; the pool exists; the batch is not frozen; the caller is
    /// allowlisted and not frozen and holds `first..last`, starting in the range at `rangeStart`
    /// (as {CarbonLedger-transfer}); the batch is eligible under the pool's rules
    /// ({PoolIneligible} names the rule); `orderHint` is the key of the pool's range just below
    /// the new one in its order ({findPoolHint}; 0 for the head).
    /// Emits {SerialsMoved} (to the pool's account), then {PoolUnitsMoved} (from zero).
    function poolDeposit(uint32 poolId, uint64 batchId, uint64 first, uint64 last, uint64 rangeStart, uint256 orderHint)
        external
        whenNotPaused
    {
        LedgerStorage.Pool storage p = _pool(poolId);
        BatchRecord memory b = _requireLiveBatch(batchId);
        address caller = _msgSender();
        _requireActive(caller);
        uint8 rule = _ineligible(poolId, p, b);
        if (rule != 0) revert PoolIneligible(poolId, batchId, rule);
        address token = p.token;
        _move(batchId, rangeStart, first, last, caller, token, RangeState.Held, caller);
        _insert(poolId, _key(b.vintageStart, batchId, last), first, orderHint);
        // `_move` accepted `first <= last` within one batch: at most 2^32 - 1 tonnes.
        uint64 amount = last - first + 1;
        // Supply counts tonnes held, at most every batch's quantity: under 2^32 batches of
        // under 2^32 t each, so under 2^64; a balance is at most the supply.
        unchecked {
            p.supply += amount;
            _ledger().poolBalances[poolId][caller] += amount;
        }
        // Checked: nothing bounds the deposits (of a tonne each, ranges could outnumber 2^32).
        ++p.ranges;
        _unitsMoved(poolId, token, address(0), caller, amount, caller);
    }

    /// @notice Burns `units` of the caller's units and gives back as many exact serials from the
    /// head of the pool's order (oldest vintage, then oldest batch, then lowest serial).
    /// @dev Requirements: not paused; the pool exists; the caller is allowlisted and not frozen
    /// and holds `units` (more than 0) of the pool; no batch of the ranges reached is frozen
    /// ({BatchFrozen}: name another range with {poolRedeemRange}). Cost grows with the ranges
    /// reached, not with the quantity or the pool's size.
    /// Emits {SerialsMoved} per range, then {PoolUnitsMoved} (to zero).
    function poolRedeem(uint32 poolId, uint256 units) external whenNotPaused {
        // slither-disable-next-line uninitialized-local -- no beneficiary: a redemption, see {_take}
        Retirement memory none;
        _fromHead(poolId, units, none);
    }

    /// @notice Burns `units` and retires as many exact serials from the head of the pool's order,
    /// for `beneficiary`, one retirement per range reached, held by the caller.
    /// @dev Requirements: as {poolRedeem}; the retirement's terms as {CarbonLedger-retire}
    /// (beneficiary non-blank, text acceptable, consumption period in order) and each batch
    /// reached carries the labels `purpose` needs ({LabelRequired}).
    /// Emits per range {SerialsMoved} then {CreditsRetired}; then {PoolUnitsMoved} (to zero).
    /// @return firstRetirementId The id of the first of the retirements (they are consecutive).
    function poolRetire(
        uint32 poolId,
        uint256 units,
        string calldata beneficiary,
        Purpose purpose,
        string calldata jurisdiction,
        uint32 consumptionStart,
        uint32 consumptionEnd,
        string calldata note
    ) external whenNotPaused returns (uint64 firstRetirementId) {
        _checkRetirementTerms(beneficiary, jurisdiction, note, consumptionStart, consumptionEnd, false);
        firstRetirementId = _ledger().retirementCount + 1;
        Retirement memory r = Retirement({
            batchId: 0,
            firstSerial: 0,
            lastSerial: 0,
            beneficiary: beneficiary,
            purpose: purpose,
            jurisdiction: jurisdiction,
            consumptionStart: consumptionStart,
            consumptionEnd: consumptionEnd,
            note: note
        });
        _fromHead(poolId, units, r);
    }

    /// @notice Burns `units` and gives back as many exact serials from one named range of the
    /// pool (its lowest serials first).
    /// @dev Requirements: not paused; the pool holds a range under `key` ({poolRangesFrom},
    /// {poolKey}) of at least `units` (more than 0) tonnes; its batch is eligible under the
    /// pool's current rules and not frozen; the caller as {poolRedeem}; when `units` takes the
    /// whole range, `prevHint` is the key just before it in the order ({findPoolHint}; 0 for
    /// the head), otherwise it is not read.
    /// Emits {SerialsMoved}, then {PoolUnitsMoved} (to zero).
    function poolRedeemRange(uint32 poolId, uint256 key, uint256 prevHint, uint64 units) external whenNotPaused {
        // slither-disable-next-line uninitialized-local -- no beneficiary: a redemption, see {_take}
        Retirement memory none;
        _fromRange(poolId, key, prevHint, units, none);
    }

    /// @notice Burns units and retires exactly the serials `r` names from one named range of
    /// the pool: `r.firstSerial` must be the range's lowest serial (serials leave a range from
    /// its bottom), `r.lastSerial` within it; one retirement, held by the caller.
    /// @dev Requirements: as {poolRedeemRange}, with `units = r.lastSerial - r.firstSerial + 1`;
    /// `r.batchId` is the range's batch and `r.firstSerial` its first serial
    /// ({InvalidRangeHint} otherwise); the retirement's terms as {poolRetire}.
    /// Emits {SerialsMoved} then {CreditsRetired}; then {PoolUnitsMoved} (to zero).
    /// @return retirementId The retirement's id.
    function poolRetireRange(uint32 poolId, uint256 key, uint256 prevHint, Retirement calldata r)
        external
        whenNotPaused
        returns (uint64 retirementId)
    {
        _checkRetirementTerms(r.beneficiary, r.jurisdiction, r.note, r.consumptionStart, r.consumptionEnd, false);
        LedgerStorage.PoolNode memory node = _ledger().poolNodes[poolId][key];
        if (key == 0 || node.next == 0) revert UnknownPoolRange(poolId, key);
        if (r.batchId != uint64(key >> 64) || r.firstSerial != node.start || r.lastSerial < r.firstSerial) {
            revert InvalidRangeHint(r.batchId, r.firstSerial);
        }
        retirementId = _ledger().retirementCount + 1;
        // `firstSerial <= lastSerial` (checked above), both serials of one batch.
        _fromRange(poolId, key, prevHint, r.lastSerial - r.firstSerial + 1, r);
    }

    /// @notice Moves `amount` units of `from`'s to `to`, for pool `poolId`'s token ({PoolToken}).
    /// @dev Requirements: caller is the pool's token; not paused; `from` and `to` allowlisted
    /// and not frozen; `from` holds `amount`. Emits {PoolUnitsMoved}, then the token's Transfer.
    function poolTokenTransfer(uint32 poolId, address from, address to, uint256 amount)
        external
        whenNotPaused
        returns (bool)
    {
        _transferUnits(poolId, _onlyToken(poolId), from, to, amount, from);
        return true;
    }

    /// @notice Moves `amount` units of `from`'s to `to` on `from`'s allowance to `spender`, for
    /// the pool's token.
    /// @dev Requirements: as {poolTokenTransfer}; unless `spender` is `from` itself (an owner
    /// needs no allowance over its own units, and its {PoolUnitsMoved} then reads exactly as a
    /// plain transfer's, so the audit trail leaves no allowance change unrecorded), the allowance
    /// covers `amount` ({InsufficientPoolAllowance}; `type(uint256).max` is never spent).
    /// Emits {PoolUnitsMoved}, then the token's Transfer.
    function poolTokenTransferFrom(uint32 poolId, address spender, address from, address to, uint256 amount)
        external
        whenNotPaused
        returns (bool)
    {
        address token = _onlyToken(poolId);
        mapping(address => uint256) storage allowances = _ledger().poolAllowances[poolId][from];
        uint256 allowed = allowances[spender];
        if (spender != from && allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientPoolAllowance(poolId, from, spender, allowed, amount);
            // Checked just above.
            unchecked {
                allowances[spender] = allowed - amount;
            }
        }
        _transferUnits(poolId, token, from, to, amount, spender);
        return true;
    }

    /// @notice Sets `spender`'s allowance over `holder`'s units to `amount`, for the pool's token.
    /// @dev Requirements: caller is the pool's token; not paused; `spender` is not the zero
    /// address. Emits {PoolUnitsApproved}, then the token's Approval.
    function poolTokenApprove(uint32 poolId, address holder, address spender, uint256 amount)
        external
        whenNotPaused
        returns (bool)
    {
        address token = _onlyToken(poolId);
        if (spender == address(0)) revert InvalidAccount(spender);
        _ledger().poolAllowances[poolId][holder][spender] = amount;
        _emitAudited(PoolUnitsApproved.selector, _topic(poolId), _topic(holder), abi.encode(spender, amount));
        PoolToken(token).emitApproval(holder, spender, amount);
        return true;
    }

    /// @notice Units in circulation of a pool (= tonnes its account holds).
    function poolSupply(uint32 poolId) external view returns (uint256) {
        return _pool(poolId).supply;
    }

    /// @notice Units of a pool `account` holds.
    function poolUnitBalance(uint32 poolId, address account) external view returns (uint256) {
        return _ledger().poolBalances[poolId][account];
    }

    /// @notice Units of `holder`'s in a pool that `spender` may still move.
    function poolUnitAllowance(uint32 poolId, address holder, address spender) external view returns (uint256) {
        return _ledger().poolAllowances[poolId][holder][spender];
    }

    /// @dev Burns `units` of the caller's and moves as many serials from the bottom of the
    /// pool's range under `key` (held, or retired under `r` if it names a beneficiary).
    function _fromRange(uint32 poolId, uint256 key, uint256 prevHint, uint64 units, Retirement memory r) private {
        LedgerStorage.Pool storage p = _pool(poolId);
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes = _ledger().poolNodes[poolId];
        LedgerStorage.PoolNode memory node = nodes[key];
        if (key == 0 || node.next == 0) revert UnknownPoolRange(poolId, key);
        uint64 batchId = uint64(key >> 64);
        uint8 rule = _ineligible(poolId, p, _batch(batchId));
        if (rule != 0) revert PoolIneligible(poolId, batchId, rule);
        uint64 size = uint64(key) - node.start + 1;
        address token = p.token;
        if (units == 0 || units > size) revert InsufficientPoolUnits(poolId, token, size, units);
        address caller = _msgSender();
        _burn(poolId, p, caller, units);
        _take(key, node.start, units, token, r);
        if (units == size) {
            if (nodes[prevHint].next != key) revert InvalidPoolHint(poolId, prevHint);
            nodes[prevHint].next = node.next;
            delete nodes[key];
            // The range was counted when deposited.
            unchecked {
                --p.ranges;
            }
        } else {
            // `units < size`, so the new start is still at most the range's last serial.
            unchecked {
                nodes[key].start = node.start + units;
            }
        }
        _unitsMoved(poolId, token, caller, address(0), units, caller);
    }

    /// @dev Burns `units` of the caller's and moves as many serials from the head of the order.
    function _fromHead(uint32 poolId, uint256 units, Retirement memory r) private {
        LedgerStorage.Pool storage p = _pool(poolId);
        address caller = _msgSender();
        _burn(poolId, p, caller, units);
        address token = p.token;
        uint32 removed = _takeHead(_ledger().poolNodes[poolId], units, token, r);
        if (removed != 0) {
            // Each removed range was counted when deposited.
            unchecked {
                p.ranges -= removed;
            }
        }
        _unitsMoved(poolId, token, caller, address(0), units, caller);
    }

    /// @dev Moves `left` serials from the head of the order list `nodes` to the caller; returns
    /// how many ranges it used up (and unlinked).
    function _takeHead(
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes,
        uint256 left,
        address token,
        Retirement memory r
    ) private returns (uint32 removed) {
        uint256 key = nodes[0].next;
        // The pool holds `supply >= units` tonnes in its list, so it cannot end first.
        while (left != 0) {
            LedgerStorage.PoolNode memory node = nodes[key];
            uint256 size = uint64(key) - node.start + 1;
            if (size <= left) {
                _take(key, node.start, uint64(size), token, r);
                delete nodes[key];
                key = node.next;
                left -= size;
                ++removed;
            } else {
                // `left < size`, so the new start is still at most the range's last serial.
                _take(key, node.start, uint64(left), token, r);
                unchecked {
                    nodes[key].start = node.start + uint64(left);
                }
                left = 0;
            }
        }
        if (removed != 0) nodes[0].next = uint192(key);
    }

    /// @dev Moves `count` serials from `start` of the pool's range under `key` (held by `token`)
    /// to the caller: held, or retired under the terms `r` if it names a beneficiary (a pool
    /// retirement requires one; a redemption passes none).
    function _take(uint256 key, uint64 start, uint64 count, address token, Retirement memory r) private {
        uint64 batchId = uint64(key >> 64);
        BatchRecord memory b = _requireLiveBatch(batchId);
        address to = _msgSender();
        // `count` is at most the range's size, so `end` is within the range.
        uint64 end = start + count - 1;
        if (bytes(r.beneficiary).length == 0) {
            _move(batchId, start, start, end, token, to, RangeState.Held, to);
            return;
        }
        uint16 labels = _retirementLabels(batchId, b, r.purpose, true);
        _move(batchId, start, start, end, token, to, RangeState.Retired, to);
        (r.batchId, r.firstSerial, r.lastSerial) = (batchId, start, end);
        uint64 retirementId = ++_ledger().retirementCount;
        _emitAudited(
            CreditsRetired.selector, _topic(retirementId), _topic(to), abi.encode(r, _today(), false, to, labels)
        );
    }

    /// @dev Burns `units` of `holder`'s (who must be allowlisted and not frozen).
    function _burn(uint32 poolId, LedgerStorage.Pool storage p, address holder, uint256 units) private {
        _requireActive(holder);
        mapping(address => uint256) storage balances = _ledger().poolBalances[poolId];
        uint256 balance = balances[holder];
        if (units == 0 || units > balance) revert InsufficientPoolUnits(poolId, holder, balance, units);
        // `units <= balance <= supply`: checked above, and balances sum to the supply.
        unchecked {
            balances[holder] = balance - units;
            p.supply -= uint64(units);
        }
    }

    function _transferUnits(uint32 poolId, address token, address from, address to, uint256 amount, address actor)
        private
    {
        _requireActive(from);
        _requireActive(to);
        mapping(address => uint256) storage balances = _ledger().poolBalances[poolId];
        uint256 balance = balances[from];
        if (amount > balance) revert InsufficientPoolUnits(poolId, from, balance, amount);
        // `amount <= balance` (checked above); balances sum to the supply, under 2^64.
        unchecked {
            balances[from] = balance - amount;
            balances[to] += amount;
        }
        _unitsMoved(poolId, token, from, to, amount, actor);
    }

    /// @dev Records a move of units in the audit trail, then has the token emit its Transfer.
    function _unitsMoved(uint32 poolId, address token, address from, address to, uint256 amount, address actor)
        private
    {
        _emitAudited(PoolUnitsMoved.selector, _topic(poolId), _topic(from), abi.encode(to, amount, actor));
        PoolToken(token).emitTransfer(from, to, amount);
    }

    /// @dev Links a new range under `key` (first serial `start`) after `hint`, or reverts unless
    /// the hint is its immediate predecessor in the order.
    function _insert(uint32 poolId, uint256 key, uint64 start, uint256 hint) private {
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes = _ledger().poolNodes[poolId];
        uint192 next = nodes[hint].next;
        if (next == 0 || hint >= key || next <= key) revert InvalidPoolHint(poolId, hint);
        nodes[key] = LedgerStorage.PoolNode({next: next, start: start});
        // Keys are below 2^152 (a 24-bit date above a 64-bit batch id and a 64-bit serial).
        nodes[hint].next = uint192(key);
    }

    function _onlyToken(uint32 poolId) private view returns (address token) {
        token = _ledger().pools[poolId].token;
        if (token == address(0) || _msgSender() != token) revert NotPoolToken(poolId, _msgSender());
    }
}
