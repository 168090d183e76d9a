package header

// A header field's rule, as go-ethereum decodes types.Header and as consensus bounds it.
type fieldKind int

const (
	kindFixed fieldKind = iota // a string of exactly size bytes (hashes, address, bloom, nonce)
	kindUint                   // a canonical integer (no leading zero) of at most size bytes
	kindBytes                  // a string of at most size bytes (extraData)
)

type fieldRule struct {
	name string
	kind fieldKind
	size int
}

// MaxExtraData is Ethereum's bound on extraData (go-ethereum's params.MaximumExtraDataSize).
const MaxExtraData = 32

// schema lists every header field in order, as go-ethereum v1.17.10's types.Header has them.
// Integers that go-ethereum holds as big.Int (difficulty, number, baseFee) are bounded here:
// number to 8 bytes, the others to 32 (uint256), so the twin is never laxer than go-ethereum.
var schema = []fieldRule{
	{"parentHash", kindFixed, 32},
	{"sha3Uncles", kindFixed, 32},
	{"miner", kindFixed, 20},
	{"stateRoot", kindFixed, 32},
	{"transactionsRoot", kindFixed, 32},
	{"receiptsRoot", kindFixed, 32},
	{"logsBloom", kindFixed, 256},
	{"difficulty", kindUint, 32},
	{"number", kindUint, 8},
	{"gasLimit", kindUint, 8},
	{"gasUsed", kindUint, 8},
	{"timestamp", kindUint, 8},
	{"extraData", kindBytes, MaxExtraData},
	{"mixHash", kindFixed, 32},
	{"nonce", kindFixed, 8},
	{"baseFeePerGas", kindUint, 32},          // London (EIP-1559)
	{"withdrawalsRoot", kindFixed, 32},       // Shanghai (EIP-4895)
	{"blobGasUsed", kindUint, 8},             // Cancun (EIP-4844)
	{"excessBlobGas", kindUint, 8},           // Cancun (EIP-4844)
	{"parentBeaconBlockRoot", kindFixed, 32}, // Cancun (EIP-4788)
	{"requestsHash", kindFixed, 32},          // Prague (EIP-7685)
	{"blockAccessListHash", kindFixed, 32},   // Amsterdam (EIP-7928)
	{"slotNumber", kindUint, 8},              // Amsterdam (EIP-7843)
}

// ForkFields are the field counts of each fork's header: Frontier to Berlin 15, London 16,
// Shanghai 17, Cancun 20, Prague 21, Amsterdam 23 (as go-ethereum v1.17.10 schedules it).
// go-ethereum's decoder takes any count from 15 to 23 (its later fields are optional); a
// header is valid only at its fork's count, so the gadget takes these counts alone.
var ForkFields = []int{15, 16, 17, 20, 21, 23}
