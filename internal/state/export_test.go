package state

// Test-only access to the stored layout, so the external tests can check
// what Apply writes (which keys, with which values) instead of how many
// keys it writes: the count changes with every record the machine learns
// to keep, the meaning of a receipt or an account does not.
const (
	PrefixAccount  = pAccount
	PrefixReceipts = pReceipts
	PrefixStaking  = pStaking
	PrefixEpoch    = pEpoch
	PrefixCert     = pCert
	PrefixPartial  = pPartial
	PrefixResult   = pRef
	PrefixIDAO     = pIDAO
)

var (
	DecodeAccount = decodeAccount
	HasReceipt    = hasReceipt
	DecodeResult  = decodeRef
)
