package types

import "github.com/lazchain/lazchain/internal/codec"

// Domain tags: each kind of signed message has its own, so a signature over
// one kind can never be replayed as another.
const (
	DomainProposal = "lazchain/proposal/v1"
	DomainVote     = "lazchain/vote/v1"
	DomainTimeout  = "lazchain/timeout/v1"
	DomainTx       = "lazchain/tx/v1"
	DomainEpoch    = "lazchain/epoch-change/v1"
)

// SigningBytes returns the exact bytes a signature covers: the domain tag, the
// chain id and the epoch, then the message's own fields. Binding chain id and
// epoch stops replay across chains and validator sets.
func SigningBytes(domain, chainID string, epoch uint64, body func(w *codec.Writer)) []byte {
	return signingBytes(128, domain, chainID, epoch, body)
}

// signingBytes is SigningBytes into a buffer of bodySize bytes past the
// prefix: a body that outgrows its buffer is copied on every append.
func signingBytes(bodySize int, domain, chainID string, epoch uint64, body func(w *codec.Writer)) []byte {
	w := codec.NewWriter(4 + len(domain) + 4 + len(chainID) + 8 + bodySize)
	w.VarBytes([]byte(domain))
	w.VarBytes([]byte(chainID))
	w.U64(epoch)
	body(w)
	return w.Bytes()
}
