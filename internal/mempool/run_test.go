package mempool

import (
	"math/rand/v2"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

// Every account's end is the first nonce from next up that the pool
// lacks, whatever mix of out-of-order admissions, commits and nonce jumps
// got it there: admission windows are measured from it.
func TestRunEndTracksHeldNonces(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		committed := map[sender]uint64{}
		p := New(Config{ChainID: "run-test", MaxTxs: 1 << 20, MaxBytes: 1 << 30,
			Nonce: func(b []byte) uint64 { var s sender; copy(s[:], b); return committed[s] }})
		senders := make([][]byte, 3)
		for i := range senders {
			senders[i] = make([]byte, 32)
			senders[i][0] = byte(i + 1)
		}
		for step := 0; step < 400; step++ {
			who := senders[rng.IntN(len(senders))]
			var s sender
			copy(s[:], who)
			switch op := rng.IntN(10); {
			case op < 7: // admit a nonce somewhere near the sender's run
				base := committed[s]
				if acc := p.accounts[s]; acc != nil {
					base = acc.end
				}
				n := base + uint64(rng.IntN(6)) - min(base, 2)
				tx := &types.Tx{ChainID: "run-test", Sender: who, Nonce: n, Body: []byte{byte(step), byte(step >> 8)}}
				p.AddVerified([]*types.Tx{tx})
			case op < 9: // commit the first few of the run
				if acc := p.accounts[s]; acc != nil && acc.end > acc.next {
					k := acc.next + uint64(rng.IntN(int(acc.end-acc.next))) + 1
					var txs []*types.Tx
					for n := acc.next; n < k; n++ {
						txs = append(txs, acc.txs.get(n).tx)
					}
					committed[s] = k
					p.Commit(txs)
				}
			default: // the sender moved on elsewhere
				committed[s] += uint64(rng.IntN(4))
				p.SetNonce(who, committed[s])
			}
			runTxs, runBytes := 0, 0
			for as, acc := range p.accounts {
				want := acc.next
				for e := acc.txs.get(want); e != nil; e = acc.txs.get(want) {
					runTxs++
					runBytes += e.size
					want++
				}
				if acc.end != want {
					t.Fatalf("seed %d step %d: sender %x end %d, held run ends at %d", seed, step, as[0], acc.end, want)
				}
			}
			if p.runTxs != runTxs || p.runBytes != runBytes {
				t.Fatalf("seed %d step %d: pool counts %d proposable txs (%d bytes), the runs hold %d (%d bytes)", seed, step, p.runTxs, p.runBytes, runTxs, runBytes)
			}
		}
	}
}
