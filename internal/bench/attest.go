package bench

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"os"
	"sort"
	"time"

	"github.com/lazchain/lazchain/internal/blob"
	"github.com/lazchain/lazchain/internal/idao"
	"github.com/lazchain/lazchain/internal/rpc"
	"github.com/lazchain/lazchain/internal/types"
	"github.com/lazchain/lazchain/internal/verify"
)

// AttestConfig is one attestation benchmark run.
type AttestConfig struct {
	Nodes     []string // API URLs
	ChainID   string
	Keys      []ed25519.PrivateKey // funded accounts that submit
	IDAOs     []string             // existing iDAOs accepting datasets
	Artifacts int
	Size      int64 // bytes per artifact
	ChunkSize int
	Timeout   time.Duration
	TempDir   string // where large artifacts are generated
	Seed      int    // makes this run's artifacts distinct from another run's
}

// AttestResult is what an attestation run measured.
type AttestResult struct {
	IDAOs      int           `json:"idaos"`
	Artifacts  int           `json:"artifacts"`
	Size       int64         `json:"size_bytes"`
	Attested   int           `json:"attested"`
	Invalid    int           `json:"invalid"`
	Upload     time.Duration `json:"upload_ns"`
	Duration   time.Duration `json:"duration_ns"` // first submit to last anchored
	PerSecond  float64       `json:"attestations_per_second"`
	P50        time.Duration `json:"latency_p50_ns"`
	P99        time.Duration `json:"latency_p99_ns"`
	VerifyMBps float64       `json:"verified_mb_per_second"`
}

const attestSchema = `{"columns":[{"name":"id","type":"int","required":true},{"name":"value","type":"float"},{"name":"label","type":"string"}]}`

// datasetReader streams a deterministic CSV dataset of about size bytes;
// seed makes each artifact's bytes (and so its root) distinct.
func datasetReader(seed int, size int64) io.Reader {
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriterSize(pw, 1<<20)
		n, _ := fmt.Fprintf(w, "id,value,label\n")
		written := int64(n)
		for row := 1; written < size; row++ {
			n, _ = fmt.Fprintf(w, "%d,%d.%d,s%d-r%d\n", row, (row*7919+seed)%100000, row%10, seed, row%977)
			written += int64(n)
		}
		w.Flush()
		pw.Close()
	}()
	return pr
}

// RunAttest uploads Artifacts datasets, submits them round-robin to the
// iDAOs at once, and waits until each is anchored.
func RunAttest(ctx context.Context, cfg AttestConfig) (*AttestResult, error) {
	res := &AttestResult{IDAOs: len(cfg.IDAOs), Artifacts: cfg.Artifacts, Size: cfg.Size}
	start := time.Now()
	subs, err := uploadAll(ctx, cfg)
	if err != nil {
		return nil, err
	}
	res.Upload = time.Since(start)
	submitted, err := submitAll(ctx, cfg, subs)
	if err != nil {
		return nil, err
	}
	anchored, invalid, err := watchAnchored(ctx, cfg, subs, submitted)
	if err != nil {
		return nil, err
	}
	var lats []time.Duration
	last := submitted
	for _, at := range anchored {
		lats = append(lats, at.Sub(submitted))
		if at.After(last) {
			last = at
		}
	}
	sort.Slice(lats, func(i, j int) bool { return lats[i] < lats[j] })
	res.Attested, res.Invalid = len(anchored), invalid
	res.Duration = last.Sub(submitted)
	if len(lats) > 0 {
		res.P50, res.P99 = lats[len(lats)/2], lats[min(len(lats)-1, len(lats)*99/100)]
		res.PerSecond = float64(len(lats)) / max(res.Duration.Seconds(), 1e-3)
		res.VerifyMBps = float64(int64(len(lats))*cfg.Size) / 1e6 / max(res.Duration.Seconds(), 1e-3)
	}
	if len(anchored) < len(subs) {
		return res, fmt.Errorf("only %d of %d artifacts anchored within %s", len(anchored), len(subs), cfg.Timeout)
	}
	return res, nil
}

// uploadAll generates and uploads each artifact to node i mod len(nodes),
// a file at a time for large ones, so memory stays bounded.
func uploadAll(ctx context.Context, cfg AttestConfig) ([]idao.Submit, error) {
	subs := make([]idao.Submit, cfg.Artifacts)
	for i := range subs {
		f, err := os.CreateTemp(cfg.TempDir, "lazchain-attest-*.csv")
		if err != nil {
			return nil, err
		}
		name := f.Name()
		_, err = io.Copy(f, datasetReader(cfg.Seed+i, cfg.Size))
		f.Close()
		if err == nil {
			var m *blob.Manifest
			m, err = rpc.NewClient(cfg.Nodes[i%len(cfg.Nodes)]).UploadFile(ctx, name, cfg.ChunkSize, nil)
			if err == nil {
				subs[i] = idao.Submit{IDAO: cfg.IDAOs[i%len(cfg.IDAOs)], Kind: verify.KindDataset, Root: m.Root, Size: uint64(m.Size),
					ChunkSize: uint32(m.ChunkSize), Name: fmt.Sprintf("bench-%d", i), Format: "csv", Schema: []byte(attestSchema), Verifier: "dataset/v1"}
			}
		}
		os.Remove(name)
		if err != nil {
			return nil, fmt.Errorf("artifact %d: %w", i, err)
		}
	}
	return subs, nil
}

// submitAll signs every submission and sends them in batches; key k's
// transactions all go to one node so their nonces arrive in order.
func submitAll(ctx context.Context, cfg AttestConfig, subs []idao.Submit) (time.Time, error) {
	nonces := make([]uint64, len(cfg.Keys))
	for k, key := range cfg.Keys {
		acc, err := rpc.NewClient(cfg.Nodes[0]).Account(ctx, key.Public().(ed25519.PublicKey))
		if err != nil {
			return time.Time{}, err
		}
		nonces[k] = acc.Nonce
	}
	batches := make([][]*types.Tx, len(cfg.Keys))
	for i, s := range subs {
		k := i % len(cfg.Keys)
		tx := &types.Tx{ChainID: cfg.ChainID, Nonce: nonces[k], Kind: idao.KindSubmit, Body: s.Encode()}
		tx.Sign(cfg.Keys[k])
		nonces[k]++
		batches[k] = append(batches[k], tx)
	}
	start := time.Now()
	for k, b := range batches {
		if len(b) == 0 {
			continue
		}
		r, err := rpc.NewClient(cfg.Nodes[k%len(cfg.Nodes)]).SubmitBatch(ctx, b)
		if err != nil {
			return start, err
		}
		if len(r.Rejected) > 0 {
			return start, fmt.Errorf("%d submissions rejected, first: %+v", len(r.Rejected), r.Rejected[0])
		}
	}
	return start, nil
}

// watchAnchored polls each iDAO's attested artifacts and records when each
// submitted one first shows up.
func watchAnchored(ctx context.Context, cfg AttestConfig, subs []idao.Submit, since time.Time) (map[types.Hash]time.Time, int, error) {
	want := map[types.Hash]bool{}
	for _, s := range subs {
		want[idao.ArtifactID(s.IDAO, s.Root)] = true
	}
	seen := map[types.Hash]time.Time{}
	invalid := 0
	c := rpc.NewClient(cfg.Nodes[0])
	deadline := since.Add(cfg.Timeout)
	for len(seen) < len(want) && time.Now().Before(deadline) {
		for _, name := range cfg.IDAOs {
			after := ""
			for {
				var page struct {
					Artifacts []rpc.ArtifactView `json:"artifacts"`
					Next      string             `json:"next"`
				}
				q := "/artifacts?status=attested&limit=1000&idao=" + name + after
				if err := c.GetJSON(ctx, q, &page); err != nil {
					return seen, invalid, err
				}
				now := time.Now()
				for _, a := range page.Artifacts {
					id, err := types.ParseHash(a.ID)
					if err != nil || !want[id] {
						continue
					}
					if _, ok := seen[id]; !ok {
						seen[id] = now
						if a.Verdict != "valid" {
							invalid++
						}
					}
				}
				if page.Next == "" {
					break
				}
				after = "&after=" + page.Next
			}
		}
		select {
		case <-ctx.Done():
			return seen, invalid, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return seen, invalid, nil
}
