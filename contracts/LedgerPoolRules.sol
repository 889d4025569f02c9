// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {CanonicalText} from "./CanonicalText.sol";
import {
    Labels,
    Limits,
    PoolKind,
    PoolMode,
    PoolRule,
    PoolRules,
    PoolView,
    ProgramRecord,
    Project,
    ProjectClass,
    TextField
} from "./CreditTypes.sol";
import {LedgerStorage} from "./LedgerStorage.sol";
import {PoolBase} from "./PoolBase.sol";
import {PoolToken} from "./PoolToken.sol";

/// @title The ledger's pool governance, project classes and pool views
/// @notice The last module of {CarbonLedger} ({LedgerPools} delegates what it does not know
/// here): creating pools and their {PoolToken}s, tightening their rules and lists, registering
/// projects with their class ({ProjectClass}), which pool rules read, a programme's unit, and
/// the views of pools. Runs on the ledger's storage and address, like every module.
///
/// Rules only tighten: a pool never admits a batch its rules once refused. Credits already
/// pooled stay when rules tighten (units are fungible); a named-range redemption
/// ({LedgerPools-poolRedeemRange}) checks the current rules.
contract LedgerPoolRules is PoolBase {
    /// @notice May create pools and tighten their rules (granted by the default admin).
    bytes32 public constant POOL_ADMIN_ROLE = keccak256("POOL_ADMIN_ROLE");

    /// @dev `next` of the last node of a pool's order list (no key reaches it: keys are < 2^152).
    uint192 private constant _NODES_END = type(uint192).max;
    /// @dev The one unit pools admit: a serial of one tonne (1,000,000 g; 0 means the same).
    uint32 private constant _TONNE_GRAMS = 1_000_000;

    constructor() {
        _disableInitializers();
    }

    /// @notice Registers a registry project under a programme, once, before its first batch.
    /// @dev Requirements: not paused; caller is an issuer of `programId`; the programme exists; the project
    /// id is a canonical identifier (a decimal number where the programme's policy says so) and
    /// new; the name is acceptable non-blank text of at most {Limits-NAME} bytes, the country
    /// acceptable text of at most {Limits-SHORT_TEXT}, methodology and type of at most
    /// {Limits-NAME} ({CanonicalText}); a new class fits ({ClassLimitReached}). The project
    /// joins the class of its (country, type, methodology), a new one the first time.
    /// Emits {ProjectRegistered}.
    /// @return key The project key, `keccak256(abi.encode(programId, project.projectId))`.
    function registerProject(uint16 programId, Project calldata project)
        external
        whenNotPaused
        onlyRole(_issuerRole(programId))
        returns (bytes32 key)
    {
        ProgramRecord storage record = _program(programId);
        if (!CanonicalText.isIdentifier(bytes(project.projectId), Limits.IDENTIFIER, record.numericProjectIds)) {
            revert InvalidProjectId(programId, project.projectId);
        }
        CanonicalText.check(project.name, TextField.Name, true);
        CanonicalText.check(project.country, TextField.Country, false);
        CanonicalText.check(project.methodology, TextField.Methodology, false);
        CanonicalText.check(project.projectType, TextField.ProjectType, false);
        key = keccak256(abi.encode(programId, project.projectId));
        LedgerStorage.Layout storage l = _ledger();
        if (l.projects[key].programId != 0) revert ProjectAlreadyRegistered(key);
        uint16 classId = _classOf(project);
        l.projects[key].programId = programId;
        l.projects[key].fixedNamespaces = record.fixedNamespaces;
        l.projects[key].classId = classId;
        if (!record.hasProjects) record.hasProjects = true;
        _emitAudited(ProjectRegistered.selector, key, _topic(_msgSender()), abi.encode(programId, project));
    }

    /// @notice Sets how many grams of CO2e one serial of the programme stands for (0: a tonne),
    /// e.g. 1,000 for a registry whose serials are kilograms. Pools admit tonnes only.
    /// @dev Requirements: caller is the programme's admin; the programme exists, has no
    /// registered project and no pool admits it ({ProgramUnitFixed}).
    /// Emits {ProgramUnitSet}.
    function setProgramUnit(uint16 programId, uint32 unitGrams) external onlyRole(_programAdminRole(programId)) {
        ProgramRecord storage record = _program(programId);
        if (record.hasProjects || record.inPool) revert ProgramUnitFixed(programId);
        record.unitGrams = unitGrams;
        _emitAudited(ProgramUnitSet.selector, _topic(programId), _topic(_msgSender()), abi.encode(unitGrams));
    }

    /// @notice Creates a pool and its ERC-20 {PoolToken} (at a CREATE2 address, salt = pool id).
    /// @dev Requirements: not paused; caller has {POOL_ADMIN_ROLE}; `name` is acceptable
    /// non-blank text of at most {Limits-NAME} bytes, `symbol` of at most {Limits-SHORT_TEXT};
    /// the rules are well formed ({InvalidPoolRules}: at least one programme, each registered
    /// and of tonne serials; calendar dates in order; known labels; modes 0-2); a list is given
    /// only for a kind whose mode is 1 or 2, its values acceptable text of that field; the
    /// token's address was never allowlisted ({PoolAccountRefused}). Each admitted programme's unit
    /// is fixed from then on.
    /// Emits {PoolCreated}, then {PoolListUpdated} for each listed value.
    function createPool(
        string calldata name,
        string calldata symbol,
        PoolRules calldata rules,
        string[] calldata countries,
        string[] calldata projectTypes,
        string[] calldata methodologies
    ) external whenNotPaused onlyRole(POOL_ADMIN_ROLE) returns (uint32 poolId, address token) {
        (poolId, token) = _newPool(name, symbol, rules);
        _createList(poolId, PoolKind.COUNTRY, rules.countryMode, countries);
        _createList(poolId, PoolKind.PROJECT_TYPE, rules.typeMode, projectTypes);
        _createList(poolId, PoolKind.METHODOLOGY, rules.methodologyMode, methodologies);
    }

    /// @notice Replaces a pool's rules by tighter ones: they admit no batch the old rules refused.
    /// A kind that leaves 0 (any) gets its list in the same call, as {createPool} takes lists.
    /// @dev Requirements: not paused; caller has {POOL_ADMIN_ROLE}; the pool exists; the rules
    /// are well formed (as {createPool}); programmes a subset of the old; the window inside the
    /// old (an open end may close, a closed one may not open); the labels a superset; each mode
    /// unchanged or from 0 (any) to 1 (only listed) or 2 (all but listed); otherwise
    /// {PoolRulesWidened} names the rule. A list is given only for a kind whose mode leaves 0
    /// in this call ({InvalidPoolList}: others change by {listPool} and {unlistPool}), and is
    /// not empty for a kind that becomes 1 ({PoolListEmpty}: it would admit nothing of that
    /// kind); its values acceptable text of that field. Credits already pooled stay, redeemable
    /// by units; only a named-range redemption checks the new rules.
    /// Emits {PoolRulesTightened}, then {PoolListUpdated} for each listed value.
    function tightenPool(
        uint32 poolId,
        PoolRules calldata rules,
        string[] calldata countries,
        string[] calldata projectTypes,
        string[] calldata methodologies
    ) external whenNotPaused onlyRole(POOL_ADMIN_ROLE) {
        LedgerStorage.Pool storage p = _pool(poolId);
        _checkTighter(poolId, p, rules);
        // A kind in mode 0 has an empty list (lists are written in modes 1 and 2 only, and a
        // mode never returns to 0), so the lists given here are the whole lists.
        (uint8 country, uint8 projectType, uint8 methodology) = (p.countryMode, p.typeMode, p.methodologyMode);
        _storeRules(p, rules);
        _emitAudited(PoolRulesTightened.selector, _topic(poolId), _topic(_msgSender()), abi.encode(rules));
        _tightenList(poolId, PoolKind.COUNTRY, country, rules.countryMode, countries);
        _tightenList(poolId, PoolKind.PROJECT_TYPE, projectType, rules.typeMode, projectTypes);
        _tightenList(poolId, PoolKind.METHODOLOGY, methodology, rules.methodologyMode, methodologies);
    }

    /// @notice Adds exclusions to a pool's "all but listed" (mode 2) list of kind `kind`.
    /// @dev Requirements: not paused; caller has {POOL_ADMIN_ROLE}; the pool exists and its mode
    /// for `kind` is 2 ({InvalidPoolList}); each value acceptable text of that field.
    /// Emits {PoolListUpdated} for each value.
    function listPool(uint32 poolId, uint8 kind, string[] calldata values)
        external
        whenNotPaused
        onlyRole(POOL_ADMIN_ROLE)
    {
        if (_mode(_pool(poolId), kind) != PoolMode.EXCEPT) revert InvalidPoolList(poolId, kind);
        _setList(poolId, kind, values, true);
    }

    /// @notice Removes values from a pool's "only listed" (mode 1) list of kind `kind`.
    /// @dev Requirements: as {listPool}, for mode 1. Emits {PoolListUpdated} for each value.
    function unlistPool(uint32 poolId, uint8 kind, string[] calldata values)
        external
        whenNotPaused
        onlyRole(POOL_ADMIN_ROLE)
    {
        if (_mode(_pool(poolId), kind) != PoolMode.ONLY) revert InvalidPoolList(poolId, kind);
        _setList(poolId, kind, values, false);
    }

    /// @notice A pool's rules (dates YYYYMMDD), token, unit supply and number of ranges.
    /// @dev Reverts with {UnknownPool} if it does not exist.
    function pool(uint32 poolId) external view returns (PoolView memory v) {
        LedgerStorage.Pool storage p = _pool(poolId);
        v.rules = PoolRules({
            programmes: p.programmes,
            vintageFrom: _unpackDate(p.vintageFrom),
            vintageTo: _unpackDate(p.vintageTo),
            labelsRequired: p.labelsRequired,
            countryMode: p.countryMode,
            typeMode: p.typeMode,
            methodologyMode: p.methodologyMode
        });
        (v.token, v.supply, v.ranges) = (p.token, p.supply, p.ranges);
    }

    /// @notice Number of pools created so far (pool ids are 1..poolCount).
    function poolCount() external view returns (uint32) {
        return _ledger().poolCount;
    }

    /// @notice The pool whose account (token) `account` is; 0 if none.
    function poolOf(address account) external view returns (uint32) {
        return _ledger().poolOf[account];
    }

    /// @notice Whether `value` is on a pool's list of kind `kind` ({PoolKind}).
    function poolListed(uint32 poolId, uint8 kind, string calldata value) external view returns (bool) {
        return _ledger().poolListed[poolId][_listKey(kind, _tag(value))];
    }

    /// @notice The pool's first range in its order: key, batch and serials (a zero key if empty).
    function poolHead(uint32 poolId) external view returns (uint256 key, uint64 batchId, uint64 first, uint64 last) {
        _pool(poolId);
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes = _ledger().poolNodes[poolId];
        uint256 next = nodes[0].next;
        if (next == _NODES_END) return (0, 0, 0, 0);
        return (next, uint64(next >> 64), nodes[next].start, uint64(next));
    }

    /// @notice Up to `maxCount` of the pool's ranges in order, after the one under `key` (0: from
    /// the head), with each range's first serial (its batch and last serial are in its key).
    /// Off-chain convenience: O(maxCount).
    function poolRangesFrom(uint32 poolId, uint256 key, uint256 maxCount)
        external
        view
        returns (uint256[] memory keys, uint64[] memory starts)
    {
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes = _ledger().poolNodes[poolId];
        if (nodes[key].next == 0) revert UnknownPoolRange(poolId, key);
        keys = new uint256[](maxCount);
        starts = new uint64[](maxCount);
        uint256 n;
        for (uint256 next = nodes[key].next; n < maxCount && next != _NODES_END; next = nodes[next].next) {
            (keys[n], starts[n]) = (next, nodes[next].start);
            ++n;
        }
        assembly ("memory-safe") {
            // Shrink both arrays to the `n` entries filled: lengths only ever decrease here.
            mstore(keys, n)
            mstore(starts, n)
        }
    }

    /// @notice The order hint {poolDeposit} needs for a range under `key`: the key of the pool's
    /// range just below it, searched from `from` (a key known to be below, or 0 for the head).
    /// Off-chain convenience: O(ranges between `from` and the answer).
    function findPoolHint(uint32 poolId, uint256 key, uint256 from) external view returns (uint256 hint) {
        mapping(uint256 => LedgerStorage.PoolNode) storage nodes = _ledger().poolNodes[poolId];
        hint = from;
        if (nodes[hint].next == 0 || hint >= key) revert InvalidPoolHint(poolId, from);
        for (uint256 next = nodes[hint].next; next < key; next = nodes[hint].next) {
            hint = next;
        }
    }

    /// @notice The order key of the range of batch `batchId` ending at `lastSerial`:
    /// `vintageStart << 128 | batchId << 64 | lastSerial`, with the vintage start packed
    /// (`year << 9 | month << 5 | day`), so keys sort by vintage, then batch, then serial.
    function poolKey(uint64 batchId, uint64 lastSerial) external view returns (uint256) {
        return _key(_batch(batchId).vintageStart, batchId, lastSerial);
    }

    /// @notice The class of a project ({ProjectClass}): its tags; zeros for an unknown class.
    function projectClass(uint16 classId) external view returns (ProjectClass memory) {
        return _ledger().classes[classId];
    }

    /// @notice The class id of a registered project (0 if it is not registered).
    function projectClassOf(bytes32 projectKey) external view returns (uint16) {
        return _ledger().projects[projectKey].classId;
    }

    /// @notice The class id of a batch (its project's class when it was bridged).
    function batchClass(uint64 batchId) external view returns (uint16) {
        return _batch(batchId).classId;
    }

    /// @notice Number of project classes so far (ids are 1..classCount).
    function classCount() external view returns (uint16) {
        return _ledger().classCount;
    }

    /// @notice The 64-bit tag of a text, as project classes and pool lists store it:
    /// `bytes8(keccak256(bytes(text)))`.
    function textTag(string calldata text) external pure returns (bytes8) {
        return _tag(text);
    }

    /// @dev Refuses malformed rules ({InvalidPoolRules}) and rules that would admit a batch the
    /// pool's rules refuse ({PoolRulesWidened}).
    function _checkTighter(uint32 poolId, LedgerStorage.Pool storage p, PoolRules calldata rules) private {
        _checkRules(rules);
        if (rules.programmes & ~p.programmes != 0) revert PoolRulesWidened(poolId, PoolRule.PROGRAMME);
        uint24 from = _packOpen(rules.vintageFrom);
        uint24 to = _packOpen(rules.vintageTo);
        if (p.vintageFrom != 0 && from < p.vintageFrom) revert PoolRulesWidened(poolId, PoolRule.VINTAGE_FROM);
        if (p.vintageTo != 0 && (to == 0 || to > p.vintageTo)) revert PoolRulesWidened(poolId, PoolRule.VINTAGE_TO);
        if (rules.labelsRequired & p.labelsRequired != p.labelsRequired) {
            revert PoolRulesWidened(poolId, PoolRule.LABELS);
        }
        if (p.countryMode != PoolMode.ANY && rules.countryMode != p.countryMode) {
            revert PoolRulesWidened(poolId, PoolRule.COUNTRY);
        }
        if (p.typeMode != PoolMode.ANY && rules.typeMode != p.typeMode) {
            revert PoolRulesWidened(poolId, PoolRule.PROJECT_TYPE);
        }
        if (p.methodologyMode != PoolMode.ANY && rules.methodologyMode != p.methodologyMode) {
            revert PoolRulesWidened(poolId, PoolRule.METHODOLOGY);
        }
    }

    /// @dev Refuses malformed rules ({InvalidPoolRules}) and fixes each admitted programme's unit.
    function _checkRules(PoolRules calldata rules) private {
        LedgerStorage.Layout storage l = _ledger();
        uint256 programmes = rules.programmes;
        if (programmes & 1 != 0) revert InvalidPoolRules(PoolRule.PROGRAMME);
        uint256 count = l.programCount;
        for (uint256 id = 1; programmes >> id != 0; ++id) {
            if ((programmes >> id) & 1 == 0) continue;
            if (id > count) revert InvalidPoolRules(PoolRule.PROGRAMME);
            ProgramRecord storage record = l.programs[uint16(id)];
            uint32 unit = record.unitGrams;
            if (unit != 0 && unit != _TONNE_GRAMS) revert InvalidPoolRules(PoolRule.UNIT);
            if (!record.inPool) record.inPool = true;
        }
        _checkRuleValues(rules);
    }

    /// @dev Refuses a malformed window, labels or mode ({InvalidPoolRules}).
    function _checkRuleValues(PoolRules calldata rules) private pure {
        uint32 from = rules.vintageFrom;
        uint32 to = rules.vintageTo;
        if (from != 0 && !CanonicalText.isDate(from)) revert InvalidPoolRules(PoolRule.VINTAGE_FROM);
        if (to != 0 && (!CanonicalText.isDate(to) || to < from)) revert InvalidPoolRules(PoolRule.VINTAGE_TO);
        if (rules.labelsRequired & ~Labels.ALL != 0) revert InvalidPoolRules(PoolRule.LABELS);
        if (rules.countryMode > PoolMode.EXCEPT) revert InvalidPoolRules(PoolRule.COUNTRY);
        if (rules.typeMode > PoolMode.EXCEPT) revert InvalidPoolRules(PoolRule.PROJECT_TYPE);
        if (rules.methodologyMode > PoolMode.EXCEPT) revert InvalidPoolRules(PoolRule.METHODOLOGY);
    }

    function _storeRules(LedgerStorage.Pool storage p, PoolRules calldata rules) private {
        p.programmes = rules.programmes;
        p.vintageFrom = _packOpen(rules.vintageFrom);
        p.vintageTo = _packOpen(rules.vintageTo);
        p.labelsRequired = rules.labelsRequired;
        p.countryMode = rules.countryMode;
        p.typeMode = rules.typeMode;
        p.methodologyMode = rules.methodologyMode;
    }

    function _newPool(string calldata name, string calldata symbol, PoolRules calldata rules)
        private
        returns (uint32 poolId, address token)
    {
        CanonicalText.check(name, TextField.Name, true);
        CanonicalText.check(symbol, TextField.Symbol, true);
        if (rules.programmes == 0) revert InvalidPoolRules(PoolRule.PROGRAMME);
        _checkRules(rules);
        LedgerStorage.Layout storage l = _ledger();
        poolId = ++l.poolCount;
        token = address(new PoolToken{salt: bytes32(uint256(poolId))}(poolId, name, symbol));
        // Serials sent to the address before it was a pool would be pooled without units; an
        // address struck off the allowlist still holds what it was sent while on it.
        if (l.everAllowed[token]) revert PoolAccountRefused(poolId, token);
        l.poolOf[token] = poolId;
        LedgerStorage.Pool storage p = l.pools[poolId];
        _storeRules(p, rules);
        p.token = token;
        l.poolNodes[poolId][0].next = _NODES_END;
        _emitAudited(PoolCreated.selector, _topic(poolId), _topic(token), abi.encode(name, symbol, rules, _msgSender()));
    }

    function _createList(uint32 poolId, uint8 kind, uint8 mode, string[] calldata values) private {
        if (values.length == 0) return;
        if (mode == PoolMode.ANY) revert InvalidPoolRules(PoolRule.COUNTRY + kind);
        _setList(poolId, kind, values, true);
    }

    /// @dev Lists `values` for kind `kind`, whose mode a tightening moved from `was` to `mode`:
    /// values only for a kind leaving 0 ({InvalidPoolList}), at least one for a kind becoming 1
    /// ({PoolListEmpty}).
    function _tightenList(uint32 poolId, uint8 kind, uint8 was, uint8 mode, string[] calldata values) private {
        bool leavesAny = was == PoolMode.ANY && mode != PoolMode.ANY;
        if (values.length == 0) {
            if (leavesAny && mode == PoolMode.ONLY) revert PoolListEmpty(poolId, kind);
            return;
        }
        if (!leavesAny) revert InvalidPoolList(poolId, kind);
        _setList(poolId, kind, values, true);
    }

    function _setList(uint32 poolId, uint8 kind, string[] calldata values, bool listed) private {
        mapping(uint256 => bool) storage list = _ledger().poolListed[poolId];
        TextField field = kind == PoolKind.COUNTRY
            ? TextField.Country
            : kind == PoolKind.PROJECT_TYPE ? TextField.ProjectType : TextField.Methodology;
        address actor = _msgSender();
        for (uint256 i; i < values.length; ++i) {
            string calldata value = values[i];
            CanonicalText.check(value, field, true);
            list[_listKey(kind, _tag(value))] = listed;
            _emitAudited(PoolListUpdated.selector, _topic(poolId), _topic(actor), abi.encode(kind, value, listed));
        }
    }

    /// @dev The pool's mode for list kind `kind`; reverts for an unknown kind.
    function _mode(LedgerStorage.Pool storage p, uint8 kind) private view returns (uint8) {
        if (kind == PoolKind.COUNTRY) return p.countryMode;
        if (kind == PoolKind.PROJECT_TYPE) return p.typeMode;
        if (kind == PoolKind.METHODOLOGY) return p.methodologyMode;
        revert InvalidPoolList(0, kind);
    }

    /// @dev The class of a project's (country, type, methodology), a new one if none has it yet.
    function _classOf(Project calldata project) private returns (uint16 classId) {
        LedgerStorage.Layout storage l = _ledger();
        bytes32 classKey = keccak256(abi.encode(project.country, project.projectType, project.methodology));
        classId = l.classIdOf[classKey];
        if (classId != 0) return classId;
        if (l.classCount == type(uint16).max) revert ClassLimitReached();
        classId = ++l.classCount;
        l.classIdOf[classKey] = classId;
        l.classes[classId] = ProjectClass({
            country: _tag(project.country),
            projectType: _tag(project.projectType),
            methodology: _tag(project.methodology)
        });
    }
}
