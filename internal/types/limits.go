package types

// Version is the encoding version of every top-level value. A decoder meets
// an unknown version with codec.ErrVersion, so a future format change is a
// clean rejection rather than a misparse.
const Version uint8 = 1

// Hard limits enforced by decoders before any allocation. They bound what one
// peer can make us hold; the node's transport enforces MaxMessageBytes first.
const (
	MaxValidators    = 1024
	MaxChainIDLen    = 64
	MaxTxBytes       = 64 << 10
	MaxTxsPerBlock   = 20000
	MaxBlockBytes    = 16 << 20
	MaxMessageBytes  = MaxBlockBytes + 64<<10
	MaxFetchBlocks   = 64
	MaxSignatureSize = 48
	MaxPublicKeySize = 96
)
