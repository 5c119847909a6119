package attestor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/blobnet"
	"github.com/lazchain/lazchain/internal/crypto/bls"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// checkRig is one attestor whose artifact lives in src and reaches its own
// store only through the fetch the test scripts.
type checkRig struct {
	a        *Attestor
	src, dst *blob.Store
	m        *blob.Manifest
	job      job
	verifies atomic.Int32
}

func newCheckRig(t *testing.T, data []byte, fetch func(r *checkRig, ctx context.Context) error) *checkRig {
	t.Helper()
	src, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	dst, err := blob.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m, err := src.Put(bytes.NewReader(data), 1024, 0)
	if err != nil {
		t.Fatal(err)
	}
	sub := idao.Submit{IDAO: "data", Kind: verify.KindDataset, Format: "csv", Root: m.Root, Size: uint64(m.Size), ChunkSize: uint32(m.ChunkSize)}
	art := &idao.Artifact{ID: idao.ArtifactID(sub), Submit: sub}
	r := &checkRig{src: src, dst: dst, m: m, job: job{id: art.ID, name: "data"}}
	key, err := bls.GenerateKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	r.a = New(Config{ChainID: testChain, Key: key, Chain: &fakeChain{art: art}, Blobs: dst, Log: slog.New(slog.DiscardHandler),
		Fetch: func(ctx context.Context, _ blobnet.Want) error { return fetch(r, ctx) },
		// The verdict's digest is the hash of the bytes the verifier read.
		Verify: func(_ context.Context, in verify.Input) (verify.Result, error) {
			r.verifies.Add(1)
			rc, err := in.Open()
			if err != nil {
				return verify.Result{}, err
			}
			defer rc.Close()
			h := sha256.New()
			if _, err := io.Copy(h, rc); err != nil {
				return verify.Result{}, err
			}
			var d types.Hash
			copy(d[:], h.Sum(nil))
			return verify.Result{Valid: true, Digest: d}, nil
		},
	})
	return r
}

// store copies chunks [from, to) of the artifact into the attestor's store.
func (r *checkRig) store(t *testing.T, from, to uint64) {
	if from == 0 {
		if err := r.dst.PutReplicaManifest(r.m); err != nil {
			t.Error(err)
		}
	}
	for i := from; i < to; i++ {
		c, _, err := r.src.Chunk(r.m.Root, i)
		if err == nil {
			err = r.dst.PutReplicaChunk(r.m.Root, i, c)
		}
		if err != nil {
			t.Error(err)
		}
	}
}

func testBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// The verifier reads chunks while the fetch is still storing them: here
// the fetch stores the second half only after the verifier has read past
// the first, which would deadlock a verify-after-fetch design.
func TestCheckVerifiesWhileFetching(t *testing.T) {
	data := testBytes(10*1024 + 3)
	r := newCheckRig(t, data, func(r *checkRig, ctx context.Context) error {
		r.store(t, 0, 5)
		deadline := time.Now().Add(10 * time.Second)
		for r.verifies.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond) // let it reach the gap
		r.store(t, 5, r.m.Count())
		return nil
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, ok := r.a.check(ctx, r.job)
	if !ok || res.Digest != sha256.Sum256(data) {
		t.Fatalf("check = %v, %v; want a verdict over the whole artifact", res, ok)
	}
}

// A fetch that fails ends the verifier's wait, and the member abstains:
// its vote would promise bytes it does not hold.
func TestCheckAbstainsWhenFetchFails(t *testing.T) {
	r := newCheckRig(t, testBytes(5000), func(r *checkRig, ctx context.Context) error {
		r.store(t, 0, 2)
		time.Sleep(20 * time.Millisecond)
		return blobnet.ErrUnavailable
	})
	if res, ok := r.a.check(context.Background(), r.job); ok {
		t.Fatalf("voted %v without the bytes", res)
	}
	if got := r.a.Stats.FetchFailures.Load(); got != 1 {
		t.Fatalf("fetch failures = %d, want 1", got)
	}
}

// Jobs that ask for the same artifact while it is being checked (a new
// rotation, a batch fallback) share that check instead of running the
// verifier again.
func TestResultChecksOnce(t *testing.T) {
	release := make(chan struct{})
	r := newCheckRig(t, testBytes(3000), func(r *checkRig, ctx context.Context) error {
		<-release
		r.store(t, 0, r.m.Count())
		return nil
	})
	var wg sync.WaitGroup
	results := make([]verify.Result, 3)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			j := r.job
			j.rotation = uint64(i)
			res, ok := r.a.result(context.Background(), j)
			if !ok {
				t.Errorf("job %d got no verdict", i)
			}
			results[i] = res
		}()
	}
	time.Sleep(50 * time.Millisecond) // all three are asking
	close(release)
	wg.Wait()
	if n := r.verifies.Load(); n != 1 {
		t.Fatalf("verifier ran %d times, want 1", n)
	}
	if results[0] != results[1] || results[1] != results[2] {
		t.Fatalf("jobs got different verdicts: %v", results)
	}
}
