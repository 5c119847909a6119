package audit

import (
	"fmt"

	"github.com/lazchain/lazchain/internal/codec"
	"github.com/lazchain/lazchain/internal/merkle"
	"github.com/lazchain/lazchain/internal/smt"
	"github.com/lazchain/lazchain/internal/types"
)

// Version is the bundle format's version; Magic starts every bundle.
const (
	Version = 1
	Magic   = "LZAB"

	maxEpochs  = 1 << 24 // a chain's whole history; each costs at least its 8 bytes of framing first
	maxRecords = 1024
	maxEvents  = 1024
	maxValue   = 4 << 20
)

// Bundle is a self-contained proof of an artifact's on-chain history.
type Bundle struct {
	ChainID  string
	Artifact types.Hash
	Epochs   []EpochStep   // epochs 1 .. Header.Epoch, in order
	Header   *types.Header // vouches for the state root the records are proven against
	Commit   *types.QC     // certifies Header
	Records  []Record
	Events   []Event
}

// EpochStep is one epoch's record and the certificate of the change into it.
type EpochStep struct {
	Epoch []byte // state.Epoch encoding
	Cert  []byte // types.EpochCert encoding
}

// Record is a state key and value with its proof against the header's
// state root.
type Record struct {
	Key, Value []byte
	Proof      *smt.Proof
}

// Event is one of the artifact's events with its path to the events root
// of block Height (which a Record proves).
type Event struct {
	Height uint64
	Index  uint64
	Count  uint64
	Data   []byte // the encoded event
	Path   []merkle.Hash
}

// Encode returns the canonical encoding.
func (b *Bundle) Encode() []byte {
	w := codec.NewWriter(4096)
	w.Fixed([]byte(Magic))
	w.U8(Version)
	w.VarBytes([]byte(b.ChainID))
	w.Fixed(b.Artifact[:])
	w.U32(uint32(len(b.Epochs)))
	for _, e := range b.Epochs {
		w.VarBytes(e.Epoch)
		w.VarBytes(e.Cert)
	}
	w.VarBytes(types.EncodeHeader(b.Header))
	w.VarBytes(types.EncodeQC(b.Commit))
	w.U32(uint32(len(b.Records)))
	for _, r := range b.Records {
		w.VarBytes(r.Key)
		w.VarBytes(r.Value)
		w.VarBytes(r.Proof.Encode())
	}
	w.U32(uint32(len(b.Events)))
	for _, e := range b.Events {
		w.U64(e.Height)
		w.U64(e.Index)
		w.U64(e.Count)
		w.VarBytes(e.Data)
		w.U32(uint32(len(e.Path)))
		for _, h := range e.Path {
			w.Fixed(h[:])
		}
	}
	return w.Bytes()
}

// Decode parses a bundle strictly: every length is bounded, nothing may
// trail, and every embedded structure must be canonical.
func Decode(data []byte) (*Bundle, error) {
	r := codec.NewReader(data)
	if m := r.Fixed(len(Magic)); r.Err() == nil && string(m) != Magic {
		return nil, fmt.Errorf("bundle: not a lazchain audit bundle (magic %q)", m)
	}
	r.Version(Version)
	b := &Bundle{ChainID: string(r.VarBytes(256))}
	copy(b.Artifact[:], r.Fixed(32))
	n := r.Count(maxEpochs, 8)
	for i := 0; i < n && r.Err() == nil; i++ {
		b.Epochs = append(b.Epochs, EpochStep{Epoch: r.VarBytes(1 << 20), Cert: r.VarBytes(1 << 12)})
	}
	hdr, qc := r.VarBytes(1<<14), r.VarBytes(1<<12)
	n = r.Count(maxRecords, 12)
	for i := 0; i < n && r.Err() == nil; i++ {
		k, v, p := r.VarBytes(256), r.VarBytes(maxValue), r.VarBytes(1<<14)
		if r.Err() != nil {
			break
		}
		proof, err := smt.DecodeProof(p)
		if err != nil {
			return nil, fmt.Errorf("bundle: record %d proof: %w", i, err)
		}
		b.Records = append(b.Records, Record{Key: k, Value: v, Proof: proof})
	}
	n = r.Count(maxEvents, 32)
	for i := 0; i < n && r.Err() == nil; i++ {
		e := Event{Height: r.U64(), Index: r.U64(), Count: r.U64(), Data: r.VarBytes(8192)}
		k := r.Count(64, 32)
		for j := 0; j < k && r.Err() == nil; j++ {
			var h merkle.Hash
			copy(h[:], r.Fixed(32))
			e.Path = append(e.Path, h)
		}
		b.Events = append(b.Events, e)
	}
	if err := r.Finish(); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	var err error
	if b.Header, err = types.DecodeHeader(hdr); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	if b.Commit, err = types.DecodeQC(qc); err != nil {
		return nil, fmt.Errorf("bundle: %w", err)
	}
	return b, nil
}
