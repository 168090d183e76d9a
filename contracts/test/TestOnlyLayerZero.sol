// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.30;

import {ILayerZeroExecutor} from "@layerzerolabs/lz-evm-messagelib-v2/contracts/interfaces/ILayerZeroExecutor.sol";
import {ILayerZeroDVN} from "@layerzerolabs/lz-evm-messagelib-v2/contracts/uln/interfaces/ILayerZeroDVN.sol";
import {
    ILayerZeroEndpointV2,
    MessagingParams,
    MessagingFee,
    MessagingReceipt,
    Origin
} from "@layerzerolabs/lz-evm-protocol-v2/contracts/interfaces/ILayerZeroEndpointV2.sol";
import {ILayerZeroReceiver} from "@layerzerolabs/lz-evm-protocol-v2/contracts/interfaces/ILayerZeroReceiver.sol";

/// @title TEST ONLY: a LayerZero executor that charges nothing and does nothing (the tests
///        call lzReceive themselves, as anyone may)
contract TestOnlyExecutor is ILayerZeroExecutor {
    function assignJob(uint32, address, uint256, bytes calldata) external pure returns (uint256) {
        return 0;
    }

    function getFee(uint32, address, uint256, bytes calldata) external pure returns (uint256) {
        return 0;
    }
}

/// @title TEST ONLY: a DVN whose source side records nothing and charges nothing: the on-chain
///        part of a DVN that watches the source off chain (the gas benchmarks' baseline; its
///        destination side is an account calling ReceiveUln302.verify)
contract TestOnlyDVN is ILayerZeroDVN {
    function assignJob(AssignJobParam calldata, bytes calldata) external payable returns (uint256) {
        return 0;
    }

    function getFee(uint32, uint64, address, bytes calldata) external pure returns (uint256) {
        return 0;
    }
}

/// @title TEST ONLY: a minimal OApp: sends through its endpoint, receives from its peer, and
///        records the last message
contract TestOnlyOApp is ILayerZeroReceiver {
    ILayerZeroEndpointV2 public immutable endpoint;
    mapping(uint32 eid => bytes32) public peers;
    bytes public lastMessage;
    uint64 public received;

    error NotEndpoint(address caller);
    error NotPeer(uint32 eid, bytes32 sender);

    constructor(ILayerZeroEndpointV2 _endpoint) {
        endpoint = _endpoint;
    }

    function setPeer(uint32 eid, bytes32 peer) external {
        peers[eid] = peer;
    }

    /// @notice Names who sets this OApp's configuration on the endpoint (its DVNs, by
    ///         EndpointV2.setConfig), as an OApp's owner does.
    function setDelegate(address delegate) external {
        endpoint.setDelegate(delegate);
    }

    /// @notice Options type 3 with no worker options: the ULN's defaults.
    function params(uint32 dstEid, bytes calldata message) public view returns (MessagingParams memory) {
        return MessagingParams(dstEid, peers[dstEid], message, hex"0003", false);
    }

    function quote(uint32 dstEid, bytes calldata message) external view returns (uint256) {
        return endpoint.quote(params(dstEid, message), address(this)).nativeFee;
    }

    function send(uint32 dstEid, bytes calldata message) external payable returns (MessagingReceipt memory) {
        return endpoint.send{value: msg.value}(params(dstEid, message), msg.sender);
    }

    function allowInitializePath(Origin calldata origin) external view returns (bool) {
        return peers[origin.srcEid] == origin.sender;
    }

    function nextNonce(uint32, bytes32) external pure returns (uint64) {
        return 0;
    }

    function lzReceive(Origin calldata origin, bytes32, bytes calldata message, address, bytes calldata) external payable {
        if (msg.sender != address(endpoint)) revert NotEndpoint(msg.sender);
        if (peers[origin.srcEid] != origin.sender) revert NotPeer(origin.srcEid, origin.sender);
        lastMessage = message;
        received++;
    }
}
