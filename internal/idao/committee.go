package idao

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"slices"
	"sync"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/crypto"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/staking"
	"github.com/lazchain/lazchain/internal/types"
)

// Seat is one member's place in a committee. Power is the member's bonded
// stake when the committee was drawn; it does not change afterwards.
type Seat struct {
	Operator staking.Address
	BLSKey   []byte
	Power    uint64
}

// Committee is the verifying committee of one iDAO for one rotation.
// Seats are sorted by operator: a certificate's bitmap indexes them.
type Committee struct {
	IDAO     string
	Rotation uint64
	Seed     types.Hash
	Seats    []Seat

	once sync.Once
	keys []crypto.PublicKey // parsed lazily; nil entry for a key that fails
}

// Power is the committee's total stake.
func (c *Committee) Power() uint64 {
	var p uint64
	for _, s := range c.Seats {
		p += s.Power
	}
	return p
}

// Index returns op's seat, or -1.
func (c *Committee) Index(op staking.Address) int {
	for i, s := range c.Seats {
		if s.Operator == op {
			return i
		}
	}
	return -1
}

// PublicKey is seat i's parsed key, nil if it does not parse; parsed
// once per committee.
func (c *Committee) PublicKey(i int) crypto.PublicKey { return c.publicKeys()[i] }

func (c *Committee) publicKeys() []crypto.PublicKey {
	c.once.Do(func() {
		c.keys = make([]crypto.PublicKey, len(c.Seats))
		for i, s := range c.Seats {
			if pk, err := (bls.Scheme{}).ParsePublicKey(s.BLSKey); err == nil {
				c.keys[i] = pk
			}
		}
	})
	return c.keys
}

// Draw picks up to size seats from pool by stake-weighted sampling without
// replacement. Everything it uses is on-chain (the seed, the members and
// their bonded stake at the boundary), so anyone can redo the draw.
func Draw(seed types.Hash, name string, pool []Seat, size int) []Seat {
	left := slices.Clone(pool)
	slices.SortFunc(left, func(a, b Seat) int { return bytes.Compare(a.Operator[:], b.Operator[:]) })
	left = slices.DeleteFunc(left, func(s Seat) bool { return s.Power == 0 })
	var total uint64
	for _, s := range left {
		total += s.Power
	}
	out := make([]Seat, 0, min(size, len(left)))
	for i := 0; len(out) < size && len(left) > 0; i++ {
		x := drawPoint(seed, name, i) % total
		j := 0
		for ; x >= left[j].Power; j++ {
			x -= left[j].Power
		}
		out = append(out, left[j])
		total -= left[j].Power
		left = slices.Delete(left, j, j+1)
	}
	slices.SortFunc(out, func(a, b Seat) int { return bytes.Compare(a.Operator[:], b.Operator[:]) })
	return out
}

// drawPoint is the i-th pseudo-random number of a draw. Taking it modulo
// the pool's stake biases it by at most total/2^64, far below anything an
// attacker can use.
func drawPoint(seed types.Hash, name string, i int) uint64 {
	h := sha256.New()
	h.Write([]byte("lazchain/committee/v1\x00"))
	h.Write(seed[:])
	h.Write([]byte(name))
	h.Write(binary.BigEndian.AppendUint32(nil, uint32(i)))
	var d types.Hash
	h.Sum(d[:0])
	return binary.BigEndian.Uint64(d[:8])
}

// Encode returns the canonical record.
func (c *Committee) Encode() []byte {
	w := codec.NewWriter(64 + 90*len(c.Seats))
	w.U8(bodyVersion)
	w.VarBytes([]byte(c.IDAO))
	w.U64(c.Rotation)
	w.Fixed(c.Seed[:])
	w.U32(uint32(len(c.Seats)))
	for _, s := range c.Seats {
		w.Fixed(s.Operator[:])
		w.VarBytes(s.BLSKey)
		w.U64(s.Power)
	}
	return w.Bytes()
}

// DecodeCommittee parses what Encode wrote.
func DecodeCommittee(b []byte) (*Committee, error) {
	r := codec.NewReader(b)
	return decodeCommittee(r), finish(r, "committee")
}

func decodeCommittee(r *codec.Reader) *Committee {
	r.Version(bodyVersion)
	c := &Committee{IDAO: string(r.VarBytes(MaxNameLen)), Rotation: r.U64(), Seed: hash(r)}
	n := r.Count(MaxCommittee, 40)
	for i := 0; i < n; i++ {
		c.Seats = append(c.Seats, Seat{Operator: addr(r), BLSKey: clone(r.VarBytes(types.MaxPublicKeySize)), Power: r.U64()})
	}
	return c
}
