// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title TEST ONLY: a plain ERC-20 token (mint to anyone, transfer, approve), a contract that
///        is not Isthmus's, whose Transfer logs event claims prove and warp routes lock.
contract TestOnlyToken {
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    error InsufficientBalance(uint256 balance, uint256 value);
    error InsufficientAllowance(uint256 allowance, uint256 value);

    function mint(address to, uint256 value) external {
        balanceOf[to] += value;
        totalSupply += value;
        emit Transfer(address(0), to, value);
    }

    function transfer(address to, uint256 value) external returns (bool) {
        uint256 b = balanceOf[msg.sender];
        if (b < value) revert InsufficientBalance(b, value);
        balanceOf[msg.sender] = b - value;
        balanceOf[to] += value;
        emit Transfer(msg.sender, to, value);
        return true;
    }

    function approve(address spender, uint256 value) external returns (bool) {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
        return true;
    }

    function transferFrom(address from, address to, uint256 value) external returns (bool) {
        uint256 a = allowance[from][msg.sender];
        if (a < value) revert InsufficientAllowance(a, value);
        allowance[from][msg.sender] = a - value;
        uint256 b = balanceOf[from];
        if (b < value) revert InsufficientBalance(b, value);
        balanceOf[from] = b - value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
        return true;
    }
}
