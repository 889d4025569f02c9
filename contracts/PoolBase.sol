// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {BatchRecord, PoolKind, PoolMode, PoolRule, ProgramRecord, ProjectClass} from "./CreditTypes.sol";
import {LedgerCore} from "./LedgerCore.sol";
import {LedgerStorage} from "./LedgerStorage.sol";

/// @title What the two pool modules share
/// @notice {LedgerPools} (deposits, redemptions, retirements, the ERC-20 face) and
/// {LedgerPoolRules} (pool governance, project classes, views) run on the ledger's storage,
/// like every module; this holds the internals both read.
abstract contract PoolBase is LedgerCore {
    /// @dev The first rule of the pool's that refuses the batch ({PoolRule}), or 0 if none does.
    function _ineligible(uint32 poolId, LedgerStorage.Pool storage p, BatchRecord memory b)
        internal
        view
        returns (uint8)
    {
        if ((p.programmes >> b.programId) & 1 == 0) return PoolRule.PROGRAMME;
        uint24 from = p.vintageFrom;
        uint24 to = p.vintageTo;
        if (from != 0 && b.vintageStart < from) return PoolRule.VINTAGE_FROM;
        if (to != 0 && b.vintageStart > to) return PoolRule.VINTAGE_TO;
        uint16 required = p.labelsRequired;
        if (uint16(b.flags) & required != required) return PoolRule.LABELS;
        (uint8 countryMode, uint8 typeMode, uint8 methodologyMode) = (p.countryMode, p.typeMode, p.methodologyMode);
        if (countryMode | typeMode | methodologyMode == 0) return 0;
        ProjectClass memory c = _ledger().classes[b.classId];
        if (!_admits(poolId, PoolKind.COUNTRY, countryMode, c.country)) return PoolRule.COUNTRY;
        if (!_admits(poolId, PoolKind.PROJECT_TYPE, typeMode, c.projectType)) return PoolRule.PROJECT_TYPE;
        if (!_admits(poolId, PoolKind.METHODOLOGY, methodologyMode, c.methodology)) return PoolRule.METHODOLOGY;
        return 0;
    }

    function _admits(uint32 poolId, uint8 kind, uint8 mode, bytes8 tag) internal view returns (bool) {
        if (mode == PoolMode.ANY) return true;
        bool listed = _ledger().poolListed[poolId][_listKey(kind, tag)];
        return mode == PoolMode.ONLY ? listed : !listed;
    }

    function _pool(uint32 poolId) internal view returns (LedgerStorage.Pool storage p) {
        p = _ledger().pools[poolId];
        if (p.token == address(0)) revert UnknownPool(poolId);
    }

    function _program(uint16 programId) internal view returns (ProgramRecord storage record) {
        record = _ledger().programs[programId];
        if (record.code == 0) revert UnknownProgram(programId);
    }

    function _key(uint24 vintageStart, uint64 batchId, uint64 lastSerial) internal pure returns (uint256) {
        return (uint256(vintageStart) << 128) | (uint256(batchId) << 64) | lastSerial;
    }

    function _listKey(uint8 kind, bytes8 tag) internal pure returns (uint256) {
        return (uint256(kind) << 64) | uint64(tag);
    }

    function _tag(string calldata text) internal pure returns (bytes8) {
        return bytes8(keccak256(bytes(text)));
    }

    /// @dev A checked date packed ({_packDate}), or 0 for an open end.
    function _packOpen(uint32 date) internal pure returns (uint24) {
        return date == 0 ? 0 : _packDate(date);
    }
}
