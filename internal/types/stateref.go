package types

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
)

// StateRef names the result of executing the committed chain up to and
// including Height: the root of the state tree after it, and the root of
// the events the block at Height emitted. A block header carries the
// latest ref its proposer had executed (execution trails consensus by the
// two-chain commit), and honest validators vote for a block only when its
// ref matches their own execution, so a QC on a header certifies its ref:
// that is what lets an auditor trust a state or event proof checked
// against it.
type StateRef struct {
	Height uint64
	Root   Hash // smt root of the whole state after Height
	Events Hash // Merkle root of the events of block Height
}

// IsZero reports an unset ref (genesis and epoch-root blocks, and blocks
// of cores that do not track execution).
func (s StateRef) IsZero() bool { return s == StateRef{} }

func (s StateRef) encode(w *codec.Writer) {
	w.U64(s.Height)
	w.Fixed(s.Root[:])
	w.Fixed(s.Events[:])
}

func decodeStateRef(r *codec.Reader) StateRef {
	s := StateRef{Height: r.U64()}
	copy(s.Root[:], r.Fixed(32))
	copy(s.Events[:], r.Fixed(32))
	return s
}

// EncodeStateRef returns the canonical encoding of r.
func EncodeStateRef(r StateRef) []byte {
	w := codec.NewWriter(72)
	r.encode(w)
	return w.Bytes()
}

// DecodeStateRef parses an encoded StateRef.
func DecodeStateRef(b []byte) (StateRef, error) {
	rd := codec.NewReader(b)
	r := decodeStateRef(rd)
	if err := rd.Finish(); err != nil {
		return StateRef{}, fmt.Errorf("decode state ref: %w", err)
	}
	return r, nil
}
