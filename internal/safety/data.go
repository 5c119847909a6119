package safety

import (
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/types"
)

const dataVersion uint8 = 1

// Data is the persistent state that keeps a signer from equivocating.
type Data struct {
	Epoch             uint64
	LastVotedRound    uint64 // highest round voted or timed out in
	PreferredRound    uint64 // highest two-chain round: the lock
	OneChainRound     uint64 // highest QC round seen in anything signed
	LastProposedRound uint64
	LastVote          *types.Vote    // re-sent if asked again for the same block
	LastTimeout       *types.Timeout // re-sent if asked again for the same round
}

// Encode returns the checksummed encoding, so that a torn or corrupted file
// is detected instead of silently read as an older state.
func (d *Data) Encode() []byte {
	w := codec.NewWriter(512)
	w.U8(dataVersion)
	w.U64(d.Epoch)
	w.U64(d.LastVotedRound)
	w.U64(d.PreferredRound)
	w.U64(d.OneChainRound)
	w.U64(d.LastProposedRound)
	writeOpt(w, d.LastVote)
	writeOpt(w, d.LastTimeout)
	body := w.Bytes()
	sum := sha256.Sum256(body)
	return append(body, sum[:]...)
}

func writeOpt(w *codec.Writer, m types.Message) {
	if m == nil || isNil(m) {
		w.VarBytes(nil)
		return
	}
	w.VarBytes(types.EncodeMessage(m))
}

func isNil(m types.Message) bool {
	switch v := m.(type) {
	case *types.Vote:
		return v == nil
	case *types.Timeout:
		return v == nil
	}
	return false
}

// ErrCorrupt reports safety data that fails its checksum or does not parse.
// A signer must refuse to start on it: signing from an unknown state could
// equivocate.
var ErrCorrupt = errors.New("safety: corrupt safety data")

// DecodeData parses what Encode wrote.
func DecodeData(b []byte) (Data, error) {
	if len(b) < sha256.Size+1 {
		return Data{}, fmt.Errorf("%d bytes: %w", len(b), ErrCorrupt)
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if got := sha256.Sum256(body); string(got[:]) != string(sum) {
		return Data{}, fmt.Errorf("checksum mismatch: %w", ErrCorrupt)
	}
	r := codec.NewReader(body)
	r.Version(dataVersion)
	d := Data{Epoch: r.U64(), LastVotedRound: r.U64(), PreferredRound: r.U64(), OneChainRound: r.U64(), LastProposedRound: r.U64()}
	vote, tmo := r.VarBytes(types.MaxMessageBytes), r.VarBytes(types.MaxMessageBytes)
	if err := r.Finish(); err != nil {
		return Data{}, fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	var err error
	if d.LastVote, err = decodeOpt[*types.Vote](vote); err != nil {
		return Data{}, err
	}
	if d.LastTimeout, err = decodeOpt[*types.Timeout](tmo); err != nil {
		return Data{}, err
	}
	return d, nil
}

func decodeOpt[T types.Message](b []byte) (T, error) {
	var zero T
	if len(b) == 0 {
		return zero, nil
	}
	m, err := types.DecodeMessage(b)
	if err != nil {
		return zero, fmt.Errorf("%v: %w", err, ErrCorrupt)
	}
	t, ok := m.(T)
	if !ok {
		return zero, fmt.Errorf("unexpected %s: %w", m.Kind(), ErrCorrupt)
	}
	return t, nil
}
