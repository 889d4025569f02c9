// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title What a {PoolToken} asks of its ledger
/// @notice The pool functions of the ledger ({LedgerPools}) its token calls. Each write is
/// accepted only from the pool's own token and names the holder the token saw as `msg.sender`.
interface IPoolLedger {
    function poolTokenTransfer(uint32 poolId, address from, address to, uint256 amount) external returns (bool);
    function poolTokenTransferFrom(uint32 poolId, address spender, address from, address to, uint256 amount)
        external
        returns (bool);
    function poolTokenApprove(uint32 poolId, address holder, address spender, uint256 amount) external returns (bool);
    function poolUnitBalance(uint32 poolId, address account) external view returns (uint256);
    function poolUnitAllowance(uint32 poolId, address holder, address spender) external view returns (uint256);
    function poolSupply(uint32 poolId) external view returns (uint256);
}

/// @title The ERC-20 face of one pool of the carbon ledger
/// @notice Created by the ledger ({LedgerPools-createPool}, CREATE2 with the pool id as salt),
/// one per pool. It holds no state of its own: balances, allowances and the supply live in the
/// ledger's storage, where every change is audited and checked (allowlist, freezes, pause).
/// Its writes forward to the ledger; the ledger calls back {emitTransfer} and {emitApproval}
/// so that this address emits the standard ERC-20 logs wallets index. One unit is one tonne of
/// CO2e ({decimals} is 0). The token's address is also the pool's ledger account: the pooled
/// serial ranges are held by it.
contract PoolToken {
    /// @notice Emitted (through the ledger) whenever units move; `from` zero mints, `to` zero burns.
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// @notice Emitted (through the ledger) when `owner` sets `spender`'s allowance.
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Only the ledger that created this token may call it so.
    error NotLedger(address caller);

    /// @notice The ledger that created this token and keeps its units.
    address public immutable ledger;
    /// @notice The pool this token is the face of.
    uint32 public immutable poolId;
    /// @notice The pool's name (checked text, set at creation).
    string public name;
    /// @notice The pool's symbol (checked text, set at creation).
    string public symbol;

    constructor(uint32 poolId_, string memory name_, string memory symbol_) {
        ledger = msg.sender;
        poolId = poolId_;
        name = name_;
        symbol = symbol_;
    }

    modifier onlyLedger() {
        if (msg.sender != ledger) revert NotLedger(msg.sender);
        _;
    }

    /// @notice 0: one unit is one tonne of CO2e, exactly one serial of a tonne-unit programme.
    function decimals() external pure returns (uint8) {
        return 0;
    }

    /// @notice Units in circulation: equal to the tonnes the pool holds on the ledger.
    function totalSupply() external view returns (uint256) {
        return IPoolLedger(ledger).poolSupply(poolId);
    }

    /// @notice Units `account` holds.
    function balanceOf(address account) external view returns (uint256) {
        return IPoolLedger(ledger).poolUnitBalance(poolId, account);
    }

    /// @notice Units `spender` may still move of `owner`'s.
    function allowance(address owner, address spender) external view returns (uint256) {
        return IPoolLedger(ledger).poolUnitAllowance(poolId, owner, spender);
    }

    /// @notice Moves `amount` of the caller's units to `to`.
    /// @dev Requirements (checked by the ledger): not paused; caller and `to` allowlisted and
    /// not frozen; the caller holds `amount`. Emits {Transfer}.
    function transfer(address to, uint256 amount) external returns (bool) {
        return IPoolLedger(ledger).poolTokenTransfer(poolId, msg.sender, to, amount);
    }

    /// @notice Moves `amount` of `from`'s units to `to` on `from`'s allowance to the caller.
    /// @dev Requirements: as {transfer} for `from`; the allowance covers `amount` (an allowance
    /// of `type(uint256).max` is never spent). Emits {Transfer}.
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        return IPoolLedger(ledger).poolTokenTransferFrom(poolId, msg.sender, from, to, amount);
    }

    /// @notice Lets `spender` move up to `amount` of the caller's units.
    /// @dev Requirements: not paused; `spender` is not the zero address. Emits {Approval}.
    function approve(address spender, uint256 amount) external returns (bool) {
        return IPoolLedger(ledger).poolTokenApprove(poolId, msg.sender, spender, amount);
    }

    /// @notice Emits {Transfer} for a move the ledger made. Only the ledger may call it.
    function emitTransfer(address from, address to, uint256 amount) external onlyLedger {
        emit Transfer(from, to, amount);
    }

    /// @notice Emits {Approval} for an allowance the ledger set. Only the ledger may call it.
    function emitApproval(address owner, address spender, uint256 amount) external onlyLedger {
        emit Approval(owner, spender, amount);
    }
}
