package smt

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"

	"github.com/lazchain/lazchain/internal/types"
)

func TestEmptyTree(t *testing.T) {
	for name, tr := range map[string]*Tree{"New": New(), "zero value": {}} {
		if !tr.Root().IsZero() || tr.Len() != 0 {
			t.Errorf("%s: root %s, len %d; want zero, 0", name, tr.Root().Short(), tr.Len())
		}
		if _, ok := tr.Get([]byte("k")); ok {
			t.Errorf("%s: Get found a key in the empty tree", name)
		}
		if err := VerifyExclusion(tr.Root(), []byte("k"), tr.Prove([]byte("k"))); err != nil {
			t.Errorf("%s: exclusion: %v", name, err)
		}
	}
}

// A single key is its own leaf at the root: the root is the leaf hash,
// written out here byte by byte from doc.go.
func TestSingleKey(t *testing.T) {
	key, value := []byte("alice"), []byte("100")
	tr := mustUpdate(t, New(), []KV{{key, value}})
	kh := sha256.Sum256([]byte("lazchain/smt/key/v1alice"))
	vh := sha256.Sum256([]byte("lazchain/smt/value/v1100"))
	if KeyHash(key) != kh || ValueHash(value) != vh {
		t.Fatalf("KeyHash or ValueHash differs from SHA-256(tag || bytes)")
	}
	want := types.Hash(sha256.Sum256(append(append([]byte{0}, kh[:]...), vh[:]...)))
	if tr.Root() != want || tr.Len() != 1 {
		t.Fatalf("root %s len %d, want %s 1", tr.Root().Short(), tr.Len(), want.Short())
	}
	p := tr.Prove(key)
	if p.Depth != 0 || len(p.Siblings) != 0 || p.Other != nil {
		t.Fatalf("proof %+v, want depth 0 and nothing else", p)
	}
	if err := VerifyInclusion(want, key, value, p); err != nil {
		t.Fatal(err)
	}
	q := tr.Prove([]byte("bob"))
	if q.Other == nil || q.Other.KeyHash != kh {
		t.Fatalf("exclusion proof for bob should end at alice's leaf: %+v", q)
	}
	if err := VerifyExclusion(want, []byte("bob"), q); err != nil {
		t.Fatal(err)
	}
}

// Two keys whose hashes share the first `shared` bits: the leaves sit at
// depth shared+1 under a chain of inner nodes with empty siblings. The
// expected root is built level by level here.
func TestLongSharedPrefix(t *testing.T) {
	base := refKeyHash([]byte("base"))
	for _, shared := range []int{0, 1, 7, 8, 9, 100, 200, 254, 255} {
		t.Run(fmt.Sprint(shared), func(t *testing.T) {
			a := refEntry{base, refValueHash([]byte("a"))}
			b := refEntry{flipBit(base, shared), refValueHash([]byte("b"))}
			tr, err := New().apply(hashedOps(a, b))
			if err != nil {
				t.Fatal(err)
			}
			la, lb := LeafHash(a.kh, a.vh), LeafHash(b.kh, b.vh)
			h := InnerHash(la, lb)
			if refBit(base, shared) == 1 {
				h = InnerHash(lb, la)
			}
			for d := shared - 1; d >= 0; d-- {
				if refBit(base, d) == 0 {
					h = InnerHash(h, types.Hash{})
				} else {
					h = InnerHash(types.Hash{}, h)
				}
			}
			if tr.Root() != h || h != refRoot([]refEntry{a, b}, 0) {
				t.Fatalf("root %s, want %s", tr.Root().Short(), h.Short())
			}
			checkLongPrefixProofs(t, tr, a, b, shared)
		})
	}
}

func checkLongPrefixProofs(t *testing.T, tr *Tree, a, b refEntry, shared int) {
	t.Helper()
	root := tr.Root()
	p := tr.proveHashed(a.kh)
	if p.Depth != shared+1 || len(p.Siblings) != 1 || p.Siblings[0] != LeafHash(b.kh, b.vh) {
		t.Fatalf("proof of a: depth %d, %d siblings; want depth %d, b's leaf", p.Depth, len(p.Siblings), shared+1)
	}
	if err := verifyInclusion(root, a.kh, a.vh, p); err != nil {
		t.Fatal(err)
	}
	if dec, err := DecodeProof(p.Encode()); err != nil || verifyInclusion(root, a.kh, a.vh, dec) != nil {
		t.Fatalf("round trip of a depth-%d proof: %v", p.Depth, err)
	}
	// A key that leaves the path early ends at an empty subtree whose
	// sibling is the chain below.
	if shared > 0 {
		c := flipBit(a.kh, shared-1)
		q := tr.proveHashed(c)
		if q.Depth != shared || q.Other != nil {
			t.Fatalf("proof of c: depth %d other %v; want depth %d, empty end", q.Depth, q.Other, shared)
		}
		if err := verifyExclusion(root, c, q); err != nil {
			t.Fatal(err)
		}
	}
	// A key that follows a's path past the split ends at a's leaf.
	if shared < MaxDepth-1 {
		c := flipBit(a.kh, MaxDepth-1)
		q := tr.proveHashed(c)
		if q.Other == nil || q.Other.KeyHash != a.kh {
			t.Fatalf("proof of c should end at a's leaf: %+v", q)
		}
		if err := verifyExclusion(root, c, q); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBatchSemantics(t *testing.T) {
	k, v1, v2 := []byte("k"), []byte("one"), []byte("two")
	base := mustUpdate(t, New(), []KV{{[]byte("other"), []byte("x")}})
	cases := []struct {
		name  string
		start []KV
		batch []KV
		want  []byte // nil: absent
	}{
		{"last write wins", nil, []KV{{k, v1}, {k, v2}}, v2},
		{"delete after write", nil, []KV{{k, v1}, {k, nil}}, nil},
		{"write after delete", []KV{{k, v1}}, []KV{{k, nil}, {k, v2}}, v2},
		{"delete missing", nil, []KV{{k, nil}}, nil},
		{"empty value is a value", nil, []KV{{k, []byte{}}}, []byte{}},
		{"empty key is a key", nil, []KV{{[]byte{}, v1}, {k, v1}}, v1},
		{"rewrite same value", []KV{{k, v1}}, []KV{{k, v1}}, v1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := model{"other": []byte("x")}
			m.apply(c.start)
			m.apply(c.batch)
			tr := mustUpdate(t, mustUpdate(t, base, c.start), c.batch)
			checkTree(t, tr, m)
			if _, ok := tr.Get(k); ok != (c.want != nil) {
				t.Fatalf("Get(k) present = %v, want %v", ok, c.want != nil)
			}
		})
	}
}

// An update that changes nothing keeps every node, so no memory is spent.
func TestNoOpUpdateSharesRoot(t *testing.T) {
	g := newGen(7)
	kvs := g.inserts(200)
	tr := mustUpdate(t, New(), kvs)
	same := mustUpdate(t, tr, []KV{{kvs[3].Key, kvs[3].Value}, {[]byte("absent"), nil}})
	if same.root != tr.root || same.Len() != tr.Len() {
		t.Fatal("a no-op batch made new nodes or changed the length")
	}
}

func TestDeleteEverything(t *testing.T) {
	g := newGen(3)
	kvs := g.inserts(500)
	tr := mustUpdate(t, New(), kvs)
	var dels, half []KV
	for i, kv := range kvs {
		dels = append(dels, KV{Key: kv.Key})
		if i%2 == 0 {
			half = append(half, KV{Key: kv.Key})
		}
	}
	m := model{}
	m.apply(kvs)
	m.apply(half)
	checkTree(t, mustUpdate(t, tr, half), m)
	empty := mustUpdate(t, tr, dels)
	if !empty.Root().IsZero() || empty.Len() != 0 || empty.root != nil {
		t.Fatalf("after deleting everything: root %s len %d", empty.Root().Short(), empty.Len())
	}
	// One key at a time reaches the same place.
	for _, d := range dels {
		tr = mustUpdate(t, tr, []KV{d})
	}
	if !tr.Root().IsZero() || tr.Len() != 0 {
		t.Fatalf("after deleting one by one: root %s len %d", tr.Root().Short(), tr.Len())
	}
}

// Random batches of inserts, rewrites and deletes, checked against the
// reference root after every batch.
func TestAgainstReference(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		g := newGen(seed)
		pool := make([][]byte, 2+g.r.IntN(60))
		for i := range pool {
			pool[i] = g.key()
		}
		tr, m := New(), model{}
		for round := 0; round < 8; round++ {
			batch := make([]KV, g.r.IntN(40))
			for i := range batch {
				batch[i].Key = pool[g.r.IntN(len(pool))]
				if g.r.IntN(3) > 0 {
					batch[i].Value = g.value()
				}
			}
			tr = mustUpdate(t, tr, batch)
			m.apply(batch)
			checkTree(t, tr, m)
		}
	}
}

// The same final key set gives the same root whatever the order, the
// batch boundaries, and the detours (keys added and deleted on the way).
func TestHistoryIndependence(t *testing.T) {
	g := newGen(11)
	final := g.inserts(300)
	want := mustUpdate(t, New(), final).Root()
	for trial := 0; trial < 10; trial++ {
		order := append([]KV(nil), final...)
		g.r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		detours := g.inserts(50)
		tr := New()
		for len(order) > 0 {
			n := min(1+g.r.IntN(60), len(order))
			batch := append([]KV(nil), order[:n]...)
			if len(detours) > 0 && g.r.IntN(2) == 0 {
				d := detours[0]
				detours = detours[1:]
				tr = mustUpdate(t, tr, []KV{d, {Key: final[0].Key, Value: []byte("stale")}})
				batch = append(batch, KV{Key: d.Key})
			}
			tr = mustUpdate(t, tr, batch)
			order = order[n:]
		}
		tr = mustUpdate(t, tr, []KV{final[0]})
		for _, d := range detours {
			tr = mustUpdate(t, tr, []KV{{Key: d.Key}})
		}
		if tr.Root() != want || tr.Len() != len(final) {
			t.Fatalf("trial %d: root %s len %d, want %s %d", trial, tr.Root().Short(), tr.Len(), want.Short(), len(final))
		}
	}
}

// Updates never touch an old version: its root, values and proofs stay as
// they were, while other goroutines read it during the updates.
func TestOldVersionsUnchanged(t *testing.T) {
	g := newGen(5)
	v1kvs := g.inserts(400)
	v1 := mustUpdate(t, New(), v1kvs)
	m1 := model{}
	m1.apply(v1kvs)
	root1 := v1.Root()

	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(v1kvs); i += 4 {
				kv := v1kvs[i]
				if err := VerifyInclusion(root1, kv.Key, kv.Value, v1.Prove(kv.Key)); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	tr := v1
	for round := 0; round < 20; round++ {
		batch := g.inserts(20)
		for i := 0; i < 20; i++ {
			kv := v1kvs[g.r.IntN(len(v1kvs))]
			if i%2 == 0 {
				batch = append(batch, KV{Key: kv.Key})
			} else {
				batch = append(batch, KV{Key: kv.Key, Value: g.value()})
			}
		}
		tr = mustUpdate(t, tr, batch)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("reading the old version during updates: %v", err)
	}
	if tr.Root() == root1 {
		t.Fatal("updates did not change the root")
	}
	checkTree(t, v1, m1)
	for _, kv := range v1kvs {
		if err := VerifyInclusion(root1, kv.Key, kv.Value, v1.Prove(kv.Key)); err != nil {
			t.Fatalf("old version proof: %v", err)
		}
	}
}

// Key hashes crafted to share long prefixes make deep chains of inner
// nodes with one empty child; inserts and deletes must grow and shrink
// them (a leaf moving up many levels at once) as the reference says.
func TestAgainstReferenceDeepPaths(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		g := newGen(seed)
		base := refKeyHash([]byte{byte(seed)})
		pool := []types.Hash{base}
		for len(pool) < 12 {
			pool = append(pool, flipBit(pool[g.r.IntN(len(pool))], g.r.IntN(MaxDepth)))
		}
		tr, set := New(), map[types.Hash]types.Hash{}
		for round := 0; round < 30; round++ {
			var ops []op
			for i := g.r.IntN(5); i >= 0; i-- {
				o := op{kh: pool[g.r.IntN(len(pool))], seq: int32(len(ops)), del: g.r.IntN(3) == 0}
				if !o.del {
					o.vh = refValueHash(g.value())
				}
				ops = append(ops, o)
			}
			for _, o := range ops {
				if o.del {
					delete(set, o.kh)
				} else {
					set[o.kh] = o.vh
				}
			}
			var err error
			if tr, err = tr.apply(ops); err != nil {
				t.Fatal(err)
			}
			var entries []refEntry
			for kh, vh := range set {
				entries = append(entries, refEntry{kh, vh})
			}
			if want := refRoot(entries, 0); tr.Root() != want || tr.Len() != len(set) {
				t.Fatalf("seed %d round %d: root %s len %d, want %s %d", seed, round, tr.Root().Short(), tr.Len(), want.Short(), len(set))
			}
			if _, _, err := checkShape(tr.root, 0, types.Hash{}); err != nil {
				t.Fatalf("seed %d round %d: %v", seed, round, err)
			}
			for _, kh := range pool {
				p := tr.proveHashed(kh)
				if vh, ok := set[kh]; ok {
					err = verifyInclusion(tr.Root(), kh, vh, p)
				} else {
					err = verifyExclusion(tr.Root(), kh, p)
				}
				if err != nil {
					t.Fatalf("seed %d round %d: %v", seed, round, err)
				}
			}
		}
	}
}

// A batch big enough to be applied on several goroutines gives the tree
// that small sequential batches give, and counts its keys right.
func TestLargeBatchMatchesSmallBatches(t *testing.T) {
	g := newGen(13)
	kvs := g.inserts(6000)
	big := mustUpdate(t, New(), kvs)
	small := New()
	for i := 0; i < len(kvs); i += 100 {
		small = mustUpdate(t, small, kvs[i:i+100])
	}
	m := model{}
	m.apply(kvs)
	checkTree(t, big, m)
	if small.Root() != big.Root() {
		t.Fatalf("root %s from one batch, %s from batches of 100", big.Root().Short(), small.Root().Short())
	}
	var dels []KV
	for _, kv := range kvs[:4000] {
		dels = append(dels, KV{Key: kv.Key})
	}
	m.apply(dels)
	checkTree(t, mustUpdate(t, big, dels), m)
}
