// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

/// @title TEST ONLY: a plain ERC-20 token (mint to anyone, transfer), a contract that is not
///        Isthmus's, whose Transfer logs event claims prove.
contract TestOnlyToken {
    mapping(address => uint256) public balanceOf;
    uint256 public totalSupply;

    event Transfer(address indexed from, address indexed to, uint256 value);

    error InsufficientBalance(uint256 balance, uint256 value);

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
}
