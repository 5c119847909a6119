package mempool_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/mempool"
	"github.com/lazchain/lazchain/internal/types"
)

// sn names a transaction by sender index and nonce.
type sn struct {
	sender int
	nonce  uint64
}

func (s sn) String() string { return fmt.Sprintf("%d/%d", s.sender, s.nonce) }

// names maps reaped transactions back to (sender, nonce) using senders 0-9.
func names(t *testing.T, txs []*types.Tx) []sn {
	t.Helper()
	out := make([]sn, len(txs))
	for i, tx := range txs {
		out[i] = sn{-1, tx.Nonce}
		for s, a := range senderAddrs {
			if string(tx.Sender) == string(a[:]) {
				out[i].sender = s
			}
		}
	}
	return out
}

var senderAddrs = func() (out [10][32]byte) {
	for i := range out {
		out[i] = addr(i)
	}
	return out
}()

func adds(specs ...sn) []*types.Tx {
	out := make([]*types.Tx, len(specs))
	for i, s := range specs {
		out[i] = tx(s.sender, s.nonce, "")
	}
	return out
}

func TestReap(t *testing.T) {
	big := tx(1, 0, string(make([]byte, 1000)))
	cases := []struct {
		name     string
		state    map[int]uint64
		add      []*types.Tx
		maxTxs   int
		maxBytes int
		pending  mempool.Pending
		want     []sn
	}{
		{name: "nonce order per sender, senders in arrival order",
			add:  adds(sn{1, 2}, sn{2, 1}, sn{1, 0}, sn{2, 0}, sn{1, 1}),
			want: []sn{{1, 0}, {1, 1}, {1, 2}, {2, 0}, {2, 1}}},
		{name: "a full block shares first, then fills in arrival order", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 2}, sn{2, 0}), maxTxs: 2,
			want: []sn{{1, 0}, {2, 0}}},
		{name: "max txs across senders", add: adds(sn{1, 0}, sn{1, 1}, sn{2, 0}, sn{2, 1}), maxTxs: 3,
			want: []sn{{1, 0}, {2, 0}, {1, 1}}},
		{name: "one sender alone takes the block", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 2}), maxTxs: 2,
			want: []sn{{1, 0}, {1, 1}}},
		{name: "max bytes", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 2}), maxBytes: 3*entrySize(0) - 1,
			want: []sn{{1, 0}, {1, 1}}},
		{name: "max bytes exactly", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 2}), maxBytes: 3 * entrySize(0),
			want: []sn{{1, 0}, {1, 1}, {1, 2}}},
		{name: "oversized sender skipped, others fit", add: append([]*types.Tx{big}, adds(sn{2, 0})...), maxBytes: 500,
			want: []sn{{2, 0}}},
		{name: "gap: nonce 2 without 1", add: adds(sn{1, 0}, sn{1, 2}, sn{2, 0}), want: []sn{{1, 0}, {2, 0}}},
		{name: "gap at the start", add: adds(sn{1, 1}, sn{1, 2}), want: nil},
		{name: "starts at committed nonce", state: map[int]uint64{1: 5}, add: adds(sn{1, 6}, sn{1, 5}, sn{1, 8}),
			want: []sn{{1, 5}, {1, 6}}},
		{name: "skips what ancestors carry", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 2}, sn{1, 3}, sn{2, 0}),
			pending: mempool.Pending{addr(1): 2}, want: []sn{{1, 2}, {1, 3}, {2, 0}}},
		{name: "ancestors carry everything", add: adds(sn{1, 0}, sn{1, 1}),
			pending: mempool.Pending{addr(1): 2, addr(2): 9}, want: nil},
		{name: "pending below committed ignored", state: map[int]uint64{1: 3}, add: adds(sn{1, 3}, sn{1, 4}),
			pending: mempool.Pending{addr(1): 1}, want: []sn{{1, 3}, {1, 4}}},
		{name: "pending past a gap", add: adds(sn{1, 0}, sn{1, 1}, sn{1, 3}),
			pending: mempool.Pending{addr(1): 2}, want: nil},
		{name: "zero max txs", add: adds(sn{1, 0}), maxTxs: -1, want: nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, st := newPool(0, 0)
			for i, v := range c.state {
				st.set(i, v)
			}
			for i, err := range p.Add(c.add) {
				if err != nil {
					t.Fatalf("add %d: %v", i, err)
				}
			}
			maxTxs, maxBytes := c.maxTxs, c.maxBytes
			if maxTxs == 0 {
				maxTxs = 1000
			} else if maxTxs < 0 {
				maxTxs = 0
			}
			if maxBytes == 0 {
				maxBytes = 1 << 20
			}
			got := names(t, p.Reap(maxTxs, maxBytes, c.pending))
			if !slices.Equal(got, c.want) {
				t.Fatalf("reaped %v, want %v", got, c.want)
			}
			// Reaping does not consume: a failed proposal leaves the
			// transactions for the next one.
			if again := names(t, p.Reap(maxTxs, maxBytes, c.pending)); !slices.Equal(again, c.want) {
				t.Fatalf("second reap %v, want %v", again, c.want)
			}
			if n, _ := p.Size(); n != len(c.add) {
				t.Fatalf("size %d after reaping, want %d", n, len(c.add))
			}
		})
	}
}

func TestCommit(t *testing.T) {
	cases := []struct {
		name   string
		add    []sn
		commit []sn // the committed block's transactions (sender, nonce)
		other  bool // committed txs are different bytes than the pooled ones
		// unexecuted: the block's transactions failed (a Byzantine leader's
		// forgeries), so committed state does not move
		unexecuted bool
		wantSize   int
		want       []sn // reaped afterwards
	}{
		{name: "removes committed and advances", add: []sn{{1, 0}, {1, 1}, {1, 2}, {2, 0}}, commit: []sn{{1, 0}, {1, 1}},
			wantSize: 2, want: []sn{{1, 2}, {2, 0}}},
		{name: "drops what a higher commit made stale", add: []sn{{1, 0}, {1, 1}, {1, 2}, {1, 3}}, commit: []sn{{1, 2}},
			other: true, wantSize: 1, want: []sn{{1, 3}}},
		{name: "same nonce different bytes", add: []sn{{1, 0}, {1, 1}}, commit: []sn{{1, 0}}, other: true,
			wantSize: 1, want: []sn{{1, 1}}},
		{name: "unknown sender changes nothing", add: []sn{{1, 0}}, commit: []sn{{3, 0}, {3, 1}},
			wantSize: 1, want: []sn{{1, 0}}},
		{name: "not included stays available", add: []sn{{1, 0}, {1, 1}, {2, 0}, {2, 1}}, commit: []sn{{2, 0}},
			wantSize: 3, want: []sn{{1, 0}, {1, 1}, {2, 1}}},
		{name: "everything committed", add: []sn{{1, 0}, {2, 0}}, commit: []sn{{2, 0}, {1, 0}}, wantSize: 0, want: nil},
		{name: "a transaction that did not execute uses no nonce", add: []sn{{1, 0}, {1, 1}, {1, 2}, {2, 0}},
			commit: []sn{{1, 5}, {2, 9}}, other: true, unexecuted: true, wantSize: 4, want: []sn{{1, 0}, {1, 1}, {1, 2}, {2, 0}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, st := newPool(0, 0)
			for i, err := range p.Add(adds(c.add...)) {
				if err != nil {
					t.Fatalf("add %d: %v", i, err)
				}
			}
			// A proposal is reaped and lost; a different block commits.
			p.Reap(1000, 1<<20, nil)
			var block []*types.Tx
			for _, s := range c.commit {
				body := ""
				if c.other {
					body = "from another proposer"
				}
				block = append(block, tx(s.sender, s.nonce, body))
				if !c.unexecuted {
					st.set(s.sender, s.nonce+1) // state advances before the pool hears
				}
			}
			p.Commit(block)
			n, bytes := p.Size()
			if n != c.wantSize || bytes != c.wantSize*entrySize(0) {
				t.Fatalf("size %d/%d bytes, want %d/%d", n, bytes, c.wantSize, c.wantSize*entrySize(0))
			}
			for _, b := range block {
				if p.Has(b.Hash()) {
					t.Fatalf("committed %d still held", b.Nonce)
				}
			}
			if got := names(t, p.Reap(1000, 1<<20, nil)); !slices.Equal(got, c.want) {
				t.Fatalf("reaped %v after commit, want %v", got, c.want)
			}
			if c.unexecuted {
				return
			}
			// Committed transactions cannot come back.
			for i, err := range p.Add(block) {
				if err == nil {
					t.Fatalf("committed tx %d re-admitted", i)
				}
			}
		})
	}
}

// Add, Reap, Commit and the readers from many goroutines at once: every
// transaction commits exactly once, in nonce order per sender. Run with
// -race.
func TestConcurrentAddReapCommit(t *testing.T) {
	const senders, perSender, batch = 8, 150, 25
	p, st := newPool(0, 0)
	all := make([][]*types.Tx, senders)
	for s := range all {
		for n := 0; n < perSender; n++ {
			all[s] = append(all[s], tx(s, uint64(n), "c"))
		}
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ { // each adder owns two senders and interleaves them
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lo := 0; lo < perSender; lo += batch {
				for _, s := range []int{2 * w, 2*w + 1} {
					for i, err := range p.Add(all[s][lo : lo+batch]) {
						if err != nil {
							t.Errorf("sender %d nonce %d: %v", s, lo+i, err)
						}
					}
				}
			}
		}()
	}
	refused := []*types.Tx{badSig(tx(0, 0, "r")), tx(0, 0, "c")} // tx(0,0,"c") is all[0][0]
	refused[1].ChainID = "other"
	refused[1].Sign(key(0))
	stop := make(chan struct{})
	readers := sync.WaitGroup{}
	readers.Add(1)
	go func() {
		defer readers.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			p.Size()
			p.Has(all[0][0].Hash())
			for i, err := range p.Add(refused) {
				if err == nil {
					t.Errorf("refused tx %d admitted", i)
				}
			}
		}
	}()

	next := make([]uint64, senders)
	committed := 0
	deadline := time.Now().Add(20 * time.Second)
	for committed < senders*perSender {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d committed", committed, senders*perSender)
		}
		block := p.Reap(40, 1<<20, nil)
		for _, x := range block {
			s := names(t, []*types.Tx{x})[0].sender
			if x.Nonce != next[s] {
				t.Fatalf("sender %d: reaped nonce %d, next is %d", s, x.Nonce, next[s])
			}
			next[s]++
			st.set(s, next[s])
		}
		p.Commit(block)
		committed += len(block)
		if len(block) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	close(stop)
	wg.Wait()
	readers.Wait()
	if n, bytes := p.Size(); n != 0 || bytes != 0 {
		t.Fatalf("pool holds %d txs, %d bytes after all committed", n, bytes)
	}
}

// TestReapAged checks that ReapAged returns what Reap does, with each
// transaction's time in the pool: those admitted earlier have waited at
// least as long as the pause between the two admissions.
func TestReapAged(t *testing.T) {
	p := mempool.New(mempool.Config{ChainID: chain})
	early := adds(sn{0, 0}, sn{0, 1})
	for _, err := range p.Add(early) {
		if err != nil {
			t.Fatal(err)
		}
	}
	const pause = 30 * time.Millisecond
	time.Sleep(pause)
	start := time.Now()
	for _, err := range p.Add(adds(sn{1, 0})) {
		if err != nil {
			t.Fatal(err)
		}
	}
	txs, ages := p.ReapAged(10, 1<<20, nil)
	waited := time.Since(start)
	if want := p.Reap(10, 1<<20, nil); !slices.Equal(txs, want) {
		t.Fatalf("ReapAged gave %v, Reap %v", names(t, txs), names(t, want))
	}
	if len(ages) != len(txs) {
		t.Fatalf("%d ages for %d transactions", len(ages), len(txs))
	}
	for i, tx := range txs {
		late := string(tx.Sender) == string(senderAddrs[1][:])
		switch {
		case ages[i] < 0:
			t.Fatalf("%v: negative age %v", names(t, txs)[i], ages[i])
		case !late && ages[i] < pause:
			t.Fatalf("%v: admitted %v before the reap, age %v", names(t, txs)[i], pause, ages[i])
		case late && ages[i] > waited:
			t.Fatalf("%v: admitted at most %v before the reap, age %v", names(t, txs)[i], waited, ages[i])
		}
	}
	if n, _ := p.Size(); n != 3 {
		t.Fatalf("pool holds %d after reaping, want 3 (reaping removes nothing)", n)
	}
}

// TestNextNonce checks the nonce a sender's next transaction should carry:
// past the committed nonce and the run of nonces the pool holds from it,
// but not past a gap.
func TestNextNonce(t *testing.T) {
	p := mempool.New(mempool.Config{ChainID: chain})
	for _, err := range p.Add(adds(sn{0, 0}, sn{0, 1}, sn{0, 2}, sn{1, 3})) {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name      string
		sender    int
		committed uint64
		want      uint64
	}{
		{"run held from the committed nonce", 0, 0, 3},
		{"committed inside the run", 0, 2, 3},
		{"committed past the run", 0, 7, 7},
		{"only a transaction past a gap", 1, 0, 0},
		{"gap filled by the committed nonce", 1, 3, 4},
		{"unknown sender", 5, 4, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := p.NextNonce(senderAddrs[c.sender][:], c.committed); got != c.want {
				t.Fatalf("next nonce %d, want %d", got, c.want)
			}
		})
	}
}
