// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {IMessageRecipient} from "../src/IMessageRecipient.sol";

/// @title TEST ONLY: a recipient that does nothing (gas benchmarks)
contract TestNoopRecipient is IMessageRecipient {
    function handleMessage(uint32, address, uint64, bytes calldata) external {}
}

/// @title TEST ONLY: a recipient that records what it received and can be told to fail
contract TestRecordingRecipient is IMessageRecipient {
    struct Received {
        uint32 srcDomain;
        address sender;
        uint64 nonce;
        bytes32 payloadHash;
    }

    Received[] private _received;
    bool public failing;

    function setFailing(bool failing_) external {
        failing = failing_;
    }

    function handleMessage(uint32 srcDomain, address sender, uint64 nonce, bytes calldata payload) external {
        require(!failing, "TestRecordingRecipient: failing");
        _received.push(Received(srcDomain, sender, nonce, keccak256(payload)));
    }

    function receivedCount() external view returns (uint256) {
        return _received.length;
    }

    function received(uint256 i) external view returns (Received memory) {
        return _received[i];
    }
}

/// @title TEST ONLY: a recipient that burns all the gas it is given
contract TestGasBurnerRecipient is IMessageRecipient {
    uint256 public sink;

    function handleMessage(uint32, address, uint64, bytes calldata) external {
        while (true) {
            sink += 1;
        }
    }
}

interface IDeliver {
    function deliver(uint32 srcDomain, bytes calldata messages) external;
}

/// @title TEST ONLY: a recipient that, on its first message, delivers the lane's next batch
///        from inside its own delivery (and succeeds whether or not that is refused)
contract TestReentrantRecipient is IMessageRecipient {
    IDeliver public inbox;
    uint32 public srcDomain;
    bytes public next;
    bool public reentered;

    function arm(IDeliver inbox_, uint32 srcDomain_, bytes calldata next_) external {
        inbox = inbox_;
        srcDomain = srcDomain_;
        next = next_;
    }

    function handleMessage(uint32, address, uint64, bytes calldata) external {
        if (next.length == 0) return;
        bytes memory batch = next;
        delete next;
        try inbox.deliver(srcDomain, batch) {
            reentered = true;
        } catch {}
    }
}
