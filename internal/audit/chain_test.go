package audit_test

import (
	"errors"
	"testing"

	"github.com/lazchain/lazchain/internal/audit"
	"github.com/lazchain/lazchain/internal/light"
	"github.com/lazchain/lazchain/internal/types"
)

// chainOf builds n headers of epoch 0, each certified by the next one's
// QC, signed by three of the four validators.
func chainOf(t testing.TB, f *fixture, n int) []*types.Header {
	t.Helper()
	root := f.genesis.Root(chain).ID()
	qc := types.GenesisQC(0, root)
	var out []*types.Header
	for h := 1; h <= n; h++ {
		hd := &types.Header{Epoch: 0, Round: uint64(h), Height: uint64(h), Parent: qc.BlockID, QC: qc, Proposer: uint32(h % 4),
			PayloadHash: hashOf("payload")}
		out = append(out, hd)
		id := hd.ID()
		qc = &types.QC{Epoch: 0, Round: uint64(h), BlockID: id, Signers: f.signers(0, 2, 3)}
		qc.Sig = f.sign(t, types.VoteSigningBytes(chain, 0, uint64(h), id), 0, 2, 3)
	}
	return out
}

func verifyChain(f *fixture, hs []*types.Header) (*audit.ChainVerifier, error) {
	noSteps := func(n uint64) (light.Step, error) { return light.Step{}, errors.New("no epoch changes here") }
	long := *f.genesis
	long.EndHeight = 1000
	v, err := audit.NewChainVerifier(chain, &long, noSteps)
	if err != nil {
		return nil, err
	}
	for _, h := range hs {
		if err := v.Add(h); err != nil {
			return v, err
		}
	}
	return v, v.Flush()
}

func TestChainVerifier(t *testing.T) {
	f := newFixture(t)
	hs := chainOf(t, f, 300) // more than one batch of QC signatures
	v, err := verifyChain(f, hs)
	if err != nil || v.Certified != 299 {
		t.Fatalf("valid chain: %v, %d certified", err, v.Certified)
	}
	cases := []struct {
		name, check string
		edit        func(hs []*types.Header)
	}{
		// A header's id covers its QC, so only the newest header's QC can
		// change without breaking the hash chain first.
		{"a QC signature of another block", "commit certificate", func(hs []*types.Header) {
			last := len(hs) - 1
			q := *hs[last].QC
			q.Sig = hs[5].QC.Sig
			hs[last].QC = &q
		}},
		{"too little stake", "commit certificate", func(hs []*types.Header) {
			q := *hs[len(hs)-1].QC
			q.Signers = f.signers(0)
			hs[len(hs)-1].QC = &q
		}},
		{"a gap", "header chain", func(hs []*types.Header) { hs[20].Height++ }},
		{"another parent", "header chain", func(hs []*types.Header) { hs[30].Parent = hashOf("elsewhere") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hs := chainOf(t, f, 40)
			tc.edit(hs)
			_, err := verifyChain(f, hs)
			var ce *audit.CheckError
			if !errors.As(err, &ce) || ce.Check != tc.check {
				t.Fatalf("got %v, want a failed %q check", err, tc.check)
			}
		})
	}
}

// BenchmarkChainVerifier reports headers checked per second (QC signatures
// in batches), the light-client path of `lazchain audit chain`.
func BenchmarkChainVerifier(b *testing.B) {
	f := newFixture(b)
	hs := chainOf(b, f, 999)
	b.ResetTimer()
	for range b.N {
		if _, err := verifyChain(f, hs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(hs)*b.N)/b.Elapsed().Seconds(), "headers/s")
}
